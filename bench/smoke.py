"""Benchmark: time to a verdict from `envdoctor smoke`, beside `mindspore.run_check()`.

Runs in one go, on one interpreter holding MindSpore: `python -c "import mindspore;
mindspore.run_check()"` (what students are told to run: one multiply) and `envdoctor smoke
--json` (eleven stages: a toy GPT trained, evaluated, compiled and checkpointed), each
``--runs`` times, alternating. Reports the median wall time of each, the median seconds of
every smoke stage, and the smoke's own numbers (loss, accuracy, tokens/s). Goal: a full
verdict on CPU in under 30 s on a 2-core machine.

    python bench/smoke.py --python /path/to/lab/bin/python [--runs 3] [--level mindnlp]

Without --python it uses $ENVDOCTOR_MS_PYTHON, else the test venv .cache/ms27-py311.
Writes bench/results/smoke.json too.
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
GOAL_SECONDS = 30.0


def default_python():
    given = os.environ.get("ENVDOCTOR_MS_PYTHON")
    if given:
        return given
    path = os.path.join(CACHE, "ms27-py311", "bin", "python")
    if os.path.exists(path):
        return path
    raise SystemExit("no MindSpore interpreter: pass --python, set ENVDOCTOR_MS_PYTHON, or run "
                     "the mindspore tests once to build %s" % path)


def run_check(python):
    started = time.perf_counter()
    proc = subprocess.run([python, "-c", "import mindspore; mindspore.run_check()"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    seconds = time.perf_counter() - started
    ok = proc.returncode == 0 and "successfully" in proc.stdout
    return seconds, ok


def smoke(python, level, device):
    argv = [sys.executable, "-m", "envdoctor", "smoke", "--json", "--python", python,
            "--level", level]
    if device:
        argv += ["--device", device]
    started = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit("envdoctor smoke could not run: %s" % proc.stderr[-800:])
    return seconds, json.loads(proc.stdout)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", help="interpreter with MindSpore")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--level", choices=["mindspore", "mindnlp"], default="mindspore")
    parser.add_argument("--device", choices=["CPU", "GPU", "Ascend"])
    args = parser.parse_args()
    python = args.python or default_python()

    check_times, smoke_times, results = [], [], []
    check_ok = True
    for _ in range(args.runs):
        seconds, ok = run_check(python)
        check_times.append(seconds)
        check_ok = check_ok and ok
        seconds, data = smoke(python, args.level, args.device)
        smoke_times.append(seconds)
        results.append(data)

    names = [s["name"] for s in results[0]["stages"]]
    stage_medians = {}
    for name in names:
        values = [s["seconds"] for r in results for s in r["stages"]
                  if s["name"] == name and s["seconds"] is not None]
        stage_medians[name] = statistics.median(values) if values else None
    last = results[-1]
    median_smoke = statistics.median(smoke_times)
    summary = {
        "python": python,
        "level": args.level,
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(),
                    "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None},
        "runs": args.runs,
        "run_check_seconds": statistics.median(check_times),
        "run_check_ok": check_ok,
        "smoke_seconds": median_smoke,
        "smoke_seconds_all": [round(t, 2) for t in smoke_times],
        "smoke_verdicts": [r["verdict"] for r in results],
        "stage_seconds": stage_medians,
        "device": last.get("device"),
        "mindspore": last.get("mindspore_version"),
        "loss_first": last.get("loss_first"),
        "loss_last": last.get("loss_last"),
        "accuracy": last.get("accuracy"),
        "tokens_per_second": last.get("tokens_per_second"),
        "goal_seconds": GOAL_SECONDS,
        "goal_met": median_smoke < GOAL_SECONDS,
    }

    print("interpreter   %s (mindspore %s, %s)" % (python, summary["mindspore"],
                                                   summary["device"]))
    print("machine       %s, %s cores, load %s" % (
        summary["machine"]["cpu"], summary["machine"]["cores"],
        " ".join("%.1f" % x for x in summary["machine"]["load_average"] or ())))
    print("run_check()   %6.2f s  (median of %d; %s)" % (
        summary["run_check_seconds"], args.runs, "passes" if check_ok else "FAILS"))
    print("smoke         %6.2f s  (median of %d: %s; %s)" % (
        median_smoke, args.runs, ", ".join("%.1f" % t for t in smoke_times),
        ", ".join(sorted(set(summary["smoke_verdicts"])))))
    for name in names:
        value = stage_medians[name]
        print("  %-12s %6s" % (name, "%.2f s" % value if value is not None else "-"))
    if summary["loss_first"] is not None and summary["loss_last"] is not None:
        print("numbers       loss %.3f -> %.3f, accuracy %s, %s tokens/s" % (
            summary["loss_first"], summary["loss_last"],
            "%.1f%%" % (100 * summary["accuracy"]) if summary["accuracy"] is not None else "-",
            "%.0f" % summary["tokens_per_second"] if summary["tokens_per_second"] else "-"))
    print("goal          verdict under %.0f s: %s" % (GOAL_SECONDS,
                                                      "met" if summary["goal_met"] else "MISSED"))

    out = os.path.join(ROOT, "bench", "results")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "smoke.json"), "w") as handle:
        json.dump(summary, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
