"""A smoke run as ``check`` findings (``envdoctor check --smoke``), codes ED701-ED703: a pure
function of the :class:`SmokeResult` (:func:`envdoctor.api.diagnose` runs the train)."""

from typing import List, Optional

from envdoctor.findings import CODES, Evidence, Finding, Fix, Severity
from envdoctor.smoke.result import SmokeResult

__all__ = ["smoke_findings", "SMOKE_CODES"]

SMOKE_CODES = tuple(CODES[c] for c in ("ED701", "ED702", "ED703"))


def _fix(text: Optional[str]) -> Optional[Fix]:
    if not text:
        return None
    if text.startswith("pip install "):
        return Fix(command=text)
    return Fix(text=text)


def smoke_findings(result: SmokeResult) -> List[Finding]:
    facts = result.facts
    failed = result.failed_stage
    device = facts.get("device") or "?"
    if failed is not None:
        because = failed.detail
        if failed.hint is not None:
            because = "%s. %s" % (failed.detail.rstrip("."), failed.hint.because)
        details = [("stage", "%s (%s)" % (failed.title, failed.name))]
        if failed.log:
            details.append(("log", " | ".join(failed.log[-3:])))
        if failed.error and failed.error.get("traceback"):
            details.append(("traceback", failed.error["traceback"]))
        return [Finding("ED701", Severity.ERROR, "Smoke train fails at: %s" % failed.title,
                        because, Evidence(installed=failed.detail, source="envdoctor smoke",
                                          details=tuple(details)),
                        _fix(failed.hint.fix if failed.hint else None))]
    out: List[Finding] = []
    for stage in result.stages:
        if stage.status == "warn":
            out.append(Finding("ED702", Severity.WARNING,
                               "Smoke train passes, with a fallback at: %s" % stage.title,
                               stage.detail, Evidence(source="envdoctor smoke")))
    numbers = []
    if isinstance(facts.get("loss_first"), float) and isinstance(facts.get("loss_last"), float):
        numbers.append("loss %.3f -> %.3f" % (facts["loss_first"], facts["loss_last"]))
    if isinstance(facts.get("accuracy"), float):
        numbers.append("held-out accuracy %.1f%%" % (100 * facts["accuracy"]))
    if result.seconds is not None:
        numbers.append("%.1f s" % result.seconds)
    out.append(Finding("ED703", Severity.INFO, "Smoke train passes on %s" % device,
                       "all %d stages passed (%s)" % (len(result.stages), ", ".join(numbers)),
                       Evidence(installed=facts.get("mindspore_version"),
                                source="envdoctor smoke")))
    return out
