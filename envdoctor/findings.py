"""Findings: what a check says about an environment, as data.

Every finding has a stable code (``ED101``), documented in :data:`CODES` and printed by
``envdoctor explain ED101``. Renderers (text, JSON, HTML) only format findings; they never
decide anything.
"""

import shlex
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Dict, List, Optional, Sequence, Tuple

__all__ = [
    "Severity",
    "Evidence",
    "Fix",
    "Finding",
    "CodeDoc",
    "CODES",
    "AREAS",
    "pip_install_command",
]


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Evidence:
    """What was found against what was expected, and who says so."""

    installed: Optional[str] = None
    needed: Optional[str] = None
    source: Optional[str] = None  # "declared: transformers 4.35.0 metadata", a link, ...
    details: Tuple[Tuple[str, str], ...] = ()

    def to_dict(self) -> Dict[str, Any]:
        out = {"installed": self.installed, "needed": self.needed, "source": self.source}
        for key, value in self.details:
            out[key] = value
        return out


def pip_install_command(requirements: Sequence[str], python: Optional[str] = None) -> str:
    """The exact, shell-quoted pip command; ``python -m pip`` so it hits the right interpreter."""
    prefix = [python or "python", "-m", "pip", "install"]
    return " ".join(shlex.quote(p) for p in prefix + list(requirements))


@dataclass(frozen=True)
class Fix:
    """How to fix a finding: a command to run and/or advice in words."""

    command: Optional[str] = None
    text: Optional[str] = None
    requirements: Tuple[str, ...] = ()  # the pins the command installs, for `fix` to plan with

    def to_dict(self) -> Dict[str, Any]:
        return {"command": self.command, "text": self.text, "requirements": list(self.requirements)}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    title: str
    because: str
    evidence: Evidence = field(default_factory=Evidence)
    fix: Optional[Fix] = None
    packages: Tuple[str, ...] = ()

    @property
    def area(self) -> str:
        return CODES[self.code].area if self.code in CODES else "other"

    def to_dict(self) -> Dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "area": self.area,
            "title": self.title,
            "because": self.because,
            "evidence": self.evidence.to_dict(),
            "fix": self.fix.to_dict() if self.fix else None,
            "packages": list(self.packages),
        }


@dataclass(frozen=True)
class CodeDoc:
    code: str
    area: str
    severity: Severity
    title: str
    doc: str


AREAS = {
    "requirements": "Declared requirements (what pip check sees)",
    "compatibility": "Compatibility matrix (what really works)",
    "recipe": "Lab recipe",
    "environment": "Interpreter and installation",
    "imports": "Imports (deep check)",
    "devices": "Devices",
    "smoke": "Smoke train",
}


def _codes(*docs: CodeDoc) -> Dict[str, CodeDoc]:
    return {d.code: d for d in docs}


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

CODES = _codes(
    CodeDoc("ED101", "requirements", E, "Installed version does not satisfy a requirement",
            "A distribution declares (Requires-Dist) that it needs another one within a version "
            "range, and the installed version is outside it. This is what pip reports as "
            "'X requires Y<spec>, but you have Y v which is incompatible', and `pip check` as "
            "'X has requirement ...'. The package may still import, but its authors say it is "
            "not meant to work with that version (transformers checks some at import time).\n"
            "Fix: install a version inside the range; the fix line gives the exact command."),
    CodeDoc("ED102", "requirements", E, "A required distribution is not installed",
            "A distribution declares that it needs another one, which is not installed at all. "
            "Importing it will usually fail with ModuleNotFoundError.\nFix: install it."),
    CodeDoc("ED103", "requirements", W, "A requirement could not be evaluated",
            "A Requires-Dist line could not be parsed, or names an installed distribution whose "
            "version is not PEP 440, so envdoctor cannot tell whether it is satisfied."),
    CodeDoc("ED104", "requirements", W, "Installed version is not a PEP 440 version",
            "Modern pip and packaging reject versions like '2.2.3.2c7f2141' (ModelArts' "
            "moxing-framework). pip may then fail with 'Invalid version' while installing "
            "something else. envdoctor reports it and carries on.\n"
            "Fix: if pip fails on it, uninstall or reinstall that distribution."),
    CodeDoc("ED105", "environment", W, "The same distribution is installed twice",
            "Two copies of one distribution are on sys.path (often one in the user site from "
            "`pip install --user` and one in the image). Python imports the first; pip may "
            "upgrade the other, so upgrades seem to do nothing.\n"
            "Fix: uninstall the copy that is not wanted (the command names it)."),
    CodeDoc("ED106", "environment", E, "Installed for a Python it does not support",
            "The distribution declares Requires-Python, and the interpreter is outside it "
            "(it was installed with --ignore-requires-python, or copied in)."),
    CodeDoc("ED107", "environment", W, "Unreadable distribution metadata",
            "A *.dist-info or *.egg-info folder could not be read; pip and importlib will "
            "trip over it too.\nFix: remove the broken folder or reinstall the package."),
    CodeDoc("ED108", "environment", W, "pip is not installed in the target environment",
            "Without pip in the target interpreter, neither the student nor `envdoctor fix` can "
            "install anything there.\nFix: python -m ensurepip --upgrade"),
    CodeDoc("ED109", "environment", E, "Compiled for another machine",
            "The package's compiled extension targets a different CPU architecture or OS than "
            "this machine. mindspore's `cpXY-none-any` wheels on PyPI are Linux aarch64 builds "
            "with a wrong tag, and pip installs them on x86_64, macOS or Windows when no "
            "platform wheel matches. They install, then fail at import.\n"
            "Fix: use a Python / MindSpore pair that has a wheel for this platform."),
    CodeDoc("ED201", "compatibility", E, "Known-broken combination",
            "The installed versions match a rule in compat_matrix.yaml whose verdict is "
            "'broken': this set was run (verified) or reported to fail, even where its metadata "
            "allows it. The finding names the rule, its source and the error it produces."),
    CodeDoc("ED202", "compatibility", W, "Unsupported combination",
            "The installed versions match a rule whose verdict is 'unsupported': outside the "
            "range the authors support or that was verified, so it may or may not work."),
    CodeDoc("ED203", "compatibility", I, "Verified combination",
            "The installed versions match a rule whose verdict is 'works'."),
    CodeDoc("ED301", "recipe", E, "A package the lab needs is missing",
            "The lab recipe lists this package and it is not installed."),
    CodeDoc("ED302", "recipe", E, "A package is outside the lab's range",
            "The lab recipe needs a version range (or a source, such as a git tag) and the "
            "installed distribution is outside it."),
    CodeDoc("ED303", "recipe", E, "This Python is not one the lab supports",
            "The lab recipe lists the Python versions its packages exist for and work on; "
            "this interpreter is not one of them, so no pin can fix the environment.\n"
            "Fix: create a venv with a supported Python (the finding names them)."),
    CodeDoc("ED304", "recipe", W, "This platform is not one the lab supports",
            "The lab recipe lists the platforms it was verified on; this is not one of them."),
    CodeDoc("ED305", "recipe", I, "No recipe applies",
            "No lab recipe supports this Python, or none was asked for; only the declared "
            "requirements and the compatibility matrix were checked."),
    CodeDoc("ED306", "recipe", I, "Recipe is declared-only",
            "The recipe's versions come from package metadata and documentation; envdoctor "
            "has not run it. Its wheels may not be on PyPI (the finding says where they are)."),
)
