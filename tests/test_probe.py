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
    # the whole userinfo goes: `https://TOKEN@host` has no password field to keep apart
    assert "s3cret" not in found["PIP_INDEX_URL"] and "user" not in found["PIP_INDEX_URL"]
    assert found["PIP_INDEX_URL"] == "https://<redacted>@mirror.example/simple"
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


def _answers_version(tmp_path, name, version):
    """A target that answers the version question as ``version`` and fails the probe the
    way Python 2.7 does (the probe's relative import)."""
    return _script(tmp_path, name, 'if [ "$1" = "-c" ]; then printf %s; exit 0; fi\n'
                   "echo 'ValueError: Attempted relative import in non-package' >&2; exit 1"
                   % version)


@pytest.mark.parametrize("command", ["check", "snapshot", "smoke"])
def test_a_python_2_target_is_named_as_such(tmp_path, command):
    proc = envdoctor(command, "--python", _answers_version(tmp_path, "old", "2.7"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "is Python 2.7" in proc.stderr and "Point --python at the lab's Python 3" in \
        proc.stderr
    assert "relative import" not in proc.stderr and "Traceback" not in proc.stderr
    # a Python 3 that fails the probe keeps the probe's own words
    failing = envdoctor(command, "--python", _answers_version(tmp_path, "new", "3.9"))
    assert failing.returncode == 2 and "relative import" in failing.stderr
    assert "is Python" not in failing.stderr


def test_a_real_python_2_target():
    python = pyenv_python("2.7")
    if python is None:
        pytest.skip("no Python 2.7 here")
    proc = envdoctor("check", "--python", python)
    assert proc.returncode == 2 and "is Python 2.7" in proc.stderr, proc.stderr


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
                if name.startswith(("lab_", "smoke_")):
                    continue  # lab probes (and the smoke script's parts) import the frameworks
                assert mod not in ("mindspore", "mindnlp", "transformers", "torch"), (name, mod)
                optional = mod == "redact"  # a sibling snapshot_probe uses when present
                if stdlib is not None and not optional \
                        and not os.path.exists(os.path.join(folder, mod + ".py")):
                    assert mod in stdlib, (name, mod)  # stdlib, or a sibling probe


# ------------------------------------------------------------------ hostile targets (issue 14)


def _cli_in(cwd, *args, env=None, timeout=120):
    """The CLI run from ``cwd`` (not the repository), as a student runs it from a lab folder."""
    import subprocess

    from conftest import ROOT

    full_env = dict(os.environ, PYTHONPATH=str(ROOT))
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "envdoctor"] + list(args), cwd=str(cwd),
                          env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout)


def _bare_venv(tmp_path, name="lab"):
    """A real venv without pip (fast): its site-packages runs .pth files at start-up."""
    import subprocess

    path = tmp_path / name
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    site = next(path.glob("lib/python3*/site-packages"))
    return path, site


def test_relative_python_is_taken_from_the_callers_folder(tmp_path):
    path, _ = _bare_venv(tmp_path)
    for given in ("lab/bin/python", "lab", "./lab/bin/python"):
        proc = _cli_in(tmp_path, "snapshot", "--python", given)
        assert proc.returncode == 0, (given, proc.stderr)
        snap = json.loads(proc.stdout)
        assert snap["interpreter"]["prefix"] == str(path), given
    proc = _cli_in(tmp_path, "snapshot", "--python", "nothere/bin/python")
    assert proc.returncode == 2 and str(tmp_path / "nothere") in proc.stderr


def test_a_sitecustomize_banner_on_stdout_does_not_break_the_probe(tmp_path):
    _, site = _bare_venv(tmp_path)
    (site / "sitecustomize.py").write_text(
        "print('Welcome to the GPU lab! Quota: 4 h')\nprint('{\"not\": \"a snapshot\"}')\n")
    python = str(tmp_path / "lab" / "bin" / "python")
    proc = envdoctor("snapshot", "--python", python)
    assert proc.returncode == 0, proc.stderr
    snap = json.loads(proc.stdout)
    assert snap["kind"] == "envdoctor-snapshot" and snap["interpreter"]["executable"] == python
    assert "Welcome" not in proc.stdout + proc.stderr


