"""The lab check (ED8xx) on synthetic snapshots, and --deep --lab on real child processes."""

import json
import os
import sys

import pytest

from envdoctor.apiindex.model import load_api_index
from envdoctor.checks import CheckContext, run_checks
from envdoctor.checks.lab import check, lab_findings
from envdoctor.findings import CODES, Severity
from envdoctor.lab import deep_findings, read_lab, read_text
from envdoctor.lab.deep import run_lab_imports
from envdoctor.snapshot import Snapshot

LABS = os.path.join(os.path.dirname(__file__), "data", "labs")
COURSE = os.path.join(LABS, "course")


def snapshot(python="3.10.12", dists=(), machine="x86_64", devices=None, env=None):
    data = {"interpreter": {"version": python, "implementation": "CPython",
                            "executable": "/lab/bin/python"},
            "platform": {"system": "Linux", "machine": machine},
            "environment_variables": env or {},
            "distributions": [{"name": n, "version": v} for n, v in dists]}
    if devices is not None:
        data["devices"] = devices
    return Snapshot.from_dict(data)


MS27_NLP051 = [("mindspore", "2.7.0"), ("mindnlp", "0.5.1"), ("numpy", "1.26.4"),
               ("evaluate", "0.4.6"), ("tqdm", "4.67.1")]
MSDEV25_NLP040 = [("mindspore-dev", "2.5.0.dev20250202"), ("mindnlp", "0.4.0"),
                  ("numpy", "1.26.4"), ("evaluate", "0.4.6"), ("tqdm", "4.67.1")]


def by_code(findings):
    out = {}
    for f in findings:
        out.setdefault(f.code, []).append(f)
    return out


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """A small API index in the real schema: mindnlp 0.3.1 and 0.4.0 have mindnlp.engine,
    0.3.1 has GPTTokenizer, 0.4.0 has OpenAIGPTTokenizer, 0.5.1 has no mindnlp.engine."""
    engine = ["mindnlp.engine", "mindnlp.engine.trainer", "mindnlp.engine.utils",
              "mindnlp.engine.callbacks", "mindnlp.metrics"]
    data = {"schema": 1, "generated": "2026-11-30", "packages": {
        "mindnlp": {
            "versions": [{"label": v, "dist": "mindnlp", "source": "pypi", "version": v}
                         for v in ("0.3.1", "0.4.0", "0.5.1")],
            "modules": {"0-2": ["mindnlp", "mindnlp.dataset", "mindnlp.transformers"],
                        "0-1": engine},
            # mindnlp.engine.trainer / .utils: modules whose names the index cannot list
            "indexed": {"0-2": ["mindnlp", "mindnlp.dataset", "mindnlp.transformers"],
                        "0-1": ["mindnlp.engine", "mindnlp.engine.callbacks", "mindnlp.metrics"]},
            "exports": {"mindnlp": {"0-1": ["load_dataset"]},
                        "mindnlp.engine": {"0-1": ["Trainer", "TrainingArguments", "Evaluator"]},
                        "mindnlp.engine.callbacks": {"0-1": ["CheckpointCallback",
                                                             "BestModelCallback"]},
                        "mindnlp.metrics": {"0-1": ["Accuracy"]},
                        "mindnlp.dataset": {"0-2": ["load_dataset"]},
                        "mindnlp.transformers": {"0": ["GPTTokenizer"],
                                                 "1-2": ["OpenAIGPTTokenizer",
                                                         "OpenAIGPTForSequenceClassification"]}}},
        "mindspore": {
            "versions": [{"label": "2.7.0", "dist": "mindspore", "source": "pypi",
                          "version": "2.7.0"}],
            "modules": {"0": ["mindspore", "mindspore.dataset"]},
            "indexed": {"0": ["mindspore"]}, "exports": {"mindspore": {"0": ["nn"]}}}}}
    path = tmp_path_factory.mktemp("index") / "api_index.json"
    path.write_text(json.dumps(data))
    return load_api_index(str(path))


def test_no_lab_no_findings():
    assert check(CheckContext(snapshot=snapshot(dists=MS27_NLP051))) == []


