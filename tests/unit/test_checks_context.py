"""envdoctor.checks.context: what every check reads."""

import envdoctor.checks.context as context_module
import synthetic
from envdoctor.checks import CheckContext, run_checks
from envdoctor.devices import analyze


def test_python_is_the_target_interpreter():
    assert CheckContext(synthetic.student()).python == "/home/student/lab/bin/python"
    bare = synthetic.snapshot()
    assert CheckContext(bare).python == "/x/bin/python"


def test_devices_uses_the_given_analysis(monkeypatch):
    snap = synthetic.student()
    given = analyze(snap)
    monkeypatch.setattr(context_module, "analyze", lambda s: 1 / 0)
    assert CheckContext(snap, device_analysis=given).devices is given


def test_devices_is_computed_once_when_not_given(monkeypatch):
    calls = []
    real = context_module.analyze
    monkeypatch.setattr(context_module, "analyze", lambda s: calls.append(s) or real(s))
    context = CheckContext(synthetic.student())
    assert context.devices is context.devices and len(calls) == 1


def test_a_crashing_check_is_a_finding_and_the_rest_still_run():
    def broken(context):
        raise KeyError("boom")

    def fine(context):
        return []

    found = run_checks(CheckContext(synthetic.snapshot()), [broken, fine])
    assert [f.code for f in found] == ["ED900"] and "KeyError" in found[0].because
