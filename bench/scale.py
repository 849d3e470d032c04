"""Benchmark: check and report time against the number of distributions (linear, or a bug).

A synthetic snapshot of N distributions (a chain of requirements, one in ten unmet or
missing, names and versions as real ones look) is loaded, checked with the bundled matrix,
and rendered as text, JSON and HTML, in this process; then the class report over it. Each
stage's time is printed for N = 1,000 / 10,000 / 50,000, with the time per distribution, so
a quadratic stage shows as a growing per-distribution time.

    python bench/scale.py                 # 1000 10000 50000
    python bench/scale.py 1000 5000       # other sizes
"""

import json
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def synthetic_snapshot(n):
    dists = []
    for i in range(n):
        requires = []
        if i + 1 < n:
            # one in ten wants a version its dependency does not have: an ED101 per ten
            requires.append("pkg-%d%s" % (i + 1, ">=9" if i % 10 == 3 else ">=1"))
        if i % 10 == 7:
            requires.append("missing-%d>=1" % i)  # an ED102 per ten
        dists.append({"name": "pkg-%d" % i, "version": "1.%d.0" % (i % 50),
                      "requires_dist": requires, "requires_python": ">=3.7",
                      "location": "/env/lib/python3.11/site-packages",
                      "metadata_path": "/env/lib/python3.11/site-packages/pkg_%d-1.0.dist-info" % i,
                      "installer": "pip", "direct_url": None, "shadowed_by": None})
    return {"schema": 1, "kind": "envdoctor-snapshot", "created": "2026-12-01T00:00:00Z",
            "interpreter": {"version": "3.11.7", "executable": "/env/bin/python",
                            "prefix": "/env", "implementation": "cpython"},
            "platform": {"system": "Linux", "machine": "x86_64"},
            "marker_environment": {"python_version": "3.11", "sys_platform": "linux",
                                   "platform_machine": "x86_64", "python_full_version": "3.11.7",
                                   "implementation_name": "cpython", "os_name": "posix",
                                   "platform_system": "Linux"},
            "distributions": dists}


def timed(label, fn, times):
    started = time.perf_counter()
    out = fn()
    times[label] = time.perf_counter() - started
    return out


def run(n):
    from envdoctor.classreport import build_class_report, render_class_html
    from envdoctor.commands.check import build_report
    from envdoctor.render.html import render_html
    from envdoctor.render.json import render_json
    from envdoctor.render.text import plain, render_report_lines
    from envdoctor.snapshot import Snapshot

    times = {}
    raw = synthetic_snapshot(n)
    snap = timed("load", lambda: Snapshot.from_dict(json.loads(json.dumps(raw))), times)
    report = timed("check", lambda: build_report(snap, "file", "none"), times)
    timed("text", lambda: plain(render_report_lines(report)), times)
    timed("json", lambda: render_json(report), times)
    timed("html", lambda: render_html(report), times)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "student.json")
        with open(path, "w") as handle:
            json.dump(raw, handle)
        cls = timed("class report", lambda: build_class_report([path], "none"), times)
        timed("class html", lambda: render_class_html(cls.to_dict()), times)
    return times, len(report.findings)


def main(argv):
    sizes = [int(a) for a in argv] or [1000, 10000, 50000]
    print("%8s %9s  %s" % ("dists", "findings", "  ".join("%-14s" % s for s in (
        "load", "check", "text", "json", "html", "class report", "class html", "total"))))
    for n in sizes:
        times, findings = run(n)
        total = sum(times.values())
        cells = ["%6.2fs %4.1fus" % (t, t / n * 1e6) for t in times.values()]
        print("%8d %9d  %s  %6.2fs (%.1f us/dist)" % (n, findings, "  ".join(cells), total,
                                                       total / n * 1e6))
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
