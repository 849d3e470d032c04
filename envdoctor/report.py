"""A check's result: the environment, the findings and the verdict, as one piece of data.

Everything a renderer shows is computed here once (the device analysis by
:func:`envdoctor.api.diagnose`, the summary and the combined fix on first use), so the text,
JSON and HTML renderers only lay data out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import (TYPE_CHECKING, Any, Callable, Dict, FrozenSet, List, Optional, Tuple,
                    TypeVar)

from envdoctor import __version__
from envdoctor.devices import DeviceAnalysis, analyze, device_data, summarize
from envdoctor.findings import Finding, Severity
from envdoctor.frameworks import framework_pins, install_command
from envdoctor.recipes import Recipe
from envdoctor.snapshot import Snapshot

if TYPE_CHECKING:  # the checks import report's neighbours; the report only names the type
    from envdoctor.checks.context import CheckContext

__all__ = ["Report", "exit_code", "analyze_devices", "REPORT_SCHEMA"]

REPORT_SCHEMA = 1


def exit_code(findings: List[Finding], strict: bool = False) -> int:
    """0 healthy; 1 an error was found (with ``strict``, a warning too)."""
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    return 1 if any(f.severity in failing for f in findings) else 0


def analyze_devices(snapshot: Snapshot) -> Tuple[Optional[DeviceAnalysis], Optional[str]]:
    """(analysis, None); (None, None) for a snapshot without device data; (None, why) when
    the analysis failed (a bug there must not lose the report; the devices check then says
    so as ED900)."""
    if device_data(snapshot) is None:
        return None, None
    try:
        return analyze(snapshot), None
    except Exception as exc:
        return None, "%s: %s" % (type(exc).__name__, exc)


_T = TypeVar("_T")


def _once(report: "Report", name: str, compute: Callable[[], _T]) -> _T:
    """``compute()`` on first use, then the same value (the report is frozen)."""
    if name not in report.__dict__:
        object.__setattr__(report, name, compute())
    return report.__dict__[name]


@dataclass(frozen=True)
class Report:
    snapshot: Snapshot
    findings: Tuple[Finding, ...]
    recipe: Optional[Recipe]
    strict: bool = False
    source: str = "probe"  # probe | file
    seconds: Optional[float] = None
    # Computed once by diagnose; a Report built without them analyses the devices here.
    devices: Optional[DeviceAnalysis] = field(default=None, compare=False, repr=False)
    device_error: Optional[str] = field(default=None, compare=False, repr=False)
    # The CheckContext the findings came from (matrix, recipe, -r lines): plan_fix judges
    # the fixed environment by the same rules.
    context: Optional[CheckContext] = field(default=None, compare=False, repr=False)
    # the codes left out of the verdict (--ignore), and the findings they took out: shown,
    # not counted; a fix of this report is verified without them too
    ignored: Tuple[Finding, ...] = ()
    ignore: FrozenSet[str] = frozenset()

    def __post_init__(self) -> None:
        if self.devices is None and self.device_error is None:
            analysis, error = analyze_devices(self.snapshot)
            object.__setattr__(self, "devices", analysis)
            object.__setattr__(self, "device_error", error)

    @property
    def devices_summary(self) -> Optional[Dict[str, Any]]:
        """``environment()["devices"]``: None for a snapshot without device data."""
        if self.device_error is not None:
            return {"error": self.device_error}
        if self.devices is None:
            return None
        return _once(self, "_devices_summary", lambda: summarize(self.devices))

    @property
    def counts(self) -> Dict[str, int]:
        out = {s.value: 0 for s in Severity}
        for f in self.findings:
            out[f.severity.value] += 1
        return out

    @property
    def exit_code(self) -> int:
        return exit_code(list(self.findings), self.strict)

    def environment(self) -> Dict[str, Any]:
        return dict(_once(self, "_environment", self._environment))

    def _environment(self) -> Dict[str, Any]:
        snap = self.snapshot
        interp = snap.interpreter
        lab = {}
        for name in ("mindspore", "mindnlp", "transformers", "tokenizers", "numpy", "torch"):
            dist = snap.get(name)
            if dist is not None:
                lab[name] = dist.version
        return {
            "python": snap.python_version,
            "implementation": interp.implementation,
            "executable": interp.executable,
            "prefix": interp.prefix,
            "venv": bool(interp.is_venv),
            "conda": bool(interp.is_conda),
            "platform": snap.platform_tag,
            "libc": snap.platform.libc,
            "pip": snap.pip_version,
            "distributions": len(snap.active),
            "lab_packages": lab,
            "recipe": self.recipe.name if self.recipe else None,
            "snapshot_created": snap.raw.get("created"),
            "source": self.source,
            "devices": self.devices_summary,  # envdoctor.devices.summarize
        }

    @property
    def fix_requirements(self) -> Tuple[str, ...]:
        """Every error's pinned requirements, in order, once each: what the combined fix
        installs (a renderer builds its own command from these, never by parsing one)."""
        def collect() -> Tuple[str, ...]:
            # a dict keeps the order; a list's `in` is quadratic over thousands of fixes
            reqs: Dict[str, None] = {}
            for f in self.findings:
                if f.severity is Severity.ERROR and f.fix:
                    reqs.update((r, None) for r in f.fix.requirements)
            return tuple(reqs)
        return _once(self, "_fix_requirements", collect)

    def combined_fix(self) -> Optional[str]:
        """One pip command that applies every error's pinned fix together (pip resolves them
        as one set, so they cannot undo each other)."""
        reqs = self.fix_requirements
        if not reqs or len(framework_pins(reqs)) > 1:
            return None  # fixes that want different MindSpore builds: `envdoctor fix` decides
        # framework-safe: never `mindspore` over a mindspore-dev build (uninstall / --no-deps)
        return _once(self, "_combined_fix", lambda: install_command(
            list(reqs), self.snapshot.interpreter.executable, self.snapshot))

    def summary(self) -> Dict[str, Any]:
        return dict(_once(self, "_summary", self._summary))

    def _summary(self) -> Dict[str, Any]:
        counts = self.counts
        code = self.exit_code
        if code == 0:
            verdict = "healthy" if not counts["warning"] else "healthy with warnings"
        else:
            verdict = "problems found"
        return {
            "errors": counts["error"],
            "warnings": counts["warning"],
            "info": counts["info"],
            "verdict": verdict,
            "exit_code": code,
            "strict": self.strict,
            "ignored": len(self.ignored),
            "fix_command": self.combined_fix(),
            "seconds": round(self.seconds, 3) if self.seconds is not None else None,
        }

    def to_dict(self, include_snapshot: bool = True) -> Dict[str, Any]:
        out = {
            "envdoctor": __version__,
            "schema": REPORT_SCHEMA,
            "kind": "envdoctor-check",
            "environment": self.environment(),
            "recipe": self.recipe.to_dict() if self.recipe else None,
            "findings": [f.to_dict() for f in self.findings],
            "ignored": [f.to_dict() for f in self.ignored],
            "summary": self.summary(),
        }  # type: Dict[str, Any]
        if include_snapshot:
            out["snapshot"] = self.snapshot.raw
        return out
