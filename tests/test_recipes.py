"""Lab recipes: the bundled ones load, the default follows the Python, and the check."""

from envdoctor.checks import CheckContext
from envdoctor.checks import recipe as recipe_check
from envdoctor.recipes import default_recipe, find_recipe, load_recipes
from conftest import ROOT, build_wheel, envdoctor, make_snapshot


def test_bundled_recipes():
    names = {r.name for r in load_recipes()}
    assert {"gpt-imdb", "gpt-imdb-2023"} <= names
    old = find_recipe("gpt-imdb-2023")
    assert old.supports_python("3.7.16") and not old.supports_python("3.10.0")
    assert "mindnlp.transforms.GPTTokenizer" in old.symbols
    mindnlp = [p for p in old.packages if p.name == "mindnlp"][0]
    assert mindnlp.origin == "vcs" and mindnlp.install.startswith("git+https://")


def test_default_is_newest_for_the_python():
    recipes = load_recipes()
    assert default_recipe(make_snapshot(python="3.7.16"), recipes).name == "gpt-imdb-2023"
    assert default_recipe(make_snapshot(python="3.9.18"), recipes).name == "gpt-imdb"
    assert default_recipe(make_snapshot(python="3.11.7"), recipes).name == "gpt-imdb"
    assert default_recipe(make_snapshot(python="3.13.0"), recipes) is None


def codes(findings):
    return sorted((f.code, f.packages) for f in findings)


def test_students_2023_environment():
    """Python 3.7, mindspore 2.0.0, mindnlp 0.1.1 from PyPI (the student's image)."""
    snap = make_snapshot(python="3.7.16", mindspore="2.0.0", mindnlp="0.1.1", regex="2023.1",
                         sentencepiece="0.1.99", pillow="9.5.0", numpy="1.21.6")
    found = recipe_check.check(CheckContext(snap, None, find_recipe("gpt-imdb-2023")))
    assert ("ED302", ("mindnlp",)) in codes(found)
    finding = [f for f in found if f.code == "ED302"][0]
    assert "from index" in finding.evidence.installed
    assert "git+https://github.com/mindspore-lab/mindnlp.git@v0.1.1" in finding.fix.command
    assert "GPTTokenizer" in finding.because


def test_missing_and_wrong_python():
    snap = make_snapshot(python="3.12.1", mindnlp="0.5.1")
    found = recipe_check.check(CheckContext(snap, None, find_recipe("gpt-imdb")))
    assert ("ED303", ()) in codes(found)
    assert ("ED301", ("mindspore",)) in codes(found)
    assert ("ED301", ("mindnlp",)) not in codes(found)
    assert all(f.severity.value == "error" for f in found if f.code in ("ED301", "ED303"))


def test_bare_venv_is_one_finding_with_the_whole_lab():
    found = recipe_check.check(CheckContext(make_snapshot(python="3.11.7"), None,
                                            find_recipe("gpt-imdb")))
    bare = [f for f in found if f.code == "ED301"]
    assert len(bare) == 1 and "None of lab gpt-imdb's packages" in bare[0].title
    # the recipe's range (2.7.0-2.7.2 verified); mindnlp 0.5.1's own cap and the lock make
    # pip take 2.7.0
    assert "mindspore>=2.7.0,<2.8" in bare[0].fix.requirements
    assert "mindnlp==0.5.1" in bare[0].fix.requirements
    assert "envdoctor fix --apply" in bare[0].fix.text


def test_no_recipe_is_an_info_not_an_error():
    found = recipe_check.check(CheckContext(make_snapshot(python="3.13.0"), None, None))
    assert [f.code for f in found] == ["ED305"]
    assert found[0].severity.value == "info"


def test_cli_lists_recipes():
    proc = envdoctor("recipes")
    assert proc.returncode == 0
    assert "gpt-imdb-2023" in proc.stdout and "gpt-imdb " in proc.stdout


