"""fix never fails opaquely, never half-fixes a pairing only the framework move fixes, and
never lays a framework distribution over another. Real venvs, real pip, local wheels."""

import json
import subprocess

import pytest

from conftest import build_wheel, envdoctor


def offline(wheels, state):
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "ENVDOCTOR_STATE_DIR": str(state)}


def test_an_unresolvable_plan_shows_pips_own_lines(venv_factory, tmp_path):
    venv = venv_factory("safety-unresolvable")
    venv.install_wheels(build_wheel(tmp_path / "local", "alpha", "1.0", requires=["beta>=2,<3"]),
                        build_wheel(tmp_path / "local", "beta", "3.1"))
    wheels = tmp_path / "index"
    build_wheel(wheels, "beta", "3.2")  # nothing in >=2,<3
    before = venv.freeze()
    text = envdoctor("fix", "--python", venv.python, "--recipe", "none",
                     env=offline(wheels, tmp_path / "state"))
    assert text.returncode == 2
    assert "pip says:" in text.stderr and "beta" in text.stderr.split("pip says:")[1], text.stderr
    data = envdoctor("fix", "--json", "--python", venv.python, "--recipe", "none",
                     env=offline(wheels, tmp_path / "state"))
    assert data.returncode == 2
    error = json.loads(data.stdout)["error"]
    assert any("beta" in line for line in error["pip_lines"]), error
    assert venv.freeze() == before


def _framework_env(venv_factory, tmp_path, name):
    """fakeml 1.0 (a stand-in for mindnlp 0.4) needs mindspore<2.8; mindspore 2.10 is the
    environment's framework build."""
    venv = venv_factory(name)
    local = tmp_path / "local"
    venv.install_wheels(build_wheel(local, "fakeml", "1.0", requires=["mindspore<2.8"]),
                        build_wheel(local, "mindspore", "2.10.0"))
    wheels = tmp_path / "index"
    build_wheel(wheels, "mindspore", "2.7.0")
    return venv, wheels


def test_only_moving_the_framework_is_said_before_anything_is_installed(venv_factory, tmp_path):
    venv, wheels = _framework_env(venv_factory, tmp_path, "safety-move")
    before = venv.freeze()
    plan = envdoctor("fix", "--python", venv.python, "--recipe", "none",
                     env=offline(wheels, tmp_path / "state"))
    assert "only moving the framework fixes ED101" in plan.stdout, plan.stdout + plan.stderr
    assert "--move-framework" in plan.stdout
    assert "predicts no errors" not in plan.stdout
    applied = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                        env=offline(wheels, tmp_path / "state"))
    assert applied.returncode == 1, applied.stdout + applied.stderr
    assert "Fixed" not in applied.stdout
    assert venv.freeze() == before
    moved = envdoctor("fix", "--apply", "--yes", "--move-framework", "--python", venv.python,
                      "--recipe", "none", env=offline(wheels, tmp_path / "state"))
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert "mindspore==2.7.0" in venv.freeze()


def test_mindnlp_beside_mindspore_dev_never_pulls_mindspore(venv_factory, tmp_path):
    venv = venv_factory("safety-dev")
    local = tmp_path / "local"
    venv.install_wheels(
        build_wheel(local, "mindspore-dev", "2.5.0.dev20250202",
                    files={"mindspore/__init__.py": "dev = True\n"}),
        build_wheel(local, "lab", "1.0", requires=["fakenlp"]))
    wheels = tmp_path / "index"
    build_wheel(wheels, "fakenlp", "0.4.0", requires=["mindspore>=2.2", "regex"])
    build_wheel(wheels, "mindspore", "2.9.0", files={"mindspore/__init__.py": "dev = False\n"})
    build_wheel(wheels, "regex", "2024.1.1")
    data = json.loads(envdoctor("fix", "--json", "--python", venv.python, "--recipe", "none",
                                env=offline(wheels, tmp_path / "state")).stdout)
    plan = data["plan"]
    assert plan["no_deps"] == ["fakenlp==0.4.0"], plan
    installs = {a["package"]: a["to"] for a in plan["actions"]}
    assert "mindspore" not in installs and installs.get("regex") == "2024.1.1", installs
    assert installs.get("fakenlp") == "0.4.0"
    assert any("--no-deps" in n and "mindspore-dev" in n for n in plan["notes"])
    envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
              env=offline(wheels, tmp_path / "state"))
    freeze = venv.freeze()
    assert "mindspore==" not in freeze and "mindspore @" not in freeze, freeze


