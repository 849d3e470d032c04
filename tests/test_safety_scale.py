"""Scale: linear in the number of distributions (bench/scale.py prints the numbers).

Ratios rather than absolute times, so a busy machine does not fail them: ten times the
distributions must cost well under a hundred times as much (quadratic), with a margin."""

import sys
import time

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))

from scale import synthetic_snapshot  # noqa: E402

from envdoctor.findings import Finding, Fix, Severity  # noqa: E402
from envdoctor.snapshot import Snapshot  # noqa: E402


def _best_of(fn, runs=2):
    best = None
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        took = time.perf_counter() - started
        best = took if best is None else min(best, took)
    return best


def test_check_and_report_grow_linearly():
    from envdoctor.api import diagnose
    from envdoctor.render.json import render_json

    def job(n):
        snap = Snapshot.from_dict(synthetic_snapshot(n))
        return lambda: render_json(diagnose(snap, recipe="none"))

    small, large = _best_of(job(1500)), _best_of(job(15000), runs=1)
    assert large / small < 40, (small, large)


def test_fix_deduplication_and_planning_are_linear():
    from envdoctor.fix.plan import build_request
    from envdoctor.report import Report

    def job(n):
        snap = Snapshot.from_dict(synthetic_snapshot(n))
        findings = tuple(Finding("ED101", Severity.ERROR, "t%d" % i, "b",
                                 fix=Fix(requirements=("pkg-%d>=2" % i,)))
                         for i in range(n))
        return lambda: (Report(snap, findings, None).combined_fix(),
                        build_request(snap, findings))

    small, large = _best_of(job(2000)), _best_of(job(20000), runs=1)
    assert large / small < 40, (small, large)


def test_a_long_line_is_redacted_and_printed_in_linear_time():
    from envdoctor.console import safe_text
    from envdoctor.probes.redact import redact_text

    line = ("\x1b[31m://a@" * 100000)
    started = time.perf_counter()
    safe_text(redact_text(line))
    assert time.perf_counter() - started < 5