def test_the_2025_notebook_on_the_mindnlp_05_env_is_not_ready():
    """The bundled index: mindnlp 0.5 has no mindnlp.engine, which the 2025 lab imports."""
    lab = read_lab(os.path.join(COURSE, "gpt_2025.ipynb"))
    found = by_code(lab_findings(lab, snapshot(dists=MS27_NLP051), "/lab/bin/python"))
    missing = found["ED801"]
    assert all(f.severity is Severity.ERROR for f in missing)
    trainer = [f for f in missing if "mindnlp.engine.trainer.Trainer" in f.title][0]
    assert "cell 4 line 7" in trainer.title and "mindnlp 0.5.1" in trainer.title
    assert "0.4.0" in trainer.evidence.needed  # the window names the 0.4 releases
    assert "0.5.1" not in trainer.evidence.needed.split("(")[0]
    assert dict(trainer.evidence.details)["statement"] == "from mindnlp.engine.trainer import Trainer"
    assert "ED803" not in found  # evaluate, numpy, tqdm are installed


def test_the_2025_notebook_install_lines_device_and_hub():
    lab = read_lab(os.path.join(COURSE, "gpt_2025.ipynb"))
    found = by_code(lab_findings(lab, snapshot(dists=MS27_NLP051)))
    (wheel,) = found["ED810"]
    assert "cp39 on linux_aarch64" in wheel.title and "Python 3.10 on linux-x86_64" in wheel.title
    assert "cell 1 line 1" in wheel.title
    (doubled,) = found["ED815"]
    assert "!pip install https://" in doubled.fix.text and "install pip install" not in doubled.fix.text
    (device,) = found["ED820"]
    assert device.severity is Severity.WARNING  # no device data: cannot confirm
    assert "device_target='CPU', device_id=0" in device.fix.text
    (hub,) = found["ED821"]
    assert "HF_ENDPOINT=https://hf-mirror.example.org" in hub.because
    assert "from_pretrained('openai-gpt')" in hub.title


def test_ascend_on_a_machine_without_npu_is_an_error():
    lab = read_lab(os.path.join(COURSE, "gpt_2025.ipynb"))
    snap = snapshot(dists=MS27_NLP051, devices={"nvidia": {}, "ascend": {}, "cpu": {}})
    (device,) = by_code(lab_findings(lab, snap))["ED820"]
    assert device.severity is Severity.ERROR and "no Ascend NPU found" in device.because
    cpu = snapshot(dists=MS27_NLP051, devices={"nvidia": {}, "ascend": {}, "cpu": {}})
    port = read_lab(os.path.join(COURSE, "gpt_port_05.ipynb"))
    assert "ED820" not in by_code(lab_findings(port, cpu))  # the port asks for CPU


def test_the_2025_notebook_on_its_own_era_env(index):
    """mindspore-dev 2.5 + mindnlp 0.4.0: the imports fit; the lab's own mindspore wheel
    would go over mindspore-dev (two distributions, one folder)."""
    lab = read_lab(os.path.join(COURSE, "gpt_2025.ipynb"))
    found = by_code(lab_findings(lab, snapshot("3.9.18", MSDEV25_NLP040), index=index))
    assert "ED801" not in found and "ED811" not in found
    (second,) = found["ED817"]
    assert "mindspore-dev 2.5.0.dev20250202" in second.title
    assert found["ED802"][0].packages == ("mindspore-dev",)  # not indexed: said, not guessed


def test_unpinned_install_resolving_to_a_release_without_the_names(index):
    lab = read_lab(os.path.join(COURSE, "gpt_2024.ipynb"))
    found = by_code(lab_findings(lab, snapshot("3.9.18", MS27_NLP051), index=index))
    (unpinned,) = found["ED811"]
    assert "resolves today to mindnlp 0.5.1" in unpinned.title
    assert "mindnlp.engine.Trainer" in unpinned.title
    assert unpinned.fix.text == "Pin the line: !pip install mindnlp==0.3.1"
    assert "0.3.1" == unpinned.evidence.needed.split(" ", 1)[1].split(" ")[0]


