"""End to end on the real 2024-2025 stack (issues 11 and 12): MindNLP 0.4.0 on the only
MindSpore 2.5 builds the index serves (``mindspore-dev``), judged against a notebook in the
course's 2025 form, fixed toward it from a bare venv, and trained by the smoke run at the
MindNLP level. The big wheels come from a folder fetched once per machine (conftest.WHEELS)."""

import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, envdoctor, fetch_wheel, pyenv_python, run, stack_venv

pytestmark = [pytest.mark.mindspore, pytest.mark.slow]

DEV25 = "mindspore-dev==2.5.0.dev20250202"
LOCK25 = ROOT / "recipes" / "locks" / "gpt-imdb-2025-py3.9-linux-x86_64.txt"
COURSE_2025 = ROOT / "tests" / "data" / "labs" / "course" / "gpt_2025.ipynb"
# mindnlp 0.4.0's other requirements, as the verified combination installs them
NLP040_DEPS = ["tqdm", "requests", "datasets", "evaluate", "tokenizers==0.19.1", "safetensors",
               "sentencepiece", "regex", "addict", "ml-dtypes", "pyctcdecode", "jieba",
               "pytest==7.2.0", "pillow>=10.0.0"]


def _cell(source):
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
            "source": source}


def cpu_lab(folder: Path) -> Path:
    """The 2025 notebook's import cells, as a student with the environment ready runs them on
    a CPU machine (no install cells; device_target='CPU')."""
    notebook = folder / "gpt_2025_cpu.ipynb"
    cells = [
        "import os\nimport mindspore\nfrom mindspore.dataset import text, GeneratorDataset, "
        "transforms\nfrom mindspore import nn\nmindspore.set_context(device_target='CPU')\n"
        "from mindnlp.dataset import load_dataset\nfrom mindnlp.engine.trainer import Trainer",
        "from mindnlp.transformers import OpenAIGPTTokenizer",
        "import evaluate\nimport numpy as np\nfrom mindnlp.engine.utils import EvalPrediction",
        "from mindnlp.transformers import OpenAIGPTForSequenceClassification\n"
        "from mindnlp.engine import TrainingArguments",
        "from tqdm import tqdm",
    ]
    notebook.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                    "cells": [_cell(c) for c in cells]}))
    return notebook


def codes(report):
    return sorted({f["code"] for f in report["findings"]})


