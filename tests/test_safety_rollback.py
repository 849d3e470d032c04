"""Rollback as an attacker and a careless user would meet it: it undoes only what its own
transaction did, and refuses IDs, journals and folders it did not write.

Real venvs, real pip, real wheels (an index folder); every test compares the freeze and the
file listing, or a sentinel outside the environment, before and after.
"""

import json
import os
import stat

import pytest

from conftest import build_wheel, envdoctor


def offline(wheels, state):
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "ENVDOCTOR_STATE_DIR": str(state)}


@pytest.fixture
def conflicted(venv_factory, tmp_path, request):
    """alpha 1.0 needs beta>=2,<3 and delta; beta 3.1 is installed; the index has the fix."""
    wheels = tmp_path / "index"
    venv = venv_factory("safety-%s" % request.node.name[:40])
    venv.install_wheels(
        build_wheel(tmp_path / "local", "alpha", "1.0", requires=["beta>=2,<3", "delta"]),
        build_wheel(tmp_path / "local", "beta", "3.1"),
    )
    build_wheel(wheels, "beta", "2.5")
    build_wheel(wheels, "delta", "1.0", requires=["beta<3"])
    return venv, wheels


def _site(venv):
    return venv.pip("show", "alpha").stdout.split("Location: ")[1].split()[0]


def _listing(root):
    out = set()
    for folder, dirs, files in os.walk(str(root)):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        out.update(os.path.relpath(os.path.join(folder, f), str(root)) for f in files
                   if not f.endswith(".pyc"))
    return out


def test_rollback_keeps_a_later_install_and_the_users_files(conflicted, tmp_path):
    venv, wheels = conflicted
    state = tmp_path / "state"
    before_freeze, before_files = venv.freeze(), _listing(venv.path)
    done = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                     env=offline(wheels, state))
    assert done.returncode == 0, done.stdout + done.stderr
    # after the fix: an unrelated install, and the user's own files next to the packages
    venv.install_wheels(build_wheel(tmp_path / "later", "gamma", "1.0"))
    site = _site(venv)
    with open(os.path.join(site, "my_notes.py"), "w") as handle:
        handle.write("mine = True\n")
    with open(os.path.join(str(venv.path), "bin", "my-script"), "w") as handle:
        handle.write("#!/bin/sh\necho mine\n")
    gamma_files = {f for f in _listing(venv.path) if "gamma" in f}
    assert gamma_files

    refused = envdoctor("rollback", env=offline(wheels, state))
    assert refused.returncode == 2 and "--force" in refused.stderr, refused.stderr
    assert "gamma" in refused.stderr  # says what changed since

    back = envdoctor("rollback", "--force", env=offline(wheels, state))
    assert back.returncode == 1, back.stdout + back.stderr  # freeze differs: gamma stays
    freeze = venv.freeze()
    assert sorted(freeze.splitlines()) == sorted(
        before_freeze.splitlines() + ["gamma @ " + l.split(" @ ", 1)[1]
                                      for l in freeze.splitlines() if l.startswith("gamma @")])
    assert any(l.startswith("gamma @") for l in freeze.splitlines())
    assert _listing(venv.path) == before_files | gamma_files | {
        os.path.relpath(os.path.join(site, "my_notes.py"), str(venv.path)),
        os.path.join("bin", "my-script")}


def test_a_file_edited_after_the_fix_is_kept_and_named(conflicted, tmp_path):
    venv, wheels = conflicted
    state = tmp_path / "state"
    done = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                     env=offline(wheels, state))
    assert done.returncode == 0, done.stdout + done.stderr
    edited = os.path.join(_site(venv), "delta", "__init__.py")
    with open(edited, "a") as handle:
        handle.write("# my edit\n")
    back = envdoctor("rollback", "--force", env=offline(wheels, state))
    assert "kept %s (changed after the fix ended)" % edited in back.stdout, back.stdout
    assert open(edited).read().endswith("# my edit\n")
    assert "beta==3.1" in venv.freeze() or "beta @" in venv.freeze()


def test_rollback_needs_python_when_several_environments_have_fixes(conflicted, venv_factory,
                                                                   tmp_path):
    venv, wheels = conflicted
    state = tmp_path / "state"
    other = venv_factory("safety-other")
    other.install_wheels(build_wheel(tmp_path / "local2", "alpha", "1.0",
                                     requires=["beta>=2,<3", "delta"]),
                         build_wheel(tmp_path / "local2", "beta", "3.1"))
    # two failed (hence unfinished) transactions, one per environment: delta is not offered
    os.remove(str(next(wheels.glob("delta-*.whl"))))
    build_wheel(wheels, "delta", "1.0", requires=["beta<3"],
                files={"delta/broken.py": "x = 1\n"}, tag="py3-none-any")
    for target in (venv, other):
        proc = envdoctor("fix", "--apply", "--yes", "--python", target.python, "--recipe",
                         "none", env=offline(wheels, state))
        assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    ambiguous = envdoctor("rollback", env=offline(wheels, state))
    assert ambiguous.returncode == 2 and "--python" in ambiguous.stderr
    listed = envdoctor("rollback", "--list", env=offline(wheels, state)).stdout
    assert venv.python in listed and other.python in listed


