"""envdoctor.notebook's result object on synthetic reports (the kernel tests are in
tests/test_notebook.py)."""

import synthetic
from envdoctor.findings import Evidence, Finding, Fix, Severity
from envdoctor.notebook import PrelabResult
from envdoctor.report import Report

ERROR = Finding("ED101", Severity.ERROR, "tokenizers too new", "because", Evidence(),
                Fix(command="/home/student/lab/bin/python -m pip install 'tokenizers<0.15'",
                    requirements=("tokenizers<0.15",)))


def test_a_broken_environment_shows_the_fix_as_notebook_lines():
    result = PrelabResult(Report(synthetic.student(), (ERROR,), None), in_kernel=True,
                          fix_call="envdoctor.prelab(fix=True)")
    assert not result.ok and result.verdict == "not ready" and result.exit_code == 1
    assert result.fix_lines == ["%pip install 'tokenizers<0.15'"]
    text = result.text()
    assert "Fix: run this in a cell, then restart the kernel:\n  %pip install" in text
    assert "or let envdoctor apply it: envdoctor.prelab(fix=True)" in text
    assert text.rstrip().splitlines()[-1].startswith("Verdict: not ready")
    assert "%pip install &#x27;tokenizers&lt;0.15&#x27;" in result.html()
    data = result.to_dict()
    assert data["check"]["summary"]["errors"] == 1 and "snapshot" not in data["check"]


def test_another_interpreter_gets_its_own_pip_and_an_applied_fix_says_restart():
    outcome = {"ok": True, "headline": "Fix applied.", "message": "passes", "actions": [],
               "restart": "Restart it."}
    result = PrelabResult(Report(synthetic.student(), (), None), in_kernel=False,
                          outcome=outcome)
    assert result.ok and result.restart_needed and result.fix_lines == []
    assert result.text().startswith("Fix applied. passes\nRestart it.\n")


def test_an_error_is_a_result():
    result = PrelabResult(error="no such interpreter: /nope")
    assert result.exit_code == 2 and result.verdict == "envdoctor could not run"
    assert "no such interpreter" in result.text() and "no such interpreter" in result.html()
