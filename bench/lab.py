"""Benchmark the lab read from its files (issue 11): three figures.

1. ``check --lab`` overhead: reading a notebook and judging it (envdoctor.lab.read_lab +
   checks.lab.lab_findings on the target's snapshot), in-process, median of --runs; the goal is
   at most 50 ms. When the installed ``envdoctor check`` has ``--lab``, also the end-to-end
   difference between ``check --lab NOTEBOOK`` and ``check``.
2. ``lab scan`` over a course folder (default: the course's git mirror checked out under
   /tmp, or tests/data/labs/course): wall time of the command, no network; goal under 5 s.
3. ``--deep --lab`` against a bare ``python -c`` of the same import statements, in the same
   interpreter (--python; e.g. a MindSpore 2.7 + MindNLP 0.5.1 venv): goal at most 1.2x.

    python bench/lab.py --python /path/to/lab/bin/python --notebook LAB.ipynb --runs 3

Writes bench/results/lab.json too.
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
sys.path.insert(0, ROOT)
DEFAULT_NOTEBOOK = os.path.join(ROOT, "tests", "data", "labs", "course", "gpt_port_05.ipynb")
DEFAULT_COURSE = os.path.join(ROOT, "tests", "data", "labs", "course")


def median_ms(fn, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def wall(argv, runs, env=None):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def check_lab_overhead(python, notebook, runs):
    from envdoctor.checks.lab import lab_findings
    from envdoctor.lab import read_lab
    from envdoctor.lab.apicheck import load_index
    from envdoctor.probe import probe

    snapshot = probe(python)
    load_index()  # `check` loads its data while the probe runs; count the lab's own work
    out = {"in_process_ms": median_ms(
        lambda: lab_findings(read_lab(notebook), snapshot, python), runs)}
    helptext = subprocess.run([sys.executable, "-m", "envdoctor", "check", "--help"],
                              stdout=subprocess.PIPE, universal_newlines=True, cwd=ROOT).stdout
    if "--lab" in helptext:
        base = [sys.executable, "-m", "envdoctor", "check", "--python", python, "--json"]
        plain = wall(base, runs)
        with_lab = wall(base + ["--lab", notebook], runs)
        out.update({"check_s": plain, "check_lab_s": with_lab,
                    "end_to_end_ms": round((with_lab - plain) * 1000, 1)})
    else:
        out["end_to_end_ms"] = None  # `check --lab` is not wired in this checkout yet
    return out


def scan_time(course, runs):
    argv = [sys.executable, "-m", "envdoctor", "lab", "scan", course, "--python-version", "3.10",
            "--platform", "linux-x86_64", "--json"]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, universal_newlines=True, cwd=ROOT)
    files = json.loads(proc.stdout)["summary"]["files"] if proc.stdout else None
    return {"folder": course, "files": files, "seconds": wall(argv, runs)}


def deep_vs_bare(python, notebook, runs):
    from envdoctor.lab import read_lab
    from envdoctor.lab.deep import lab_statements, run_lab_imports

    lab = read_lab(notebook)
    statements = [s.statement for s in lab_statements(lab)]
    code = "\n".join(statements)
    folder = os.path.dirname(os.path.abspath(notebook))
    bare = []
    ours = []
    failed = 0
    for _ in range(runs):  # interleaved, so that a busy machine hurts both alike
        started = time.perf_counter()
        subprocess.run([python, "-c", code], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, cwd=folder)
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        run = run_lab_imports(python, lab, timeout=600)
        ours.append(time.perf_counter() - started)
        failed = sum(1 for r in run.results if not r.ok)
    b, o = statistics.median(bare), statistics.median(ours)
    return {"statements": len(statements), "bare_s": round(b, 2), "deep_lab_s": round(o, 2),
            "ratio": round(o / b, 3), "statements_failing": failed}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="the lab's interpreter")
    parser.add_argument("--notebook", default=DEFAULT_NOTEBOOK)
    parser.add_argument("--course", default=None, help="a course folder to scan")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-deep", action="store_true", help="skip the import benchmark")
    args = parser.parse_args()
    course = args.course or ("/tmp/course-git" if os.path.isdir("/tmp/course-git")
                             else DEFAULT_COURSE)
    results = {"machine": "%s %s, %d CPUs" % (platform.system(), platform.machine(),
                                              os.cpu_count() or 0),
               "python": args.python, "notebook": args.notebook,
               "check_lab_overhead": check_lab_overhead(args.python, args.notebook, args.runs),
               "scan": scan_time(course, args.runs)}
    if not args.no_deep:
        results["deep_lab"] = deep_vs_bare(args.python, args.notebook, args.runs)
    text = json.dumps(results, indent=2)
    print(text)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "lab.json"), "w") as handle:
        handle.write(text + "\n")


if __name__ == "__main__":
    main()
