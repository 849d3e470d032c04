"""The zipapp: one reproducible file that runs envdoctor on Python 3.7-3.13 with nothing
installed (fresh venvs of the oldest and a new Python, pip and setuptools only)."""

import hashlib
import os
import subprocess
import sys

import pytest

from conftest import ROOT, pyenv_python

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pyz(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pyz")
    wheels = folder / "wheels"
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_zipapp

    build_zipapp._download(str(wheels))
    first, second = folder / "a.pyz", folder / "b.pyz"
    build_zipapp.build(str(wheels), str(first))
    build_zipapp.build(str(wheels), str(second))
    assert first.read_bytes() == second.read_bytes()  # reproducible
    return first


def _fresh(version, tmp_path):
    base = pyenv_python(version)
    if base is None:
        pytest.skip("no Python %s here" % version)
    venv = tmp_path / ("py" + version)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    return str(venv / "bin" / "python")


@pytest.mark.parametrize("runner,target", [("3.7", "3.12"), ("3.12", "3.7"), ("3.13", "3.13")])
def test_the_pyz_checks_from_a_bare_python(pyz, tmp_path, runner, target):
    python = _fresh(runner, tmp_path / "r")
    other = _fresh(target, tmp_path / "t")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([python, "-I", str(pyz), "check", "--json", "--python", other],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=env, cwd=str(tmp_path))
    assert proc.returncode in (0, 1), proc.stderr
    assert '"kind": "envdoctor-check"' in proc.stdout
    assert target in proc.stdout.split('"python":', 1)[1][:20]
    # the unpacked copy is private and keyed by the archive's own hash
    digest = hashlib.sha256(pyz.read_bytes()).hexdigest()[:16]
    root = tmp_path / "cache" / "envdoctor" / "pyz"
    assert (root / digest / ".complete").exists()
    assert oct(root.stat().st_mode & 0o777) == oct(0o700)


def test_a_notebook_loads_it_only_with_the_published_hash(pyz, tmp_path):
    """The pre-lab cell's form: import the loader from the file, check the hash, then
    envdoctor; a file with another hash is refused before anything of it is imported."""
    python = _fresh("3.12", tmp_path / "k")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("PYTHONPATH", None)
    digest = hashlib.sha256(pyz.read_bytes()).hexdigest()
    code = ("import sys; sys.path.insert(0, %r)\n"
            "import envdoctor_pyz\n"
            "try:\n    envdoctor_pyz.load(%r, sha256='0' * 64)\n"
            "except RuntimeError as exc:\n    print('refused', 'envdoctor' in sys.modules)\n"
            "e = envdoctor_pyz.load(%r, sha256=%r)\n"
            "r = e.prelab(recipe='none', quiet=True)\n"
            "print(type(r).__name__, r.report.snapshot.interpreter.executable == sys.executable)\n"
            % (str(pyz), str(pyz), str(pyz), digest))
    proc = subprocess.run([python, "-I", "-c", code], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, env=env,
                          cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["refused False", "PrelabResult True"], proc.stdout
