"""End to end: `smoke --level mindnlp` trains through the lab's own mindnlp.engine.Trainer on
the real 2024 stacks, mindnlp 0.2.4 (the 2024-06 notebook's Trainer(network=..., jit=False))
and 0.3.1 (the 2024-08 notebook's Trainer + TrainingArguments), each on mindspore-dev 2.5
(Python 3.9) as the verified combinations install them: the framework first, mindnlp without
its dependencies, then the rest. The big wheels come from a folder fetched once per machine
(conftest.WHEELS)."""

import json

import pytest

from conftest import ROOT, envdoctor, fetch_wheel, pyenv_python, stack_venv

pytestmark = [pytest.mark.mindspore, pytest.mark.slow]

DEV25 = "mindspore-dev==2.5.0.dev20250202"
LOCK24 = ROOT / "recipes" / "locks" / "gpt-imdb-2024-py3.9-linux-x86_64.txt"
# mindnlp 0.2.4's and 0.3.1's other requirements, as combos msdev250-0202-mindnlp024-py39 and
# msdev250-0202-mindnlp031-py39 install them
NLP024_DEPS = ["tqdm", "requests", "datasets", "tokenizers", "sentencepiece", "regex", "addict",
               "safetensors", "ml-dtypes", "pyctcdecode", "jieba"]
NLP031_DEPS = NLP024_DEPS + ["evaluate", "pytest==7.2.0"]


def _stack(name, mindnlp, rest):
    if pyenv_python("3.9") is None:
        pytest.skip("no Python 3.9 here")
    wheels = str(fetch_wheel(DEV25, "3.9"))
    return stack_venv(name, [
        ["install", "-q", "--find-links", wheels, DEV25],
        ["install", "-q", "--no-deps", mindnlp],
        ["install", "-q", "--find-links", wheels] + rest + [DEV25],
    ], python_version="3.9")


@pytest.fixture(scope="module")
def nlp024_python():
    """mindnlp 0.2.4 on mindspore-dev 2.5, its other requirements held to the 2024 lock."""
    return _stack("msdev25-nlp024-py39", "mindnlp==0.2.4", ["-c", str(LOCK24)] + NLP024_DEPS)


@pytest.fixture(scope="module")
def nlp031_python():
    """mindnlp 0.3.1 on mindspore-dev 2.5 (no lock of its own: the combination's set)."""
    return _stack("msdev25-nlp031-py39", "mindnlp==0.3.1", NLP031_DEPS)


def smoke(python):
    proc = envdoctor("smoke", "--python", python, "--level", "mindnlp", "--json")
    result = json.loads(proc.stdout)
    stages = dict((s["name"], s) for s in result["stages"])
    assert proc.returncode == 0, [(s["name"], s["status"], s.get("detail"))
                                  for s in result["stages"]]
    for name in ("forward", "backward", "optimizer", "loss", "accuracy", "checkpoint"):
        assert stages[name]["status"] == "pass", (name, stages[name].get("detail"))
    assert stages["compiled"]["status"] == "skip"  # the 2024 labs never jit their step
    return stages


def test_smoke_on_mindnlp_024_trains_through_its_network_trainer(nlp024_python):
    stages = smoke(nlp024_python)
    detail = stages["mindnlp"]["detail"]
    assert "mindnlp 0.2.4" in detail
    assert "mindnlp.engine.Trainer(network=..., optimizer=nn.Adam, jit=False)" in detail
    assert "GPTForSequenceClassification" in detail
    assert stages["checkpoint"]["detail"].startswith("smoke-network.ckpt saved")


def test_smoke_on_mindnlp_031_trains_through_its_hf_style_trainer(nlp031_python):
    stages = smoke(nlp031_python)
    detail = stages["mindnlp"]["detail"]
    assert "mindnlp 0.3.1" in detail
    assert "mindnlp.engine.Trainer + TrainingArguments" in detail
    assert "Trainer.training_step" in detail
    assert stages["checkpoint"]["detail"].startswith("smoke-trainer-model saved")
