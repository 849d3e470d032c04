"""Command-line options shared by ``envdoctor check`` and the notebook's ``%envdoctor check``:
declared once, so the two never drift apart."""

import argparse

__all__ = ["add_target_arguments", "add_check_options"]


def add_target_arguments(parser: argparse.ArgumentParser, allow_from: bool = True) -> None:
    """--python / --from / --timeout, shared by every command that looks at an environment."""
    parser.add_argument("--python", metavar="PATH",
                        help="interpreter (or venv / conda folder) to examine; default: this one")
    if allow_from:
        parser.add_argument("--from", dest="from_file", metavar="FILE",
                            help="use a snapshot saved by `envdoctor snapshot` instead")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S",
                        help="seconds to wait for the target interpreter (default 30)")


def add_check_options(parser: argparse.ArgumentParser) -> None:
    """What to hold the environment to and how deep to look: shared by ``envdoctor check``
    and the notebook's ``%envdoctor check``."""
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
    parser.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    parser.add_argument("--ignore", metavar="CODE", action="append", default=[],
                        help="leave findings with this code out of the verdict (repeatable, "
                             "or ED820,ED112); they are still listed as ignored")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show info findings in full, and every fix even where it repeats "
                             "the one above")
