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
