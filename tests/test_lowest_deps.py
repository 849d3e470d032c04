"""envdoctor on the oldest releases of its dependencies that pyproject.toml allows.

Installing envdoctor into a lab's venv must never move the lab's pins, so its ranges are
wide; this keeps them honest. A venv gets every dependency at its lower bound (from the
index), then envdoctor itself with --no-deps, and runs the core commands there.
"""

import json
import os
import re

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.version import Version

from conftest import ROOT, run

pytestmark = [pytest.mark.slow, pytest.mark.lowest]


def lowest_pins(pyproject_text, environment=None):
    """``name==X`` for each ``name>=X`` of [project] dependencies whose marker holds."""
    block = re.search(r"^dependencies = \[(.*?)^\]", pyproject_text, re.S | re.M)
    assert block, "no dependencies block in pyproject.toml"
    pins = []
    for text in re.findall(r'"([^"]+)"', block.group(1)):
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate(environment):
            continue
        lower = [s.version for s in req.specifier if s.operator == ">="]
        assert len(lower) == 1, "%s: a lower bound (>=) is what this test installs" % text
        pins.append("%s==%s" % (req.name, lower[0]))
    return pins


def test_lowest_pins_reads_the_bounds():
    text = ('[project]\ndependencies = [\n    "rich>=10",\n    "packaging>=20.9",  # why\n'
            '    "importlib-metadata>=1.0; python_version < \'3.8\'",\n]\n'
            '[project.optional-dependencies]\ntest = ["pytest>=7.3"]\n')
    assert lowest_pins(text, {"python_version": "3.11"}) == ["rich==10", "packaging==20.9"]
    assert lowest_pins(text, {"python_version": "3.7"})[-1] == "importlib-metadata==1.0"
    assert Marker("python_version < '3.8'").evaluate({"python_version": "3.7"})


@pytest.fixture(scope="module")
def lowest(venv_factory):
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as handle:
        pins = lowest_pins(handle.read())
    venv = venv_factory("lowest-deps")
    venv.pip("install", "-q", *pins)
    venv.pip("install", "-q", "--no-deps", ROOT)
    installed = {l.split("==")[0].lower(): l.split("==")[1]
                 for l in venv.freeze().splitlines() if "==" in l}
    for pin in pins:  # nothing moved them up
        name, version = pin.split("==")
        assert Version(installed.get(name.lower(), "0")) == Version(version), (pin, installed)
    return venv


def _envdoctor(venv, *args, **env):
    return run([venv.python, "-m", "envdoctor"] + list(args),
               env=dict(os.environ, **env), check=False)


def test_check_runs_on_the_oldest_dependencies(lowest, tmp_path):
    proc = _envdoctor(lowest, "check", "--json", "--recipe", "none")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["summary"]["errors"] == 0, report["findings"]
    # the text and the terminal renderer (rich, at its oldest) on the same data
    text = _envdoctor(lowest, "check", "--recipe", "none", FORCE_COLOR="1")
    assert text.returncode == 0, text.stdout + text.stderr
    assert "\x1b[" in text.stdout and "Verdict" in text.stdout


def test_requirements_files_on_the_oldest_dependencies(lowest, tmp_path):
    """pip-api and packaging at their oldest: a good file is judged, and a line that is not a
    requirement is an error naming its file and line (the old vendored packaging would take
    it as a "legacy" version range)."""
    good = tmp_path / "requirements.txt"
    good.write_text("# the lab\nrich>=99 ; python_version >= '3'\nsix\n")
    report = json.loads(_envdoctor(lowest, "check", "--json", "--recipe", "none",
                                   "-r", str(good)).stdout)
    found = sorted((f["code"], f["packages"][0]) for f in report["findings"]
                   if "requirements file" in (f["evidence"].get("source") or ""))
    assert found == [("ED301", "six"), ("ED302", "rich")], report["findings"]
    bad = tmp_path / "bad.txt"
    bad.write_text("six\nnumpy==1.0\\nfoo>=1\n")
    proc = _envdoctor(lowest, "check", "-r", str(bad))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "%s, line 2" % bad in proc.stderr and "Traceback" not in proc.stderr


def test_explain_on_the_oldest_dependencies(lowest):
    pasted = ("ImportError: cannot import name 'GPTTokenizer' from 'mindnlp.transforms'\n"
              "ERROR: pip's dependency resolver does not currently take into account all the "
              "packages that are installed.\ntransformers 4.35.0 requires "
              "tokenizers<0.15,>=0.14, but you have tokenizers 0.15.0 which is incompatible.\n")
    proc = run([lowest.python, "-m", "envdoctor", "explain", "--json", "-"],
               input=pasted, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # 0: something was recognised
    titles = " | ".join(e["title"] for e in json.loads(proc.stdout)["explanations"])
    assert "GPTTokenizer" in titles and "tokenizers 0.15.0" in titles, titles

