"""``envdoctor check``: arguments -> :func:`envdoctor.api.diagnose` -> text or JSON -> exit code."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from envdoctor.commands import StderrProgress, add_target_arguments, target_of

__all__ = ["register", "run"]


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
    parser.add_argument("--lab", metavar="PATH",
                        help="hold the environment to the lab itself: a notebook, script, "
                             "requirements file or folder, read without running it (its "
                             "imports, install lines, device); with --deep, its own import "
                             "statements are imported in order")
    parser.add_argument("--matrix", metavar="PATH", help="compatibility matrix file to use")
    parser.add_argument("--json", action="store_true", help="print only JSON on stdout")
    parser.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    parser.add_argument("-v", "--verbose", action="store_true", help="show info findings in full")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from envdoctor.api import diagnose

    report = diagnose(target_of(args), lab=args.lab, recipe=args.recipe, deep=args.deep, smoke=args.smoke,
                      requirement_files=args.requirements, matrix_file=args.matrix,
                      strict=args.strict, timeout=args.timeout, deep_timeout=args.deep_timeout,
                      progress=StderrProgress(quiet=args.json))
    if args.json:
        from envdoctor.render.json import render_json

        sys.stdout.write(render_json(report) + "\n")
    else:
        from envdoctor.console import emit
        from envdoctor.render.text import render_report_lines

        emit(render_report_lines(report, verbose=args.verbose))
    return report.exit_code
