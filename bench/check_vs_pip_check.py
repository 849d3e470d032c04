"""Benchmark: `envdoctor check --python X` against X's own `pip check`, in one run.

On one real environment holding the MindSpore stack as a notebook image has it (mindspore,
mindnlp, the HuggingFace stack, Jupyter: 100+ distributions). Reports the median wall time
of each and their ratio; the goal is envdoctor at most one fifth of pip check.

    python bench/check_vs_pip_check.py                 # builds .cache/bench-stack once
    python bench/check_vs_pip_check.py --python /path/to/lab/bin/python --runs 15

Writes bench/results/check_vs_pip_check.json too.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("ENVDOCTOR_TEST_CACHE", os.path.join(ROOT, ".cache"))
STACK = ["mindspore==2.7.0", "mindnlp==0.5.1", "transformers>=4.55,<5", "numpy<2", "pyarrow<26",
         "peft<0.18", "diffusers<0.36", "ipykernel", "jupyterlab"]


def build_stack(python):
    venv = os.path.join(CACHE, "bench-stack")
    target = os.path.join(venv, "bin", "python")
    if not os.path.exists(target):
        subprocess.check_call([python, "-m", "venv", venv])
        # a CPU torch first, or mindnlp's dependencies pull GBs of CUDA wheels
        subprocess.check_call([target, "-m", "pip", "install", "-q", "torch==2.13.0"])
        subprocess.check_call([target, "-m", "pip", "install", "-q"] + STACK)
    return target


def timed(argv, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - started)
        if proc.returncode not in (0, 1):
            raise SystemExit("%s failed: %s" % (argv, proc.stderr.decode()[-500:]))
    return times


def count_distributions(python):
    out = subprocess.check_output([python, "-m", "pip", "list", "--format=json"])
    return len(json.loads(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", help="the environment to check (default: build one)")
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    target = args.python or build_stack(sys.executable)
    dists = count_distributions(target)
    envdoctor = [sys.executable, "-m", "envdoctor", "check", "--python", target]
    pip_check = [target, "-m", "pip", "check"]
    timed(envdoctor, 2)  # warm the file-system cache for both, then measure interleaved
    timed(pip_check, 2)
    ours, theirs = [], []
    for _ in range(args.runs):
        ours += timed(envdoctor, 1)
        theirs += timed(pip_check, 1)
    med_ours, med_theirs = statistics.median(ours), statistics.median(theirs)
    result = {
        "benchmark": "check_vs_pip_check",
        "date": time.strftime("%Y-%m-%d"),
        "machine": "%s %s, %d cores" % (platform.system(), platform.machine(), os.cpu_count()),
        "target": target,
        "distributions": dists,
        "runs": args.runs,
        "envdoctor_check_median_s": round(med_ours, 4),
        "pip_check_median_s": round(med_theirs, 4),
        "ratio": round(med_ours / med_theirs, 3),
        "goal": "ratio <= 0.2",
    }
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "check_vs_pip_check.json"), "w") as handle:
        json.dump(result, handle, indent=2)
    print("environment: %s (%d distributions)" % (target, dists))
    print("envdoctor check  median %.3f s" % med_ours)
    print("pip check        median %.3f s" % med_theirs)
    print("ratio            %.2f  (goal <= 0.20)" % result["ratio"])
    return 0 if result["ratio"] <= 0.2 else 1


if __name__ == "__main__":
    sys.exit(main())
