"""One module per subcommand: ``register(subparsers)`` adds it and sets ``func``.

A command parses its arguments, calls :mod:`envdoctor.api`, hands the result to a renderer
(:mod:`envdoctor.render`) and returns the exit code; the pipeline itself is not here.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Union

from envdoctor.errors import UsageError
from envdoctor.options import add_target_arguments
from envdoctor.progress import Progress

if TYPE_CHECKING:
    from envdoctor.snapshot import Snapshot

__all__ = ["add_target_arguments", "target_of", "StderrProgress"]


def target_of(args: argparse.Namespace) -> "Union[None, str, Snapshot]":
    """What --python / --from name: an interpreter path (None: this one), or a loaded snapshot."""
    from_file = getattr(args, "from_file", None)
    if from_file:
        if args.python:
            raise UsageError("use either --python or --from, not both")
        from envdoctor.snapshot import load_snapshot

        return load_snapshot(from_file)
    return args.python


class StderrProgress(Progress):
    """:class:`envdoctor.api.Progress` as ``envdoctor: ...`` lines on stderr (none when
    ``quiet``, e.g. with --json)."""

    def __init__(self, quiet: bool = False, prefix: str = "envdoctor: ") -> None:
        self.quiet = quiet
        self.prefix = prefix

    def update(self, message: str) -> None:
        if not self.quiet:
            sys.stderr.write(self.prefix + message + "\n")
            sys.stderr.flush()
