"""pip, run by the target interpreter: dry-run reports, installs, uninstalls, freezes.

envdoctor never installs anything with its own pip; it always runs ``TARGET -m pip`` so the
user's pip configuration (mirrors, constraints, --user) and the target's own Python apply.
"""

import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from envdoctor.errors import EnvdoctorError
from envdoctor.subproc import ChildResult, describe_exit, run_child

__all__ = ["PipOptions", "PipError", "choose_pip", "dry_run", "install", "uninstall", "freeze"]

INSTALL_TIMEOUT = 3600.0


class PipError(EnvdoctorError):
    def __init__(self, message: str, result: Optional[ChildResult] = None) -> None:
        super().__init__(message)
        self.result = result

    @property
    def output_tail(self) -> str:
        if self.result is None:
            return ""
        text = (self.result.stderr or "") + (self.result.stdout or "")
        lines = [l for l in text.splitlines() if l.strip() and "WARNING: Location" not in l]
        return "\n".join(lines[-15:])


@dataclass(frozen=True)
class PipOptions:
    """Index options passed straight through to pip (the user's pip config applies too)."""

    index_url: Optional[str] = None
    extra_index_urls: Tuple[str, ...] = ()
    find_links: Tuple[str, ...] = ()
    trusted_hosts: Tuple[str, ...] = ()
    no_index: bool = False
    timeout: float = INSTALL_TIMEOUT
    extra_env: Dict[str, str] = field(default_factory=dict)
    # When the target's own pip is too old for --dry-run --report (pip < 22.2, as on Python
    # 3.7 images), envdoctor's interpreter runs its own pip against the target with
    # `pip --python TARGET` (pip >= 22.3) instead; nothing is installed to upgrade pip.
    external_pip: Optional[str] = None

    def args(self) -> List[str]:
        out = []  # type: List[str]
        if self.index_url:
            out += ["--index-url", self.index_url]
        for url in self.extra_index_urls:
            out += ["--extra-index-url", url]
        for link in self.find_links:
            out += ["--find-links", link]
        for host in self.trusted_hosts:
            out += ["--trusted-host", host]
        if self.no_index:
            out.append("--no-index")
        return out

    def env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.update({"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"})
        env.update(self.extra_env)
        return env


def _pip(python: str, args: Sequence[str], options: PipOptions,
         timeout: Optional[float] = None) -> ChildResult:
    if options.external_pip:
        argv = [options.external_pip, "-m", "pip", "--python", python] + list(args)
    else:
        argv = [python, "-m", "pip"] + list(args)
    return run_child(argv, timeout=timeout or options.timeout, env=options.env())


MIN_REPORT_PIP = (22, 2)  # pip install --dry-run --report
MIN_PYTHON_OPTION_PIP = (22, 3)  # pip --python


def _version_tuple(text: Optional[str]) -> Tuple[int, ...]:
    out = []
    for part in str(text or "0").split(".")[:2]:
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits or 0))
    return tuple(out)


def choose_pip(target_pip_version: Optional[str], options: PipOptions) -> Tuple[PipOptions, str]:
    """Use the target's pip when it can report a dry run; else envdoctor's own pip with
    ``--python TARGET``. Returns the options and a note for the user ('' if nothing to say)."""
    import sys

    if target_pip_version and _version_tuple(target_pip_version) >= MIN_REPORT_PIP:
        return options, ""
    own = run_child([sys.executable, "-m", "pip", "--version"], timeout=60)
    own_version = own.stdout.split()[1] if own.ok and len(own.stdout.split()) > 1 else None
    if own_version is None or _version_tuple(own_version) < MIN_PYTHON_OPTION_PIP:
        raise PipError("the target's pip (%s) cannot report a dry run (pip 22.2 or newer is "
                       "needed), and envdoctor's own pip (%s) cannot drive it with --python; "
                       "upgrade pip in the target first: TARGET -m pip install -U 'pip>=22.2'"
                       % (target_pip_version or "missing", own_version or "missing"))
    from dataclasses import replace

    note = ("the target's pip %s is too old for --dry-run --report; envdoctor uses its own pip "
            "%s with --python (the target's pip is left as it is)"
            % (target_pip_version or "(none)", own_version))
    return replace(options, external_pip=sys.executable), note


def _fail(what: str, result: ChildResult) -> PipError:
    if result.error:
        return PipError("%s: %s" % (what, result.error), result)
    if result.timed_out:
        return PipError("%s: pip did not finish in time" % what, result)
    err = PipError("%s: pip failed (%s)" % (what, describe_exit(result.returncode)), result)
    return err


def _write_lines(folder: str, name: str, lines: Sequence[str]) -> str:
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def _request_args(folder: str, requirements: Sequence[str], constraints: Sequence[str]) -> List[str]:
    args = ["-r", _write_lines(folder, "requirements.txt", requirements)]
    if constraints:
        args += ["-c", _write_lines(folder, "constraints.txt", constraints)]
    return args


def dry_run(python: str, requirements: Sequence[str], constraints: Sequence[str],
            options: PipOptions) -> Dict[str, Any]:
    """pip's own resolver on the plan: ``pip install --dry-run --report`` (pip >= 22.2)."""
    with tempfile.TemporaryDirectory(prefix="envdoctor-plan-") as folder:
        report = os.path.join(folder, "report.json")
        args = ["install", "--dry-run", "--quiet", "--report", report,
                "--upgrade-strategy", "only-if-needed"]
        args += options.args() + _request_args(folder, requirements, constraints)
        result = _pip(python, args, options)
        if not result.ok:
            raise _fail("pip could not resolve the plan", result)
        try:
            with open(report, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError) as exc:
            raise PipError("pip wrote no usable --report (%s); pip 22.2 or newer is needed"
                           % exc, result)


def install(python: str, requirements: Sequence[str], constraints: Sequence[str],
            options: PipOptions) -> ChildResult:
    with tempfile.TemporaryDirectory(prefix="envdoctor-apply-") as folder:
        args = ["install", "--upgrade-strategy", "only-if-needed"]
        args += options.args() + _request_args(folder, requirements, constraints)
        result = _pip(python, args, options)
    if not result.ok:
        raise _fail("pip install failed", result)
    return result


def uninstall(python: str, names: Sequence[str], options: PipOptions) -> ChildResult:
    if not names:
        return ChildResult([], 0, "", "", False)
    result = _pip(python, ["uninstall", "-y"] + list(names), options, timeout=900)
    if not result.ok:
        raise _fail("pip uninstall failed", result)
    return result


def freeze(python: str, options: Optional[PipOptions] = None) -> str:
    options = options or PipOptions()
    result = _pip(python, ["freeze", "--all"], options, timeout=300)
    if not result.ok:
        raise _fail("pip freeze failed", result)
    return result.stdout
