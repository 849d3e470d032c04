"""``envdoctor snapshot``: save an environment as JSON, to check it elsewhere."""

import argparse
import sys
from typing import Any

from envdoctor.commands import add_target_arguments
from envdoctor.errors import EXIT_OK

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "snapshot", help="save an environment's snapshot as JSON",
        description="Probe an environment and write its snapshot, so it can be checked "
                    "elsewhere with `envdoctor check --from FILE`.")
    add_target_arguments(parser, allow_from=False)
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from envdoctor.api import take_snapshot

    snapshot = take_snapshot(args.python, timeout=args.timeout)
    text = snapshot.to_json()
    if args.output:
        from envdoctor.safety import write_private  # 0600: a snapshot may hold paths, URLs

        write_private(args.output, text + "\n")
        sys.stderr.write("envdoctor: wrote %s (%d distributions, Python %s)\n"
                         % (args.output, len(snapshot.active), snapshot.python_version))
    else:
        sys.stdout.write(text + "\n")
    return EXIT_OK
