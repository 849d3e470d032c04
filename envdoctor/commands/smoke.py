"""``envdoctor smoke``: run a toy GPT fine-tune in the target environment, stage by stage."""

import argparse
import sys
from typing import Any, Dict

from envdoctor.progress import Progress

__all__ = ["register", "run"]


# Kept in step with envdoctor.smoke.runner.DEFAULT_TIMEOUT (a test checks); importing the
# runner here would slow every envdoctor command's start-up.
DEFAULT_TIMEOUT = 300.0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "smoke", help="train a tiny GPT in the environment and say which stage breaks",
        description="Train a bundled toy GPT classifier (GPT-1 fine-tuning recipe, offline "
                    "corpus) in the target interpreter: import, device, tokenizer, data "
                    "pipeline, forward, backward, optimizer, loss, accuracy, compiled step, "
                    "checkpoint. Each stage is timed and explained when it fails.",
        epilog="Exit codes: 0 every stage passed, 1 a stage failed, 2 envdoctor could not run.")
    parser.add_argument("--python", metavar="PATH",
                        help="interpreter (or venv / conda folder) to test; default: this one")
    parser.add_argument("--device", choices=["CPU", "GPU", "Ascend"],
                        help="device to use (default: Ascend, then GPU, then CPU, the first "
                             "that runs an op)")
    parser.add_argument("--level", choices=["mindspore", "mindnlp"], default="mindspore",
                        help="mindspore: a GPT written with MindSpore's own API (default); "
                             "mindnlp: the installed mindnlp's GPT classes, as the lab uses")
    parser.add_argument("--json", action="store_true", help="print only JSON on stdout")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                        help="seconds the whole run may take (default %.0f)" % DEFAULT_TIMEOUT)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show the target's traceback and full stderr for a failure")
    parser.set_defaults(func=run)


class _Live(Progress):
    """The smoke train's events to the live display."""

    def __init__(self, display: Any) -> None:
        self.display = display

    def smoke_event(self, kind: str, event: Dict[str, Any]) -> None:
        self.display(kind, event)


def run(args: argparse.Namespace) -> int:
    from envdoctor.api import smoke_train
    from envdoctor.smoke.render import LiveDisplay, render_json

    if args.json:
        result = smoke_train(args.python, device=args.device, level=args.level,
                             timeout=args.timeout)
        sys.stdout.write(render_json(result) + "\n")
        return result.exit_code
    display = LiveDisplay(sys.stdout)
    result = None
    try:
        result = smoke_train(args.python, device=args.device, level=args.level,
                             timeout=args.timeout, progress=_Live(display))
    finally:
        display.finish(result, verbose=args.verbose)
    return result.exit_code
