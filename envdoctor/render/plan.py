"""A fix plan (``envdoctor fix``) as text lines and as the command's JSON: pure functions of
:class:`envdoctor.fix.Plan` and :class:`envdoctor.fix.ApplyResult`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional

from envdoctor.findings import pip_install_command
from envdoctor.recipes import Recipe
from envdoctor.snapshot import canonical_name, requirement_name

if TYPE_CHECKING:
    from envdoctor.fix import ApplyResult, Plan

__all__ = ["plan_lines", "plan_result_json", "apply_result_json"]


def plan_lines(plan: Plan, recipe: Optional[Recipe]) -> List[str]:
    """The plan as lines: each change, pip's confirmation, what would remain, the same by hand."""
    lines = ["Plan for %s%s" % (plan.python, " (lab %s)" % recipe.name if recipe else "")]
    if plan.lock_source:
        lines.append("  constrained by the %s" % plan.lock_source)
    for note in plan.request.notes:
        lines.append("  note: " + note)
    if not plan.actions:
        lines.append("  pip would change nothing.")
    width = max([len(a.name) for a in plan.actions] or [0])
    for a in plan.actions:
        if a.after is None:
            change = "%s (uninstalled)" % a.before
        else:
            change = "%s -> %s" % (a.before, a.after) if a.before else a.after
        lines.append("  %-9s %-*s %-24s %s" % (a.kind, width, a.name, change, a.reason))
    if plan.pip_report is not None:
        counts: Dict[str, int] = {}
        for a in plan.actions:
            if a.kind != "remove":
                counts[a.kind] = counts.get(a.kind, 0) + 1
        removed = ", ".join(plan.request.remove)
        lines.append("Confirmed by pip's resolver (pip install --dry-run --report): %s; %s."
                     % (", ".join("%d %s" % (n, k) for k, n in sorted(counts.items()))
                        or "no change",
                        "uninstalls %s first (pip cannot dry-run that)" % removed if removed
                        else "nothing is removed"))
    if plan.predicted:
        lines.append("After the fix, these errors would remain:")
        for f in plan.predicted:
            lines.append("  x %s %s" % (f.code, f.title))
    else:
        lines.append("After the fix, envdoctor predicts no errors.")
    for f in plan.request.unfixable:
        if f.fix and f.fix.text:
            lines.append("  %s needs a step pip cannot take: %s" % (f.code, f.fix.text))
    if plan.actions:
        # what installs with --no-deps (MindNLP beside mindspore-dev) goes last, on its own
        alone = {requirement_name(r) for r in plan.request.no_deps}
        exact = ["%s==%s" % (a.name, a.after) for a in plan.actions
                 if canonical_name(a.name) not in alone and a.after is not None]
        steps = [pip_install_command(exact, plan.python)] if exact else []
        if plan.request.remove:  # after the rest, before the framework goes in alone
            steps.append(pip_install_command(list(plan.request.remove), plan.python, ["-y"],
                                             verb="uninstall"))
        if alone:
            steps.append(pip_install_command(list(plan.request.no_deps), plan.python,
                                             ["--no-deps"]))
        lines.append("The same by hand: " + " && ".join(steps))
    return lines


def apply_result_json(result: ApplyResult) -> Dict[str, Any]:
    return {"ok": result.ok, "message": result.message,
            "transaction": result.transaction.id if result.transaction else None,
            "rolled_back": result.rolled_back, "rollback_exact": result.rollback_exact,
            "rollback": result.transaction.journal.get("rollback") if result.transaction
            else None,
            "remaining": [f.to_dict() for f in result.after]}


def plan_result_json(plan: Plan, result: Optional[ApplyResult] = None) -> Dict[str, Any]:
    """``envdoctor fix --json``: the plan, whether it was applied, and what applying did."""
    return {"plan": plan.to_dict(), "applied": bool(result and result.ok),
            "result": apply_result_json(result) if result is not None else None}
