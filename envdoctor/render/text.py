"""Text output: findings grouped by area, ending in a one-line verdict.

The renderer builds styled lines; :mod:`envdoctor.console` prints them with colour through
rich on a terminal, or as plain text otherwise (rich is then never imported).
"""

from typing import Dict, List, Optional, Sequence, Tuple

from envdoctor.findings import AREAS, Finding, Severity
from envdoctor.render.devices import device_lines
from envdoctor.report import Report

__all__ = ["Segment", "Line", "render_report_lines", "render_finding_lines", "verdict_line",
           "fixes_shown_above",
           "ignored_summary", "plain"]

Segment = Tuple[str, str]  # (text, rich style or "")
Line = List[Segment]

_MARKS = {Severity.ERROR: ("x", "bold red"), Severity.WARNING: ("!", "bold yellow"),
          Severity.INFO: ("i", "cyan")}
# Evidence details shown without -v; the rest (rule ids, tracebacks) with -v and in JSON.
_ALWAYS_SHOWN = ("error", "hidden", "path", "stderr")
# Every area of findings.AREAS, in the order the report reads best; an area missing here
# is shown last rather than hidden.
_AREA_ORDER = ["environment", "requirements", "compatibility", "recipe", "lab", "imports",
               "devices", "smoke", "explain", "other"]
_AREA_ORDER += [a for a in AREAS if a not in _AREA_ORDER]


def _rank(area: str) -> int:
    return _AREA_ORDER.index(area) if area in _AREA_ORDER else len(_AREA_ORDER)


def plain(lines: Sequence[Line]) -> str:
    return "\n".join("".join(text for text, _ in line) for line in lines) + "\n"


def fixes_shown_above(findings: Sequence[Finding]) -> List[Optional[str]]:
    """For each finding, the code of the finding just above it when both carry this very fix
    (so it is written once), else None."""
    out: List[Optional[str]] = []
    previous: Optional[Finding] = None
    for finding in findings:
        same = (previous is not None and finding.fix is not None and finding.fix == previous.fix
                and finding.severity is not Severity.INFO)
        out.append(previous.code if same and previous is not None else None)
        previous = finding
    return out


def render_finding_lines(finding: Finding, verbose: bool = False,
                         fix_shown_for: Optional[str] = None) -> List[Line]:
    """``fix_shown_for``: the code of the finding just above with this very fix, whose fix
    lines are not repeated (a lab that imports four names mindnlp lacks has one fix)."""
    mark, style = _MARKS[finding.severity]
    lines = [[("  %s " % mark, style), (finding.code, "bold"), ("  " + finding.title, "")]]
    if finding.severity is Severity.INFO and not verbose:
        return lines
    lines.append([("      because: ", "dim"), (finding.because, "")])
    ev = finding.evidence
    if ev.summary():
        lines.append([("      evidence: ", "dim"), (ev.summary(), "")])
    if ev.source:
        lines.append([("      source: ", "dim"), (ev.source, "")])
    for key, value in ev.details:
        if not verbose and key not in _ALWAYS_SHOWN:
            continue
        lines.append([("      %s: " % key, "dim"), (value, "")])
    if finding.fix and fix_shown_for:
        lines.append([("      fix: ", "bold green"), ("the same as for the %s above" % fix_shown_for, "")])
    elif finding.fix:
        if finding.fix.command:
            lines.append([("      fix: ", "bold green"), (finding.fix.command, "green")])
        if finding.fix.text:
            lines.append([("      " + ("note: " if finding.fix.command else "fix: "), "bold green"),
                          (finding.fix.text, "")])
    return lines


def render_report_lines(report: Report, verbose: bool = False) -> List[Line]:
    env = report.environment()
    kind = "conda env" if env["conda"] else "venv" if env["venv"] else "system"
    lines: List[Line] = []
    lines.append([("envdoctor ", "bold"), ("Python %s (%s) " % (env["python"], kind), "bold"),
                  (str(env["executable"]), "")])
    facts = [env["platform"], "pip %s" % (env["pip"] or "missing"),
             "%d distributions" % env["distributions"]]
    facts += ["%s %s" % kv for kv in env["lab_packages"].items()]
    lines.append([("  " + " | ".join(facts), "dim")])
    if report.source == "file":
        lines.append([("  from a saved snapshot taken %s" % env["snapshot_created"], "dim")])
    if report.recipe:
        lines.append([("  lab recipe: ", "dim"), (report.recipe.name, "bold"),
                      (" (%s, %s)" % (report.recipe.title, report.recipe.status), "dim")])
    by_area: dict = {}
    for finding in report.findings:
        by_area.setdefault(finding.area, []).append(finding)
    shown_areas = ["requirements", "compatibility"] + (["recipe"] if report.recipe else []) + [
        a for a in by_area if a not in ("requirements", "compatibility")]
    devices = _device_lines(report)
    if devices:
        shown_areas.append("devices")
    for area in sorted(set(shown_areas), key=_rank):
        lines.append([])
        lines.append([(AREAS.get(area, area.title()), "bold underline")])
        if area == "devices":
            lines.extend(devices)
        found = by_area.get(area, [])
        if not any(f.severity is not Severity.INFO for f in found):
            lines.append([("  ok ", "bold green"), ("nothing wrong found", "green")])
        above = fixes_shown_above(found) if not verbose else [None] * len(found)
        for finding, shown_for in zip(found, above):
            lines.extend(render_finding_lines(finding, verbose, shown_for))
    lines.append([])
    combined = report.combined_fix()
    if combined and report.summary()["errors"] > 1:
        lines.append([("All pinned fixes in one command (pip resolves them together):"
                       if " && " not in combined else
                       "All pinned fixes (MindSpore first, then the rest; what requires "
                       "`mindspore` goes in with --no-deps):", "bold")])
        lines.append([("  " + combined, "green")])
        lines.append([])
    if report.ignored:
        lines.append([("Ignored (--ignore): ", "dim"), (ignored_summary(report.ignored), "dim")])
    lines.append(verdict_line(report))
    return lines


def ignored_summary(ignored: Sequence[Finding]) -> str:
    """``ED820 x2, ED112 x1``: the findings left out of the verdict, by code."""
    counts: Dict[str, int] = {}
    for f in ignored:
        counts[f.code] = counts.get(f.code, 0) + 1
    return ", ".join("%s x%d" % kv for kv in sorted(counts.items()))


def _device_lines(report: Report) -> List[Line]:
    """The Devices section's facts (what was found, what MindSpore can use), shown even when
    nothing is wrong; [] for a snapshot without device data."""
    if report.device_error is not None:
        return [[("  device summary failed: %s" % report.device_error, "yellow")]]
    if report.devices is None:
        return []
    return [[("  %-10s" % label, "dim"), (text, "")] for label, text in
            device_lines(report.devices)]


def verdict_line(report: Report) -> Line:
    summary = report.summary()
    counts = "%d error%s, %d warning%s" % (
        summary["errors"], "" if summary["errors"] == 1 else "s",
        summary["warnings"], "" if summary["warnings"] == 1 else "s")
    timing = " in %.2fs" % summary["seconds"] if summary["seconds"] is not None else ""
    if summary["exit_code"] == 0:
        recipe = " for lab %s" % report.recipe.name if report.recipe else ""
        return [("Verdict: ", "bold"), ("ready%s" % recipe, "bold green"),
                (" (%s%s)" % (counts, timing), "")]
    return [("Verdict: ", "bold"), ("not ready", "bold red"), (" (%s%s)" % (counts, timing), "")]
