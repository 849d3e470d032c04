"""The probe: any CPython 3.7+, and a target that is missing, not Python, crashes or hangs."""

import json
import os
import stat
import sys
import time

import pytest

from conftest import build_wheel, envdoctor, pyenv_python


def _script(tmp_path, name, body):
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_snapshot_of_this_interpreter():
    proc = envdoctor("snapshot")
    assert proc.returncode == 0, proc.stderr
    snap = json.loads(proc.stdout)
    assert snap["kind"] == "envdoctor-snapshot" and snap["schema"] == 1
    assert snap["interpreter"]["executable"]
    assert snap["interpreter"]["version"] == "%d.%d.%d" % sys.version_info[:3]
    names = {d["canonical_name"] for d in snap["distributions"]}
    assert {"pyyaml", "packaging"} <= names
    for d in snap["distributions"]:
        assert {"name", "version", "requires_dist", "requires_python", "location", "installer",
                "direct_url"} <= set(d)
    assert snap["marker_environment"]["python_version"] == "%d.%d" % sys.version_info[:2]
    assert snap["platform"]["machine"]


def test_snapshot_reads_direct_url_and_installer(venv_factory, tmp_path):
    venv = venv_factory("direct-url")
    wheel = build_wheel(tmp_path, "localpkg", "0.3", requires=["packaging>=20"])
    venv.install_wheels(wheel)
    out = tmp_path / "env.json"
    proc = envdoctor("snapshot", "--python", venv.python, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    snap = json.loads(out.read_text())
    dist = [d for d in snap["distributions"] if d["name"] == "localpkg"][0]
    assert dist["installer"] == "pip"
    assert dist["direct_url"]["url"].startswith("file://")
    assert dist["requires_dist"] == ["packaging>=20"]
    assert snap["interpreter"]["is_venv"] is True
    assert snap["interpreter"]["executable"].startswith(str(venv.path))


def test_environment_variables_are_captured_and_secrets_redacted():
    env = {"HF_ENDPOINT": "https://hf-mirror.com", "ASCEND_HOME_PATH": "/usr/local/Ascend",
           "PIP_INDEX_URL": "https://user:s3cret@mirror.example/simple",
           "MS_TOKEN_SECRET": "abc", "UNRELATED_VAR": "x"}
    snap = json.loads(envdoctor("snapshot", env=env).stdout)
    found = snap["environment_variables"]
    assert found["HF_ENDPOINT"] == "https://hf-mirror.com"
    assert found["ASCEND_HOME_PATH"] == "/usr/local/Ascend"
    assert "s3cret" not in found["PIP_INDEX_URL"] and "user:" in found["PIP_INDEX_URL"]
    assert found["MS_TOKEN_SECRET"] == "<redacted>"
    assert "UNRELATED_VAR" not in found


@pytest.mark.parametrize("version", ["3.7", "3.8", "3.12", "3.13"])
def test_probe_runs_on_other_pythons(version):
    python = pyenv_python(version)
    if python is None:
        pytest.skip("no Python %s here" % version)
    proc = envdoctor("snapshot", "--python", python)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["interpreter"]["version"].startswith(version + ".")


def test_venv_folder_is_accepted(venv_factory):
    venv = venv_factory("clean")
    proc = envdoctor("snapshot", "--python", str(venv.path))
    assert proc.returncode == 0, proc.stderr


def test_missing_target():
    proc = envdoctor("check", "--python", "/nonexistent/bin/python")
    assert proc.returncode == 2
    assert "no such file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_target_that_is_not_python(tmp_path):
    proc = envdoctor("check", "--python", _script(tmp_path, "fake", "echo hello"))
    assert proc.returncode == 2
    assert "not with a snapshot" in proc.stderr and "Traceback" not in proc.stderr


def test_target_that_crashes(tmp_path):
    proc = envdoctor("check", "--python", _script(tmp_path, "crash", "kill -SEGV $$"))
    assert proc.returncode == 2
    assert "SIGSEGV" in proc.stderr and "Traceback" not in proc.stderr


def test_target_that_exits_with_error(tmp_path):
    python = _script(tmp_path, "broken", "echo 'Fatal Python error: init_fs_encoding' >&2; exit 1")
    proc = envdoctor("check", "--python", python)
    assert proc.returncode == 2
    assert "init_fs_encoding" in proc.stderr and "exit status 1" in proc.stderr


def test_target_that_hangs_is_killed_within_the_timeout(tmp_path):
    # The child starts a grandchild that keeps the pipes open: both must go.
    python = _script(tmp_path, "hang", "sleep 300 & sleep 300")
    started = time.time()
    proc = envdoctor("check", "--python", python, "--timeout", "2")
    elapsed = time.time() - started
    assert proc.returncode == 2
    assert "did not answer within 2 s" in proc.stderr
    assert elapsed < 30


def test_not_executable(tmp_path):
    path = tmp_path / "python"
    path.write_text("not a program")
    proc = envdoctor("check", "--python", str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_probe_never_imports_third_party_modules():
    """The probe must stay stdlib-only: it runs inside broken environments."""
    import ast
    import envdoctor.probes as probes_pkg

    folder = os.path.dirname(probes_pkg.__file__)
    stdlib = set(getattr(sys, "stdlib_module_names", ())) or None
    for name in os.listdir(folder):
        if not name.endswith(".py") or name == "__init__.py":
            continue
        tree = ast.parse(open(os.path.join(folder, name)).read())
        for node in ast.walk(tree):
            mods = []
            if isinstance(node, ast.Import):
                mods = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                mods = [node.module.split(".")[0]]
            for mod in mods:
                # envdoctor's own dependencies may be missing in the target
                assert mod not in ("yaml", "packaging", "rich", "envdoctor", "pip_api"), \
                    (name, mod)
                if name.startswith("lab_"):
                    continue  # lab probes exist to import the lab's frameworks
                assert mod not in ("mindspore", "mindnlp", "transformers", "torch"), (name, mod)
                if stdlib is not None and not os.path.exists(os.path.join(folder, mod + ".py")):
                    assert mod in stdlib, (name, mod)  # stdlib, or a sibling probe
