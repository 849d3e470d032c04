"""``envdoctor fix`` (a plan) and ``envdoctor fix --apply`` (a transaction)."""

import argparse
import json
import os
import shlex
import sys
import time
from typing import Any, List, Optional

from envdoctor.commands import add_target_arguments
from envdoctor.errors import EXIT_OK, EXIT_PROBLEMS, UsageError

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "fix", help="plan (or --apply) the pins that make an environment work",
        description="Plan the smallest set of pins that fixes the errors `envdoctor check` "
                    "finds, confirmed by pip's own resolver (pip install --dry-run --report). "
                    "Nothing changes without --apply; --apply snapshots the environment first "
                    "and rolls back by itself if anything fails.")
    add_target_arguments(parser, allow_from=False)
    parser.add_argument("--recipe", metavar="NAME",
                        help="lab recipe (default: the newest lab for the target's Python)")
    parser.add_argument("--apply", action="store_true", help="carry out the plan")
    parser.add_argument("-y", "--yes", action="store_true",
                        help="do not ask for confirmation (for scripts and CI)")
    parser.add_argument("--move-framework", action="store_true",
                        help="allow the plan to change mindspore itself (kept by default)")
    parser.add_argument("--no-lock", action="store_true",
                        help="do not constrain to the recipe's verified lock")
    parser.add_argument("--index-url", metavar="URL", help="passed to pip")
    parser.add_argument("--extra-index-url", metavar="URL", action="append", default=[],
                        help="passed to pip (repeatable)")
    parser.add_argument("--find-links", metavar="URL", action="append", default=[],
                        help="passed to pip (repeatable)")
    parser.add_argument("--trusted-host", metavar="HOST", action="append", default=[],
                        help="passed to pip (repeatable)")
    parser.add_argument("--no-deep", action="store_true",
                        help="after applying, skip the deep import check the recipe asks for")
    parser.add_argument("--json", action="store_true", help="print only JSON on stdout")
    parser.set_defaults(func=run)


def _options(args: argparse.Namespace):
    from envdoctor.pip_runner import PipOptions

    return PipOptions(index_url=args.index_url, extra_index_urls=tuple(args.extra_index_url),
                      find_links=tuple(args.find_links), trusted_hosts=tuple(args.trusted_host))


def _say(args: argparse.Namespace, message: str) -> None:
    from envdoctor.console import safe_text

    stream = sys.stderr if args.json else sys.stdout
    stream.write(safe_text(message) + "\n")
    stream.flush()


def _plan_lines(plan: Any, recipe: Any) -> List[str]:
    from envdoctor.findings import pip_install_command

    lines = ["Plan for %s%s" % (plan.python, " (lab %s)" % recipe.name if recipe else "")]
    if plan.lock_source:
        lines.append("  constrained by the %s" % plan.lock_source)
    for note in plan.request.notes:
        lines.append("  note: " + note)
    if not plan.actions:
        lines.append("  pip would change nothing.")
    width = max([len(a.name) for a in plan.actions] or [0])
    for a in plan.actions:
        change = "%s -> %s" % (a.before, a.after) if a.before else a.after
        lines.append("  %-9s %-*s %-24s %s" % (a.kind, width, a.name, change, a.reason))
    if plan.pip_report is not None:
        counts = {}  # type: dict
        for a in plan.actions:
            counts[a.kind] = counts.get(a.kind, 0) + 1
        lines.append("Confirmed by pip's resolver (pip install --dry-run --report): %s; "
                     "nothing is removed." % (", ".join("%d %s" % (n, k) for k, n in
                                                          sorted(counts.items())) or "no change"))
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
        exact = ["%s==%s" % (a.name, a.after) for a in plan.actions]
        lines.append("The same by hand: " + pip_install_command(exact, plan.python))
    return lines


def _confirm(question: str) -> bool:
    from envdoctor.console import is_interactive

    if not is_interactive():
        return False
    sys.stdout.write(question + " [y/N] ")
    sys.stdout.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def _in_notebook() -> bool:
    return "ipykernel" in sys.modules or bool(os.environ.get("JPY_PARENT_PID"))


