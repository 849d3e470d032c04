"""``envdoctor lab card`` and ``envdoctor lab scan``, run as a user would (child processes),
on the labs under tests/data/labs and, when the course's git mirror is here, on its history."""

import json
import os

import pytest

from conftest import envdoctor, run

LABS = os.path.join(os.path.dirname(__file__), "data", "labs")
COURSE = os.path.join(LABS, "course")
MIRROR = "/work/.mirror/mindspore-courses+step_into_llm/repo"
GPT = "Season1.step_into_chatgpt/3.GPT/gpt_imdb_finetune.ipynb"


def test_card_markdown_has_every_topic_with_evidence():
    proc = envdoctor("lab", "card", os.path.join(COURSE, "gpt_2025.ipynb"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for topic in ("| Python |", "| MindSpore |", "| MindNLP |", "| jieba |", "| evaluate |",
                  "| Device | Ascend |", "| Hub mirror | HF_ENDPOINT=https://hf-mirror.example.org",
                  "| Package mirrors |", "| Verified combinations |"):
        assert topic in out, topic
    assert "cell 4 line 5: mindspore.set_context(device_target='Ascend', device_id=0)" in out
    assert "api_index.json" in out
    assert "| install |" not in out  # `pip install pip install` is a mistake, not a need


def test_card_json_and_a_bad_path():
    proc = envdoctor("lab", "card", os.path.join(COURSE, "gpt_2024.ipynb"), "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["topic"]: r for r in json.loads(proc.stdout)["rows"]}
    assert "0.2.0 to 0.2.4" in rows["MindNLP"]["value"]
    assert rows["MindNLP"]["value"].startswith("mindnlp (unpinned)")
    assert any("cell 1 line 1" in e for e in rows["MindSpore"]["evidence"])
    proc = envdoctor("lab", "card", os.path.join(LABS, "nope.ipynb"))
    assert proc.returncode == 2 and "no such lab" in proc.stderr


def test_scan_a_course_folder_against_a_platform():
    proc = envdoctor("lab", "scan", COURSE, "--python-version", "3.10", "--platform",
                     "linux-x86_64")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].endswith("against Python 3.10 on linux-x86_64, nothing installed")
    assert "ok    gpt_port_05.ipynb" in lines
    assert "fails gpt_2025.ipynb" in lines
    assert any(l.strip().startswith("ED810 The lab's mindspore 2.5.0 wheel") for l in lines)
    # the 2023 lab's own lines are fine, but nothing known runs MindSpore 2.0 + mindnlp 0.1.1
    # on Python 3.10: a warning, with the sets that do run it
    assert "warns gpt_2023.ipynb" in lines
    assert "      ED841 No known set of releases runs the lab on Python 3.10 on linux-x86_64" \
        in lines
    assert "5 files: 3 fail, 1 warn, 1 ok" in proc.stdout


def test_scan_refuses_a_python_version_that_is_not_one():
    proc = envdoctor("lab", "scan", COURSE, "--python-version", "abc")
    assert proc.returncode == 2 and "--python-version is X.Y" in proc.stderr


def test_scan_says_which_known_set_would_run_the_lab():
    proc = envdoctor("lab", "scan", COURSE, "--python-version", "3.11", "--platform",
                     "linux-x86_64", "--json")
    entries = {e["path"]: e for e in json.loads(proc.stdout)["entries"]}
    (nowhere,) = [f for f in entries["gpt_2023.ipynb"]["findings"] if f["code"] == "ED841"]
    assert nowhere["severity"] == "warning"
    assert "installs on Python 3.11" in nowhere["because"]
    assert "with mindspore 2.0.0, on Python 3.7 on linux-x86_64 (verified: matrix rule " \
           "verified-ms200-mindnlp011-git-py37)" in nowhere["fix"]["text"]
    # a lab that a verified set runs on this Python gets no ED841
    assert not any(f["code"] == "ED841" for name in ("gpt_2024.ipynb", "gpt_2024_08.ipynb",
                                                     "gpt_2025.ipynb", "gpt_port_05.ipynb")
                   for f in entries[name]["findings"])


def test_scan_json_and_a_fitting_platform():
    proc = envdoctor("lab", "scan", COURSE, "--python-version", "3.9", "--platform",
                     "linux-aarch64", "--json")
    data = json.loads(proc.stdout)
    entries = {e["path"]: e for e in data["entries"]}
    # on the machine its wheel is for, the 2025 notebook's wheel fits; the doubled
    # `pip install` still installs a package named `install`
    assert [f["code"] for f in entries["gpt_2025.ipynb"]["findings"]
            if f["severity"] == "error"] == ["ED815"]
    assert entries["gpt_2024_08.ipynb"]["first_cause"]["code"] in ("ED811", "ED813")
    assert data["summary"]["files"] == 5


def test_scan_against_a_saved_snapshot(tmp_path):
    snap = {"interpreter": {"version": "3.9.18", "executable": "/lab/bin/python"},
            "platform": {"system": "Linux", "machine": "x86_64"},
            "distributions": [{"name": "mindspore", "version": "2.7.0"},
                              {"name": "mindnlp", "version": "0.5.1"}]}
    (tmp_path / "env.json").write_text(json.dumps(snap))
    proc = envdoctor("lab", "scan", COURSE, "--from", str(tmp_path / "env.json"), "--json")
    entries = {e["path"]: e for e in json.loads(proc.stdout)["entries"]}
    codes = {f["code"] for f in entries["gpt_2025.ipynb"]["findings"]}
    assert "ED801" in codes  # mindnlp 0.5.1 has no mindnlp.engine: judged statically


def _commit_all(repo, message):
    run(["git", "-C", repo, "add", "-A"])
    run(["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit",
         "-q", "-m", message])


def test_scan_history_reads_every_committed_version(tmp_path):
    repo = str(tmp_path / "course")
    os.makedirs(os.path.join(repo, "gpt"))
    run(["git", "init", "-q", repo])
    nb = os.path.join(repo, "gpt", "lab.ipynb")
    with open(os.path.join(COURSE, "gpt_2024.ipynb")) as src, open(nb, "w") as dst:
        dst.write(src.read())
    _commit_all(repo, "2024 form")
    with open(os.path.join(COURSE, "gpt_port_05.ipynb")) as src, open(nb, "w") as dst:
        dst.write(src.read())
    _commit_all(repo, "port")
    proc = envdoctor("lab", "scan", repo, "--history", "--python-version", "3.10",
                     "--platform", "linux-x86_64", "--json")
    assert proc.returncode == 1, proc.stderr
    entries = json.loads(proc.stdout)["entries"]
    assert [(e["path"], e["verdict"]) for e in entries] == [("gpt/lab.ipynb", "ok"),
                                                            ("gpt/lab.ipynb", "fails")]
    assert all(len(e["commit"]) == 7 and e["date"] for e in entries)
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "x.py").write_text("import os\n")
    proc = envdoctor("lab", "scan", str(plain), "--history")
    assert proc.returncode == 2 and "--history needs a git checkout" in proc.stderr


def test_history_looks_for_a_local_wheel_in_each_commit(tmp_path):
    """A notebook installs a wheel that sits beside it: shipped in the first commit, deleted in
    the second. Each version is judged by its own commit's files (ED812 only where the wheel
    was missing then), whatever today's folder holds."""
    repo = str(tmp_path / "course")
    os.makedirs(os.path.join(repo, "gpt"))
    run(["git", "init", "-q", repo])
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": "!pip install ./jieba-0.42.1-py3-none-any.whl\nimport jieba"}
    with open(os.path.join(repo, "gpt", "lab.ipynb"), "w") as handle:
        json.dump({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}, handle)
    wheel = os.path.join(repo, "gpt", "jieba-0.42.1-py3-none-any.whl")
    with open(wheel, "w") as handle:
        handle.write("not really a wheel\n")
    _commit_all(repo, "with the wheel")
    os.remove(wheel)
    with open(os.path.join(repo, "gpt", "lab.ipynb"), "a") as handle:
        handle.write("\n")
    _commit_all(repo, "wheel gone")
    with open(wheel, "w") as handle:  # today's folder has it again, uncommitted
        handle.write("not really a wheel\n")
    proc = envdoctor("lab", "scan", repo, "--history", "--python-version", "3.10",
                     "--platform", "linux-x86_64", "--json")
    entries = json.loads(proc.stdout)["entries"]
    missing = [any(f["code"] == "ED812" for f in e["findings"]) for e in entries]
    assert missing == [True, False], [(e["commit"], e["findings"]) for e in entries]


@pytest.mark.skipif(not os.path.isdir(MIRROR), reason="the course's git mirror is not here")
def test_scan_history_of_the_course(tmp_path):
    """The real course, read from its git mirror (a clone without checkout plus the lab
    files; nothing of it is committed here)."""
    repo = str(tmp_path / "course")
    run(["git", "clone", "-q", "--no-checkout", MIRROR, repo])
    run(["git", "-C", repo, "checkout", "-q", "HEAD", "--", "Season1.step_into_chatgpt/3.GPT"])
    folder = os.path.join(repo, "Season1.step_into_chatgpt", "3.GPT")
    proc = envdoctor("lab", "scan", folder, "--history", "--python-version", "3.10",
                     "--platform", "linux-x86_64", "--json")
    data = json.loads(proc.stdout)
    gpt = {e["commit"]: e for e in data["entries"] if e["path"] == "gpt_imdb_finetune.ipynb"}
    codes = lambda c: {f["code"] for f in gpt[c]["findings"]}  # noqa: E731
    assert {"ED810", "ED815"} <= codes("a931492")  # cp39 aarch64 wheel, `pip install pip install`
    assert {"ED811", "ED813"} <= codes("3500336")  # 0.4.0 wheel lacks GPTTokenizer; !export
    assert "ED811" in codes("42b53f5")  # unpinned `pip install mindnlp` gets 0.5.x today
    assert len(gpt) >= 9


def test_escape_sequences_in_a_students_notebook_never_reach_the_terminal(tmp_path):
    """A title-setting OSC and a C1 CSI hidden in an install line and a device string."""
    hostile = "\x1b]0;pwned\x07\x9b2J"
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": "!pip install 'jieba==0.42%s'\nimport mindspore\n"
                        "mindspore.set_context(device_target='Ascend%s')" % (hostile, hostile)}]
    (tmp_path / "lab.ipynb").write_text(json.dumps(
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}))
    for args in (["card", str(tmp_path / "lab.ipynb")],
                 ["scan", str(tmp_path), "--python-version", "3.10",
                  "--platform", "linux-x86_64"]):
        proc = envdoctor("lab", *args)
        assert proc.returncode in (0, 1, 2), proc.stderr
        for stream in (proc.stdout, proc.stderr):
            assert "\x1b" not in stream and "\x9b" not in stream and "\x07" not in stream
