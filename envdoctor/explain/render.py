"""Text output of ``envdoctor explain``: styled lines, printed by :mod:`envdoctor.console`."""

from typing import List, Optional

from envdoctor.explain.engine import ExplainResult
from envdoctor.explain.model import Explanation
from envdoctor.render.text import Line

__all__ = ["render_explanation_lines", "render_result_lines"]

_MAX_LINE = 160
_CONFIDENCE = {"exact": "exact (this error text is known)",
               "mechanism": "mechanism (read from what the text says)",
               "guess": "guess (check it before acting on it)"}


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_LINE else text[:_MAX_LINE - 3] + "..."


def render_explanation_lines(number: int, exp: Explanation, verbose: bool = False
                             ) -> List[Line]:
    guess = exp.confidence == "guess"
    lines = [[("  %d. " % number, "bold"), ("possibly: " if guess else "", "bold yellow"),
              (exp.title, "bold")]]  # type: List[Line]
    if exp.line:
        where = "line %d: " % exp.line_number if exp.line_number else "line: "
        lines.append([("      " + where, "dim"), (_clip(exp.line), "")])
    lines.append([("      because: ", "dim"), (exp.because, "")])
    if exp.packages:
        lines.append([("      packages: ", "dim"), (", ".join(exp.packages), "")])
    evidence = exp.evidence if verbose else exp.evidence[:4]
    for fact in evidence:
        lines.append([("      evidence: ", "dim"), (_clip(fact), "")])
    if len(exp.evidence) > len(evidence):
        lines.append([("      evidence: ", "dim"),
                      ("... %d more (-v shows them)" % (len(exp.evidence) - len(evidence)),
                       "dim")])
    if exp.fix:
        lines.append([("      fix: ", "bold green"), (exp.fix, "green")])
        if exp.note:
            lines.append([("      note: ", "bold green"), (exp.note, "")])
    elif exp.note and not exp.no_fix_reason:
        lines.append([("      fix: ", "bold green"), (exp.note, "")])
    else:
        lines.append([("      no fix: ", "bold yellow"), (exp.reason_without_fix or "", "")])
    lines.append([("      confidence: ", "dim"), (_CONFIDENCE[exp.confidence], "")])
    lines.append([("      source: ", "dim"), (exp.source, "")])
    return lines


def render_result_lines(result: ExplainResult, name: Optional[str] = None,
                        verbose: bool = False) -> List[Line]:
    where = " in %s" % name if name else ""
    out = []  # type: List[Line]
    if not result.explanations:
        out.append([("envdoctor explain: ", "bold"),
                    ("nothing recognised%s (%d lines)." % (where, result.lines), "bold yellow")])
        out.append([("  envdoctor explains only what its compatibility matrix, API and name "
                     "indexes, signature table and mechanisms (loader, pip, CANN) know; it "
                     "does not guess a cause.", "")])
        if result.unexplained:
            out.append([("  Error lines it saw but cannot explain:", "")])
            for number, text in result.unexplained[:8]:
                out.append([("    line %d: " % number, "dim"), (_clip(text), "")])
        elif result.ends_early:
            out.append([("  The text ends inside a traceback, before its error line: paste the "
                         "whole traceback.", "")])
        else:
            out.append([("  No error line found in it (a traceback's last line, pip's ERROR "
                         "lines, a loader or CANN message).", "")])
        return out
    count = len(result.explanations)
    out.append([("envdoctor explain: ", "bold"),
                ("%d problem%s recognised%s" % (count, "" if count == 1 else "s", where), "bold")])
    for number, exp in enumerate(result.explanations, 1):
        out.append([])
        out.extend(render_explanation_lines(number, exp, verbose))
    if result.unexplained and verbose:
        out.append([])
        out.append([("  Not explained:", "dim")])
        for number, text in result.unexplained:
            out.append([("    line %d: " % number, "dim"), (_clip(text), "")])
    return out