def test_a_hostile_name_never_reaches_pips_files(venv_factory, tmp_path):
    """A folded 'Name:' line in a target's METADATA is set aside, never handed to pip."""
    venv = venv_factory("safety-hostile-name")
    venv.install_wheels(build_wheel(tmp_path / "local", "alpha", "1.0", requires=["beta>=2,<3"]),
                        build_wheel(tmp_path / "local", "beta", "3.1"))
    site = venv.pip("show", "alpha").stdout.split("Location: ")[1].split()[0]
    evil = "%s/evil-1.0.dist-info" % site
    subprocess.run(["mkdir", evil], check=True)
    with open(evil + "/METADATA", "w") as handle:
        handle.write("Metadata-Version: 2.1\nName: \n --find-links http://127.0.0.1:9/\n"
                     "Version: 1.0\n\n")
    with open(evil + "/RECORD", "w") as handle:
        handle.write("")
    wheels = tmp_path / "index"
    build_wheel(wheels, "beta", "2.5")
    data = json.loads(envdoctor("fix", "--json", "--python", venv.python, "--recipe", "none",
                                env=offline(wheels, tmp_path / "state")).stdout)
    reqs = data["plan"]["requirements"]
    assert not any("find-links" in r or r.startswith("-") for r in reqs), reqs
    assert "beta>=2,<3" in reqs or "beta<3,>=2" in reqs


@pytest.mark.slow
def test_seed_venv_with_the_default_recipe_narrows_to_the_conflict(venv_factory, tmp_path):
    """transformers 4.35.0 + tokenizers 0.15.0 from PyPI, plain `fix --apply` (default lab
    recipe): the lab install cannot resolve with the conflict's fix, so the plan narrows to
    the errors' own fixes and gives tokenizers 0.14.x, saying the lab is a separate step."""
    venv = venv_factory("safety-seed")
    venv.pip("install", "-q", "--prefer-binary", "transformers==4.35.0")
    venv.pip("install", "-q", "--prefer-binary", "tokenizers==0.15.0")
    proc = envdoctor("fix", "--apply", "--yes", "--python", venv.python,
                     env={"ENVDOCTOR_STATE_DIR": str(tmp_path)})
    out = proc.stdout + proc.stderr
    assert "0.15.0 -> 0.14." in out, out
    assert venv.pip_check() == []
    version = subprocess.run([venv.python, "-c", "import tokenizers; print(tokenizers.__version__)"],
                             stdout=subprocess.PIPE, universal_newlines=True).stdout
    assert version.startswith("0.14."), out


def test_the_default_py311_install_is_a_framework_move(venv_factory, tmp_path):
    """What `pip install mindspore mindnlp` gives on Python 3.11 today, as stand-in wheels
    with the real names and versions, judged by the real matrix: mindnlp 0.5.0 on MindSpore
    2.10 with transformers 5. Holding the framework cannot fix it, and the plan says so
    before installing anything; --move-framework plans mindspore 2.7.0 with mindnlp 0.5.1,
    applies it and verifies."""
    venv = venv_factory("safety-py311-default")
    local, wheels = tmp_path / "local", tmp_path / "index"
    venv.install_wheels(
        build_wheel(local, "mindspore", "2.10.0"),
        build_wheel(local, "mindnlp", "0.5.0", requires=["mindspore>=2.5.0", "transformers>=4.55.0"]),
        build_wheel(local, "transformers", "5.24.0"))
    build_wheel(wheels, "mindspore", "2.7.0")
    build_wheel(wheels, "mindnlp", "0.5.1", requires=["mindspore>=2.5.0,<=2.7.0",
                                                      "transformers>=4.55.0"])
    build_wheel(wheels, "transformers", "4.57.6")
    before = venv.freeze()
    plan = envdoctor("fix", "--python", venv.python, "--recipe", "none",
                     env=offline(wheels, tmp_path / "state"))
    assert "only moving the framework fixes ED201 (mindnlp 0.5 does not import on MindSpore 2.8" \
        in plan.stdout, plan.stdout + plan.stderr
    assert "--move-framework" in plan.stdout
    held = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                     env=offline(wheels, tmp_path / "state"))
    assert held.returncode == 1 and "Fixed" not in held.stdout, held.stdout + held.stderr
    assert venv.freeze() == before  # nothing was installed
    moved = envdoctor("fix", "--apply", "--yes", "--move-framework", "--python", venv.python,
                      "--recipe", "none", env=offline(wheels, tmp_path / "state"))
    assert moved.returncode == 0, moved.stdout + moved.stderr
    freeze = venv.freeze()
    for pin in ("mindspore==2.7.0", "mindnlp==0.5.1", "transformers==4.57.6"):
        assert pin in freeze, freeze