def check(*args):
    proc = envdoctor("check", "--json", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def msdev25_python():
    """mindspore-dev 2.5.0.dev20250202 + mindnlp 0.4.0 on Python 3.9, installed as the verified
    combination does: the framework first, mindnlp without letting pip add `mindspore`."""
    if pyenv_python("3.9") is None:
        pytest.skip("no Python 3.9 here")
    wheels = str(fetch_wheel(DEV25, "3.9"))
    return stack_venv("msdev25-nlp040-py39", [
        ["install", "-q", "--find-links", wheels, DEV25],
        ["install", "-q", "--no-deps", "mindnlp==0.4.0"],
        ["install", "-q", "--find-links", wheels, "-c", str(LOCK25), DEV25] + NLP040_DEPS,
    ], python_version="3.9")


def test_the_2025_lab_is_ready_on_mindnlp_040_with_a_25_build(msdev25_python, tmp_path):
    lab = cpu_lab(tmp_path)
    static = check("--python", msdev25_python, "--lab", str(lab))
    assert static["summary"]["exit_code"] == 0, codes(static)
    assert "ED110" not in codes(static) and "ED102" not in codes(static)
    deep = check("--python", msdev25_python, "--lab", str(lab), "--deep")
    assert deep["summary"]["exit_code"] == 0, [f["title"] for f in deep["findings"]]


def test_the_course_notebook_itself_is_judged_by_its_own_lines(msdev25_python):
    """The course's form: its imports fit this env, but its own cells would not run here (an
    aarch64 wheel, `pip install pip install`, Ascend on a CPU machine)."""
    found = codes(check("--python", msdev25_python, "--lab", str(COURSE_2025)))
    assert "ED801" not in found and "ED803" not in found, found
    assert {"ED810", "ED815", "ED820"} <= set(found), found


def test_fix_toward_the_lab_changes_nothing_where_it_runs(msdev25_python, tmp_path):
    before = run([msdev25_python, "-m", "pip", "freeze", "--all"]).stdout
    proc = envdoctor("fix", "--python", msdev25_python, "--lab", str(cpu_lab(tmp_path)))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Nothing to fix" in proc.stdout
    assert run([msdev25_python, "-m", "pip", "freeze", "--all"]).stdout == before


def test_smoke_trains_through_the_labs_trainer(msdev25_python):
    proc = envdoctor("smoke", "--python", msdev25_python, "--level", "mindnlp", "--json")
    result = json.loads(proc.stdout)
    assert proc.returncode == 0, [(s["name"], s["status"], s.get("detail")) for s in
                                  result["stages"]]
    assert "mindnlp.engine" in json.dumps(result)


def test_fix_toward_the_lab_from_a_bare_venv(tmp_path):
    """A bare Python 3.9 venv: `fix --lab --apply` installs the releases that run the lab
    (mindspore-dev 2.5 and a mindnlp 0.4 without pip laying `mindspore` over it); then the
    lab's own import statements pass."""
    base = pyenv_python("3.9")
    if base is None:
        pytest.skip("no Python 3.9 here")
    wheels = str(fetch_wheel(DEV25, "3.9"))
    venv = tmp_path / "bare"
    run([base, "-m", "venv", str(venv)])
    python = str(venv / "bin" / "python")
    lab = cpu_lab(tmp_path)
    proc = envdoctor("fix", "--python", python, "--lab", str(lab), "--find-links", wheels,
                     "--apply", "--yes")
    try:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        freeze = run([python, "-m", "pip", "freeze"]).stdout.lower()
        assert "mindspore-dev==2.5.0.dev20250202" in freeze
        assert "\nmindspore==" not in "\n" + freeze  # one framework distribution
        deep = check("--python", python, "--lab", str(lab), "--deep")
        assert deep["summary"]["exit_code"] == 0, [f["title"] for f in deep["findings"]]
    finally:
        shutil.rmtree(str(venv), ignore_errors=True)  # 3.5 GB


DEV26 = "mindspore-dev==2.6.0.dev20250323"
PLAIN_PIP_FREEZE = ROOT / "verification" / "msdev260-0323-mindnlp040-plainpip-py39" / "freeze.txt"


def test_plain_pip_over_a_26_build_is_fixed_to_one_framework(tmp_path):
    """Issue 12's proof: mindspore-dev 2.6, then a plain `pip install mindnlp==0.4.0` (which
    lays `mindspore` 2.9.0 into the same folder; pinned to the verified set so the test stays
    as PyPI moves on). check names both; `fix --apply` refuses and changes nothing, since only
    another build runs mindnlp 0.4.0; `fix --apply --move-framework` leaves exactly one
    framework distribution, the verified 2.5 build, and the 2025 lab's imports pass."""
    base = pyenv_python("3.9")
    if base is None:
        pytest.skip("no Python 3.9 here")
    wheels = str(fetch_wheel(DEV26, "3.9"))
    fetch_wheel(DEV25, "3.9")
    fetch_wheel("mindspore==2.9.0", "3.9")
    venv = tmp_path / "plainpip"
    state = {"ENVDOCTOR_STATE_DIR": str(tmp_path / "state")}  # the backups: 3.5 GB, not in ~
    run([base, "-m", "venv", str(venv)])
    python = str(venv / "bin" / "python")
    try:
        run([python, "-m", "pip", "install", "-q", "--find-links", wheels, DEV26])
        run([python, "-m", "pip", "install", "-q", "--find-links", wheels,
             "-c", str(PLAIN_PIP_FREEZE), "mindnlp==0.4.0"])
        before = run([python, "-m", "pip", "freeze", "--all"]).stdout
        assert "mindspore==2.9.0" in before and "mindspore-dev==" in before  # the trap
        report = check("--python", python)
        mix = [f for f in report["findings"] if f["code"] == "ED110"]
        assert mix and sorted(mix[0]["packages"]) == ["mindspore", "mindspore-dev"], codes(report)

        refused = envdoctor("fix", "--apply", "--yes", "--python", python,
                            "--find-links", wheels, env=state)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "--move-framework" in refused.stdout
        assert run([python, "-m", "pip", "freeze", "--all"]).stdout == before

        moved = envdoctor("fix", "--apply", "--yes", "--move-framework", "--python", python,
                          "--find-links", wheels, env=state)
        assert moved.returncode == 0, moved.stdout + moved.stderr
        freeze = run([python, "-m", "pip", "freeze"]).stdout.lower().splitlines()
        frameworks = [l for l in freeze if l.split("==")[0].startswith("mindspore")]
        assert frameworks == ["mindspore-dev==2.5.0.dev20250202"], frameworks
        deep = check("--python", python, "--lab", str(cpu_lab(tmp_path)), "--deep")
        assert deep["summary"]["exit_code"] == 0, [f["title"] for f in deep["findings"]]
    finally:
        shutil.rmtree(str(venv), ignore_errors=True)  # 4 GB
        shutil.rmtree(str(tmp_path / "state"), ignore_errors=True)
