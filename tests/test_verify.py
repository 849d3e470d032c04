"""`envdoctor matrix verify`: the combos schema, the generated matrix block, the CI matrix,
and one real run of the harness on tiny local wheels (no MindSpore needed)."""

import json
import os
import sys
import textwrap

import pytest

from envdoctor.matrix import load_matrix
from envdoctor.resources import matrix_path
from envdoctor.verify.block import (BEGIN, END, generate_rules, outcome_snapshot, render_block,
                                    replace_block, split_block)
from envdoctor.verify.combos import ci_matrix, load_combos, select
from envdoctor.verify.evidence import (Outcome, check_failures, check_signature,
                                       clean_signature,
                                       pip_signature, smoke_signature)
from envdoctor.verify.harness import (MIN_FREE_BYTES, SMALL_FREE_BYTES, big_pins, find_python,
                                      harvest_candidates, space_needed)
from envdoctor.yamlfile import DataFileError
from conftest import build_wheel, envdoctor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

GOOD = """\
schema: 1
combos:
  - id: tiny
    python: "3.11"
    steps:
      - [torch==2.13.0]
      - [mindspore, mindnlp]
    recipe: gpt-imdb
    smoke: true
"""


def write(tmp_path, text, name="combos.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


# --- the combos file -----------------------------------------------------------------------

def test_bundled_combos_file_is_valid():
    combos = load_combos(os.path.join(ROOT, "verification", "combos.yaml")).combos
    assert len(combos) >= 8
    assert {c.python for c in combos} >= {"3.7", "3.9", "3.10", "3.11", "3.12"}
    modes = {c.mode for c in combos}
    assert modes == {"default", "time-consistent"}


def test_good_combo_is_read(tmp_path):
    combo = load_combos(write(tmp_path, GOOD)).combos[0]
    assert combo.id == "tiny" and combo.python == "3.11" and combo.line == 3
    assert combo.steps == (("torch==2.13.0",), ("mindspore", "mindnlp"))
    assert combo.smoke == "mindspore" and combo.checks == ("imports", "smoke")
    assert combo.mode == "default" and not combo.uses_uv


@pytest.mark.parametrize("old, new, line, message", [
    ('python: "3.11"', "python: 3.10", 3, "quote the python version"),
    ('python: "3.11"', 'python: "3"', 3, "minor version in quotes"),
    ("id: tiny", "id: Tiny Combo", 3, "combo id"),
    ("recipe: gpt-imdb", "recipe: gpt-imdb\n    colour: red", 3, "unknown keys colour"),
    ("smoke: true", "smoke: lots", 3, "smoke must be"),
    ("smoke: true", "mode: time-consistent", 3, "exclude_newer: YYYY-MM-DD"),
    ("smoke: true", "mode: sometimes", 3, "mode must be one of"),
    ("smoke: true", 'exclude_newer: "2025-11-06"', 3, "needs mode: time-consistent"),
    ("      - [torch==2.13.0]\n      - [mindspore, mindnlp]", "      - []", 3,
     "non-empty list"),
    ("smoke: true", "mode: time-consistent\n    exclude_newer: 2025-11-06\n    without: [x]",
     3, "take requirements, -r FILE and -c FILE only"),
    ("smoke: true", "install_as: {mindnlp: 'not a @@ requirement'}", 9, "install_as mindnlp"),
    ("smoke: true", "expect: maybe", 3, "expect must be works or broken"),
])
def test_bad_combo_names_its_line(tmp_path, old, new, line, message):
    text = GOOD.replace(old, new)
    if "take requirements" in message:
        text = text.replace("[mindspore, mindnlp]", "[--prefer-binary, mindspore]")
    with pytest.raises(DataFileError) as err:
        load_combos(write(tmp_path, text))
    assert err.value.line == line, str(err.value)
    assert message in str(err.value)
    assert "combos.yaml:%d:" % line in str(err.value)


def test_duplicate_id_and_top_level(tmp_path):
    twice = GOOD + GOOD.split("combos:\n", 1)[1]
    with pytest.raises(DataFileError) as err:
        load_combos(write(tmp_path, twice))
    assert "already used at line 3" in str(err.value) and err.value.line == 10
    with pytest.raises(DataFileError) as err:
        load_combos(write(tmp_path, "schema: 1\ncombo: []\n"))
    assert "'combos' list" in str(err.value)
    with pytest.raises(DataFileError) as err:
        load_combos(write(tmp_path, "schema: 1\ncombos:\n  - id: a\n    python: [\n"))
    assert "not valid YAML" in str(err.value)


def test_variables_and_held_steps(tmp_path):
    text = GOOD.replace("[mindspore, mindnlp]", '[mindspore, "mindnlp @ git+file://${REPO}@v1"]')
    text = text.replace("smoke: true", "without: [torch]")
    combo = load_combos(write(tmp_path, text)).combos[0]
    assert combo.variables() == {"REPO"} and combo.uses_uv
    assert combo.expand({})[1] == ["REPO"]
    steps, missing = combo.expand({"REPO": "/src/m"})
    assert not missing and steps[1][1] == "mindnlp @ git+file:///src/m@v1"
    assert combo.held_step(steps[0]) and not combo.held_step(steps[1])


def test_select_and_ci_matrix(tmp_path):
    text = GOOD + (
        "  - id: old\n"
        "    python: \"3.7\"\n"
        "    steps: [\"--prefer-binary mindspore==2.0.0\"]\n"
        "  - id: gone\n"
        "    python: \"3.9\"\n"
        "    steps: [[x]]\n"
        "    skip: no wheel here\n")
    combos = load_combos(write(tmp_path, text)).combos
    assert combos[1].steps == (("--prefer-binary", "mindspore==2.0.0"),)
    assert [c.id for c in select(combos, ["old"])] == ["old"]
    assert [c.id for c in select(combos, ["tiny,old"])] == ["tiny", "old"]
    assert [c.id for c in select(combos, python="3.11")] == ["tiny"]
    with pytest.raises(Exception) as err:
        select(combos, ["nope"])
    assert "known: gone, old, tiny" in str(err.value)
    assert ci_matrix(combos) == {"include": [
        {"id": "tiny", "python": "3.11", "mode": "default", "recipe": "gpt-imdb",
         "smoke": True, "variables": []},
        {"id": "old", "python": "3.7", "mode": "default", "recipe": "none", "smoke": False,
         "variables": []}]}
    proc = envdoctor("matrix", "verify", "--ci-matrix", "--combos", str(tmp_path / "combos.yaml"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ci_matrix(combos)
    bad = envdoctor("matrix", "verify", "--ci-matrix", "--combos",
                    write(tmp_path, GOOD.replace("smoke: true", "smoke: 7"), "bad.yaml"))
    assert bad.returncode == 2 and "bad.yaml:3:" in bad.stderr


def test_dry_run_lists_and_runs_nothing(tmp_path):
    path = write(tmp_path, GOOD.replace("[mindspore, mindnlp]", '["${MISSING_VAR}"]'))
    proc = envdoctor("matrix", "verify", "--dry-run", "--combos", path,
                     "--workdir", str(tmp_path / "work"))
    assert proc.returncode == 0, proc.stderr
    assert "tiny: Python 3.11" in proc.stdout and "step 1: pip install torch==2.13.0" in proc.stdout
    assert "needs ${MISSING_VAR}" in proc.stdout
    assert not (tmp_path / "work").exists()


# --- signatures ----------------------------------------------------------------------------

def test_signatures():
    assert clean_signature("ImportError: cannot import name 'GPTTokenizer' from "
                           "'mindnlp.transforms' (/v/lib/site-packages/mindnlp/transforms/"
                           "__init__.py)\nmore") == \
        "ImportError: cannot import name 'GPTTokenizer' from 'mindnlp.transforms'"
    report = {"findings": [
        {"code": "ED201", "evidence": {"installed": "x"}},
        {"code": "ED602", "title": "t", "evidence": {"installed": "KeyError: None"}},
        {"code": "ED601", "evidence": {"installed": "ImportError: the module itself"}}]}
    assert check_signature(report) == "ImportError: the module itself"  # before any symbol
    assert check_signature({"findings": [{"code": "ED603", "title": "import mindspore crashes "
                                          "the interpreter", "evidence": {
                                              "installed": "killed by SIGSEGV"}}]}) == \
        "import mindspore crashes the interpreter: killed by SIGSEGV"
    assert check_signature({"findings": []}) is None
    # symbols fail in the order the lab imports them (the recipe's), not alphabetically
    lab = {"recipe": {"symbols": ["m.transforms.GPTTokenizer", "m.models.GPT"]}, "findings": [
        {"code": "ED602", "evidence": {"installed": "ImportError: no GPT", "needed": "m.models.GPT"}},
        {"code": "ED602", "evidence": {"installed": "ImportError: no GPTTokenizer",
                                       "needed": "m.transforms.GPTTokenizer"}}]}
    assert check_signature(lab) == "ImportError: no GPTTokenizer"
    assert check_failures(lab) == ["m.transforms.GPTTokenizer: ImportError: no GPTTokenizer",
                                   "m.models.GPT: ImportError: no GPT"]
    smoke = {"exit_code": 1, "stages": [{"name": "import", "status": "pass"}, {
        "name": "data", "status": "fail", "error": {
            "type": "ValueError", "message": "Unable to avoid copy\nmore"}}]}
    assert smoke_signature(smoke) == "smoke data: ValueError: Unable to avoid copy"
    smoke["stages"][1]["detail"] = "RuntimeError: wrapped (cause: ValueError: inner)"
    assert smoke_signature(smoke) == "smoke data: ValueError: inner"
    assert smoke_signature({"exit_code": 0, "stages": [{"status": "pass"}]}) is None
    assert pip_signature("Collecting x\n  error: subprocess-exited-with-error\nnote: y\n"
                         "error: metadata-generation-failed\n") == \
        "error: metadata-generation-failed"
    out = "Downloading mindspore-2.0.0-cp37-cp37m-manylinux1_x86_64.whl (947.2 MB)\n" \
          "Using cached six-1.17.0-py2.py3-none-any.whl (11 kB)\n"
    assert big_pins(["mindspore==2.7.0", "mindspore", "torch>=2", "six==1.17.0",
                     "mindspore_cuda11_dev==2.0.0.dev20221108", "nvidia-cudnn-cu13==9.20.0.48",
                     "-c", "x.txt"]) == ["mindspore==2.7.0",
                                         "mindspore_cuda11_dev==2.0.0.dev20221108",
                                         "nvidia-cudnn-cu13==9.20.0.48"]
    from envdoctor.verify.harness import _wheel_fits
    assert _wheel_fits("torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl", "cp311")
    assert not _wheel_fits("torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl", "cp310")
    assert _wheel_fits("six-1.17.0-py2.py3-none-any.whl", "cp37")
    assert harvest_candidates(out, 100) == [
        ("mindspore-2.0.0-cp37-cp37m-manylinux1_x86_64.whl", "mindspore", "2.0.0")]


def test_space_needed_is_small_only_for_named_small_local_wheels():
    """A combination that can only take named small wheels from a folder does not ask for
    room for a MindSpore venv; anything that may reach an index, a big name, a path or a
    requirements file does."""
    from envdoctor.verify.combos import Combo

    def need(*steps, **fields):
        return space_needed(Combo("c", None, "3.11", tuple(steps), **fields), steps)

    local = ("--no-index", "--find-links=/w", "six", "regex==2025.1.1")
    assert need(local) == SMALL_FREE_BYTES
    assert need(("--no-index", "-f", "/w", "six"), ("--no-index", "--no-deps", "regex")) \
        == SMALL_FREE_BYTES
    assert need(("six",)) == MIN_FREE_BYTES  # the index
    assert need(local, ("six",)) == MIN_FREE_BYTES
    assert need(("--no-index", "--find-links=/w", "mindspore==2.7.0")) == MIN_FREE_BYTES
    assert need(("--no-index", "--find-links=/w", "torch")) == MIN_FREE_BYTES
    assert need(("--no-index", "-r", "req.txt")) == MIN_FREE_BYTES
    assert need(("--no-index", "/w/big-1.0-py3-none-any.whl")) == MIN_FREE_BYTES
    assert need(local, smoke="mindspore") == MIN_FREE_BYTES
    assert need(local, mode="time-consistent") == MIN_FREE_BYTES
    assert need() == MIN_FREE_BYTES
    assert SMALL_FREE_BYTES < MIN_FREE_BYTES


def test_the_harness_runs_its_own_envdoctor_not_an_installed_one(tmp_path):
    """A copy of the package (a git worktree, say) judges with its own code: the command it
    gives its children imports that copy, from any folder, whatever is installed."""
    import shutil
    import subprocess

    copy = tmp_path / "worktree"
    shutil.copytree(os.path.join(ROOT, "envdoctor"), str(copy / "envdoctor"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    init = copy / "envdoctor" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "', '__version__ = "9.9.9+copy'))
    script = ("import subprocess, sys; from envdoctor.verify.harness import self_command; "
              "sys.exit(subprocess.call(list(self_command()) + ['--version'], cwd=sys.argv[1]))")
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=str(copy),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "9.9.9+copy" in proc.stdout
    # and the installed one runs its own code too
    from envdoctor.verify.harness import self_command

    mine = subprocess.run(list(self_command()) + ["--version"], cwd=str(tmp_path),
                          capture_output=True, text=True)
    assert "9.9.9" not in mine.stdout and mine.stdout.startswith("envdoctor ")


# --- the generated block -------------------------------------------------------------------

HAND = """\
# hand-written header
schema: 1
rules:
  - id: hand-keyerror
    when:
      packages:
        mindnlp: ">=0.5,<0.6"
        transformers: ">=5"
    verdict: broken
    title: mindnlp 0.5 with transformers 5
    because: it breaks.
    error: "KeyError: None"
    fix:
      requirements: ["transformers<5"]
    source:
      kind: reported
      link: https://example.org/1
"""


def outcome(oid, verdict, error=None, python="3.11.7", **versions):
    return Outcome(oid, verdict, date="2026-01-02", platform="linux-x86_64", python=python,
                   versions=tuple(versions.items()), error=error,
                   stage="imports" if error else None, checks=("imports",),
                   recipe="gpt-imdb", freeze="verification/%s/freeze.txt" % oid,
                   installed=tuple(versions.items()))


def test_generated_block_round_trips_through_load_matrix(tmp_path):
    outcomes = [
        outcome("good", "works", mindspore="2.7.0", mindnlp="0.5.1", transformers="4.56.2",
                torch="2.13.0+cpu"),
        outcome("bad", "broken", 'ImportError: cannot import name "X" from \'y\'',
                mindspore="2.7.0", mindnlp="0.4.1"),
        outcome("old", "broken", "AttributeError: no ANTIALIAS", python="3.9.18",
                mindspore="2.0.0", pillow="11.3.0"),
        outcome("tf5", "broken", "KeyError: None", mindspore="2.7.0", mindnlp="0.5.1",
                transformers="5.24.0"),
        Outcome("nope", "error", error="harness: disk full"),
        Outcome("noinstall", "broken", python="3.7.16", stage="install",
                error="pip install: ERROR: No matching distribution found for x"),
    ]
    hand = load_matrix(write(tmp_path, HAND, "hand.yaml")).rules
    rules, notes = generate_rules(outcomes, {}, hand)
    assert [r["id"] for r in rules] == ["verified-good", "verified-bad", "verified-old"]
    assert any("tf5" in n and "hand-keyerror" in n for n in notes)
    assert any(n.startswith("nope: error") for n in notes)
    assert any(n.startswith("noinstall: pip could not install it") for n in notes)
    block = render_block(rules, notes)
    assert block.startswith("  " + BEGIN) and block.rstrip().endswith(END)
    text = replace_block(HAND, block)
    assert text.startswith(HAND)  # hand-written lines untouched
    path = write(tmp_path, text, "m.yaml")
    matrix = load_matrix(path)
    by_id = {r.id: r for r in matrix.rules}
    good, bad, old = by_id["verified-good"], by_id["verified-bad"], by_id["verified-old"]
    assert good.verdict == "works" and good.code == "ED203"
    assert str(good.python) == "==3.11.*" and good.platforms == ("linux-x86_64",)
    # the public version: torch 2.13.0 from PyPI matches a rule verified with 2.13.0+cpu
    assert {p.name: str(p.spec) for p in good.packages}["torch"] == "==2.13.0"
    assert dict(good.source.versions)["torch"] == "2.13.0+cpu"
    assert bad.verdict == "broken" and bad.code == "ED201"
    assert bad.error == 'ImportError: cannot import name "X" from \'y\''
    assert "pip check calls the set clean" in bad.because
    assert bad.fix_requirements == ("mindspore==2.7.0", "mindnlp==0.5.1", "transformers==4.56.2",
                                    "torch==2.13.0")  # the working set of the same Python
    assert bad.source.kind == "verified" and bad.source.date == "2026-01-02"
    assert dict(bad.source.versions) == {"mindspore": "2.7.0", "mindnlp": "0.4.1",
                                         "python": "3.11.7"}
    assert bad.source.freeze == "verification/bad/freeze.txt"
    assert not old.fix_requirements and \
        "No set for the gpt-imdb lab was verified to work on Python 3.9" in old.fix_text
    # the verified broken rule matches exactly that set, and only on that Python
    assert bad.applies(outcome_snapshot(outcomes[1]))
    assert not bad.applies(outcome_snapshot(outcomes[0]))
    assert not old.applies(outcome_snapshot(outcome("o", "broken", "e", python="3.10.1",
                                                    mindspore="2.0.0", pillow="11.3.0")))
    # regenerating replaces the block, and the same outcomes give the same text
    again = replace_block(text, render_block(rules, notes))
    assert again == text
    stripped, old_block = split_block(text)
    assert stripped.strip() == HAND.strip() and old_block.strip() == block.strip()
    assert replace_block(text, render_block([], [])).count("verified-") == 0


def test_origins_keep_pypi_and_git_apart(tmp_path):
    pypi = outcome("pypi", "broken", "ImportError: no GPTTokenizer", python="3.7.16",
                   mindspore="2.0.0", mindnlp="0.1.1")
    git = outcome("git", "works", python="3.7.16", mindspore="2.0.0", mindnlp="0.1.1",
                  regex="2024.4.16")
    git = Outcome(**dict(git.__dict__, origins=(("mindnlp", "vcs"),)))
    from envdoctor.verify.combos import Combo
    combo = Combo("git", None, "3.7", (("x",),), key=("mindspore", "mindnlp", "regex"),
                  install_as=(("mindnlp", "mindnlp @ git+https://github.com/m/m.git@v0.1.1"),))
    rules, _ = generate_rules([pypi, git], {"git": combo})
    text = replace_block(HAND, render_block(rules))
    rules = {r.id: r for r in load_matrix(write(tmp_path, text, "m.yaml")).rules}
    assert rules["verified-pypi"].fix_requirements == (
        "mindspore==2.0.0", "mindnlp @ git+https://github.com/m/m.git@v0.1.1", "regex==2024.4.16")
    assert rules["verified-pypi"].applies(outcome_snapshot(pypi))
    assert not rules["verified-pypi"].applies(outcome_snapshot(git))  # from: index
    assert rules["verified-git"].applies(outcome_snapshot(git))
    assert not rules["verified-git"].applies(outcome_snapshot(pypi))  # from: vcs


def test_a_broken_rule_never_matches_a_set_verified_to_work(tmp_path):
    """Without a direct_url.json (pip's legacy setup.py install) the git tag's mindnlp looks
    like PyPI's: the broken rule gets the difference the working set has (regex)."""
    pypi = outcome("pypi", "broken", "ImportError: no GPTTokenizer", python="3.7.16",
                   mindspore="2.0.0", mindnlp="0.1.1")
    git = outcome("git", "works", python="3.7.16", mindspore="2.0.0", mindnlp="0.1.1",
                  regex="2024.4.16")
    rules, notes = generate_rules([pypi, git], {})
    assert rules[0]["when"]["packages"] == {"mindspore": "==2.0.0", "mindnlp": "==0.1.1",
                                            "regex": "absent"}
    assert "pypi: regex absent added so that its rule does not match git" in notes[0]
    same = outcome("same", "broken", "E", python="3.7.16", mindspore="2.0.0", mindnlp="0.1.1",
                   regex="2024.4.16")
    rules, notes = generate_rules([same, git], {})
    assert [r["id"] for r in rules] == ["verified-git"]
    assert "cannot be told from git" in notes[0]


def test_pip_check_about_a_package_left_out_is_not_a_complaint():
    o = Outcome("x", "broken", pip_check=("peft 0.21.2 requires torch, which is not installed.",
                                          "a 1 requires b<2, but you have b 3."),
                without=("torch",))
    assert o.pip_complaints() == ("a 1 requires b<2, but you have b 3.",)


def test_a_set_verified_without_a_package_names_it_absent():
    o = outcome("notorch", "broken", "TypeError: x", mindspore="2.10.0", mindnlp="0.5.0")
    o = Outcome(**dict(o.__dict__, without=("torch",)))
    rules, _ = generate_rules([o], {})
    assert rules[0]["when"]["packages"]["torch"] == "absent"
    assert "without torch" in rules[0]["title"]
    held = Outcome(**dict(o.__dict__, versions=o.versions + (("torch", "2.13.0+cpu"),)))
    rules, _ = generate_rules([held], {})
    assert rules[0]["when"]["packages"]["torch"] == "==2.13.0"
    assert "without" not in rules[0]["title"]


def test_bad_markers_are_refused():
    with pytest.raises(DataFileError):
        replace_block(HAND + "  " + BEGIN + "\n", render_block([]))


def test_bundled_block_is_what_the_committed_evidence_gives():
    """compat_matrix.yaml's verified block is up to date with verification/: rerunning
    `envdoctor matrix verify --write-only` would not change it."""
    from envdoctor.verify.command import build_block

    combos = load_combos(os.path.join(ROOT, "verification", "combos.yaml")).combos
    text = open(matrix_path(), encoding="utf-8").read()
    _, block = split_block(text)
    if block is None:
        pytest.skip("no generated block yet")
    built = build_block(combos, os.path.join(ROOT, "verification"), matrix_path())
    assert built["text"] == text
    matrix = load_matrix(matrix_path())
    for rule in matrix.rules:
        if rule.id.startswith("verified-"):
            assert os.path.exists(os.path.join(ROOT, rule.source.freeze)), rule.id


# --- one real run --------------------------------------------------------------------------

def test_harness_end_to_end_on_tiny_wheels(tmp_path):
    """Two combos on local wheels: one imports, one's `regex` raises at import. The harness
    builds each venv, runs check --deep, records evidence, and writes verified rules."""
    minor = "%d.%d" % sys.version_info[:2]
    if find_python(minor) is None:
        pytest.skip("no pyenv Python %s" % minor)
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "sentencepiece", "0.2.1")
    build_wheel(wheels, "regex", "2024.1.1", files={
        "regex/__init__.py": "raise ImportError('regex is broken on purpose')\n"})
    build_wheel(wheels, "regex", "2025.1.1")
    combos = write(tmp_path, """\
        schema: 1
        defaults:
          key: [regex, sentencepiece]
        combos:
          - id: tiny-works
            python: "%(minor)s"
            steps:
              - [--no-index, "--find-links=${WHEELS}", sentencepiece, regex==2025.1.1]
            expect: works
          - id: tiny-broken
            python: "%(minor)s"
            steps:
              - [--no-index, "--find-links=${WHEELS}", sentencepiece, regex==2024.1.1]
            expect: broken
          - id: tiny-skipped
            python: "%(minor)s"
            steps: [[six]]
            skip: not here
        """ % {"minor": minor})
    matrix = write(tmp_path, HAND, "matrix.yaml")
    evidence = tmp_path / "verification"
    proc = envdoctor("matrix", "verify", "--combos", combos, "--evidence", str(evidence),
                     "--workdir", str(tmp_path / "work"), "--var", "WHEELS=%s" % wheels,
                     "--write", "--matrix", matrix, "--date", "2026-01-02", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    verdicts = {o["id"]: (o["verdict"], o["error"]) for o in result["outcomes"]}
    assert verdicts["tiny-works"] == ("works", None)
    assert verdicts["tiny-broken"] == ("broken", "ImportError: regex is broken on purpose")
    assert verdicts["tiny-skipped"][0] == "skipped"
    assert result["written"]["rules"] == ["verified-tiny-works", "verified-tiny-broken"]
    folder = evidence / "tiny-broken"
    assert sorted(os.listdir(str(folder))) == ["check.json", "freeze.txt", "meta.json"]
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["verdict"] == "broken" and meta["stage"] == "imports"
    assert meta["versions"] == {"regex": "2024.1.1", "sentencepiece": "0.2.1"}
    assert meta["python"].startswith(minor) and meta["date"] == "2026-01-02"
    assert meta["pip_check"] == [] and meta["checks"] == ["imports"]
    assert "regex==2024.1.1" in (folder / "freeze.txt").read_text()
    check = json.loads((folder / "check.json").read_text())
    assert "snapshot" not in check and check["environment"]["python"] == meta["python"]
    assert any(f["code"] == "ED601" for f in check["findings"])
    assert not (tmp_path / "work" / "venvs" / "tiny-broken").exists()  # deleted, no --keep
    rules = {r.id: r for r in load_matrix(matrix).rules}
    assert rules["hand-keyerror"].line == 4  # hand-written rules untouched
    broken = rules["verified-tiny-broken"]
    assert broken.error == "ImportError: regex is broken on purpose"
    assert broken.fix_requirements == ("regex==2025.1.1", "sentencepiece==0.2.1")
    assert broken.source.freeze == "verification/tiny-broken/freeze.txt"
    assert "tiny-skipped: not run here: not here" in open(matrix).read()
    summary = (evidence / "SUMMARY.md").read_text()
    assert "| tiny-broken | %s" % meta["python"] in summary and "**broken**" in summary
    assert "not run here: not here" in summary
    lint = envdoctor("matrix", "lint", matrix)
    assert lint.returncode == 0, lint.stderr


def test_error_line_keeps_the_cause_a_wrapper_announces():
    from envdoctor.deep import _error_line

    wrapped = {"type": "RuntimeError", "message": "Failed to import diffusers.training_utils "
               "because of the following error (look up to see its traceback):\n"
               "No module named 'mindtorch.distributed.fsdp.CPUOffload'"}
    assert _error_line(wrapped) == (
        "RuntimeError: Failed to import diffusers.training_utils because of the following error "
        "(look up to see its traceback): No module named 'mindtorch.distributed.fsdp.CPUOffload'")
    assert _error_line({"type": "KeyError", "message": "None"}) == "KeyError: None"
    nested = dict(wrapped, message="Failed to import a because (look up):\n"
                  "Failed to import b because (look up):\nNo module named 'torch'\nmore")
    assert _error_line(nested) == ("RuntimeError: Failed to import a because (look up): "
                                   "No module named 'torch'")


def test_lab_recipes_of_the_verification_take_precedence(tmp_path):
    from envdoctor.recipes import load_recipe
    from envdoctor.verify.harness import Settings, recipe_argument

    labs = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "verification", "labs")
    settings = Settings(workdir=str(tmp_path), evidence=str(tmp_path), root=str(tmp_path),
                        labs=labs)
    path = recipe_argument("gpt-imdb-2025", settings)
    assert path == os.path.join(labs, "gpt-imdb-2025.yaml")
    recipe = load_recipe(path)
    # exactly the 2025 notebook's imports (a931492), engine included
    assert "mindnlp.engine.trainer.Trainer" in recipe.symbols
    assert "mindnlp.engine.utils.EvalPrediction" in recipe.symbols
    assert "mindnlp.transformers.OpenAIGPTTokenizer" in recipe.symbols
    assert recipe_argument("gpt-imdb", settings) == "gpt-imdb"  # bundled: by name
    assert recipe_argument(None, settings) == "none"
    for name in ("gpt-imdb-2024-06", "gpt-imdb-2024-08"):
        assert load_recipe(recipe_argument(name, settings)).name == name


def test_every_combo_recipe_resolves():
    from envdoctor.recipes import find_recipe

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    combos = load_combos(os.path.join(here, "verification", "combos.yaml"))
    for combo in combos.combos:
        if combo.recipe:
            lab = os.path.join(here, "verification", "labs", combo.recipe + ".yaml")
            assert os.path.isfile(lab) or find_recipe(combo.recipe) is not None, combo.id