def test_unknown_recipe_is_exit_2():
    proc = envdoctor("check", "--recipe", "no-such-lab")
    assert proc.returncode == 2 and "no recipe named" in proc.stderr


# --- issue 11: a recipe per generation of the course's GPT lab; the default follows the API ---

import os
import subprocess

import pytest

MIRROR = "/work/.mirror/mindspore-courses+step_into_llm/repo"
NOTEBOOK = "Season1.step_into_chatgpt/3.GPT/gpt_imdb_finetune.ipynb"


def test_one_recipe_per_generation_and_the_port_says_what_it_is():
    recipes = {r.name: r for r in load_recipes()}
    assert {"gpt-imdb-2023", "gpt-imdb-2024", "gpt-imdb-2025", "gpt-imdb"} <= set(recipes)
    port = recipes["gpt-imdb"]
    assert "port" in port.title and "diffusers" not in {p.name for p in port.packages}
    assert "mindnlp.engine.TrainingArguments" in recipes["gpt-imdb-2025"].symbols
    assert "mindnlp.transformers.GPTTokenizer" in recipes["gpt-imdb-2024"].symbols
    for name in ("gpt-imdb-2024", "gpt-imdb-2025"):
        assert len(recipes[name].source["link"].split("/blob/")[1].split("/")[0]) == 40


def test_default_follows_the_installed_api():
    recipes = load_recipes()
    era = make_snapshot(python="3.9.18", **{"mindspore-dev": "2.5.0.dev20250202",
                                            "mindnlp": "0.4.0"})
    assert default_recipe(era, recipes).name == "gpt-imdb-2025"
    assert default_recipe(make_snapshot(python="3.9.18", mindspore="2.2.14", mindnlp="0.2.4"),
                          recipes).name == "gpt-imdb-2024"
    assert default_recipe(make_snapshot(python="3.9.18", mindspore="2.7.0", mindnlp="0.5.1"),
                          recipes).name == "gpt-imdb"
    # 0.4.1 is pinned by no recipe: the API index says it has the 2025 lab's names
    assert default_recipe(make_snapshot(python="3.10.12", mindnlp="0.4.1"),
                          recipes).name == "gpt-imdb-2025"
    # nothing of the lab installed: the newest verified recipe, not the newest declared one
    assert default_recipe(make_snapshot(python="3.9.18"), recipes).status == "verified"


def test_a_missing_lock_file_is_no_lock():
    recipe = find_recipe("gpt-imdb-2025")
    lock = os.path.join(os.path.dirname(recipe.path), "locks",
                        "gpt-imdb-2025-py3.9-linux-x86_64.txt")
    snap = make_snapshot(python="3.9.18")
    if os.path.exists(lock):
        assert recipe.lock_for(snap)[0]
    else:
        assert recipe.lock_for(snap) is None
    assert find_recipe("gpt-imdb-2024").lock_for(make_snapshot(python="3.8.18")) is None


@pytest.mark.skipif(not os.path.isdir(MIRROR), reason="the course's git mirror is not here")
@pytest.mark.parametrize("name, commit", [
    ("gpt-imdb-2024", "42b53f5d0f462332f0c8fac867f7df847a13f11f"),
    ("gpt-imdb-2025", "a931492b34e11aebe83d8b67da3f9aaca5143fb5")])
def test_recipe_symbols_are_exactly_the_notebooks_imports(name, commit):
    from envdoctor.checks.lab import FALLBACK_STDLIB
    from envdoctor.lab import read_text

    text = subprocess.run(["git", "--git-dir", MIRROR, "show", "%s:%s" % (commit, NOTEBOOK)],
                          stdout=subprocess.PIPE, check=True).stdout.decode("utf-8")
    lab = read_text(text, "gpt_imdb_finetune.ipynb")
    imported = [s for s in lab.symbols() if s.split(".")[0] not in FALLBACK_STDLIB]
    assert list(find_recipe(name).symbols) == imported
    assert find_recipe(name).source["link"].split("/blob/")[1].startswith(commit)


