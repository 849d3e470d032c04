"""A smoke run's result as data: one :class:`Stage` per step, and the run around them."""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from envdoctor import __version__
from envdoctor.findings import Finding

__all__ = ["Stage", "Hint", "SmokeResult", "SMOKE_SCHEMA", "STATUSES", "FACT_KEYS"]

SMOKE_SCHEMA = 1
# pass: worked. warn: worked with a fallback worth knowing (exit 0). fail: broken (exit 1).
# skip: not run (after a failure, or not applicable to this API).
STATUSES = ("pass", "warn", "fail", "skip")
# What the target reports about the run, copied to the top level of the JSON.
FACT_KEYS = (
    "device", "mindspore_version", "numpy_version", "mindnlp_version", "mindnlp_api",
    "tokenizer", "parameters", "steps", "loss_first", "loss_last", "accuracy",
    "tokens_per_second", "tokens_per_second_compiled", "compile_seconds", "train_seconds",
    "settings",
)


@dataclass(frozen=True)
class Hint:
    """Why a stage failed, in words, and what to do about it: a thin view of the
    :class:`~envdoctor.findings.Finding` that explain's table gave (``diagnosis``), or of a
    stage's generic advice when the table knows nothing (no diagnosis)."""

    because: str
    fix: Optional[str] = None
    source: Optional[str] = None  # e.g. the research note or issue it comes from
    diagnosis: Optional[Finding] = None  # the explain finding (ED401-ED409) behind it

    def to_dict(self) -> Dict[str, Any]:
        out = {"because": self.because, "fix": self.fix, "source": self.source}  # type: Dict[str, Any]
        if self.diagnosis is not None:
            out.update(code=self.diagnosis.code, packages=list(self.diagnosis.packages),
                       confidence=self.diagnosis.confidence,
                       no_fix_reason=self.diagnosis.no_fix_reason)
        return out


@dataclass(frozen=True)
class Stage:
    name: str
    title: str
    status: str
    seconds: Optional[float] = None
    detail: str = ""
    data: Dict[str, Any] = field(default_factory=dict)
    error: Optional[Dict[str, str]] = None  # type, message, traceback from the target
    hint: Optional[Hint] = None
    log: Tuple[str, ...] = ()  # the target's stderr lines that matter to this stage

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    def to_dict(self) -> Dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status,
            "seconds": round(self.seconds, 3) if self.seconds is not None else None,
            "detail": self.detail,
            "data": self.data,
            "error": self.error,
            "hint": self.hint.to_dict() if self.hint else None,
            "log": list(self.log),
        }


@dataclass(frozen=True)
class SmokeResult:
    python: str  # the interpreter that ran it
    level: str  # mindspore | mindnlp
    stages: Tuple[Stage, ...]
    facts: Dict[str, Any] = field(default_factory=dict)
    seconds: Optional[float] = None  # wall time from start to verdict, as the user waited
    device_requested: Optional[str] = None
    python_version: Optional[str] = None
    ended: str = "done"  # done | crashed | timeout
    exit_description: Optional[str] = None  # "killed by SIGSEGV (...)", for crashes

    @property
    def failed_stage(self) -> Optional[Stage]:
        for stage in self.stages:
            if stage.failed:
                return stage
        return None

    @property
    def ok(self) -> bool:
        return self.failed_stage is None

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def stage(self, name: str) -> Optional[Stage]:
        for stage in self.stages:
            if stage.name == name:
                return stage
        return None

    def counts(self) -> Dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for stage in self.stages:
            out[stage.status] = out.get(stage.status, 0) + 1
        return out

    def verdict(self) -> str:
        failed = self.failed_stage
        if failed is None:
            return "passed"
        return "failed at %s" % failed.name

    def to_dict(self) -> Dict[str, Any]:
        failed = self.failed_stage
        out = {
            "envdoctor": __version__,
            "schema": SMOKE_SCHEMA,
            "kind": "envdoctor-smoke",
            "python": self.python,
            "python_version": self.python_version,
            "level": self.level,
            "device_requested": self.device_requested,
            "stages": [s.to_dict() for s in self.stages],
            "verdict": self.verdict(),
            "failed_stage": failed.name if failed else None,
            "ended": self.ended,
            "exit_description": self.exit_description,
            "seconds": round(self.seconds, 3) if self.seconds is not None else None,
            "exit_code": self.exit_code,
        }  # type: Dict[str, Any]
        for key in FACT_KEYS:
            out[key] = self.facts.get(key)
        return out

    def stage_seconds(self) -> List[Tuple[str, Optional[float]]]:
        return [(s.name, s.seconds) for s in self.stages]