def test_a_wrapper_script_that_talks_first_is_still_probed(tmp_path):
    wrapper = _script(tmp_path, "python-wrapper",
                      'echo "loading modules: cuda/11.6 cann/7.0"\nexec %s "$@"' % sys.executable)
    proc = envdoctor("check", "--json", "--recipe", "none", "--python", wrapper)
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)["environment"]


def test_a_daemon_holding_stdout_does_not_make_a_finished_probe_hang(tmp_path):
    _, site = _bare_venv(tmp_path)
    pidfile = tmp_path / "daemon.pid"
    # A .pth line that starts a helper process (as some lab images' telemetry does); it
    # inherits stdout and stderr and keeps them open for a minute.
    (site / "zz_telemetry.pth").write_text(
        "import os, subprocess, sys; os.environ.get('TELEMETRY_CHILD') or open(%r, 'a')"
        ".write('%%d\\n' %% subprocess.Popen([sys.executable, '-c', 'import time; "
        "time.sleep(60)'], env=dict(os.environ, TELEMETRY_CHILD='1')).pid)\n" % str(pidfile))
    python = str(tmp_path / "lab" / "bin" / "python")
    started = time.time()
    try:
        proc = envdoctor("snapshot", "--python", python, "--timeout", "20")
        elapsed = time.time() - started
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["interpreter"]["executable"] == python
        assert elapsed < 15  # it used to wait for the daemon, then call the probe hung
        assert pidfile.read_text().strip()  # the daemon really was started
    finally:
        for line in pidfile.read_text().split() if pidfile.exists() else []:
            try:
                os.kill(int(line), 9)
            except OSError:
                pass


def test_a_target_flooding_stdout_is_cut_not_buffered(tmp_path):
    # It floods stdout from a process of its own for as long as anyone reads, then the real
    # interpreter answers.
    wrapper = _script(tmp_path, "flood", "(yes 'spam spam spam' &)\nexec %s \"$@\"" % sys.executable)
    started = time.time()
    proc = envdoctor("snapshot", "--python", wrapper, "--timeout", "20")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["kind"] == "envdoctor-snapshot"
    assert time.time() - started < 15


def test_a_failing_flooding_target_is_reported_with_a_capped_tail(tmp_path):
    from envdoctor.probe import OUTPUT_LIMIT, ProbeError, probe

    wrapper = _script(tmp_path, "flood-fail",
                      "head -c 30000000 /dev/zero | tr '\\\\0' x >&2\necho 'the real error' >&2\n"
                      "exit 3")
    with pytest.raises(ProbeError) as info:
        probe(wrapper, timeout=20)
    message = str(info.value)
    assert "exit status 3" in message and "the real error" in message
    assert len(message) < OUTPUT_LIMIT + 1000


def test_subprocess_output_is_capped_at_both_ends():
    from envdoctor.subproc import start_child

    result = start_child(["sh", "-c", "echo first; yes middle | head -n 100000; echo last"]) \
        .wait(20, limit=1000)
    assert result.ok
    assert result.stdout.startswith("first\n") and result.stdout.endswith("last\n")
    assert "bytes cut" in result.stdout and len(result.stdout) < 1100
    everything = start_child(["sh", "-c", "yes middle | head -n 100000"]).wait(20)
    assert everything.stdout.count("middle") == 100000  # no limit: all of it, as before


def test_output_read_whole_is_capped_the_same_way():
    """Where a child's output is read whole (communicate, on Windows), it is cut as the POSIX
    reader cuts a stream: start and end kept, the middle counted."""
    from envdoctor.subproc import capped

    text = "first\n" + "middle\n" * 100000 + "last\n"
    cut = capped(text, 1000)
    assert cut.startswith("first\n") and cut.endswith("last\n") and "bytes cut" in cut
    assert len(cut) < 1100
    assert capped(text, None) == text and capped("short", 1000) == "short"
    assert capped(None, 10) == ""


