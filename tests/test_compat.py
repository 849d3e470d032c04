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


def test_startup_imports_stay_light():
    """`envdoctor check` must not pay for modules only other commands use."""
    code = ("import sys, envdoctor.cli as c; c.build_parser(); "
            "heavy = [m for m in sys.modules if m.startswith(('envdoctor.smoke', 'envdoctor.fix', "
            "'envdoctor.explain', 'envdoctor.deep', 'envdoctor.checks', 'envdoctor.verify.harness', 'rich'))]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE,
                         universal_newlines=True, cwd=ROOT).stdout.strip()
    assert out == "[]", out


def test_smoke_default_timeout_in_step():
    from envdoctor.commands import smoke as command
    from envdoctor.smoke import runner

    assert command.DEFAULT_TIMEOUT == runner.DEFAULT_TIMEOUT
