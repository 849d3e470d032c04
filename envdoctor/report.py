"""A check's result: the environment, the findings and the verdict, as one piece of data."""

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from envdoctor import __version__
from envdoctor.findings import Finding, Severity
from envdoctor.matrix import platform_tag
from envdoctor.recipes import Recipe
from envdoctor.snapshot import Snapshot

__all__ = ["Report", "exit_code", "REPORT_SCHEMA"]

REPORT_SCHEMA = 1


def exit_code(findings: List[Finding], strict: bool = False) -> int:
    """0 healthy; 1 an error was found (with ``strict``, a warning too)."""
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    return 1 if any(f.severity in failing for f in findings) else 0


def _devices_summary(snapshot: Snapshot) -> Optional[Dict[str, Any]]:
    from envdoctor.devices import summary

    try:
        return summary(snapshot)
    except Exception as exc:  # a bug in the device summary must not lose the report
        return {"error": "%s: %s" % (type(exc).__name__, exc)}


@dataclass(frozen=True)
class Report:
    snapshot: Snapshot
    findings: Tuple[Finding, ...]
    recipe: Optional[Recipe]
    strict: bool = False
    source: str = "probe"  # probe | file
    seconds: Optional[float] = None

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
        snap = self.snapshot
        interp = snap.interpreter
        lab = {}
        for name in ("mindspore", "mindnlp", "transformers", "tokenizers", "numpy", "torch"):
            dist = snap.get(name)
            if dist is not None:
                lab[name] = dist.version
        return {
            "python": snap.python_version,
            "implementation": interp.get("implementation"),
            "executable": interp.get("executable"),
            "prefix": interp.get("prefix"),
            "venv": bool(interp.get("is_venv")),
            "conda": bool(interp.get("is_conda")),
            "platform": platform_tag(snap),
            "libc": snap.platform.get("libc"),
            "pip": snap.pip_version,
            "distributions": len(snap.active),
            "lab_packages": lab,
            "recipe": self.recipe.name if self.recipe else None,
            "snapshot_created": snap.raw.get("created"),
            "source": self.source,
            # --- devices: see envdoctor.devices.summary (None: snapshot has no device data)
            "devices": _devices_summary(snap),
        }

    def combined_fix(self) -> Optional[str]:
        """One pip command that applies every error's pinned fix together (pip resolves them
        as one set, so they cannot undo each other)."""
        from envdoctor.findings import pip_install_command

        reqs = []  # type: List[str]
        seen = set()  # (a set: 50,000 distributions give thousands of fixes)
        for f in self.findings:
            if f.severity is Severity.ERROR and f.fix:
                for req in f.fix.requirements:
                    if req not in seen:
                        seen.add(req)
                        reqs.append(req)
        if not reqs:
            return None
        return pip_install_command(reqs, self.snapshot.interpreter.get("executable"))

    def summary(self) -> Dict[str, Any]:
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
            "summary": self.summary(),
        }  # type: Dict[str, Any]
        if include_snapshot:
            out["snapshot"] = self.snapshot.raw
        return out
