"""envdoctor fix: plans confirmed by pip, transactions that never leave an environment worse.

Real venvs and real pip throughout; the index is replaced by a folder of wheels built here
(PIP_NO_INDEX + --find-links), except in the slow test, which uses PyPI like the student.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, XDG_CACHE, build_wheel, check_json, envdoctor


def offline(wheels, state):
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "ENVDOCTOR_STATE_DIR": str(state),
            "XDG_CACHE_HOME": str(XDG_CACHE)}


@pytest.fixture
def conflicted(venv_factory, tmp_path, request):
    """alpha 1.0 needs beta>=2,<3 and delta; beta 3.1 is installed; delta is missing.

    The folder 'index' offers beta 2.5 and delta 1.0 (delta needs beta<3, so pip installs
    beta first: a failing delta leaves the environment half-changed)."""
    wheels = tmp_path / "index"
    venv = venv_factory("fix-%s" % request.node.name[:40])
    venv.install_wheels(
        build_wheel(tmp_path / "local", "alpha", "1.0", requires=["beta>=2,<3", "delta"]),
        build_wheel(tmp_path / "local", "beta", "3.1"),
    )
    build_wheel(wheels, "beta", "2.5")
    return venv, wheels


def _site(venv):
    return venv.pip("show", "alpha").stdout.split("Location: ")[1].split()[0]


def test_plan_changes_nothing_and_is_confirmed_by_pip(conflicted, tmp_path):
    venv, wheels = conflicted
    build_wheel(wheels, "delta", "1.0", requires=["beta<3"])
    before = venv.freeze()
    proc = envdoctor("fix", "--python", venv.python, "--recipe", "none",
                     env=offline(wheels, tmp_path / "state"))
    assert proc.returncode == 1, proc.stderr  # problems found, nothing applied
    out = proc.stdout
    assert "downgrade beta" in out and "3.1 -> 2.5" in out
    assert "install   delta" in out
    assert "Confirmed by pip's resolver" in out and "predicts no errors" in out
    assert "Nothing was changed" in out
    assert venv.freeze() == before

    data = json.loads(envdoctor("fix", "--python", venv.python, "--recipe", "none", "--json",
                                env=offline(wheels, tmp_path / "state")).stdout)
    actions = {a["package"]: a for a in data["plan"]["actions"]}
    assert actions["beta"]["action"] == "downgrade" and actions["beta"]["to"] == "2.5"
    assert actions["delta"]["action"] == "install"
    assert data["plan"]["confirmed_by"] == "pip install --dry-run --report"
    assert data["applied"] is False
    assert venv.freeze() == before


def test_apply_fixes_and_rollback_restores(conflicted, tmp_path):
    venv, wheels = conflicted
    build_wheel(wheels, "delta", "1.0", requires=["beta<3"])
    state = tmp_path / "state"
    before = venv.freeze()
    proc = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                     env=offline(wheels, state))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Fixed" in proc.stdout
    assert venv.pip_check() == []
    assert check_json("--python", venv.python, "--recipe", "none")["summary"]["errors"] == 0
    # the state folder holds the freeze and snapshot taken before the change
    (tx,) = os.listdir(str(state / "transactions"))
    saved = state / "transactions" / tx
    assert (saved / "freeze.txt").read_text() == before
    assert json.loads((saved / "snapshot.json").read_text())["kind"] == "envdoctor-snapshot"

    back = envdoctor("rollback", env=offline(wheels, state))
    assert back.returncode == 0, back.stdout + back.stderr
    assert venv.freeze() == before  # beta 3.1 again, delta gone: the exact previous state


def test_a_lab_refusal_does_not_offer_apply(venv_factory, tmp_path):
    """fix --lab with no release that has the lab's names: nothing to install, and the last
    line says --apply would do nothing, instead of offering it."""
    venv = venv_factory("fix-lab-refusal")
    lab = tmp_path / "lab.py"
    lab.write_text("import mindspore\nfrom mindnlp.transformers import NoSuchTokenizerAnywhere\n")
    before = venv.freeze()
    proc = envdoctor("fix", "--python", venv.python, "--lab", str(lab),
                     env=offline(tmp_path / "index", tmp_path / "state"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "fix --lab changes nothing" in proc.stdout
    assert "nothing for --apply to do" in proc.stdout
    assert "fix --apply" not in proc.stdout
    assert venv.freeze() == before


def test_an_ignored_code_is_neither_fixed_nor_verified(conflicted, tmp_path):
    """--ignore ED102 (delta is missing, and no index has it): the fix moves beta into
    alpha's range and is verified without ED102, instead of failing on it."""
    venv, wheels = conflicted
    env = offline(wheels, tmp_path / "state")
    plain = envdoctor("fix", "--python", venv.python, "--recipe", "none", env=env)
    assert plain.returncode == 2, plain.stdout + plain.stderr  # pip cannot find delta
    plan = json.loads(envdoctor("fix", "--json", "--python", venv.python, "--recipe", "none",
                                "--ignore", "ED102", env=env).stdout)["plan"]
    assert [f["code"] for f in plan["errors_before"]] == ["ED101"]
    assert plan["predicted_after"] == []  # ED102 stays, but it is not counted
    applied = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                        "--ignore", "ED102", env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "beta==2.5" in venv.freeze() and "delta" not in venv.freeze()
    after = check_json("--python", venv.python, "--recipe", "none")
    assert [f["code"] for f in after["findings"] if f["severity"] == "error"] == ["ED102"]


