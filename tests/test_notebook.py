"""envdoctor in Jupyter: prelab() results, the %envdoctor magic, and the sample notebook run by a
real kernel (nbclient + ipykernel) without network."""

import html
import json
import os
import sys

import pytest

import envdoctor
from conftest import ROOT, XDG_CACHE, build_wheel, check_json, run
from envdoctor.notebook import RESTART_KERNEL, PrelabResult, envdoctor_magic

TOKENIZERS = "'tokenizers>=0.14,<0.15'"


@pytest.fixture
def conflicted(venv_factory, tmp_path, request):
    """transformers 4.35.0 with tokenizers 0.15.0; a folder 'index' offers tokenizers 0.14.1."""
    venv = venv_factory("nb-%s" % request.node.name[:40])
    venv.install_wheels(
        build_wheel(tmp_path / "local", "transformers", "4.35.0",
                    requires=["tokenizers<0.15,>=0.14"]),
        build_wheel(tmp_path / "local", "tokenizers", "0.15.0"))
    build_wheel(tmp_path / "index", "tokenizers", "0.14.1")
    return venv, tmp_path / "index"


def test_import_envdoctor_stays_cheap_and_needs_no_ipython():
    code = ("import sys; sys.modules['IPython'] = None\n"  # as if IPython were not installed
            "import envdoctor\n"
            "heavy = [m for m in ('envdoctor.notebook', 'envdoctor.report', 'rich', 'yaml',"
            " 'packaging') if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "assert callable(envdoctor.prelab) and callable(envdoctor.load_ipython_extension)\n"
            "import envdoctor.notebook, envdoctor.render.html\n"
            "class Shell:\n"
            "    def register_magic_function(self, func, magic_kind, magic_name):\n"
            "        self.magic = (func.__name__, magic_kind, magic_name)\n"
            "shell = Shell(); envdoctor.load_ipython_extension(shell)\n"
            "print(shell.magic)\n")
    out = run([sys.executable, "-c", code]).stdout
    assert out.strip() == "('envdoctor_magic', 'line', 'envdoctor')"


def test_prelab_on_another_interpreter_renders_html_and_text(conflicted):
    venv, _ = conflicted
    result = envdoctor.prelab("none", python=venv.python)
    assert isinstance(result, PrelabResult)
    assert (result.ok, result.exit_code, result.verdict) == (False, 1, "not ready")
    assert result.in_kernel is False  # not this interpreter: %pip would install elsewhere
    assert result.fix_lines == ["!%s -m pip install %s" % (venv.python, TOKENIZERS)]
    bundle = result._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    page = result._repr_html_()
    assert page == bundle["text/html"]
    assert 'data-verdict="not-ready"' in page and "Not ready" in page
    assert 'data-code="ED101"' in page and "<script" not in page and "http" not in page
    assert "python=%r" % venv.python in html.unescape(page) and "fix=True" in page
    text = str(result)
    assert text == repr(result) == bundle["text/plain"]
    assert "ED101" in text and text.rstrip().splitlines()[-1].startswith("Verdict: not ready")
    assert "!%s -m pip install %s" % (venv.python, TOKENIZERS) in text
    data = result.to_dict()
    assert data["check"]["summary"]["errors"] == 1 and "snapshot" not in data["check"]
    json.dumps(data)


def test_prelab_fix_applies_and_says_restart(conflicted, tmp_path, monkeypatch):
    venv, index = conflicted
    # an old pip (Python 3.7 venvs) is driven with the pip wheel cached for the tests
    monkeypatch.setenv("XDG_CACHE_HOME", str(XDG_CACHE))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    monkeypatch.setenv("ENVDOCTOR_STATE_DIR", str(tmp_path / "state"))
    # as if this notebook's kernel ran in the broken venv (prelab's default target)
    monkeypatch.setattr(sys, "executable", venv.python)
    monkeypatch.setattr(sys, "prefix", str(venv.path))
    before = envdoctor.prelab("none")
    assert before.in_kernel and before.fix_lines == ["%pip install " + TOKENIZERS]
    assert "%pip install " + TOKENIZERS in html.unescape(before._repr_html_())

    result = envdoctor.prelab("none", fix=True, quiet=True)
    assert result.ok and result.restart_needed, result.text()
    assert result.outcome["restart"] == RESTART_KERNEL
    assert any("tokenizers" in a and "0.14.1" in a for a in result.outcome["actions"])
    page = result._repr_html_()
    assert "Fix applied." in page and "Restart the kernel" in page
    assert 'data-verdict="ready"' in page and 'data-envdoctor="fix"' not in page
    assert "Restart the kernel" in result.text()
    assert venv.pip_check() == []
    # nothing left to do: fix=True says so and changes nothing
    again = envdoctor.prelab("none", fix=True, quiet=True)
    assert again.ok and not again.restart_needed and "Nothing to fix" in again.text()


