"""envdoctor.api on recorded and synthetic snapshots: no probe, no pip, no network."""

import json

import pytest

import envdoctor.checks.context
import envdoctor.devices
import envdoctor.report
import synthetic
from envdoctor import api
from envdoctor.checks import CheckContext
from envdoctor.errors import UsageError
from envdoctor.findings import Severity
from envdoctor.render.html import render_html
from envdoctor.render.json import render_json
from envdoctor.render.text import plain, render_report_lines


@pytest.fixture
def analyses(monkeypatch):
    """Every call of the device analysis, wherever it is imported."""
    calls = []
    real = envdoctor.devices.analyze

    def counting(snapshot):
        calls.append(snapshot)
        return real(snapshot)

    for module in (envdoctor.devices, envdoctor.report, envdoctor.checks.context):
        monkeypatch.setattr(module, "analyze", counting)
    return calls


def test_diagnose_runs_the_device_analysis_once(analyses):
    report = api.diagnose(synthetic.student(), recipe="none")
    assert len(analyses) == 1
    # the devices check judged from that analysis, and every renderer shows it
    assert "ED502" in {f.code for f in report.findings}
    text = plain(render_report_lines(report, verbose=True))
    data = json.loads(render_json(report))
    page = render_html(report)
    assert "1 x Tesla T4 (15 GiB, sm_75)" in text and "Tesla T4" in page
    assert data["environment"]["devices"]["usable_backends"] == ["CPU"]
    assert len(analyses) == 1


def test_diagnose_a_snapshot_file_is_a_saved_snapshot():
    report = api.diagnose(synthetic.STUDENT, recipe="none")
    assert report.source == "file"
    assert report.snapshot.interpreter.executable == "/home/student/lab/bin/python"
    assert [f.code for f in report.findings if f.severity is Severity.ERROR] == ["ED101"]
    assert report.exit_code == 1


def test_deep_and_smoke_need_a_live_interpreter():
    with pytest.raises(UsageError, match="--deep imports modules"):
        api.diagnose(synthetic.student(), deep=True)
    with pytest.raises(UsageError, match="--smoke trains"):
        api.diagnose(synthetic.student(), smoke=True)


def test_recipe_none_drops_no_recipe_applies_but_the_default_keeps_it():
    old = synthetic.snapshot(python="3.6.15")  # no recipe supports 3.6
    assert "ED305" in {f.code for f in api.diagnose(old).findings}
    assert "ED305" not in {f.code for f in api.diagnose(old, recipe="none").findings}


def test_unknown_recipe_is_a_usage_error():
    with pytest.raises(UsageError, match="no recipe named 'nope'"):
        api.diagnose(synthetic.student(), recipe="nope")