RULE_PIP_CANNOT_SEE = """\
schema: 1
rules:
  - id: beta25-breaks-alpha
    when:
      packages:
        alpha: ">=1"
        beta: ">=2.5,<3"
    verdict: broken
    title: alpha 1 fails to import with beta 2.5
    because: beta 2.5 renamed what alpha imports, and neither declares it.
    error: "ImportError: cannot import name 'x' from 'beta'"
    fix:
      requirements: ["beta<2.5"]
    source:
      kind: reported
      link: https://example.org/beta25
"""


def test_a_rule_pip_cannot_see_is_planned_around(conflicted, tmp_path):
    """pip's newest pick for alpha's range (beta 2.5) breaks a matrix rule pip knows nothing
    of: the plan is made again with the rule's own fix as a constraint, and says so."""
    venv, wheels = conflicted
    build_wheel(wheels, "delta", "1.0", requires=["beta<3"])
    build_wheel(wheels, "beta", "2.1")
    matrix = tmp_path / "matrix.yaml"
    matrix.write_text(RULE_PIP_CANNOT_SEE)
    env = offline(wheels, tmp_path / "state")
    data = json.loads(envdoctor("fix", "--json", "--python", venv.python, "--recipe", "none",
                                "--matrix", str(matrix), env=env).stdout)["plan"]
    actions = {a["package"]: a for a in data["actions"]}
    assert actions["beta"]["to"] == "2.1", data
    assert "beta<2.5" in data["constraints"]
    assert data["predicted_after"] == []
    assert any(n.startswith("beta<2.5 added: without it, pip picks a set that hits ED201")
               for n in data["notes"]), data["notes"]
    applied = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                        "--matrix", str(matrix), env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "beta==2.1" in venv.freeze()


def test_apply_refuses_without_a_terminal_unless_yes(conflicted, tmp_path):
    venv, wheels = conflicted
    before = venv.freeze()
    proc = envdoctor("fix", "--apply", "--python", venv.python, "--recipe", "none",
                     env=offline(wheels, tmp_path / "state"))
    assert proc.returncode == 2 and "--yes" in proc.stderr
    assert venv.freeze() == before


def test_no_index_reachable(conflicted, tmp_path):
    venv, _ = conflicted
    before = venv.freeze()
    proc = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                     "--index-url", "http://127.0.0.1:9/simple",
                     env={"ENVDOCTOR_STATE_DIR": str(tmp_path / "state"), "PIP_RETRIES": "0",
                          "PIP_TIMEOUT": "3"})
    assert proc.returncode != 0
    assert "pip could not resolve the plan" in proc.stderr
    assert venv.freeze() == before


