"""envdoctor.report: the data every renderer lays out, computed once."""

import envdoctor.report as report_module
import synthetic
from envdoctor.findings import Evidence, Finding, Fix, Severity
from envdoctor.report import Report, exit_code


def finding(code, severity, reqs=(), command=None):
    fix = Fix(command=command or ("python -m pip install " + " ".join(reqs) if reqs else None),
              requirements=tuple(reqs)) if reqs or command else None
    return Finding(code, severity, "title " + code, "because", Evidence(), fix)


def test_exit_code_and_strict():
    warn = [finding("ED203", Severity.WARNING)]
    assert exit_code(warn) == 0 and exit_code(warn, strict=True) == 1
    assert exit_code([finding("ED101", Severity.ERROR)]) == 1 and exit_code([]) == 0


def test_combined_fix_comes_from_the_errors_requirements_once_each():
    report = Report(synthetic.snapshot(), (
        finding("ED101", Severity.ERROR, ["tokenizers<0.15"]),
        finding("ED201", Severity.ERROR, ["numpy<2", "tokenizers<0.15"]),
        finding("ED203", Severity.WARNING, ["ignored==1"]),
    ), None)
    assert report.fix_requirements == ("tokenizers<0.15", "numpy<2")
    assert report.combined_fix() == "/x/bin/python -m pip install -- 'tokenizers<0.15' 'numpy<2'"
    summary = report.summary()
    assert summary["errors"] == 2 and summary["warnings"] == 1
    assert summary["verdict"] == "problems found" and summary["exit_code"] == 1
    assert summary["fix_command"] == report.combined_fix()


def test_summary_and_environment_are_computed_once_and_callers_get_copies():
    report = Report(synthetic.student(), (), None, seconds=0.5)
    first = report.summary()
    first["errors"] = 99
    assert report.summary()["errors"] == 0 and report.summary()["verdict"] == "healthy"
    env = report.environment()
    env["python"] = "changed"
    assert report.environment()["python"] == "3.9.18"


def test_environment_from_typed_sections():
    env = Report(synthetic.student(), (), None, source="file").environment()
    assert env["executable"] == "/home/student/lab/bin/python" and env["venv"] is True
    assert env["platform"] == "linux-x86_64" and env["libc"]["name"] == "glibc"
    assert env["lab_packages"] == {"mindspore": "2.2.14", "transformers": "4.35.0",
                                   "tokenizers": "0.15.0", "numpy": "1.26.4"}
    assert env["devices"]["gpus"][0]["name"] == "Tesla T4" and env["source"] == "file"


def test_a_report_without_an_analysis_makes_one_and_without_device_data_has_none():
    with_devices = Report(synthetic.student(), (), None)
    assert with_devices.devices is not None and with_devices.device_error is None
    without = Report(synthetic.snapshot(), (), None)
    assert without.devices is None and without.environment()["devices"] is None


def test_a_failing_device_analysis_is_reported_not_raised(monkeypatch):
    monkeypatch.setattr(report_module, "analyze", lambda s: {}["boom"])
    report = Report(synthetic.student(), (), None)
    assert report.devices is None and report.device_error == "KeyError: 'boom'"
    assert report.environment()["devices"] == {"error": "KeyError: 'boom'"}


def test_to_dict_shape():
    data = Report(synthetic.student(), (finding("ED101", Severity.ERROR, ["a<2"]),),
                  None).to_dict(include_snapshot=False)
    assert data["kind"] == "envdoctor-check" and data["schema"] == 1
    assert "snapshot" not in data and data["findings"][0]["code"] == "ED101"
