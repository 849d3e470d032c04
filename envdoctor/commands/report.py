"""``envdoctor report FILES... -o class.html``: the whole class on one page."""

import argparse
import json
import sys
from typing import Any

from envdoctor.errors import EXIT_OK, EnvdoctorError, UsageError

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "report", help="merge many students' snapshots or check JSONs into one HTML page",
        description="Merge saved snapshots (`envdoctor snapshot -o`) and check JSONs "
                    "(`envdoctor check --json`), one per student, into one self-contained HTML "
                    "page: how many environments are healthy or broken, the causes ranked, the "
                    "most common fixes, a chart and a table per student. Snapshots are checked "
                    "here; check JSONs are used as saved. Unreadable files are listed, not "
                    "fatal. Exit 0 when the report was written, 2 when envdoctor could not run.")
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="snapshot or check JSON files; a folder means its *.json files")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the HTML page here (default: stdout, unless --json or "
                             "--text; on a terminal, the text)")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true",
                       help="print the numbers as JSON on stdout")
    shown.add_argument("--text", action="store_true",
                       help="print the report as text on stdout (what a terminal gets "
                            "without -o)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="text: each environment's findings under it")
    parser.add_argument("--recipe", metavar="NAME",
                        help="lab recipe to check the snapshots against (default: each "
                             "snapshot's newest lab for its Python; 'none' to skip)")
    parser.add_argument("--lab", metavar="PATH",
                        help="the lab itself (a notebook, script, requirements file or "
                             "folder): check every snapshot against it, as `check --lab` "
                             "does (saved check JSONs keep what their own check found)")
    parser.add_argument("--matrix", metavar="PATH", help="compatibility matrix file to use")
    parser.add_argument("--ignore", metavar="CODE", action="append", default=[],
                        help="leave findings with this code out of every environment "
                             "(repeatable, or ED820,ED112): causes the course accepts")
    parser.add_argument("--title", default="envdoctor class report", help="the page's title")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from envdoctor.classreport import build_class_report, expand_inputs, render_class_html
    from envdoctor.matrix import load_matrix
    from envdoctor.recipes import find_recipe, load_recipes
    from envdoctor.resources import matrix_path

    # What would fail for every file fails once, up front (exit 2).
    load_matrix(args.matrix or matrix_path())
    if args.recipe and args.recipe.lower() != "none":
        recipes = load_recipes()
        if find_recipe(args.recipe, recipes) is None:
            raise UsageError("no recipe named %r; known: %s"
                             % (args.recipe, ", ".join(r.name for r in recipes)))
    paths = expand_inputs(args.files)
    report = build_class_report(paths, args.recipe, args.matrix, ignore=args.ignore,
                                lab=args.lab)
    data = report.to_dict()
    # a page of HTML is no use on a terminal: it gets the text unless the page goes to a file
    text = args.text or (not args.json and not args.output and sys.stdout.isatty())
    if args.output or not (args.json or text):
        page = render_class_html(data, title=args.title)
        if args.output:
            try:
                with open(args.output, "w", encoding="utf-8") as handle:
                    handle.write(page)
            except OSError as exc:
                raise EnvdoctorError("cannot write %s: %s" % (args.output, exc.strerror or exc))
        else:
            sys.stdout.write(page)
    if text:
        from envdoctor.console import emit
        from envdoctor.render.class_text import class_text_lines

        emit(class_text_lines(data, title=args.title, verbose=args.verbose))
    if args.json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    if args.output:
        sys.stderr.write("envdoctor: wrote %s: %d environments, %d healthy, %d broken, "
                         "%d unreadable\n" % (args.output, data["total"], data["healthy"],
                                              data["broken"], data["unreadable"]))
    return EXIT_OK