def test_the_context_holds_what_the_checks_were_given(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("numpy<1.20\n")
    lab = object()
    report = api.diagnose(synthetic.student(), recipe="gpt-imdb-2023",
                          requirement_files=[str(req)], lab=lab, strict=True)
    context = report.context
    assert isinstance(context, CheckContext)
    assert context.lab is lab and context.recipe is report.recipe
    assert context.recipe.name == "gpt-imdb-2023"
    assert context.requirement_lines == ((str(req), "numpy", "<1.20", ""),)
    assert context.device_analysis is report.devices
    assert any(f.packages[:1] == ("numpy",) and str(req) in f.title + f.because
               for f in report.findings), [f.title for f in report.findings]
    assert report.strict and report.exit_code == 1


def test_progress_gets_no_steps_for_a_plain_check():
    class Recorder(api.Progress):
        def __init__(self):
            self.steps = []

        def update(self, message):
            self.steps.append(message)

    progress = Recorder()
    api.diagnose(synthetic.student(), progress=progress)
    assert progress.steps == []


def test_plan_fix_without_errors_needs_no_pip(monkeypatch, tmp_path):
    monkeypatch.setenv("ENVDOCTOR_STATE_DIR", str(tmp_path))
    import envdoctor.pip_runner as pip_runner

    def no_pip(*args, **kwargs):
        raise AssertionError("pip must not run for a healthy environment")

    monkeypatch.setattr(pip_runner, "dry_run", no_pip)
    healthy = api.diagnose(synthetic.snapshot(numpy="1.26.4"), recipe="none")
    assert healthy.exit_code == 0
    fix = api.plan_fix(healthy)
    assert not fix.needed and fix.plan.actions == [] and fix.warnings == []
    assert fix.python == "/x/bin/python" and fix.pip_note == ""


def test_explain_delegates_to_the_signature_table():
    causes = api.explain("AttributeError: module 'PIL.Image' has no attribute 'ANTIALIAS'")
    assert len(causes) == 1 and "ANTIALIAS" in causes[0].title
    assert api.explain("nothing went wrong today") == []


def test_plan_fix_warns_of_an_unfinished_fix_of_the_same_environment(monkeypatch, tmp_path):
    from envdoctor.fix.transaction import Transaction

    monkeypatch.setenv("ENVDOCTOR_STATE_DIR", str(tmp_path))
    snap = synthetic.snapshot(numpy="1.26.4")
    tx = Transaction.begin(snap, "numpy==1.26.4\n", {})
    tx.log("failed", "pip was killed")
    fix = api.plan_fix(api.diagnose(snap, recipe="none"))
    assert fix.warnings == ["an unfinished fix (%s, failed) was found for this environment; "
                            "`envdoctor rollback %s` restores the state before it"
                            % (tx.id, tx.id)]


def test_a_live_diagnosis_reports_its_deep_step(tmp_path):
    """This interpreter, probed for real; --deep says what it imports, through Progress."""
    import sys

    class Recorder(api.Progress):
        def __init__(self):
            self.steps = []

        def update(self, message):
            self.steps.append(message)

    progress = Recorder()
    report = api.diagnose(None, recipe="none", deep=True, progress=progress)
    assert report.source == "probe" and report.snapshot.executable == sys.executable
    assert progress.steps == ["importing the lab's modules in %s ..." % sys.executable]


def test_ignore_codes_are_known_codes():
    from envdoctor.api import ignore_codes

    assert ignore_codes(["ED820", "ed810,ED112", " ED820 "]) == {"ED820", "ED810", "ED112"}
    assert ignore_codes([]) == frozenset()
    with pytest.raises(UsageError, match="ED9999"):
        ignore_codes(["ED101,ED9999"])


def test_ignored_findings_leave_the_verdict_but_stay_in_the_report():
    from envdoctor.api import diagnose

    with_it = diagnose(synthetic.student(), recipe="none")
    codes = sorted({f.code for f in with_it.findings if f.severity.value == "error"})
    assert codes, "the synthetic student has errors"
    without = diagnose(synthetic.student(), recipe="none", ignore=codes)
    assert not any(f.code in codes for f in without.findings)
    assert sorted({f.code for f in without.ignored}) == codes
    assert len(without.ignored) + len(without.findings) == len(with_it.findings)
    data = without.to_dict(include_snapshot=False)
    assert data["summary"]["ignored"] == len(without.ignored) and data["summary"]["errors"] == 0
    assert [f["code"] for f in data["ignored"]] == [f.code for f in without.ignored]
    assert with_it.exit_code == 1 and without.exit_code == 0
    # text and HTML say what was left out, by code
    text = plain(render_report_lines(without))
    assert "Ignored (--ignore): " + ", ".join(
        "%s x%d" % (c, sum(1 for f in without.ignored if f.code == c)) for c in codes) in text
    assert "ignored: %s x" % codes[0] in render_html(without)


def test_fix_toward_the_lab_plans_what_the_environment_lacks_as_one_finding():
    """fix --lab on a bare Python 3.9: the lab's ED803 for mindspore and mindnlp give way to
    one ED840 with the releases that run the lab (none of them is left as a step pip cannot
    take); the lab's own lines (the Ascend device) stay."""
    import os

    lab = os.path.join(os.path.dirname(__file__), os.pardir, "data", "labs", "course",
                       "gpt_2025.ipynb")
    report = api.diagnose(synthetic.snapshot(python="3.9.18"), lab=lab)
    lab_codes = [f.code for f in report.findings if f.area == "lab"]
    assert lab_codes.count("ED803") >= 2
    kept, target = api._toward_the_lab(report.context.lab, report)
    assert target.ok
    assert not [f for f in kept if f.area == "lab" and f.code in ("ED801", "ED803")]
    assert "ED820" in [f.code for f in kept]
    (ed840,) = [f for f in kept if f.code == "ED840"]
    assert "mindspore-dev==2.5.0.dev20250202" in ed840.fix.requirements
    assert "mindnlp==0.4.0" in ed840.fix.requirements
