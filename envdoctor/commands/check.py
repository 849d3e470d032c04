"""``envdoctor check``: probe -> snapshot -> checks -> report -> render -> exit code."""

import argparse
import sys
import time
from typing import Any, List, Optional, Sequence, Tuple

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
    parser.add_argument("--deep", action="store_true",
                        help="also import the lab's modules in the target (each in its own "
                             "child process) and check the names the lab imports")
    parser.add_argument("--deep-timeout", type=float, default=180.0, metavar="S",
                        help="seconds each deep import may take (default 180)")
    parser.add_argument("--smoke", action="store_true",
                        help="then train a toy GPT in the target (`envdoctor smoke`) and add "
                             "a failed stage as a finding")
    parser.add_argument("--requirements", "-r", metavar="FILE", action="append", default=[],
                        help="also hold the environment to a lab's requirements file "
                             "(repeatable; pip's syntax, -r includes work)")
    parser.add_argument("--matrix", metavar="PATH", help="compatibility matrix file to use")
    parser.add_argument("--json", action="store_true", help="print only JSON on stdout")
    parser.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    parser.add_argument("-v", "--verbose", action="store_true", help="show info findings in full")
    parser.set_defaults(func=run)


def load_target(args: argparse.Namespace) -> Tuple[Any, str]:
    """The snapshot to check: probed from --python (default: this interpreter) or --from."""
    from envdoctor.snapshot import load_snapshot

    if getattr(args, "from_file", None):
        if args.python:
            raise UsageError("use either --python or --from, not both")
        return load_snapshot(args.from_file), "file"
    from envdoctor.probe import start_probe

    pending = start_probe(args.python, timeout=args.timeout)
    _warm_up(getattr(args, "matrix", None))  # while the target reads its metadata
    return pending.snapshot(), "probe"


def _warm_up(matrix_file: Optional[str]) -> None:
    """Import the checks and load the matrix and recipes (both cached) while the probe runs
    in the target: on 2 cores this hides most of envdoctor's own start-up."""
    import envdoctor.checks  # noqa: F401
    from envdoctor.matrix import load_matrix
    from envdoctor.recipes import load_recipes
    from envdoctor.resources import matrix_path

    try:
        load_matrix(matrix_file or matrix_path())
        load_recipes()
    except Exception:
        pass  # reported properly when the check itself loads them


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
                 started: Optional[float] = None, extra_findings: Optional[List[Any]] = None,
                 requirement_files: Sequence[str] = ()):
    from envdoctor.checks import CheckContext, run_checks
    from envdoctor.matrix import load_matrix
    from envdoctor.report import Report
    from envdoctor.resources import matrix_path

    matrix = load_matrix(matrix_file or matrix_path())
    recipe = choose_recipe(recipe_name, snapshot)
    lines = ()  # type: Any
    if requirement_files:
        from envdoctor.checks.requirement_files import load_requirement_files

        lines = load_requirement_files(list(requirement_files))
    context = CheckContext(snapshot, matrix, recipe, recipe_requested=bool(recipe_name),
                           requirement_lines=lines)
    findings = run_checks(context) + list(extra_findings or [])
    if recipe_name and recipe_name.lower() == "none":
        findings = [f for f in findings if f.code != "ED305"]
    return Report(snapshot, tuple(findings), recipe, strict=strict, source=source,
                  seconds=time.time() - started if started else None)


def deep_check(snapshot: Any, recipe: Any, python: str, timeout: float,
               matrix_file: Optional[str] = None) -> List[Any]:
    """Findings from importing the recipe's modules and symbols in the target."""
    from envdoctor.deep import deep_findings, plan_imports, run_deep
    from envdoctor.matrix import load_matrix
    from envdoctor.resources import matrix_path

    symbols = list(recipe.symbols) if recipe else []
    packages = [p.name for p in recipe.packages] if recipe else []
    groups = plan_imports(snapshot, symbols, packages)
    rules = load_matrix(matrix_file or matrix_path()).matching(snapshot)
    return deep_findings(run_deep(python, groups, timeout=timeout), python, rules)


def run(args: argparse.Namespace) -> int:
    started = time.time()
    snapshot, source = load_target(args)
    extra = []  # type: List[Any]
    if args.deep:
        if source == "file":
            raise UsageError("--deep imports modules in the target interpreter; it cannot "
                             "run on a saved snapshot (--from)")
        recipe = choose_recipe(args.recipe, snapshot)
        python = str(snapshot.interpreter.get("executable"))
        if not args.json:
            sys.stderr.write("envdoctor: importing the lab's modules in %s ...\n" % python)
        extra = deep_check(snapshot, recipe, python, args.deep_timeout, args.matrix)
    if args.smoke:
        if source == "file":
            raise UsageError("--smoke trains in the target interpreter; it cannot run on a "
                             "saved snapshot (--from)")
        from envdoctor.smoke.findings import run_smoke_findings

        extra = list(extra) + run_smoke_findings(str(snapshot.interpreter.get("executable")),
                                                 quiet=args.json)
    report = build_report(snapshot, source, args.recipe, args.matrix, args.strict, started,
                          extra_findings=extra, requirement_files=args.requirements)
    if args.json:
        from envdoctor.render.json import render_json

        sys.stdout.write(render_json(report) + "\n")
    else:
        from envdoctor.console import emit
        from envdoctor.render.text import render_report_lines

        emit(render_report_lines(report, verbose=args.verbose))
    return report.exit_code
