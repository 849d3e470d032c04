"""Smoke train: run by the *target* interpreter; trains a tiny GPT classifier stage by stage.

envdoctor (:mod:`envdoctor.smoke.runner`) runs this file in a child process of the
environment being diagnosed. It and its siblings in this folder stay importable by CPython 3.7
with the standard library alone:

    smoke_protocol.py  the event channel and the stage runner (the protocol is described there)
    smoke_stages.py    the settings, the stages, their shared State
    smoke_bpe.py       the byte-level BPE trainers (`tokenizers`, and a pure-Python fallback)
    smoke_ms.py        the toy GPT in MindSpore's own API (the ``mindspore`` level)
    smoke_mindnlp.py   MindNLP's GPT classes across its generations (the ``mindnlp`` level)

After a failed stage the script stops (later stages depend on it) and says ``done``.
"""

import argparse
import faulthandler
import os
import random
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
# Siblings from this folder (E402: they need the path above).
from smoke_protocol import PROTOCOL, Channel, run_stage  # noqa: E402
from smoke_stages import (  # noqa: E402
    CONFIG, MINDNLP_STAGES, MINDSPORE_STAGES, STAGE_FUNCTIONS, State)

# Only the siblings above come from this folder; the libraries under test must not.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="lab_smoke.py")
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--device", choices=["CPU", "GPU", "Ascend"])
    parser.add_argument("--level", choices=["mindspore", "mindnlp"], default="mindspore")
    parser.add_argument("--seed", type=int, default=1729)
    parser.add_argument("--steps", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a CONFIG value (benchmarks, tests)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    faulthandler.enable()  # a native crash prints the Python stack to stderr before dying
    channel = Channel.take_stdout()
    stages = MINDNLP_STAGES if args.level == "mindnlp" else MINDSPORE_STAGES
    channel.emit("hello", protocol=PROTOCOL, stages=[list(s) for s in stages], level=args.level,
                 python=".".join(str(x) for x in sys.version_info[:3]),
                 executable=sys.executable, pid=os.getpid(), config=CONFIG)
    state = State(args)
    random.seed(args.seed)
    started = time.time()
    for name, _ in stages:
        if not run_stage(channel, name, STAGE_FUNCTIONS[name], state):
            break
    state.result["seconds"] = time.time() - started
    channel.emit("done", result=state.result)
    channel.close()
    # Skip interpreter teardown: some builds crash in their atexit hooks after a clean run.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