_OPTION_WITH_VALUE = ("-c", "-r", "--constraint", "--requirement", "-i", "--index-url",
                      "-f", "--find-links", "--extra-index-url", "--trusted-host")


def _pip_install_names(argv):
    """(names, names installed with --no-deps) among one pip install's arguments."""
    from envdoctor.snapshot import canonical_name, requirement_name

    names, skip = set(), False
    for token in argv:
        if skip or token.startswith("-"):
            skip = not skip and token in _OPTION_WITH_VALUE
            continue
        name = requirement_name(token)
        if name:
            names.add(canonical_name(name))
    return names, (names if "--no-deps" in argv else set())


def test_install_lines_name_what_the_verified_lock_combination_installed():
    """The card's Install section is what a student types: it must install every package the
    combination that verified the recipe's lock installed, the same ones with --no-deps (a
    mindnlp 0.4 line without its other requirements fails at `import mindnlp`)."""
    import shlex

    from envdoctor.verify.combos import load_combos

    combos = load_combos(str(ROOT / "verification" / "combos.yaml")).combos
    compared = []
    for recipe in load_recipes():
        files = {"recipes/" + entry["file"] for by_platform in recipe.locks.values()
                 if isinstance(by_platform, dict)
                 for entry in by_platform.values() if isinstance(entry, dict)}
        card, card_alone = set(), set()
        for line in recipe.install:
            argv = shlex.split(line, comments=True)
            names, alone = _pip_install_names(argv[argv.index("install") + 1:])
            card |= names
            card_alone |= alone
        for combo in combos:
            if combo.expect != "works" or not any(
                    f in arg for step in combo.steps for arg in step for f in files):
                continue
            used, used_alone = set(), set()
            for step in combo.steps:
                names, alone = _pip_install_names(step)
                used |= names
                used_alone |= alone
            assert used - card == set(), (recipe.name, combo.id)
            assert used_alone == card_alone, (recipe.name, combo.id)
            compared.append(recipe.name)
    assert {"gpt-imdb-2024", "gpt-imdb-2025", "gpt-imdb"} <= set(compared)


def test_a_lock_read_off_a_mindspore_dev_environment(venv_factory, tmp_path):
    """`recipe lock` counts mindspore-dev as the recipe's `mindspore` (the 2.5 build is PyPI's
    only MindSpore of that era), locks it under its own name and says how to install it."""
    wheels = tmp_path / "wheels"
    venv = venv_factory("lock-mindspore-dev")
    venv.install_wheels(
        build_wheel(wheels, "mindspore-dev", "2.5.0.dev20250202", requires=["numpy<2"],
                    files={"mindspore/__init__.py": ""}),
        build_wheel(wheels, "numpy", "1.26.4"),
        build_wheel(wheels, "mindnlp", "0.4.0", requires=["mindspore>=2.2.14", "regex"]),
        build_wheel(wheels, "regex", "2024.1.1"),
        build_wheel(wheels, "jieba", "0.42.1"),
        build_wheel(wheels, "evaluate", "0.4.6"),
        build_wheel(wheels, "tqdm", "4.67.1"),
        build_wheel(wheels, "unrelated", "1.0"))
    out = tmp_path / "lock.txt"
    proc = envdoctor("recipe", "lock", "gpt-imdb-2025", "--python", venv.python, "-o", str(out),
                     "--checks", "imports")
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    pins = [line for line in text.splitlines() if not line.startswith("#")]
    assert pins == ["evaluate==0.4.6", "jieba==0.42.1", "mindnlp==0.4.0",
                    "mindspore-dev==2.5.0.dev20250202", "numpy==1.26.4", "regex==2024.1.1",
                    "tqdm==4.67.1"]
    assert "# mindspore-dev is MindSpore under another name" in text
    venv.pip("uninstall", "-y", "-q", "mindspore-dev")
    proc = envdoctor("recipe", "lock", "gpt-imdb-2025", "--python", venv.python)
    assert proc.returncode == 2 and "lacks mindspore" in proc.stderr