def run(args: argparse.Namespace) -> int:
    from envdoctor.checks import CheckContext, run_checks
    from envdoctor.commands.check import choose_recipe
    from envdoctor.fix import apply_plan, make_plan, unfinished_transactions
    from envdoctor.matrix import load_matrix
    from envdoctor.probe import probe
    from envdoctor.resources import matrix_path

    if args.apply and not args.yes:
        from envdoctor.console import is_interactive

        if not is_interactive():
            raise UsageError("--apply changes the environment; without a terminal to confirm "
                             "it, add --yes")
    started = time.time()
    snapshot = probe(args.python, timeout=args.timeout)
    for tx in unfinished_transactions(snapshot):
        _say(args, "warning: an unfinished fix (%s, %s) was found for this environment; "
                   "`envdoctor rollback %s` restores the state before it"
             % (tx.id, tx.journal.get("status"), tx.id))
    matrix = load_matrix(matrix_path())
    recipe = choose_recipe(args.recipe, snapshot)
    findings = run_checks(CheckContext(snapshot, matrix, recipe))
    lock = None if (args.no_lock or recipe is None) else recipe.lock_for(snapshot)
    from envdoctor.pip_runner import choose_pip

    options, pip_note = choose_pip(snapshot.pip_version, snapshot.python_version, _options(args))
    if pip_note:
        _say(args, "note: " + pip_note)
    from envdoctor.pip_runner import PipError

    try:
        plan = make_plan(snapshot, findings, matrix, recipe, options,
                         lock_lines=lock[0] if lock else None,
                         lock_source=lock[1] if lock else None,
                         move_framework=args.move_framework)
    except PipError as exc:  # pip's own lines travel in the message and the JSON
        if not args.json:
            raise
        from envdoctor.errors import EXIT_ERROR
        from envdoctor.fix import pip_lines

        sys.stdout.write(json.dumps({"plan": None, "applied": False, "result": None, "error": {
            "message": str(exc), "pip_lines": pip_lines(exc)}}, indent=2) + "\n")
        return EXIT_ERROR
    result_json = {"plan": plan.to_dict(), "applied": False, "result": None}
    if not plan.needed:
        if args.json:
            sys.stdout.write(json.dumps(result_json, indent=2) + "\n")
        else:
            _say(args, "Nothing to fix: envdoctor check finds no errors (%.1fs)."
                 % (time.time() - started))
        return EXIT_OK
    if not args.json or args.apply:
        for line in _plan_lines(plan, recipe):
            _say(args, line)
    if not args.apply:
        if args.json:
            sys.stdout.write(json.dumps(result_json, indent=2) + "\n")
        else:
            _say(args, "Nothing was changed. Apply it: envdoctor fix --apply%s%s"
                 % (" --move-framework" if plan.request.needs_framework_move else "",
                    " --python " + shlex.quote(args.python) if args.python else ""))
        return EXIT_PROBLEMS
    if not plan.actions:
        _say(args, "pip has nothing to change; the remaining errors need the steps above.")
        return EXIT_PROBLEMS
    if not args.yes and not _confirm("Apply these %d changes?" % len(plan.actions)):
        _say(args, "Not applied (answer was not yes).")
        return EXIT_PROBLEMS
    verify = None
    if recipe is not None and recipe.symbols and not args.no_deep:
        from envdoctor.commands.check import deep_check

        def verify(after):  # the deep check the recipe asks for, on the fixed environment
            return deep_check(after, recipe, plan.python, 300.0)

    result = apply_plan(plan, matrix, recipe, options, verify=verify,
                        progress=lambda m: _say(args, "... " + m))
    result_json.update({"applied": result.ok, "result": {
        "ok": result.ok, "message": result.message, "transaction": result.transaction.id
        if result.transaction else None, "rolled_back": result.rolled_back,
        "rollback_exact": result.rollback_exact,
        "rollback": result.transaction.journal.get("rollback") if result.transaction else None,
        "remaining": [f.to_dict() for f in result.after]}})
    if args.json:
        sys.stdout.write(json.dumps(result_json, indent=2) + "\n")
    if result.ok:
        _say(args, "Fixed: envdoctor check passes (transaction %s; `envdoctor rollback %s` "
                   "undoes it)." % (result.transaction.id, result.transaction.id))
        if _in_notebook():
            _say(args, "Restart the kernel (Kernel > Restart) so the notebook imports the "
                       "new versions.")
        return EXIT_OK
    _say(args, "The fix failed: %s" % result.message)
    if result.rolled_back:
        _say(args, "Rolled back: the environment is %s (transaction %s)." % (
            "exactly as it was" if result.rollback_exact else
            "restored, but its freeze differs from the saved one; see "
            "`envdoctor rollback --list`", result.transaction.id))
        kept = (result.transaction.journal.get("rollback") or {}).get("kept") or []
        for item in kept[:10]:
            _say(args, "  kept %s (%s)" % (item["path"], item["why"]))
    return EXIT_PROBLEMS