def test_state_is_private(conflicted, tmp_path):
    venv, wheels = conflicted
    state = tmp_path / "state"
    envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
              env=offline(wheels, state))
    (tx,) = list((state / "transactions").iterdir())
    for folder in (state, state / "transactions", tx, tx / "backup"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for name in ("journal.json", "snapshot.json", "freeze.txt", "plan.json"):
        assert stat.S_IMODE((tx / name).stat().st_mode) == 0o600, name


def test_hostile_record_paths_are_never_backed_up_or_restored(conflicted, tmp_path):
    venv, wheels = conflicted
    state = tmp_path / "state"
    victim = tmp_path / "outside" / "victim.txt"
    victim.parent.mkdir()
    victim.write_text("v1\n")
    record = os.path.join(_site(venv), "beta-3.1.dist-info", "RECORD")
    depth = os.path.relpath(str(victim), _site(venv))
    with open(record, "a") as handle:
        handle.write("%s,,\n%s,,\n" % (depth, victim))  # ../../.. and absolute
    done = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                     env=offline(wheels, state))
    assert done.returncode == 0, done.stdout + done.stderr
    (tx,) = list((state / "transactions").iterdir())
    journal = json.loads((tx / "journal.json").read_text())
    assert any(str(victim) in r for r in journal["refused"])
    assert not any(str(victim) == f[0] for b in journal["backups"].values() for f in b["files"])
    victim.write_text("v2\n")  # the user's newer edit
    envdoctor("rollback", "--force", env=offline(wheels, state))
    assert victim.read_text() == "v2\n"


# -- IDs, folders and journals envdoctor did not write -------------------------------------

def _fake_transaction(folder, prefix, python, files=(), status="failed"):
    folder.mkdir(parents=True)
    (folder / "freeze.txt").write_text("")
    journal = {"id": folder.name, "python": python, "prefix": prefix, "status": status,
               "touched": ["x"], "backups": {"x": {"name": "x", "version": "1",
                                                   "files": [list(f) for f in files]}},
               "listings": {}, "events": []}
    (folder / "journal.json").write_text(json.dumps(journal))


@pytest.fixture
def evil(tmp_path):
    """A script that leaves a mark when run, and a file it must not touch."""
    mark = tmp_path / "ran"
    script = tmp_path / "evil" / "bin" / "python"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\ntouch %s\n" % mark)
    script.chmod(0o755)
    sentinel = tmp_path / "home" / "precious.txt"
    sentinel.parent.mkdir()
    sentinel.write_text("precious\n")
    return script, mark, sentinel


@pytest.mark.parametrize("tid", ["../../x", "/etc", "..", "20261201-000000-abcdef/../../x",
                                 "latest", "20261201-000000-abcdef\n"])
def test_ids_that_are_paths_are_refused(tmp_path, tid):
    proc = envdoctor("rollback", tid, env={"ENVDOCTOR_STATE_DIR": str(tmp_path / "state")})
    assert proc.returncode == 2 and "not a transaction id" in proc.stderr, proc.stderr


def test_a_planted_symlink_is_never_used(tmp_path, evil):
    script, mark, sentinel = evil
    state = tmp_path / "state"
    (state / "transactions").mkdir(parents=True)
    elsewhere = tmp_path / "attacker" / "20261201-000000-abcdef"
    _fake_transaction(elsewhere, str(script.parent.parent), str(script),
                      files=[(str(sentinel), "x/000001")])
    (elsewhere / "backup" / "x").mkdir(parents=True)
    (elsewhere / "backup" / "x" / "000001").write_text("overwritten\n")
    os.symlink(str(elsewhere), str(state / "transactions" / "20261201-000000-abcdef"))
    plain = envdoctor("rollback", env={"ENVDOCTOR_STATE_DIR": str(state)})
    assert plain.returncode == 2 and "nothing to roll back" in plain.stderr
    named = envdoctor("rollback", "20261201-000000-abcdef", env={"ENVDOCTOR_STATE_DIR": str(state)})
    assert named.returncode == 2 and "symlink" in named.stderr
    assert not mark.exists() and sentinel.read_text() == "precious\n"


def test_a_journal_naming_paths_outside_its_prefix_is_refused(tmp_path, evil):
    script, mark, sentinel = evil
    state = tmp_path / "state"
    venv_prefix = tmp_path / "env"
    (venv_prefix / "bin").mkdir(parents=True)
    folder = state / "transactions" / "20261201-000000-abcdef"
    # a python outside the prefix, and a backup written over a file outside it
    _fake_transaction(folder, str(venv_prefix), str(script),
                      files=[(str(sentinel), "x/000001")])
    (folder / "backup" / "x").mkdir(parents=True)
    (folder / "backup" / "x" / "000001").write_text("overwritten\n")
    proc = envdoctor("rollback", "20261201-000000-abcdef", env={"ENVDOCTOR_STATE_DIR": str(state)})
    assert proc.returncode == 2 and "outside its environment" in proc.stderr, proc.stderr
    assert not mark.exists() and sentinel.read_text() == "precious\n"
    # a prefix of "/" owns nothing either
    _fake_transaction(state / "transactions" / "20261201-000001-abcdef", "/", str(script),
                      files=[(str(sentinel), "x/000001")])
    proc = envdoctor("rollback", "20261201-000001-abcdef", env={"ENVDOCTOR_STATE_DIR": str(state)})
    assert proc.returncode == 2 and "outside its environment" in proc.stderr, proc.stderr
    assert not mark.exists() and sentinel.read_text() == "precious\n"