def test_package_failing_halfway_is_rolled_back(conflicted, tmp_path):
    venv, wheels = conflicted
    # delta installs a package folder where a plain file already stands: pip fails *after*
    # it has already replaced beta 3.1 with 2.5.
    site = _site(venv)
    with open(os.path.join(site, "zzblocker"), "w") as handle:
        handle.write("not a folder\n")
    build_wheel(wheels, "delta", "1.0", requires=["beta<3"],
                files={"zzblocker/__init__.py": "x = 1\n"})
    before = venv.freeze()
    proc = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                     env=offline(wheels, tmp_path / "state"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "The fix failed" in proc.stdout and "exactly as it was" in proc.stdout
    assert venv.freeze() == before
    assert open(os.path.join(site, "zzblocker")).read() == "not a folder\n"


def _big_wheel(wheels, files=3000):
    """A delta whose install takes seconds (thousands of files): time to interrupt it."""
    body = {"delta_data/f%04d.py" % i: "VALUE = %d\n" % i for i in range(files)}
    build_wheel(wheels, "delta", "1.0", requires=["beta<3"], files=body)


def _start_fix(venv, wheels, state):
    env = dict(os.environ, **offline(wheels, state))
    return subprocess.Popen([sys.executable, "-m", "envdoctor", "fix", "--apply", "--yes",
                             "--python", venv.python, "--recipe", "none"],
                            cwd=str(ROOT), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True)


def _wait_for_change(venv, timeout=120):
    """Until pip has replaced beta (its 2.5 metadata appears)."""
    site = _site(venv)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(n.startswith("beta-2.5") for n in os.listdir(site)):
            return
        time.sleep(0.02)
    raise AssertionError("pip never started changing the environment")


def test_terminated_during_apply_rolls_back_by_itself(conflicted, tmp_path):
    venv, wheels = conflicted
    _big_wheel(wheels)
    before = venv.freeze()
    proc = _start_fix(venv, wheels, tmp_path / "state")
    _wait_for_change(venv)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode != 0
    assert "interrupted" in out or "did not verify" in out, out + err
    assert venv.freeze() == before


def test_killed_during_apply_then_rollback_restores(conflicted, tmp_path):
    venv, wheels = conflicted
    _big_wheel(wheels)
    state = tmp_path / "state"
    before = venv.freeze()
    proc = _start_fix(venv, wheels, state)
    _wait_for_change(venv)
    proc.kill()  # SIGKILL: no chance to clean up
    proc.communicate(timeout=60)
    time.sleep(3)  # let the orphaned pip finish or die
    # the next fix run warns about the unfinished transaction
    warn = envdoctor("fix", "--python", venv.python, "--recipe", "none",
                     env=offline(wheels, state))
    assert "unfinished fix" in warn.stdout
    back = envdoctor("rollback", env=offline(wheels, state))
    assert back.returncode == 0, back.stdout + back.stderr
    assert venv.freeze() == before


def test_nothing_to_fix(venv_factory, tmp_path):
    venv = venv_factory("clean")
    proc = envdoctor("fix", "--python", venv.python, "--recipe", "none",
                     env={"ENVDOCTOR_STATE_DIR": str(tmp_path)})
    assert proc.returncode == 0 and "Nothing to fix" in proc.stdout


@pytest.mark.slow
def test_students_conflict_fixed_from_the_index(venv_factory, tmp_path):
    """transformers 4.35.0 + tokenizers 0.15.0 -> fix --apply --yes -> pip check clean."""
    venv = venv_factory("fix-student")
    venv.pip("install", "-q", "--prefer-binary", "transformers==4.35.0")
    venv.pip("install", "-q", "--prefer-binary", "tokenizers==0.15.0")
    assert venv.pip_check() != []
    proc = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                     env={"ENVDOCTOR_STATE_DIR": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "downgrade tokenizers" in proc.stdout and "0.15.0 -> 0.14." in proc.stdout
    assert venv.pip_check() == []
    imported = subprocess.run([venv.python, "-c", "import transformers, tokenizers; "
                               "print(tokenizers.__version__)"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip().startswith("0.14.")


@pytest.mark.slow
def test_old_pip_in_the_target_is_driven_from_outside(tmp_path):
    """Python 3.7 images ship pip 22.0 (no --dry-run --report): the target runs a newer pip
    from its wheel to plan and apply, and the target's own pip stays as it is."""
    from conftest import Venv, pyenv_python

    base = pyenv_python("3.7")
    if base is None:
        pytest.skip("no Python 3.7 here")
    venv = Venv(tmp_path / "py37", base)
    old_pip = venv.pip("--version").stdout.split()[1]
    if tuple(int(x) for x in old_pip.split(".")[:2]) >= (22, 2):
        pytest.skip("this Python 3.7 ships a new pip already")
    wheels = tmp_path / "index"
    venv.install_wheels(build_wheel(tmp_path / "local", "alpha", "1.0", requires=["beta<3"]),
                        build_wheel(tmp_path / "local", "beta", "3.1"))
    build_wheel(wheels, "beta", "2.5")
    # the "index" offers a pip for Python 3.7 too (from PyPI, once)
    venv.pip("download", "-q", "--no-deps", "--only-binary=:all:", "-d", str(wheels),
             "pip>=22.2,<24.1")
    before = venv.freeze()
    env = dict(offline(wheels, tmp_path / "state"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    # (its own empty cache: this test shows the wheel is fetched through the user's index)
    plan = envdoctor("fix", "--python", venv.python, "--recipe", "none", env=env)
    assert plan.returncode == 1, plan.stdout + plan.stderr
    assert "too old for --dry-run --report" in plan.stdout and "3.1 -> 2.5" in plan.stdout
    assert venv.freeze() == before
    done = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                     env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert venv.pip_check() == []
    assert venv.pip("--version").stdout.split()[1] == old_pip
    assert envdoctor("rollback", env=env).returncode == 0
    assert venv.freeze() == before
