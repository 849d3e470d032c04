"""envdoctor itself must run on Python 3.7: vermin checks every module."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_vermin_finds_nothing_newer_than_37():
    vermin = shutil.which("vermin") or os.path.join(os.path.dirname(sys.executable), "vermin")
    if not os.path.exists(vermin):
        pytest.skip("vermin is not installed (pip install -e '.[test]')")
    proc = subprocess.run([vermin, "-q", "--no-tips", "--violations", "-t=3.7-",
                           os.path.join(ROOT, "envdoctor")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    assert proc.returncode == 0, proc.stdout


def test_declared_python_floor_and_wide_dependency_ranges():
    text = open(os.path.join(ROOT, "pyproject.toml")).read()
    assert 'requires-python = ">=3.7"' in text
    deps = text.split("dependencies = [", 1)[1].split("]", 1)[0]
    for line in deps.strip().splitlines():
        spec = line.strip().strip(",").strip('"')
        # lower bounds only: installing envdoctor must never move a lab's pins down
        assert "<" not in spec.split(";")[0] and "==" not in spec, spec
