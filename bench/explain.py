"""Benchmark: `envdoctor explain` on its whole corpus of real pasted errors (issue 13).

A text tool must feel instant: the whole corpus (tests/data/explain/corpus/, every file a
quote from a public thread) is explained in under 2 s, loading envdoctor's data included.
Prints the time, the per-text figure and the corpus scores (recall, fixes, controls).

    python bench/explain.py            # the bundled matrix, API index and signature table
    python bench/explain.py --runs 5   # the median of 5 runs

Exit 1 when the whole corpus takes 2 s or more.
"""

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

LIMIT_S = 2.0


def one_run():
    from test_explain_corpus import bundled_sources, judge, load_corpus  # noqa: E402

    from envdoctor.explain.engine import explain_text

    cases = load_corpus()
    start = time.perf_counter()
    matrix, index, table = bundled_sources()
    loaded = time.perf_counter()
    rows = [judge(case, explain_text(case["text"], matrix, index, table,
                                     matrix_path=matrix.path)) for case in cases]
    done = time.perf_counter()
    return done - start, loaded - start, done - loaded, len(cases), rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    from test_explain_corpus import report, summary  # noqa: E402

    runs = [one_run() for _ in range(max(1, args.runs))]
    total = statistics.median(r[0] for r in runs)
    load = statistics.median(r[1] for r in runs)
    work = statistics.median(r[2] for r in runs)
    count = runs[0][3]
    print("explain: %d corpus texts in %.3f s (loading matrix, API index, signatures %.3f s; "
          "explaining %.3f s, %.1f ms a text); limit %.1f s" % (
              count, total, load, work, 1000 * work / count, LIMIT_S))
    print(report(summary(runs[0][4])))
    return 0 if total < LIMIT_S else 1


if __name__ == "__main__":
    sys.exit(main())
