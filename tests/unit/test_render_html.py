"""envdoctor.render.html: escaped fragments; fix lines from the Fix's requirements."""

import synthetic
from envdoctor.findings import Evidence, Finding, Fix, Severity
from envdoctor.render.html import notebook_command, notebook_fix_lines, render_html
from envdoctor.report import Report


def error(reqs, command):
    return Finding("ED101", Severity.ERROR, "<b>bad</b> title", "because <script>",
                   Evidence(), Fix(command=command, requirements=tuple(reqs)))


def test_fix_lines_come_from_requirements_not_from_the_command_text():
    # a command that no parser could read back: the requirements still make the line
    finding = error(["tokenizers<0.15", "numpy<2"], "echo 'unbalanced")
    report = Report(synthetic.student(), (finding,), None)
    assert notebook_fix_lines(report, in_kernel=True) == ["%pip install 'tokenizers<0.15' 'numpy<2'"]
    assert notebook_fix_lines(report, in_kernel=False) == [
        "!/home/student/lab/bin/python -m pip install 'tokenizers<0.15' 'numpy<2'"]
    page = render_html(report)
    assert "%pip install &#x27;tokenizers&lt;0.15&#x27;" in page


def test_nothing_to_install_gives_no_lines():
    assert notebook_fix_lines(Report(synthetic.snapshot(), (), None)) == []


def test_other_commands_stay_shell_lines():
    assert notebook_command("unset CUDA_VISIBLE_DEVICES", "/p", True) == \
        "!unset CUDA_VISIBLE_DEVICES"
    assert notebook_command("/p -m pip install a==1", "/p", False) == "!/p -m pip install a==1"


def test_everything_from_the_data_is_escaped():
    page = render_html(Report(synthetic.student(), (error(["a<2"], None),), None))
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>bad</b>" not in page
    assert 'data-verdict="not-ready"' in page and "Tesla T4" in page


def test_a_fix_shared_by_the_finding_above_is_shown_once():
    same = error(["tokenizers<0.15"], "python -m pip install -- 'tokenizers<0.15'")
    page = render_html(Report(synthetic.student(), (same, same), None))
    assert page.count("the same as for the ED101 above") == 1
    assert "the same as" not in render_html(Report(synthetic.student(), (same, same), None),
                                            verbose=True)
