"""``envdoctor check``: probe -> snapshot -> checks -> report -> render -> exit code."""

import argparse
import sys
import time
from typing import Any, List, Optional, Tuple

from envdoctor.commands import add_target_arguments
from envdoctor.errors import UsageError

__all__ = ["register", "run", "load_target", "choose_recipe", "build_report"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "check", help="probe an environment and say what is wrong",
        description="Probe an environment (without importing anything in it) and check it "
                    "against declared requirements, the compatibility matrix and a lab recipe.")
    add_target_arguments(parser)
    parser.add_argument("--recipe", metavar="NAME",
                        help="lab recipe to hold the environment to (name or .yaml path); "
                             "default: the newest lab for the target's Python; 'none' to skip")
    parser.add_argument("--matrix", metavar="PATH", help="compatibility matrix file to use")
    parser.add_argument("--json", action="store_true", help="print only JSON on stdout")
    parser.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    parser.add_argument("-v", "--verbose", action="store_true", help="show info findings in full")
    parser.set_defaults(func=run)


def load_target(args: argparse.Namespace) -> Tuple[Any, str]:
    """The snapshot to check: probed from --python (default: this interpreter) or --from."""
    from envdoctor.probe import probe
    from envdoctor.snapshot import load_snapshot

    if getattr(args, "from_file", None):
        if args.python:
            raise UsageError("use either --python or --from, not both")
        return load_snapshot(args.from_file), "file"
    return probe(args.python, timeout=args.timeout), "probe"


def choose_recipe(name: Optional[str], snapshot: Any) -> Any:
    from envdoctor.recipes import default_recipe, find_recipe, load_recipes

    if name and name.lower() == "none":
        return None
    recipes = load_recipes()
    if name:
        recipe = find_recipe(name, recipes)
        if recipe is None:
            raise UsageError("no recipe named %r; known: %s"
                             % (name, ", ".join(r.name for r in recipes)))
        return recipe
    return default_recipe(snapshot, recipes)


def build_report(snapshot: Any, source: str, recipe_name: Optional[str],
                 matrix_file: Optional[str] = None, strict: bool = False,
                 started: Optional[float] = None, extra_findings: Optional[List[Any]] = None):
    from envdoctor.checks import CheckContext, run_checks
    from envdoctor.matrix import load_matrix
    from envdoctor.report import Report
    from envdoctor.resources import matrix_path

    matrix = load_matrix(matrix_file or matrix_path())
    recipe = choose_recipe(recipe_name, snapshot)
    context = CheckContext(snapshot, matrix, recipe, recipe_requested=bool(recipe_name))
    findings = run_checks(context) + list(extra_findings or [])
    if recipe_name and recipe_name.lower() == "none":
        findings = [f for f in findings if f.code != "ED305"]
    return Report(snapshot, tuple(findings), recipe, strict=strict, source=source,
                  seconds=time.time() - started if started else None)


def run(args: argparse.Namespace) -> int:
    started = time.time()
    snapshot, source = load_target(args)
    report = build_report(snapshot, source, args.recipe, args.matrix, args.strict, started)
    if args.json:
        from envdoctor.render.json import render_json

        sys.stdout.write(render_json(report) + "\n")
    else:
        from envdoctor.console import emit
        from envdoctor.render.text import render_report_lines

        emit(render_report_lines(report, verbose=args.verbose))
    return report.exit_code
