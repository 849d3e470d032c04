"""``envdoctor check``: arguments -> :func:`envdoctor.api.diagnose` -> text or JSON -> exit code."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from envdoctor.commands import StderrProgress, add_target_arguments, target_of
from envdoctor.options import add_check_options

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "check", help="probe an environment and say what is wrong",
        description="Probe an environment (without importing anything in it) and check it "
                    "against declared requirements, the compatibility matrix and a lab recipe.")
    add_target_arguments(parser)
    add_check_options(parser)
    parser.add_argument("--json", action="store_true", help="print only JSON on stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from envdoctor.api import diagnose

    report = diagnose(target_of(args), lab=args.lab, recipe=args.recipe, deep=args.deep, smoke=args.smoke,
                      requirement_files=args.requirements, matrix_file=args.matrix,
                      strict=args.strict, timeout=args.timeout, deep_timeout=args.deep_timeout,
                      progress=StderrProgress(quiet=args.json), ignore=args.ignore)
    if args.json:
        from envdoctor.render.json import render_json

        sys.stdout.write(render_json(report) + "\n")
    else:
        from envdoctor.console import emit
        from envdoctor.render.text import render_report_lines

        emit(render_report_lines(report, verbose=args.verbose))
    return report.exit_code
