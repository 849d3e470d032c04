"""envdoctor.render.text: styled lines from a report, nothing computed."""

import synthetic
from envdoctor.findings import Evidence, Finding, Fix, Severity
from envdoctor.render.text import plain, render_finding_lines, render_report_lines, verdict_line
from envdoctor.report import Report


def error(code="ED101", reqs=("tokenizers<0.15",)):
    return Finding(code, Severity.ERROR, "transformers needs tokenizers<0.15",
                   "it says so", Evidence(installed="tokenizers 0.15.0", needed="<0.15",
                                          details=(("rule", "r1"), ("error", "boom"))),
                   Fix(command="python -m pip install 'tokenizers<0.15'", requirements=reqs))


def test_finding_lines_hide_details_unless_verbose():
    short = plain([l for l in render_finding_lines(error())])
    assert "x ED101  transformers needs tokenizers<0.15" in short
    assert "error: boom" in short and "rule: r1" not in short
    assert "rule: r1" in plain(render_finding_lines(error(), verbose=True))
    info = Finding("ED305", Severity.INFO, "No lab recipe", "because", Evidence())
    assert plain(render_finding_lines(info)).strip() == "i ED305  No lab recipe"


def test_report_lines_group_by_area_and_end_in_the_verdict():
    report = Report(synthetic.student(), (error(), error("ED201", ("numpy<2",))), None,
                    seconds=1.25)
    text = plain(render_report_lines(report))
    assert text.startswith("envdoctor Python 3.9.18 (venv) /home/student/lab/bin/python\n")
    assert "\nDevices\n  cpu       Intel Xeon" in text
    assert "All pinned fixes in one command" in text and "'numpy<2'" in text
    assert text.rstrip().endswith("Verdict: not ready (2 errors, 0 warnings in 1.25s)")


def test_verdict_for_a_healthy_lab():
    line = verdict_line(Report(synthetic.snapshot(), (), None))
    assert "".join(t for t, _ in line) == "Verdict: ready (0 errors, 0 warnings)"


def test_a_snapshot_without_device_data_has_no_devices_section():
    text = plain(render_report_lines(Report(synthetic.snapshot(), (), None)))
    assert "Devices" not in text


def test_a_fix_shared_by_the_finding_above_is_written_once():
    """Four names mindnlp lacks have one fix: the text shows it once; -v and JSON keep all."""
    other = Finding("ED802", Severity.ERROR, "t", "b", Evidence(), Fix(command="pip x"))
    findings = (error("ED801"), error("ED801"), other, error("ED801"))
    text = plain(render_report_lines(Report(synthetic.student(), findings, None)))
    assert text.count("fix: python -m pip install 'tokenizers<0.15'") == 2  # not after ED802
    assert text.count("fix: the same as for the ED801 above") == 1
    assert "fix: pip x" in text
    verbose = plain(render_report_lines(Report(synthetic.student(), findings, None), True))
    assert verbose.count("fix: python -m pip install 'tokenizers<0.15'") == 3