def test_pinned_wheel_without_the_names_and_export_lines(index):
    lab = read_lab(os.path.join(COURSE, "gpt_2024_08.ipynb"))
    found = by_code(lab_findings(lab, snapshot("3.9.18", MS27_NLP051), index=index))
    (pinned,) = found["ED811"]
    assert "installs mindnlp 0.4.0" in pinned.title and "GPTTokenizer" in pinned.title
    (lost,) = found["ED813"]
    assert "$MS_VER" in lost.title and "%env MS_VER=2.3.1" in lost.fix.text
    assert "ED814" not in found  # the export's harm is the ED813 error
    (config,) = found["ED816"]
    assert "global.index-url" in config.title
    # the wheel's URL is judged with the exported value put back: aarch64, cp39
    assert "ED810" in found


def test_forms_local_wheel_bad_lines_and_missing_modules(index):
    lab = read_lab(os.path.join(LABS, "forms"))
    found = by_code(lab_findings(lab, snapshot("3.9.18", [("mindspore", "2.7.0")]),
                                 "/lab/bin/python", index=index))
    assert any("localpkg-1.0" in f.title for f in found["ED812"])
    assert any("mindnlp >>0.4" in f.evidence.installed for f in found["ED890"])
    missing = {f.packages[0]: f for f in found["ED803"]}
    assert missing["mindnlp"].severity is Severity.ERROR
    assert missing["evaluate"].severity is Severity.WARNING
    # the fix installs into the checked interpreter, not whichever `python` is first on PATH
    assert missing["evaluate"].fix.command == "/lab/bin/python -m pip install -- evaluate"
    assert "jieba" not in missing and "wandb" not in missing  # optional imports


def test_export_not_used_is_a_warning():
    lab = read_text(json.dumps({"cells": [{"cell_type": "code", "source": "!export A=1"}]}),
                    "x.ipynb")
    (warning,) = by_code(lab_findings(lab, snapshot()))["ED814"]
    assert "%env A=1" in warning.fix.text


def test_registered_in_run_checks_and_documented():
    lab = read_lab(os.path.join(COURSE, "gpt_2025.ipynb"))
    context = CheckContext(snapshot=snapshot(dists=MS27_NLP051), lab=lab)
    findings = run_checks(context)
    codes = {f.code for f in findings}
    assert {"ED801", "ED810", "ED815"} <= codes
    assert "ED900" not in codes
    for code in codes:
        assert code in CODES


# --- --deep --lab: one real child of a real interpreter -------------------------------------

def _lab_folder(tmp_path, source, modules=None):
    for name, text in (modules or {}).items():
        (tmp_path / name).write_text(text)
    nb = {"cells": [{"cell_type": "code", "source": source}], "nbformat": 4}
    (tmp_path / "lab.ipynb").write_text(json.dumps(nb))
    return read_lab(str(tmp_path / "lab.ipynb"))


def test_deep_runs_the_statements_in_order_in_one_child(tmp_path):
    lab = _lab_folder(tmp_path, "import json\nfrom json import nope\nimport helper\n"
                      "try:\n    import not_there_at_all\nexcept ImportError:\n    pass\n"
                      "from helper import PID",
                      {"helper.py": "import os\nPID = os.getpid()\n"})
    run = run_lab_imports(sys.executable, lab, timeout=60)
    assert [r.ok for r in run.results] == [True, False, True, False, True]
    assert run.results[1].error["type"] == "ImportError"
    findings = by_code(deep_findings(sys.executable, lab, 60))
    failing = {f.evidence.needed: f for f in findings["ED830"]}
    assert failing["from json import nope"].severity is Severity.ERROR
    assert "cell 1 line 2" in failing["from json import nope"].title
    assert failing["import not_there_at_all"].severity is Severity.WARNING  # optional


def test_deep_pins_a_crash_on_its_statement(tmp_path):
    lab = _lab_folder(tmp_path, "import json\nimport crashy\nimport csv",
                      {"crashy.py": "import os\nos.abort()\n"})
    (crash,) = deep_findings(sys.executable, lab, 60)
    assert crash.code == "ED831" and "`import crashy`" in crash.title
    assert "SIGABRT" in crash.evidence.installed and "1 later statement did not run" in crash.because


def test_deep_pins_a_hang_on_its_statement(tmp_path):
    lab = _lab_folder(tmp_path, "import json\nimport sleepy",
                      {"sleepy.py": "import time\ntime.sleep(60)\n"})
    (hang,) = deep_findings(sys.executable, lab, 3)
    assert hang.code == "ED832" and "`import sleepy`" in hang.title


def test_deep_passes_the_labs_env_settings(tmp_path):
    lab = _lab_folder(tmp_path, "%env LAB_MIRROR=https://m.example\nimport envcheck",
                      {"envcheck.py": "import os\nassert os.environ['LAB_MIRROR'] == "
                                      "'https://m.example'\n"})
    assert deep_findings(sys.executable, lab, 60) == []


@pytest.mark.slow
@pytest.mark.mindspore
def test_the_2025_lab_on_the_verified_mindnlp_05_env(mindspore_python):
    """The env recipe gpt-imdb verified (mindspore 2.7.0 + mindnlp 0.5.1) is not ready for a
    notebook importing mindnlp.engine: statically, before any import, and with --deep."""
    from envdoctor.probe import probe

    lab = read_lab(os.path.join(COURSE, "gpt_2025.ipynb"))
    static = by_code(lab_findings(lab, probe(mindspore_python), mindspore_python))
    assert all(f.severity is Severity.ERROR and "mindnlp 0.5.1 lacks mindnlp.engine" in f.title
               for f in static["ED801"]) and len(static["ED801"]) == 3
    deep = by_code(deep_findings(mindspore_python, lab, 600))
    failing = {f.evidence.needed for f in deep["ED830"]}
    assert failing == {"from mindnlp.engine.trainer import Trainer",
                       "from mindnlp.engine.utils import EvalPrediction",
                       "from mindnlp.engine import TrainingArguments"}
    assert all("No module named 'mindnlp.engine'" in f.title for f in deep["ED830"])


# --- planning toward the lab (fix --lab's input) ---------------------------------------------

MATRIX = """schema: 1
rules:
  - id: verified-msdev250-nlp040-py39
    when:
      packages: {mindspore-dev: "==2.5.0.dev20250202", mindnlp: "==0.4.0"}
      python: "==3.9.*"
      platforms: [linux-x86_64]
    verdict: works
    title: works
    because: verified here
    source: {kind: verified, date: "2026-11-30", versions: {mindnlp: 0.4.0}, platform: linux-x86_64}
  - id: nlp04-ms27
    when:
      packages: {mindnlp: ">=0.4,<0.5", mindspore: ">=2.7"}
    verdict: broken
    title: mindnlp 0.4 does not import on MindSpore 2.7
    because: verified here
    fix: {text: keep mindnlp 0.4 with MindSpore 2.5}
    source: {kind: verified, date: "2026-11-30", versions: {mindnlp: 0.4.1}, platform: linux-x86_64}
"""


@pytest.fixture(scope="module")
def era_index(tmp_path_factory):
    """The index with the mindspore-dev 2.5 build next to mindspore 2.7.0."""
    path = tmp_path_factory.mktemp("era") / "api_index.json"
    data = {"schema": 1, "generated": "2026-11-30", "packages": {
        "mindnlp": {
            "versions": [{"label": v, "dist": "mindnlp", "source": "pypi", "version": v}
                         for v in ("0.4.0", "0.5.1")],
            "modules": {"0-1": ["mindnlp", "mindnlp.transformers"], "0": ["mindnlp.engine"]},
            "indexed": {"0-1": ["mindnlp.transformers"], "0": ["mindnlp.engine"]},
            "exports": {"mindnlp.engine": {"0": ["Trainer"]},
                        "mindnlp.transformers": {"0-1": ["OpenAIGPTTokenizer"]}}},
        "mindspore": {
            "versions": [{"label": "2.5.0.dev20250202 (mindspore-dev)", "dist": "mindspore-dev",
                          "source": "pypi", "version": "2.5.0.dev20250202"},
                         {"label": "2.7.0", "dist": "mindspore", "source": "pypi",
                          "version": "2.7.0"}],
            "modules": {"0-1": ["mindspore", "mindspore.nn"]}}}}
    path.write_text(json.dumps(data))
    return load_api_index(str(path))


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    from envdoctor.matrix import load_matrix

    path = tmp_path_factory.mktemp("matrix") / "matrix.yaml"
    path.write_text(MATRIX)
    return load_matrix(str(path))


def _engine_lab():
    return read_text(json.dumps({"cells": [{"cell_type": "code", "source":
                                            "import mindspore\nfrom mindspore import nn\n"
                                            "from mindnlp.engine import Trainer\n"
                                            "from mindnlp.transformers import OpenAIGPTTokenizer"}]}),
                     "lab.ipynb")


def test_plan_keeps_a_working_env_unchanged(era_index, matrix):
    from envdoctor.lab.plan import lab_requirements

    snap = snapshot("3.9.18", [("mindspore-dev", "2.5.0.dev20250202"), ("mindnlp", "0.4.0")])
    target = lab_requirements(_engine_lab(), snap, era_index, matrix)
    assert target.ok and not target.changes
    assert [c.requirement for c in target.choices] == ["mindspore-dev==2.5.0.dev20250202",
                                                       "mindnlp==0.4.0"]


def test_plan_on_a_bare_venv_takes_the_verified_pair_without_a_second_framework(era_index, matrix):
    from envdoctor.lab.plan import lab_requirements

    target = lab_requirements(_engine_lab(), snapshot("3.9.18", []), era_index, matrix)
    assert target.ok, target.refusal
    framework, nlp = target.choices
    assert framework.requirement == "mindspore-dev==2.5.0.dev20250202"
    assert nlp.requirement == "mindnlp==0.4.0" and nlp.verified_by == (
        "verified-msdev250-nlp040-py39",)
    assert nlp.no_deps  # pip would add `mindspore` over mindspore-dev otherwise
    assert target.no_deps() == ("mindnlp==0.4.0",)
    assert "mindnlp==0.5.1" not in target.requirements()  # 0.5.1 lacks mindnlp.engine


def test_plan_honours_the_labs_own_pin_among_verified_releases(tmp_path_factory, matrix):
    """0.4.0 and 0.4.1 both have the names and both are verified: the newest would win, unless
    the lab's own install line pins one."""
    from envdoctor.lab.plan import lab_pins, lab_requirements
    from envdoctor.matrix import load_matrix

    path = tmp_path_factory.mktemp("era2") / "api_index.json"
    versions = [{"label": v, "dist": "mindnlp", "source": "pypi", "version": v}
                for v in ("0.4.0", "0.4.1")]
    data = {"schema": 1, "generated": "2026-11-30", "packages": {
        "mindnlp": {"versions": versions,
                    "modules": {"0-1": ["mindnlp", "mindnlp.engine", "mindnlp.transformers"]},
                    "indexed": {"0-1": ["mindnlp.transformers", "mindnlp.engine"]},
                    "exports": {"mindnlp.engine": {"0-1": ["Trainer"]},
                                "mindnlp.transformers": {"0-1": ["OpenAIGPTTokenizer"]}}},
        "mindspore": {"versions": [{"label": "2.5.0.dev20250202 (mindspore-dev)",
                                    "dist": "mindspore-dev", "source": "pypi",
                                    "version": "2.5.0.dev20250202"}],
                      "modules": {"0": ["mindspore", "mindspore.nn"]}}}}
    path.write_text(json.dumps(data))
    index = load_api_index(str(path))
    both = tmp_path_factory.mktemp("m2") / "matrix.yaml"
    both.write_text(MATRIX.replace("  - id: nlp04-ms27", """  - id: verified-msdev250-nlp041-py39
    when:
      packages: {mindspore-dev: "==2.5.0.dev20250202", mindnlp: "==0.4.1"}
      python: "==3.9.*"
      platforms: [linux-x86_64]
    verdict: works
    title: works
    because: verified here
    source: {kind: verified, date: "2026-11-30", versions: {mindnlp: 0.4.1}, platform: linux-x86_64}
  - id: nlp04-ms27"""))
    rules = load_matrix(str(both))
    bare = snapshot("3.9.18", [])
    unpinned = lab_requirements(_engine_lab(), bare, index, rules)
    assert unpinned.choices[1].requirement == "mindnlp==0.4.1"  # the newest verified
    cells = [{"cell_type": "code", "source": "!pip install mindnlp==0.4.0 jieba"},
             {"cell_type": "code", "source": "import mindspore\nfrom mindspore import nn\n"
                                             "from mindnlp.engine import Trainer\n"
                                             "from mindnlp.transformers import OpenAIGPTTokenizer"}]
    lab = read_text(json.dumps({"cells": cells}), "lab.ipynb")
    assert lab_pins(lab, "mindnlp") == {"0.4.0"}
    assert lab_requirements(lab, bare, index, rules).choices[1].requirement == "mindnlp==0.4.0"


def test_plan_refuses_and_says_what_would_work(era_index, matrix):
    from envdoctor.lab.plan import lab_requirements

    snap = snapshot("3.10.12", [("mindspore", "2.7.0"), ("mindnlp", "0.5.1")])
    target = lab_requirements(_engine_lab(), snap, era_index, matrix)
    assert not target.ok and not target.choices
    assert "mindspore 2.7.0" in target.refusal
    assert any("fresh venv" in w for w in target.would_work)
    assert any("nlp04-ms27" in e for e in target.evidence)


def test_plan_a_cpu_torch_where_the_release_needs_torch(era_index, matrix):
    from envdoctor.lab.plan import lab_requirements

    port = read_lab(os.path.join(COURSE, "gpt_port_05.ipynb"))
    from envdoctor.resources import api_index_path

    target = lab_requirements(port, snapshot("3.11.7", []), load_api_index(api_index_path()),
                              None)
    assert target.ok, target.refusal
    assert [c.requirement for c in target.choices] == ["mindspore==2.7.0", "mindnlp==0.5.1"]
    assert target.torch and target.torch.startswith("torch==")
    assert target.requirements()[0] == target.torch  # first, before mindnlp pulls a CUDA one


def test_violations_of_a_plan_made_without_the_lab(era_index):
    from envdoctor.lab.plan import lab_violations

    said = lab_violations(_engine_lab(), ["mindnlp==0.5.1", "mindspore==2.7.0", "numpy<2"],
                          era_index)
    assert said == ["mindnlp==0.5.1 lacks mindnlp.engine.Trainer, which the lab imports "
                    "(first at lab.ipynb cell 1 line 3)"]


def test_plan_does_not_keep_a_pair_the_matrix_says_is_broken(era_index, matrix):
    from envdoctor.lab.plan import lab_requirements

    snap = snapshot("3.9.18", [("mindspore", "2.7.0"), ("mindnlp", "0.4.0")])
    target = lab_requirements(_engine_lab(), snap, era_index, matrix)
    assert not target.ok  # 0.4.0 has the names, but the matrix says it breaks on 2.7
    assert any("the installed mindnlp 0.4.0 does not work with mindspore 2.7.0" in e
               for e in target.evidence)


def test_card_with_a_plan_for_a_saved_snapshot(tmp_path):
    from conftest import envdoctor

    snap = {"interpreter": {"version": "3.9.18", "executable": "/lab/bin/python"},
            "platform": {"system": "Linux", "machine": "x86_64"},
            "distributions": [{"name": "mindspore-dev", "version": "2.5.0.dev20250202"},
                              {"name": "mindnlp", "version": "0.4.0"}]}
    (tmp_path / "env.json").write_text(json.dumps(snap))
    proc = envdoctor("lab", "card", os.path.join(COURSE, "gpt_2025.ipynb"), "--from",
                     str(tmp_path / "env.json"), "--json")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)["plan"]
    assert plan["ok"] and [c["keep"] for c in plan["choices"]] == [True, True]


def test_a_missing_name_is_fixed_toward_the_whole_lab_with_the_bundled_knowledge():
    """With the matrix, ED801's fix is the plan toward the lab: on MindSpore 2.7 no mindnlp
    with mindnlp.engine works (the matrix says 0.4 breaks there), so there is no command to
    paste, only why and what would work; with mindspore-dev 2.5 installed, the fix installs
    mindnlp 0.4 without letting pip lay `mindspore` over the framework."""
    from envdoctor.matrix import load_matrix
    from envdoctor.resources import matrix_path

    lab = read_lab(os.path.join(COURSE, "gpt_2025.ipynb"))
    matrix = load_matrix(matrix_path())
    on_27 = by_code(check(CheckContext(snapshot("3.11.7", MS27_NLP051), matrix, lab=lab)))
    fixes = {f.fix for f in on_27["ED801"]}
    assert len(fixes) == 1
    (fix,) = fixes
    assert fix.command is None and fix.requirements == ()
    assert "What would work" in fix.text and "mindspore <2.6" in fix.text

    dev = snapshot("3.9.18", [("mindspore-dev", "2.5.0.dev20250202"), ("mindnlp", "0.5.1"),
                              ("numpy", "1.26.4")])
    on_dev = by_code(check(CheckContext(dev, matrix, lab=lab)))
    (fix,) = {f.fix for f in on_dev["ED801"]}
    assert "--no-deps" in fix.command and "mindnlp==0.4" in fix.command
    assert "mindspore==" not in fix.command and fix.requirements == ()
    assert "leaves out mindnlp's other requirements" in fix.text


