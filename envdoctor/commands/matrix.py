"""``envdoctor matrix``: maintain the compatibility matrix (lint, api-index, verify)."""

import argparse
import sys
from typing import Any

from envdoctor.errors import EXIT_OK, UsageError

__all__ = ["register", "run_lint"]


def register(sub: Any) -> None:
    parser = sub.add_parser("matrix", help="maintain the compatibility matrix")
    actions = parser.add_subparsers(dest="matrix_command", metavar="ACTION")
    lint = actions.add_parser("lint", help="validate a matrix file (default: the bundled one)")
    lint.add_argument("path", nargs="?", help="matrix file")
    lint.set_defaults(func=run_lint)
    api_index = actions.add_parser(
        "api-index", help="(re)build the API index from the real wheels",
        description="Download mindspore / mindnlp wheels (pip download --no-deps, any Python's "
                    "wheel), read their Python sources without installing or importing them, "
                    "and record which modules and names each release has in api_index.json "
                    "(read by `envdoctor explain`).")
    from envdoctor.apiindex.command import add_arguments, run_command

    add_arguments(api_index)
    api_index.set_defaults(func=run_command)
    verify = actions.add_parser(
        "verify", help="install combinations in fresh venvs, check them, record the verdicts",
        description="For each combination of verification/combos.yaml: a fresh venv from "
                    "pyenv's Python, pip install its steps (or the set `uv pip compile "
                    "--exclude-newer` resolves), then `envdoctor check --deep` and `envdoctor "
                    "smoke` in it. The evidence goes to verification/<id>/; --write turns it "
                    "into `verified` rules in a generated block of compat_matrix.yaml.",
        epilog="Exit codes: 0 every selected combination got a verdict (as expected), 1 one "
               "was skipped, could not be decided or surprised its `expect`, 2 usage or data "
               "error. Schema: docs/verification.md.")
    from envdoctor.verify.command import add_arguments as add_verify_arguments
    from envdoctor.verify.command import run_command as run_verify

    add_verify_arguments(verify)
    verify.set_defaults(func=run_verify)
    parser.set_defaults(func=_usage)


def _usage(args: argparse.Namespace) -> int:
    raise UsageError("usage: envdoctor matrix lint [PATH] | api-index [...] | verify [...]")


def run_lint(args: argparse.Namespace) -> int:
    from envdoctor.matrix import load_matrix
    from envdoctor.resources import matrix_path

    path = args.path or matrix_path()
    matrix = load_matrix(path)
    kinds: dict = {}
    for rule in matrix.rules:
        kinds[rule.source.kind] = kinds.get(rule.source.kind, 0) + 1
    sys.stdout.write("%s: %d rules OK (%s)\n" % (path, len(matrix.rules), ", ".join(
        "%d %s" % (n, k) for k, n in sorted(kinds.items()))))
    return EXIT_OK
