"""The ``envdoctor`` command line: a short pipeline per subcommand.

probe (or --from) -> snapshot -> checks -> findings -> report -> render -> exit code.
Exit codes: 0 healthy, 1 problems found, 2 envdoctor itself could not run.
"""

import argparse
import json
import sys
import time
from typing import List, Optional, Sequence

from envdoctor import __version__

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_PROBLEMS", "EXIT_ERROR"]

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """envdoctor cannot run as asked: exit 2 with this message."""


def _add_target(parser: argparse.ArgumentParser, allow_from: bool = True) -> None:
    parser.add_argument("--python", metavar="PATH",
                        help="interpreter (or venv / conda folder) to examine; default: this one")
    if allow_from:
        parser.add_argument("--from", dest="from_file", metavar="FILE",
                            help="check a snapshot saved by `envdoctor snapshot` instead")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S",
                        help="seconds to wait for the target interpreter (default 30)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="envdoctor",
        description="Check, fix and smoke-test MindSpore / MindNLP lab environments.",
        epilog="Exit codes: 0 healthy, 1 problems found, 2 envdoctor could not run.",
    )
    parser.add_argument("--version", action="version", version="envdoctor " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="probe an environment and say what is wrong",
                           description="Probe an environment (without importing anything in it) "
                                       "and check it against declared requirements, the "
                                       "compatibility matrix and a lab recipe.")
    _add_target(check)
    check.add_argument("--recipe", metavar="NAME",
                       help="lab recipe to hold the environment to (name or .yaml path); "
                            "default: the newest lab for the target's Python; 'none' to skip")
    check.add_argument("--matrix", metavar="PATH", help="compatibility matrix file to use")
    check.add_argument("--json", action="store_true", help="print only JSON on stdout")
    check.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    check.add_argument("-v", "--verbose", action="store_true", help="show info findings in full")

    snap = sub.add_parser("snapshot", help="save an environment's snapshot as JSON",
                          description="Probe an environment and write its snapshot, so it can "
                                      "be checked elsewhere with `envdoctor check --from`.")
    _add_target(snap, allow_from=False)
    snap.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")

    explain = sub.add_parser("explain", help="explain a finding code (e.g. ED101)")
    explain.add_argument("code", help="a finding code such as ED101")
    explain.add_argument("--json", action="store_true", help="print only JSON on stdout")

    recipes = sub.add_parser("recipes", help="list the lab recipes")
    recipes.add_argument("--json", action="store_true", help="print only JSON on stdout")

    matrix = sub.add_parser("matrix", help="maintain the compatibility matrix")
    msub = matrix.add_subparsers(dest="matrix_command", metavar="ACTION")
    lint = msub.add_parser("lint", help="validate a matrix file (default: the bundled one)")
    lint.add_argument("path", nargs="?", help="matrix file")
    return parser


# -- commands -----------------------------------------------------------------------------


def _load_snapshot(args: argparse.Namespace):
    from envdoctor.probe import probe
    from envdoctor.snapshot import load_snapshot

    if getattr(args, "from_file", None):
        if args.python:
            raise UsageError("use either --python or --from, not both")
        return load_snapshot(args.from_file), "file"
    return probe(args.python, timeout=args.timeout), "probe"


def _choose_recipe(name: Optional[str], snapshot):
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


def cmd_check(args: argparse.Namespace) -> int:
    from envdoctor.checks import CheckContext, run_checks
    from envdoctor.console import emit
    from envdoctor.matrix import load_matrix
    from envdoctor.render.text import render_report_lines
    from envdoctor.report import Report
    from envdoctor.resources import matrix_path

    started = time.time()
    snapshot, source = _load_snapshot(args)
    matrix = load_matrix(args.matrix or matrix_path())
    recipe = _choose_recipe(args.recipe, snapshot)
    context = CheckContext(snapshot, matrix, recipe, recipe_requested=bool(args.recipe))
    findings = run_checks(context)
    if args.recipe and args.recipe.lower() == "none":
        findings = [f for f in findings if f.code != "ED305"]
    report = Report(snapshot, tuple(findings), recipe, strict=args.strict, source=source,
                    seconds=time.time() - started)
    if args.json:
        from envdoctor.render.json import render_json

        sys.stdout.write(render_json(report) + "\n")
    else:
        emit(render_report_lines(report, verbose=args.verbose))
    return report.exit_code


def cmd_snapshot(args: argparse.Namespace) -> int:
    from envdoctor.probe import probe

    snapshot = probe(args.python, timeout=args.timeout)
    text = snapshot.to_json()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        sys.stderr.write("envdoctor: wrote %s (%d distributions, Python %s)\n"
                         % (args.output, len(snapshot.active), snapshot.python_version))
    else:
        sys.stdout.write(text + "\n")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from envdoctor.findings import CODES

    code = args.code.strip().upper()
    doc = CODES.get(code)
    if doc is None:
        raise UsageError("unknown code %r; codes: %s" % (args.code, ", ".join(sorted(CODES))))
    if args.json:
        sys.stdout.write(json.dumps({"code": doc.code, "area": doc.area,
                                     "severity": doc.severity.value, "title": doc.title,
                                     "doc": doc.doc}, indent=2) + "\n")
    else:
        sys.stdout.write("%s (%s, %s): %s\n\n%s\n" % (doc.code, doc.severity.value, doc.area,
                                                      doc.title, doc.doc))
    return EXIT_OK


def cmd_recipes(args: argparse.Namespace) -> int:
    from envdoctor.recipes import load_recipes

    recipes = load_recipes()
    if args.json:
        sys.stdout.write(json.dumps([r.to_dict() for r in recipes], indent=2) + "\n")
        return EXIT_OK
    for recipe in recipes:
        pkgs = ", ".join(p.describe() for p in recipe.packages[:3])
        sys.stdout.write("%-16s %-9s Python %-12s %s\n    %s\n"
                         % (recipe.name, recipe.status, recipe.python, recipe.title, pkgs))
    return EXIT_OK


def cmd_matrix(args: argparse.Namespace) -> int:
    from envdoctor.matrix import load_matrix
    from envdoctor.resources import matrix_path

    if args.matrix_command != "lint":
        raise UsageError("usage: envdoctor matrix lint [PATH]")
    path = args.path or matrix_path()
    matrix = load_matrix(path)
    kinds = {}  # type: dict
    for rule in matrix.rules:
        kinds[rule.source.kind] = kinds.get(rule.source.kind, 0) + 1
    sys.stdout.write("%s: %d rules OK (%s)\n" % (path, len(matrix.rules), ", ".join(
        "%d %s" % (n, k) for k, n in sorted(kinds.items()))))
    return EXIT_OK


COMMANDS = {"check": cmd_check, "snapshot": cmd_snapshot, "explain": cmd_explain,
            "recipes": cmd_recipes, "matrix": cmd_matrix}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_ERROR
    from envdoctor.probe import ProbeError
    from envdoctor.snapshot import SnapshotError
    from envdoctor.yamlfile import DataFileError

    try:
        return COMMANDS[args.command](args)
    except (ProbeError, SnapshotError, DataFileError, UsageError) as exc:
        sys.stderr.write("envdoctor: error: %s\n" % exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("envdoctor: interrupted\n")
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR
