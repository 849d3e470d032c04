"""The ``envdoctor`` command line: a short pipeline per subcommand.

Each subcommand lives in :mod:`envdoctor.commands` as a module with ``register(subparsers)``
(which sets ``func``); heavy imports happen inside the command, so ``--help`` stays fast.
Exit codes: 0 healthy, 1 problems found, 2 envdoctor itself could not run.
"""

import argparse
import importlib
import sys
from typing import Optional, Sequence

from envdoctor import __version__
from envdoctor.errors import EXIT_ERROR

__all__ = ["main", "build_parser"]

# Order is the order of `envdoctor --help`.
COMMAND_MODULES = ("check", "fix", "rollback", "snapshot", "explain", "recipes", "recipe",
                   "matrix", "smoke", "report", "lab")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="envdoctor",
        description="Check, fix and smoke-test MindSpore / MindNLP lab environments.",
        epilog="Exit codes: 0 healthy, 1 problems found, 2 envdoctor could not run.",
    )
    parser.add_argument("--version", action="version", version="envdoctor " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module("envdoctor.commands." + name).register(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_ERROR
    from envdoctor.errors import EnvdoctorError

    try:
        return int(args.func(args))
    except EnvdoctorError as exc:
        from envdoctor.console import safe_text  # messages quote paths and data

        sys.stderr.write("envdoctor: error: %s\n" % safe_text(str(exc)))
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("envdoctor: interrupted\n")
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR
