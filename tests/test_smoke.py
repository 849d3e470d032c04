"""envdoctor smoke: the corpus, the protocol, failures in broken targets, and (marked
``mindspore``) the real MindSpore 2.7 stack training the toy GPT end to end on CPU."""

import json
import os
import stat
import time

import pytest

from conftest import build_wheel, envdoctor, pyenv_python

from envdoctor.smoke.corpus import DEFAULT_SEED, NEGATIVE, POSITIVE, make_corpus
from envdoctor.smoke.hints import explain, relevant_lines
from envdoctor.smoke.render import render_json, render_text
from envdoctor.smoke.result import Hint, SmokeResult, Stage
from envdoctor.smoke.runner import parse_event

STAGES = ["import", "device", "tokenizer", "data", "forward", "backward", "optimizer", "loss",
          "accuracy", "compiled", "checkpoint"]


def _lab_smoke():
    """The smoke script's tokenizer module (a sibling of lab_smoke.py, stdlib only)."""
    from envdoctor.probes import smoke_bpe

    return smoke_bpe


def smoke_json(*args, **kwargs):
    proc = envdoctor("smoke", "--json", *args, **kwargs)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return proc, json.loads(proc.stdout)


# ------------------------------------------------------------------------ pure parts


def test_corpus_is_deterministic_balanced_and_split():
    a, b = make_corpus(), make_corpus()
    assert a == b and a.seed == DEFAULT_SEED
    assert make_corpus(7) != a
    assert len(a.train) == 512 and len(a.test) == 128
    train_texts = {t for t, _ in a.train}
    assert len(train_texts) == len(a.train)  # no duplicates
    assert not train_texts & {t for t, _ in a.test}  # held-out really is held out
    for split in (a.train, a.test):
        assert sum(label for _, label in split) * 2 == len(split)  # balanced
    for text, label in a.train + a.test:
        words = set(text.split())
        assert words & set(POSITIVE if label else NEGATIVE)
        assert not words & set(NEGATIVE if label else POSITIVE)
    assert json.loads(json.dumps(a.to_dict()))["train"][0] == list(a.train[0])


def test_fallback_bpe_round_trips_anything_and_compresses():
    lab = _lab_smoke()
    texts = [t for t, _ in make_corpus().train]
    encode, size, note = lab.train_fallback_bpe(texts, 600)
    assert 300 < size <= 600 and "merges" in note
    for text in texts[:50] + ["unseen wörds, émojis 🎬 and\ttabs"]:
        ids, back = encode(text)
        assert back.strip() == text.strip() or back.strip() == " ".join(text.split())
        assert all(len(lab.SPECIALS) <= i < size for i in ids)
    mean = sum(len(encode(t)[0]) for t in texts) / float(len(texts))
    assert mean < 16  # whole words, not bytes (reviews are ~60 bytes long)


def test_event_lines_are_parsed_and_noise_ignored():
    assert parse_event('@envdoctor-smoke {"event": "start", "stage": "data"}') == {
        "event": "start", "stage": "data"}
    assert parse_event("[WARNING] ME(1:2) something") is None
    assert parse_event("@envdoctor-smoke {not json") is None
    assert parse_event('@envdoctor-smoke ["no", "event"]') is None


@pytest.mark.parametrize("text,fix", [
    ("ValueError: Unable to avoid copy while creating an array as requested.", "numpy<2"),
    ("A module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.2.6 as it may crash",
     "numpy<2"),
    ("ModuleNotFoundError: No module named 'mindspore'", "pip install -- mindspore"),
    ("AttributeError: module 'PIL.Image' has no attribute 'ANTIALIAS'", "pillow<10"),
    ("RuntimeError: No implementation for function: addcdiv on cpu.", "Ascend"),
    ("RuntimeError: Unsupported device target GPU. This process only supports one of the "
     "['CPU'].", "CUDA 11.6"),
])
def test_known_errors_are_explained(text, fix):
    hint = explain("data", text, None)
    assert fix in (hint.fix or "")
    assert hint.because


def test_unknown_errors_get_a_stage_hint_and_crashes_their_own():
    assert "did not learn" in explain("accuracy", "58% on 128", None).because
    assert "crashed" in explain("forward", "died", None, crashed=True).because
    assert "stopped making progress" in explain("data", "x", None, timed_out=True).because
    # a missing submodule is not "mindspore is not installed"
    hint = explain("import", "No module named 'mindspore.dataset'", None)
    assert "not installed in this interpreter" not in hint.because


def test_relevant_lines_drop_warning_chatter():
    lines = ["[WARNING] ME(1) [a.py:1] Can not find ccec_compiler", "",
             "[ERROR] ME(1) [b.py:2] libcuda.so (need by mindspore-gpu) is not found.",
             "plain progress", "Fatal Python error: Segmentation fault"]
    assert relevant_lines(lines) == [lines[2], lines[4]]
    assert relevant_lines(lines, crash=True)[-1] == lines[4]


def _result(failed_at=None):
    stages = []
    broken = False
    for name in STAGES:
        if broken:
            stages.append(Stage(name, name.title(), "skip", None, "not run"))
        elif name == failed_at:
            stages.append(Stage(name, name.title(), "fail", 0.5, "RuntimeError: boom",
                                error={"type": "RuntimeError", "message": "boom",
                                       "traceback": "Traceback ...\nRuntimeError: boom"},
                                hint=Hint("it broke", "pip install \"numpy<2\""),
                                log=("[ERROR] ME something",)))
            broken = True
        else:
            stages.append(Stage(name, name.title(), "pass", 0.25, "fine", {"n": 1}))
    facts = {"device": "CPU", "loss_first": 3.9, "loss_last": 2.0, "accuracy": 0.98,
             "tokens_per_second": 1500.0}
    return SmokeResult("/x/python", "mindspore", tuple(stages), facts, 12.5, None, "3.11.7")


def test_text_and_json_render_a_pass_and_a_failure():
    ok = _result()
    assert ok.exit_code == 0 and ok.verdict() == "passed"
    text = render_text(ok)
    assert "\x1b[" not in text
    assert text.strip().splitlines()[-1].startswith("Verdict: trains end to end on CPU")
    assert "loss 3.900 -> 2.000, held-out accuracy 98.0%, 1,500 tokens/s" in text

    bad = _result("data")
    assert bad.exit_code == 1 and bad.failed_stage.name == "data"
    text = render_text(bad)
    assert "FAIL Data" in text and "why: it broke" in text and 'fix: pip install "numpy<2"' in text
    assert "Verdict: broken at Data (stage 4 of 11)" in text
    assert "Traceback" not in text and "Traceback" in render_text(bad, verbose=True)

    data = json.loads(render_json(bad))
    assert [s["name"] for s in data["stages"]] == STAGES
    assert {"name", "status", "seconds", "detail"} <= set(data["stages"][0])
    assert data["failed_stage"] == "data" and data["exit_code"] == 1
    assert data["stages"][3]["hint"]["fix"] == 'pip install "numpy<2"'
    for key in ("device", "loss_first", "loss_last", "accuracy", "tokens_per_second"):
        assert key in data


# ------------------------------------------------------- broken targets (no real MindSpore)


FAKE_MINDSPORE = '''
import os
_mode = os.environ.get("FAKE_MINDSPORE", "raise")
if _mode == "raise":
    raise ImportError("libmindspore.so: cannot open shared object file: No such file or directory")
if _mode == "segfault":
    import ctypes
    ctypes.string_at(0)
if _mode == "hang":
    import time
    time.sleep(600)
__version__ = "2.7.0"
'''


@pytest.fixture(scope="module")
def fake_venv(venv_factory, tmp_path_factory):
    venv = venv_factory("smoke-fake-mindspore")
    wheel = build_wheel(tmp_path_factory.mktemp("smoke-wheels"), "mindspore", "2.7.0",
                        files={"mindspore/__init__.py": FAKE_MINDSPORE})
    venv.install_wheels(wheel)
    return venv


@pytest.fixture(scope="module")
def bare_venv(venv_factory):
    return venv_factory("smoke-bare")


def _only_import_failed(data):
    statuses = [s["status"] for s in data["stages"]]
    assert statuses == ["fail"] + ["skip"] * (len(STAGES) - 1), statuses
    return data["stages"][0]


def test_no_mindspore_fails_at_import_with_a_fix(bare_venv):
    proc, data = smoke_json("--python", bare_venv.python)
    assert proc.returncode == 1
    stage = _only_import_failed(data)
    assert stage["name"] == "import" and "No module named 'mindspore'" in stage["detail"]
    # the fix names the target interpreter, never a bare `pip` that may be another one
    assert stage["hint"]["fix"].startswith("%s -m pip install -- mindspore" % bare_venv.python)
    assert data["verdict"] == "failed at import" and data["ended"] == "done"
    text = envdoctor("smoke", "--python", bare_venv.python)
    assert text.returncode == 1 and "\x1b[" not in text.stdout
    assert "FAIL import mindspore" in text.stdout
    assert text.stdout.strip().splitlines()[-1].startswith(
        "Verdict: broken at import mindspore (stage 1 of 11)")


def test_broken_mindspore_fails_at_import(fake_venv):
    proc, data = smoke_json("--python", fake_venv.python, env={"FAKE_MINDSPORE": "raise"})
    assert proc.returncode == 1
    stage = _only_import_failed(data)
    assert stage["detail"].startswith("ImportError: libmindspore.so: cannot open shared object")
    assert stage["error"]["type"] == "ImportError" and "Traceback" in stage["error"]["traceback"]


def test_a_segfault_is_a_failed_stage_not_our_crash(fake_venv):
    proc, data = smoke_json("--python", fake_venv.python, env={"FAKE_MINDSPORE": "segfault"})
    assert proc.returncode == 1, proc.stderr
    stage = _only_import_failed(data)
    assert "died here: killed by SIGSEGV" in stage["detail"]
    assert "crashed" in stage["hint"]["because"]
    assert any("Segmentation fault" in line for line in stage["log"])  # faulthandler's words
    assert data["ended"] == "crashed" and "SIGSEGV" in data["exit_description"]
    assert "Traceback" not in proc.stderr


def test_a_hang_is_killed_at_the_timeout(fake_venv):
    started = time.time()
    proc, data = smoke_json("--python", fake_venv.python, "--timeout", "8",
                            env={"FAKE_MINDSPORE": "hang"})
    assert time.time() - started < 30
    assert proc.returncode == 1
    stage = _only_import_failed(data)
    assert "no answer within the 8 s timeout" in stage["detail"]
    assert data["ended"] == "timeout"


def test_not_a_python_is_an_envdoctor_error(tmp_path):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'not python' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    proc = envdoctor("smoke", "--python", str(fake))
    assert proc.returncode == 2
    assert "before the smoke script could start" in proc.stderr and "not python" in proc.stderr
    assert envdoctor("smoke", "--python", str(tmp_path / "missing")).returncode == 2


def test_the_script_runs_on_python_3_7():
    python = pyenv_python("3.7")
    if python is None:
        pytest.skip("no Python 3.7 here")
    proc, data = smoke_json("--python", python)
    assert data["python_version"].startswith("3.7.")
    assert data["stages"][0]["name"] == "import"  # it got as far as the first stage
    if data["stages"][0]["status"] == "fail":
        assert "mindspore" in data["stages"][0]["detail"]


def test_check_smoke_adds_the_failed_stage_as_a_finding(fake_venv, tmp_path):
    proc = envdoctor("check", "--json", "--smoke", "--recipe", "none", "--python",
                     fake_venv.python, env={"FAKE_MINDSPORE": "raise"})
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    smoke = [f for f in report["findings"] if f["area"] == "smoke"]
    assert [f["code"] for f in smoke] == ["ED701"]
    assert "import mindspore" in smoke[0]["title"]
    saved = tmp_path / "env.json"
    assert envdoctor("snapshot", "-o", str(saved)).returncode == 0
    proc = envdoctor("check", "--smoke", "--from", str(saved))
    assert proc.returncode == 2 and "cannot run on a saved snapshot" in proc.stderr


# ------------------------------------------------------- the real stack (MindSpore 2.7, CPU)


@pytest.mark.mindspore
def test_real_stack_trains_end_to_end_on_cpu(mindspore_python):
    started = time.time()
    proc, data = smoke_json("--python", mindspore_python, "--device", "CPU")
    wall = time.time() - started
    assert proc.returncode == 0, json.dumps(data["stages"], indent=1)
    assert [s["name"] for s in data["stages"]] == STAGES
    assert all(s["status"] == "pass" for s in data["stages"]), data["stages"]
    assert data["device"] == "CPU" and data["mindspore_version"] == "2.7.0"
    assert data["loss_last"] < 0.8 * data["loss_first"]
    assert data["accuracy"] >= 0.75
    assert data["tokens_per_second"] > 0 and data["seconds"] <= wall
    compiled = data["stages"][STAGES.index("compiled")]["data"]
    assert abs(compiled["loss_compiled"] - compiled["loss_eager"]) < 1e-3
    assert data["stages"][-1]["data"]["max_abs_diff"] <= 1e-5
    print("smoke on CPU: %.1f s, loss %.3f -> %.3f, accuracy %.3f, %.0f tokens/s"
          % (data["seconds"], data["loss_first"], data["loss_last"], data["accuracy"],
             data["tokens_per_second"]))


@pytest.mark.mindspore
def test_real_stack_without_the_gpu_backend_explains_the_device(mindspore_python):
    proc, data = smoke_json("--python", mindspore_python, "--device", "GPU")
    if proc.returncode == 0:
        pytest.skip("this machine has a working MindSpore GPU backend")
    stage = data["stages"][1]
    assert stage["name"] == "device" and stage["status"] == "fail"
    assert "GPU was asked for and does not work" in stage["detail"]
    assert "CUDA 11" in stage["hint"]["because"]
    assert [s["status"] for s in data["stages"][2:]] == ["skip"] * (len(STAGES) - 2)


@pytest.mark.mindspore
@pytest.mark.slow
def test_real_stack_with_numpy_2_breaks_at_the_data_pipeline(mindspore_python, tmp_path):
    """The motivating case: run_check() passes under NumPy 2, the first training batch does
    not. NumPy 2 is put in front of the venv's own with PYTHONPATH (the venv is untouched)."""
    from conftest import run

    target = tmp_path / "numpy2"
    run([mindspore_python, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
         "numpy==2.2.6"])
    env = {"PYTHONPATH": str(target)}
    check = run([mindspore_python, "-c", "import mindspore; mindspore.run_check()"], env=dict(
        os.environ, **env))
    assert "successfully" in check.stdout
    proc, data = smoke_json("--python", mindspore_python, "--device", "CPU", env=env)
    assert proc.returncode == 1
    assert data["numpy_version"] == "2.2.6"
    assert data["failed_stage"] == "data"
    stage = data["stages"][STAGES.index("data")]
    assert "Unable to avoid copy" in stage["detail"]
    assert stage["hint"]["fix"] == "%s -m pip install -- 'numpy<2'" % mindspore_python


@pytest.mark.mindspore
def test_mindnlp_level_reports_its_api_and_where_it_stops(mindspore_python):
    proc, data = smoke_json("--python", mindspore_python, "--level", "mindnlp",
                            "--device", "CPU")
    names = [s["name"] for s in data["stages"]]
    assert names == STAGES[:2] + ["mindnlp"] + STAGES[2:]
    assert data["mindnlp_version"] == "0.5.1"
    assert "OpenAIGPTForSequenceClassification" in data["mindnlp_api"]
    by_name = {s["name"]: s for s in data["stages"]}
    for name in ("mindnlp", "tokenizer", "data", "forward", "backward"):
        assert by_name[name]["status"] == "pass", by_name[name]
    if proc.returncode == 1:
        # mindnlp 0.5.1's torch layer has no CPU kernel for the AdamW update.
        assert data["failed_stage"] == "optimizer"
        assert "addcdiv" in by_name["optimizer"]["detail"]
        assert "Ascend" in by_name["optimizer"]["hint"]["fix"]
    else:
        assert by_name["compiled"]["status"] == "skip"