# ------------------------------------------------------------- names and top-level packages


def _dist_info(site, folder, metadata, top_level=None, record=None):
    meta = site / folder
    meta.mkdir()
    (meta / "METADATA").write_text(metadata)
    if top_level is not None:
        (meta / "top_level.txt").write_text(top_level)
    if record is not None:
        (meta / "RECORD").write_text(record)
    return meta


def test_a_hostile_name_is_set_aside_never_listed(tmp_path):
    from envdoctor.probe import probe

    _, site = _bare_venv(tmp_path)
    # A folded second Name line: pip's requirements file would read it as an option.
    evil = _dist_info(site, "evil-1.0.dist-info",
                      "Metadata-Version: 2.1\nName: evil\n --find-links http://host/\n"
                      "Version: 1.0\n")
    dash = _dist_info(site, "dash-1.0.dist-info",
                      "Metadata-Version: 2.1\nName: -r /etc/passwd\nVersion: 1.0\n")
    ctrl = _dist_info(site, "ctrl-1.0.dist-info",
                      "Metadata-Version: 2.1\nName: ok\x1b]0;pwned\x07\nVersion: 1.0\n")
    _dist_info(site, "fine_pkg-2.0.dist-info", "Metadata-Version: 2.1\nName: fine.pkg_2\n"
               "Version: 2.0\n")
    snap = probe(str(tmp_path / "lab" / "bin" / "python"))
    names = [d.name for d in snap.distributions]
    assert names == ["fine.pkg_2"]
    invalid = sorted(snap.raw["invalid_distributions"], key=lambda i: i["path"])
    assert invalid == [
        {"path": str(ctrl), "name": "ok\x1b]0;pwned\x07"},
        {"path": str(dash), "name": "-r /etc/passwd"},
        {"path": str(evil), "name": "evil\n--find-links http://host/"},
    ]


def test_top_level_comes_from_top_level_txt_or_record(tmp_path):
    from envdoctor.probe import probe

    _, site = _bare_venv(tmp_path)
    # Two framework distributions owning one package folder (issue 12): one built by
    # setuptools (top_level.txt), one by another backend (RECORD only).
    _dist_info(site, "mindspore-2.9.0.dist-info",
               "Metadata-Version: 2.1\nName: mindspore\nVersion: 2.9.0\n",
               top_level="mindspore\n",
               record="mindspore/__init__.py,sha256=a,1\nother/x.py,,\n")
    _dist_info(site, "mindspore_dev-2.6.0.dev20250323.dist-info",
               "Metadata-Version: 2.1\nName: mindspore-dev\nVersion: 2.6.0.dev20250323\n",
               record="mindspore/__init__.py,sha256=a,1\n"
                      "mindspore/_c_expression.cpython-39-x86_64-linux-gnu.so,sha256=b,2\n"
                      "mindspore_dev-2.6.0.dev20250323.dist-info/RECORD,,\n"
                      "../../../bin/msrun,sha256=c,3\n__pycache__/x.cpython-39.pyc,,\n"
                      "mindspore_dev.libs/libgomp.so.1,,\n_ms_helper.py,,\nLICENSE,,\n")
    _dist_info(site, "bare-1.0.dist-info", "Metadata-Version: 2.1\nName: bare\nVersion: 1.0\n")
    snap = probe(str(tmp_path / "lab" / "bin" / "python"))
    by_name = {d.name: d for d in snap.distributions}
    assert by_name["mindspore"].top_level == ("mindspore",)  # top_level.txt wins: cheap
    assert by_name["mindspore-dev"].top_level == ("_ms_helper", "mindspore")
    assert by_name["bare"].top_level == ()


def test_subprocess_input_larger_than_a_pipe_is_fed_while_output_is_read():
    from envdoctor.subproc import run_child

    text = "".join("line %d\n" % i for i in range(50000))
    result = run_child(["cat"], timeout=20, input_text=text)
    assert result.ok and result.stdout == text
