"""`envdoctor explain` on real error texts users pasted in public issues (issue 13).

Each file of ``tests/data/explain/corpus/`` quotes a few lines of a public thread (its link in
``source``) with the cause and fix the thread settled on, the packages a right explanation
names and the fix it may give. Controls (model bugs, out of memory, user code) must not be
explained at all. The test reports recall (right package) and wrong-cause counts and fails on
any control explained, any wrong package, any confident wrong cause, recall below 90 % or a
right-or-harmless fix below 85 %.
"""

import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from envdoctor.apiindex.model import load_api_index
from envdoctor.explain.engine import explain_text
from envdoctor.explain.signatures import load_signatures
from envdoctor.matrix import load_matrix
from envdoctor.resources import api_index_path, matrix_path, signatures_path
from packaging.utils import canonicalize_name

CORPUS = Path(__file__).resolve().parent / "data" / "explain" / "corpus"
CLASSES = {"loader", "pip", "names", "ascend", "direction", "stack", "control"}
FIX_CLASSES = {"pip", "system", "env", "advice", "none"}


def load_corpus() -> List[Dict[str, Any]]:
    cases = []
    for path in sorted(CORPUS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["name"] = path.stem
        cases.append(data)
    return cases


def bundled_sources():
    return (load_matrix(matrix_path()), load_api_index(api_index_path()),
            load_signatures(signatures_path()))


def _names(packages) -> set:
    return set(canonicalize_name(p) for p in packages)


def judge(case: Dict[str, Any], result: Any) -> Dict[str, Any]:
    """How explain did on one case: recognised, right package, fix right or harmless."""
    expect = case["expect"]
    exps = list(result.explanations)
    out = {"name": case["name"], "control": bool(expect.get("control")),
           "explained": bool(exps), "hit": False, "wrong": False, "confident_wrong": False,
           "fix": "none"}
    if out["control"]:
        return out
    wanted = _names(expect["packages"])
    hits = [e for e in exps if _names(e.packages) & wanted]
    named = [e for e in exps if e.packages]  # naming no package is a miss, not a wrong one
    out["hit"] = bool(hits)
    out["wrong"] = bool(named) and not hits
    out["confident_wrong"] = out["wrong"] and any(e.confidence != "guess" for e in named)
    if not hits:
        return out
    best = hits[0]
    words = " ".join([best.fix or "", best.note or "", best.reason_without_fix or ""] +
                     list(best.requirements))
    # advice in words can point the wrong way too (CUDA 11 to a MindSpore 1.x user)
    bad = [s for s in expect.get("fix_not", ()) if s.lower() in words.lower()]
    good = not expect.get("fix_has") or any(s.lower() in words.lower()
                                            for s in expect["fix_has"])
    if bad:
        out["fix"] = "harmful"
    elif best.fix:
        out["fix"] = "right" if good else "harmful"
    else:
        out["fix"] = "harmless"
    return out


def run_corpus(sources=None) -> List[Dict[str, Any]]:
    matrix, index, table = sources or bundled_sources()
    return [judge(case, explain_text(case["text"], matrix, index, table,
                                     matrix_path=matrix.path)) for case in load_corpus()]


def summary(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    env = [r for r in rows if not r["control"]]
    controls = [r for r in rows if r["control"]]
    hits = sum(r["hit"] for r in env)
    fix_ok = sum(r["hit"] and r["fix"] in ("right", "harmless") for r in env)
    return {"cases": len(env), "controls": len(controls),
            "recall": hits / len(env) if env else 0.0,
            "fix_right_or_harmless": fix_ok / len(env) if env else 0.0,
            "fix_right": sum(r["fix"] == "right" for r in env),
            "wrong_package": [r["name"] for r in env if r["wrong"]],
            "confident_wrong": [r["name"] for r in env if r["confident_wrong"]],
            "harmful_fix": [r["name"] for r in env if r["fix"] == "harmful"],
            "missed": [r["name"] for r in env if not r["hit"]],
            "controls_explained": [r["name"] for r in controls if r["explained"]]}


def report(stats: Dict[str, Any]) -> str:
    return ("explain corpus: %(cases)d environment errors, %(controls)d controls; recall "
            "(right package) %(recall).0f%%; fix right or harmless %(fix)s%%; fixes given and "
            "right: %(fix_right)d; wrong package: %(wrong)d; confident wrong cause: %(cw)d; "
            "harmful fix: %(harm)d; controls explained: %(ctl)d; missed: %(missed)s" % dict(
                stats, recall=100 * stats["recall"],
                fix="%.0f" % (100 * stats["fix_right_or_harmless"]),
                wrong=len(stats["wrong_package"]), cw=len(stats["confident_wrong"]),
                harm=len(stats["harmful_fix"]), ctl=len(stats["controls_explained"]),
                missed=", ".join(stats["missed"]) or "none"))


# --- the corpus files themselves -------------------------------------------------------------

@pytest.mark.parametrize("case", load_corpus(), ids=lambda c: c["name"])
def test_corpus_file_is_complete(case):
    assert case["source"].startswith("https://"), case["name"]
    assert case["class"] in CLASSES
    assert case["cause"].strip() and case["fix"].strip() and case["text"].strip()
    expect = case["expect"]
    assert expect["fix_class"] in FIX_CLASSES
    if expect.get("control"):
        assert case["class"] == "control" and not expect["packages"]
    else:
        assert expect["packages"], "a case names the packages a right cause names"


def test_corpus_size_and_classes():
    cases = load_corpus()
    env = [c for c in cases if not c["expect"].get("control")]
    assert len(env) >= 60 and len(cases) - len(env) >= 10
    assert {c["class"] for c in env} >= {"loader", "pip", "names", "ascend", "direction"}


# --- the figures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stats():
    stats = summary(run_corpus())
    sys.stdout.write("\n" + report(stats) + "\n")
    return stats


def test_no_control_is_explained(stats):
    assert stats["controls_explained"] == [], report(stats)


def test_no_wrong_package_and_no_confident_wrong_cause(stats):
    assert stats["wrong_package"] == [], report(stats)
    assert stats["confident_wrong"] == [], report(stats)


def test_recall_and_fixes(stats):
    assert stats["recall"] >= 0.90, report(stats)
    assert stats["fix_right_or_harmless"] >= 0.85, report(stats)
    assert stats["harmful_fix"] == [], report(stats)
