"""envdoctor.render.plan: a fix plan as text and as ``fix --json``."""

import synthetic
from envdoctor.findings import Evidence, Finding, Fix, Severity
from envdoctor.fix import ApplyResult, Plan
from envdoctor.fix.plan import Action, PlanRequest
from envdoctor.render.plan import plan_lines, plan_result_json

ERROR = Finding("ED101", Severity.ERROR, "tokenizers too new", "because", Evidence(),
                Fix(requirements=("tokenizers<0.15",)))
UNFIXABLE = Finding("ED303", Severity.ERROR, "wrong Python", "because", Evidence(),
                    Fix(text="make a venv with Python 3.11"))


def plan(actions=(), predicted=(), pip_report=None):
    request = PlanRequest(("tokenizers<0.15",), (), {"tokenizers": "ED101"},
                          notes=("kept mindspore",), unfixable=(UNFIXABLE,))
    return Plan(synthetic.snapshot(), request, [ERROR], list(actions), list(predicted),
                pip_report, lock_source="lock gpt-imdb-py3.11.txt")


def test_plan_lines():
    lines = plan_lines(plan([Action("downgrade", "tokenizers", "0.15.0", "0.14.1", "ED101")],
                            pip_report={"install": []}), None)
    assert lines[0] == "Plan for /x/bin/python"
    assert "  constrained by the lock gpt-imdb-py3.11.txt" in lines
    assert "  note: kept mindspore" in lines
    assert any(l.startswith("  downgrade tokenizers 0.15.0 -> 0.14.1") for l in lines)
    assert "Confirmed by pip's resolver (pip install --dry-run --report): 1 downgrade; " \
           "nothing is removed." in lines
    assert "After the fix, envdoctor predicts no errors." in lines
    assert "  ED303 needs a step pip cannot take: make a venv with Python 3.11" in lines
    assert lines[-1] == "The same by hand: /x/bin/python -m pip install -- tokenizers==0.14.1"


def test_plan_lines_without_changes_and_with_remaining_errors():
    lines = plan_lines(plan(predicted=[UNFIXABLE]), None)
    assert "  pip would change nothing." in lines
    assert "  x ED303 wrong Python" in lines and not lines[-1].startswith("The same by hand")


def test_plan_result_json():
    p = plan()
    assert plan_result_json(p) == {"plan": p.to_dict(), "applied": False, "result": None}
    done = plan_result_json(p, ApplyResult(False, None, "pip failed", [ERROR],
                                           rolled_back=True, rollback_exact=True))
    assert done["applied"] is False and done["result"]["rolled_back"] is True
    assert done["result"]["transaction"] is None
    assert done["result"]["remaining"][0]["code"] == "ED101"
