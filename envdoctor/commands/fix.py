"""``envdoctor fix`` (a plan) and ``envdoctor fix --apply`` (a transaction): arguments ->
:func:`envdoctor.api.diagnose` -> :func:`~envdoctor.api.plan_fix` -> :func:`~envdoctor.api.apply_fix`."""

import argparse
import json
import os
import shlex
import sys
import time
from typing import Any

from envdoctor.commands import add_target_arguments
from envdoctor.errors import EXIT_ERROR, EXIT_OK, EXIT_PROBLEMS, UsageError
from envdoctor.progress import Progress

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
    parser.add_argument("--lab", metavar="PATH",
                        help="plan toward the lab itself (a notebook, script, requirements "
                             "file or folder): the releases whose API has every name it "
                             "imports, verified first; never one that lacks a name")
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
    parser.add_argument("--requirements", "-r", metavar="FILE", action="append", default=[],
                        help="also hold the environment to a lab's requirements file, as "
                             "`envdoctor check -r` does (repeatable)")
    parser.add_argument("--matrix", metavar="PATH",
                        help="compatibility matrix file to judge and plan with, as "
                             "`envdoctor check --matrix` does")
    parser.add_argument("--no-deep", action="store_true",
                        help="after applying, skip the deep import check the recipe asks for")
    parser.add_argument("--ignore", metavar="CODE", action="append", default=[],
                        help="as `envdoctor check --ignore`: findings with this code are "
                             "neither fixed nor verified (repeatable, or ED820,ED112)")
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


class _Steps(Progress):
    """apply_fix's steps as ``... saving the current state`` lines."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    def update(self, message: str) -> None:
        _say(self.args, "... " + message)


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


def _say_saved_size(args: argparse.Namespace, tx: Any) -> None:
    """The backup of a MindSpore reinstall takes GBs of a student's home folder: say so."""
    from envdoctor.commands.rollback import human_bytes
    from envdoctor.fix.transaction import folder_bytes

    size = folder_bytes(tx.folder)
    if size >= 100 * 1024 * 1024:
        _say(args, "Its saved files take %s in %s; `envdoctor rollback --prune` deletes "
                   "those of older fixes once you no longer need them." % (
                       human_bytes(size), tx.folder))


def run(args: argparse.Namespace) -> int:
    from envdoctor.api import apply_fix, diagnose, plan_fix
    from envdoctor.render.plan import plan_lines, plan_result_json

    if args.apply and not args.yes:
        from envdoctor.console import is_interactive

        if not is_interactive():
            raise UsageError("--apply changes the environment; without a terminal to confirm "
                             "it, add --yes")
    started = time.time()
    # The same diagnosis as `envdoctor check` (recipe, -r files), then the plan.
    report = diagnose(args.python, lab=args.lab, recipe=args.recipe,
                      requirement_files=args.requirements, matrix_file=args.matrix,
                      timeout=args.timeout, ignore=args.ignore)
    from envdoctor.fix import pip_lines
    from envdoctor.pip_runner import PipError

    try:
        fix = plan_fix(report, options=_options(args), move_framework=args.move_framework,
                       use_lock=not args.no_lock)
    except PipError as exc:  # pip's own lines travel in the message and the JSON
        if not args.json:
            raise
        sys.stdout.write(json.dumps({"plan": None, "applied": False, "result": None, "error": {
            "message": str(exc), "pip_lines": pip_lines(exc)}}, indent=2) + "\n")
        return EXIT_ERROR
    for warning in fix.warnings:
        _say(args, "warning: " + warning)
    if fix.pip_note:
        _say(args, "note: " + fix.pip_note)
    plan = fix.plan
    if not plan.needed:
        if args.json:
            sys.stdout.write(json.dumps(plan_result_json(plan), indent=2) + "\n")
        else:
            _say(args, "Nothing to fix: envdoctor check finds no errors (%.1fs)."
                 % (time.time() - started))
        return EXIT_OK
    if not args.json or args.apply:
        for line in plan_lines(plan, report.recipe):
            _say(args, line)
    if not args.apply:
        if args.json:
            sys.stdout.write(json.dumps(plan_result_json(plan), indent=2) + "\n")
        elif not plan.actions and not (plan.request.needs_framework_move
                                       and not args.move_framework):
            # a refusal, or steps pip cannot take: --apply would not help
            _say(args, "Nothing was changed, and there is nothing for --apply to do: the "
                       "remaining errors need the steps above.")
        else:
            _say(args, "Nothing was changed. Apply it: envdoctor fix --apply%s%s"
                 % (" --move-framework" if plan.request.needs_framework_move
                    or args.move_framework else "",
                    " --python " + shlex.quote(args.python) if args.python else ""))
        return EXIT_PROBLEMS
    if not plan.actions:
        _say(args, "pip has nothing to change; the remaining errors need the steps above.")
        return EXIT_PROBLEMS
    if not args.yes and not _confirm("Apply these %d changes?" % len(plan.actions)):
        _say(args, "Not applied (answer was not yes).")
        return EXIT_PROBLEMS
    result = apply_fix(fix, verify_deep=not args.no_deep, progress=_Steps(args))
    if args.json:
        sys.stdout.write(json.dumps(plan_result_json(plan, result), indent=2) + "\n")
    if result.ok:
        _say(args, "Fixed: envdoctor check passes (transaction %s; `envdoctor rollback %s` "
                   "undoes it)." % (result.transaction.id, result.transaction.id))
        _say_saved_size(args, result.transaction)
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