def test_a_backup_name_leaving_the_transaction_folder_is_refused(tmp_path, evil):
    script, mark, sentinel = evil
    state = tmp_path / "state"
    prefix = script.parent.parent
    target = prefix / "lib" / "f.py"
    target.parent.mkdir(parents=True)
    target.write_text("mine\n")
    folder = state / "transactions" / "20261201-000000-abcdef"
    _fake_transaction(folder, str(prefix), str(script),
                      files=[(str(target), "../../../../home/precious.txt")])
    proc = envdoctor("rollback", "20261201-000000-abcdef", env={"ENVDOCTOR_STATE_DIR": str(state)})
    assert proc.returncode == 2 and "outside its environment" in proc.stderr, proc.stderr
    assert not mark.exists() and target.read_text() == "mine\n"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="making a folder another user's needs root")
def test_a_transaction_folder_of_another_user_is_refused(tmp_path, evil):
    script, mark, sentinel = evil
    state = tmp_path / "state"
    folder = state / "transactions" / "20261201-000000-abcdef"
    _fake_transaction(folder, str(script.parent.parent), str(script))
    os.chown(str(folder), 65534, 65534)
    proc = envdoctor("rollback", "20261201-000000-abcdef", env={"ENVDOCTOR_STATE_DIR": str(state)})
    assert proc.returncode == 2 and "not yours" in proc.stderr, proc.stderr
    assert not mark.exists()


def test_a_read_only_state_folder_changes_nothing(conflicted, tmp_path):
    venv, wheels = conflicted
    state = tmp_path / "state"
    state.mkdir()
    (state / "transactions").write_text("not a folder")  # as good as a read-only disk
    before = venv.freeze()
    proc = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                     env=offline(wheels, state))
    assert proc.returncode == 1 and "nothing was changed" in proc.stdout, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert venv.freeze() == before


def test_prune_deletes_only_what_nothing_needs(tmp_path, evil):
    """A MindSpore backup takes GBs: --prune deletes rolled-back fixes and applied ones a newer
    fix of the same environment followed; the newest applied one, failed ones and a planted
    symlink (with what it points to) stay."""
    script, mark, sentinel = evil
    state = tmp_path / "state"
    root = state / "transactions"
    envs = {"a": (str(tmp_path / "a"), str(tmp_path / "a" / "bin" / "python")),
            "b": (str(tmp_path / "b"), str(tmp_path / "b" / "bin" / "python"))}
    made = {"20261201-010000-000001": ("a", "applied"), "20261201-020000-000002": ("a", "applied"),
            "20261201-030000-000003": ("a", "rolled-back"), "20261201-040000-000004": ("a", "failed"),
            "20261201-050000-000005": ("b", "applied")}
    for tid, (env, status) in made.items():
        _fake_transaction(root / tid, envs[env][0], envs[env][1], status=status)
        (root / tid / "backup").mkdir()
        (root / tid / "backup" / "blob").write_bytes(b"x" * 4096)
    elsewhere = tmp_path / "attacker" / "20261201-060000-000006"
    _fake_transaction(elsewhere, str(script.parent.parent), str(script), status="rolled-back")
    os.symlink(str(elsewhere), str(root / "20261201-060000-000006"))
    listed = envdoctor("rollback", "--list", env={"ENVDOCTOR_STATE_DIR": str(state)})
    assert listed.stdout.count(" KB ") == 5, listed.stdout  # each one's size is shown
    data = json.loads(envdoctor("rollback", "--list", "--json",
                                env={"ENVDOCTOR_STATE_DIR": str(state)}).stdout)
    assert [(t["id"], t["status"]) for t in data["transactions"]][:5] == [
        (tid, status) for tid, (_, status) in sorted(made.items())]
    assert all(t["bytes"] >= 4096 for t in data["transactions"][:5])
    assert envdoctor("rollback", "--json", env={"ENVDOCTOR_STATE_DIR": str(state)}
                     ).returncode == 2
    proc = envdoctor("rollback", "--prune", env={"ENVDOCTOR_STATE_DIR": str(state)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(os.listdir(str(root))) == ["20261201-020000-000002", "20261201-040000-000004",
                                             "20261201-050000-000005",
                                             "20261201-060000-000006"]
    assert "Freed" in proc.stdout and elsewhere.exists() and not mark.exists()
    again = envdoctor("rollback", "--prune", env={"ENVDOCTOR_STATE_DIR": str(state)})
    assert again.returncode == 0 and "nothing to prune" in again.stdout
