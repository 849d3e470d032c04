"""One module per subcommand: ``register(subparsers)`` adds it and sets ``func``."""

import argparse

__all__ = ["add_target_arguments"]


def add_target_arguments(parser: argparse.ArgumentParser, allow_from: bool = True) -> None:
    """--python / --from / --timeout, shared by every command that looks at an environment."""
    parser.add_argument("--python", metavar="PATH",
                        help="interpreter (or venv / conda folder) to examine; default: this one")
    if allow_from:
        parser.add_argument("--from", dest="from_file", metavar="FILE",
                            help="use a snapshot saved by `envdoctor snapshot` instead")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S",
                        help="seconds to wait for the target interpreter (default 30)")
