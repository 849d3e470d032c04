"""End to end with the real MindSpore stack (mindspore 2.7.0 + mindnlp 0.5.1 on Python 3.11).

The broken environment is what `pip install mindspore mindnlp` gives on Python 3.11: pip
check calls it clean, `import mindnlp` fails. envdoctor must flag it from the matrix alone,
prove it with --deep, explain the traceback, and fix it so the deep check passes.
"""

import json
import shutil
import subprocess

import pytest

from conftest import CACHE, Venv, check_json, envdoctor, pyenv_python

pytestmark = [pytest.mark.mindspore, pytest.mark.slow]


def _pip_check(python):
    return subprocess.run([python, "-m", "pip", "check"], stdout=subprocess.PIPE,
                          universal_newlines=True)


def test_clean_for_pip_check_but_broken_is_flagged(broken_stack_python):
    assert _pip_check(broken_stack_python).returncode == 0  # pip sees nothing wrong

    shallow = check_json("--python", broken_stack_python)
    rules = {f["evidence"].get("rule", "").split(" ")[0] for f in shallow["findings"]
             if f["code"] == "ED201"}
    assert "mindnlp05-transformers5" in rules
    assert not [f for f in shallow["findings"] if f["code"] in ("ED101", "ED102")]
    assert shallow["summary"]["exit_code"] == 1

    deep = check_json("--python", broken_stack_python, "--deep")
    failed = [f for f in deep["findings"] if f["code"] == "ED601"]
    mindnlp = [f for f in failed if f["packages"] == ["mindnlp"]]
    assert mindnlp and "KeyError" in mindnlp[0]["title"]
    assert "transformers>=4.55,<5" in (mindnlp[0]["fix"] or {}).get("command", "")


def test_explain_reads_the_real_traceback(broken_stack_python, tmp_path):
    proc = subprocess.run([broken_stack_python, "-c", "import mindnlp"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)
    assert proc.returncode != 0
    log = tmp_path / "traceback.txt"
    log.write_text(proc.stdout)
    out = envdoctor("explain", str(log), "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    titles = [e["title"] for e in json.loads(out.stdout)["explanations"]]
    assert any("transformers" in t for t in titles), titles


def test_lab_environment_passes_deep_check(mindspore_python):
    report = check_json("--python", mindspore_python, "--deep")
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert errors == [], errors


def test_broken_environment_fixed_by_fix_apply(broken_stack_python, tmp_path):
    # work on a copy: the broken venv is shared with the other tests
    copy = CACHE / "ms27-broken-fixme"
    if copy.exists():
        shutil.rmtree(str(copy))
    shutil.copytree(str(CACHE / "ms27-broken-py311"), str(copy), symlinks=True)
    python = str(copy / "bin" / "python")
    try:
        proc = envdoctor("fix", "--apply", "--yes", "--python", python,
                         env={"ENVDOCTOR_STATE_DIR": str(tmp_path / "state")})
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
        assert "Fixed" in proc.stdout
        deep = check_json("--python", python, "--deep")
        assert [f for f in deep["findings"] if f["severity"] == "error"] == []
    finally:
        shutil.rmtree(str(copy), ignore_errors=True)


def test_bare_venv_to_working_lab_in_one_command(tmp_path):
    base = pyenv_python("3.11")
    if base is None:
        pytest.skip("no Python 3.11")
    venv = Venv(tmp_path / "bare", base)
    proc = envdoctor("fix", "--apply", "--yes", "--python", venv.python,
                     env={"ENVDOCTOR_STATE_DIR": str(tmp_path / "state")})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    deep = check_json("--python", venv.python, "--deep")
    assert [f for f in deep["findings"] if f["severity"] == "error"] == []
    assert deep["environment"]["lab_packages"]["mindnlp"] == "0.5.1"