def test_a_refusal_names_the_verified_set_on_another_python():
    """The 2024-08 lab needs mindnlp 0.3.1, verified on Python 3.9 and 3.11: on MindSpore 2.7
    the refusal says which set to rebuild in a fresh venv, with the rule that verified it (this
    Python's first); a bare Python 3.11 venv gets that set as its plan."""
    from envdoctor.lab.plan import lab_requirements
    from envdoctor.matrix import load_matrix
    from envdoctor.resources import api_index_path, matrix_path

    lab = read_lab(os.path.join(COURSE, "gpt_2024_08.ipynb"))
    matrix = load_matrix(matrix_path())
    found = by_code(check(CheckContext(snapshot("3.11.7", MS27_NLP051), matrix, lab=lab)))
    (fix,) = {f.fix for f in found["ED801"]}
    assert fix.command is None
    would = fix.text.split("What would work: ", 1)[1]
    assert would.startswith("mindnlp 0.3.1 with mindspore-dev 2.5.0.dev20250202, on this Python "
                            "(verified: matrix rule verified-msdev250-0202-mindnlp031-pyarrow25-"
                            "py311), in a fresh venv; ")
    found = by_code(check(CheckContext(snapshot("3.10.12", MS27_NLP051), matrix, lab=lab)))
    (fix,) = {f.fix for f in found["ED801"]}
    assert ("mindnlp 0.3.1 with mindspore-dev 2.5.0.dev20250202, on Python 3.9 on linux-x86_64 "
            "(verified: matrix rule verified-msdev250-0202-mindnlp031-py39)") in fix.text
    assert "on this Python" not in fix.text

    plan = lab_requirements(lab, snapshot("3.11.7", []), load_api_index(api_index_path()), matrix)
    assert plan.ok and [c.requirement for c in plan.choices] == [
        "mindspore-dev==2.5.0.dev20250202", "mindnlp==0.3.1"]
    assert plan.choices[1].verified_by == ("verified-msdev250-0202-mindnlp031-pyarrow25-py311",)

    # the 2025 lab: the set verified on this very Python comes first, and the list stays short
    lab = read_lab(os.path.join(COURSE, "gpt_2025.ipynb"))
    found = by_code(check(CheckContext(snapshot("3.11.7", MS27_NLP051), matrix, lab=lab)))
    (fix,) = {f.fix for f in found["ED801"]}
    would = fix.text.split("What would work: ", 1)[1]
    assert would.startswith("mindnlp 0.4.0 with mindspore-dev 2.5.0.dev20250202, on this Python "
                            "(verified: matrix rule verified-msdev250-0202-mindnlp040-pyarrow25-"
                            "py311), in a fresh venv; ")
    assert would.count("(verified: matrix rule") == 3


def test_a_framework_the_lab_imports_but_nothing_installs_is_fixed_toward_the_lab():
    """A bare venv: ED803 for mindspore and mindnlp has the lab's plan (the verified 2.5
    build, mindnlp without pulling `mindspore`), not no fix at all; other modules keep their
    own one-package fix."""
    from envdoctor.matrix import load_matrix
    from envdoctor.resources import matrix_path

    lab = read_lab(os.path.join(COURSE, "gpt_2025.ipynb"))
    bare = by_code(check(CheckContext(snapshot("3.9.18", []), load_matrix(matrix_path()),
                                      lab=lab)))
    framework = [f for f in bare["ED803"] if f.packages[0] in ("mindspore", "mindnlp")]
    assert sorted(f.packages[0] for f in framework) == ["mindnlp", "mindspore"]
    for finding in framework:
        assert "mindspore-dev==2.5.0.dev" in finding.fix.command
        assert "--no-deps -- mindnlp==0.4.0" in finding.fix.command
        assert "fix --lab" in finding.fix.text
    others = [f for f in bare["ED803"] if f not in framework]
    assert others and all(f.fix.command.endswith(f.packages[0]) for f in others)