def test_prelab_errors_are_results_not_exceptions(tmp_path):
    result = envdoctor.prelab("no-such-lab")
    assert (result.ok, result.exit_code, result.verdict) == (False, 2, "envdoctor could not run")
    assert "no recipe named 'no-such-lab'" in result.text()
    assert 'data-verdict="error"' in result._repr_html_()
    missing = envdoctor.prelab(python=str(tmp_path / "nope" / "python"))
    assert missing.exit_code == 2 and "cannot run the target interpreter" in str(missing)


def test_magic(conflicted, capsys):
    venv, _ = conflicted
    result = envdoctor_magic("check none --python %s" % venv.python)
    assert isinstance(result, PrelabResult) and result.exit_code == 1
    assert envdoctor_magic("check --recipe none --python %s -v" % venv.python).verbose
    ignored = envdoctor_magic("check none --python %s --ignore ED101" % venv.python)
    assert ignored.exit_code == 0 and "ignored: ED101 x1" in ignored._repr_html_()
    assert envdoctor_magic("check --no-such-flag") is None
    assert "%envdoctor check [RECIPE]" in capsys.readouterr().out
    assert envdoctor_magic("explain ED101") is None  # any other command, without stdin
    assert "ED101" in capsys.readouterr().out
    assert envdoctor_magic("fix --apply --python %s" % venv.python) is None
    out = capsys.readouterr().out
    assert "add --yes" in out and "exited with 2" in out  # it never waits for an answer


def test_the_magic_takes_every_option_of_envdoctor_check():
    """One declaration (envdoctor.options): what `envdoctor check` learns, the cell knows."""
    import argparse

    from envdoctor.commands import check as check_command
    from envdoctor.notebook import _check_parser

    cli = argparse.ArgumentParser()
    check_command.register(cli.add_subparsers())
    sub = next(a for a in cli._actions if isinstance(a, argparse._SubParsersAction))
    wanted = {o for a in sub.choices["check"]._actions for o in a.option_strings}
    have = {o for a in _check_parser()._actions for o in a.option_strings}
    # --json and --from make no sense for a cell's HTML view of its own kernel
    assert wanted - have == {"--json", "--from"}, wanted - have


def test_sample_notebook_runs_in_a_real_kernel(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    prefix = tmp_path / "kernels"
    run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix),
         "--name", "envdoctor-test", "--display-name", "envdoctor test"])
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    # envdoctor is importable in the kernel, so the install line must not run; and if it did,
    # it could not reach an index
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    monkeypatch.setenv("PIP_NO_INDEX", "1")

    nb = nbformat.read(str(ROOT / "examples" / "prelab.ipynb"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("%load_ext envdoctor\n%envdoctor check none"))
    nb.cells.append(nbformat.v4.new_code_cell(
        "import sys\nprint('heavy:', [m for m in ('mindspore', 'mindnlp', 'torch', "
        "'transformers') if m in sys.modules])"))
    client = nbclient.NotebookClient(nb, kernel_name="envdoctor-test", timeout=300,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()

    prelab_cell, magic_cell, modules_cell = nb.cells[1], nb.cells[2], nb.cells[3]
    streams = "".join(o.get("text", "") for o in prelab_cell.outputs
                      if o.output_type == "stream")
    assert "pip" not in streams.lower(), streams  # the install line was a no-op
    (result,) = [o for o in prelab_cell.outputs if o.output_type == "execute_result"]
    page, text = result.data["text/html"], result.data["text/plain"]
    expected = check_json("--recipe", "gpt-imdb")["summary"]["exit_code"]
    headline = "Ready for lab gpt-imdb" if expected == 0 else "Not ready for lab gpt-imdb"
    assert headline in page and 'data-verdict="%s"' % (
        "ready" if expected == 0 else "not-ready") in page
    assert "Verdict: %s" % ("ready" if expected == 0 else "not ready") in text
    assert sys.executable in page  # it checked the kernel's own interpreter
    if expected:
        assert "%pip install " in page and "restart the kernel" in page

    (magic,) = [o for o in magic_cell.outputs if o.output_type == "execute_result"]
    assert "text/html" in magic.data and "data-verdict=" in magic.data["text/html"]
    assert "heavy: []" in "".join(o.get("text", "") for o in modules_cell.outputs)
