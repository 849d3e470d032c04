"""check --deep: imports in child processes; failures, crashes and hangs become findings."""

import json

import pytest

from conftest import build_wheel, check_json, envdoctor

RECIPE = """\
name: fake-lab
generation: 99
title: A lab made of test wheels
python: ">=3.7"
packages:
  goodmod: "*"
  badmod: "*"
symbols:
  - goodmod.present
  - goodmod.absent_name
  - goodmod.sub.Thing
"""


@pytest.fixture(scope="module")
def lab(venv_factory, tmp_path_factory):
    wheels = tmp_path_factory.mktemp("deep-wheels")
    venv = venv_factory("deep")
    venv.install_wheels(
        build_wheel(wheels, "goodmod", "1.0", files={
            "goodmod/__init__.py": "import os\nos.environ['HF_ENDPOINT'] = 'https://mirror'\n"
                                   "present = 1\n",
            "goodmod/sub.py": "class Thing: pass\n"}),
        build_wheel(wheels, "badmod", "1.0", files={
            "badmod/__init__.py": "raise ImportError(\"cannot import name 'Truncate' from "
                                  "'mindspore.dataset.text'\")\n"}),
        build_wheel(wheels, "crashmod", "1.0", files={
            "crashmod/__init__.py": "import ctypes\nctypes.string_at(0)\n"}),
        build_wheel(wheels, "hangmod", "1.0", files={
            "hangmod/__init__.py": "import time\ntime.sleep(600)\n"}),
    )
    recipe = tmp_path_factory.mktemp("recipes") / "fake-lab.yaml"
    recipe.write_text(RECIPE)
    return venv, str(recipe)


def findings(report, code):
    return [f for f in report["findings"] if f["code"] == code]


def test_deep_import_failures_and_missing_names(lab):
    venv, recipe = lab
    shallow = check_json("--python", venv.python, "--recipe", recipe)
    assert not findings(shallow, "ED601")  # nothing is imported without --deep

    report = check_json("--python", venv.python, "--recipe", recipe, "--deep")
    bad = findings(report, "ED601")
    assert [f["packages"] for f in bad] == [["badmod"]]
    assert "cannot import name 'Truncate'" in bad[0]["title"]
    assert "__init__.py" in bad[0]["evidence"]["traceback"]
    missing = findings(report, "ED602")
    assert [f["evidence"]["needed"] for f in missing] == ["goodmod.absent_name"]
    assert "cannot import name 'absent_name' from 'goodmod'" in missing[0]["title"]
    side = findings(report, "ED605")
    assert side and "HF_ENDPOINT" in side[0]["title"]
    assert report["summary"]["exit_code"] == 1


def test_crash_and_hang_become_findings(lab, tmp_path):
    venv, _ = lab
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE.replace("  - goodmod.present", "  - crashmod.x\n  - hangmod.y"))
    proc = envdoctor("check", "--json", "--deep", "--deep-timeout", "5", "--python",
                     venv.python, "--recipe", str(recipe))
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    crash = findings(report, "ED603")
    assert [f["packages"] for f in crash] == [["crashmod"]]
    assert "SIGSEGV" in crash[0]["evidence"]["installed"]
    assert "Fatal Python error" in crash[0]["evidence"].get("stderr", "")
    hang = findings(report, "ED604")
    assert [f["packages"] for f in hang] == [["hangmod"]]


def test_side_effects_never_reach_envdoctor(lab):
    """The child's HF_ENDPOINT change stays in the child."""
    import os
    venv, recipe = lab
    assert "HF_ENDPOINT" not in os.environ or os.environ["HF_ENDPOINT"] != "https://mirror"
    from envdoctor.deep import plan_imports, run_deep
    from envdoctor.probe import probe

    snap = probe(venv.python)
    results = run_deep(venv.python, plan_imports(snap, ["goodmod.present"]))
    assert results[0].environment_changes["HF_ENDPOINT"]["after"] == "https://mirror"
    assert os.environ.get("HF_ENDPOINT") != "https://mirror"


def test_deep_refuses_a_saved_snapshot(tmp_path):
    path = tmp_path / "s.json"
    assert envdoctor("snapshot", "-o", str(path)).returncode == 0
    proc = envdoctor("check", "--deep", "--from", str(path))
    assert proc.returncode == 2 and "--from" in proc.stderr
