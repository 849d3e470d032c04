"""One framework per environment (ED110-ED112): on real venvs with small real wheels that
install the same `mindspore/` folder under two distribution names, and on snapshots."""

import json
import shlex

import pytest

from conftest import build_wheel, check_json, make_snapshot
from envdoctor.checks import CheckContext
from envdoctor.checks.framework import check, is_framework, top_level_owners
from envdoctor.frameworks import install_steps
from envdoctor.snapshot import Snapshot


def framework_wheel(folder, name, version, marker):
    """A wheel named ``name`` that installs the package ``mindspore`` (as every MindSpore
    distribution does), its files saying which build they come from."""
    info = "%s-%s.dist-info" % (name.replace("-", "_"), version)
    return build_wheel(folder, name, version, files={
        "mindspore/__init__.py": "BUILD = %r\n" % marker,
        "mindspore/_build_%s.py" % marker: "",
        "%s/top_level.txt" % info: "mindspore\n",
    })


@pytest.fixture(scope="module")
def two_frameworks(venv_factory, tmp_path_factory):
    """mindspore-dev, then mindnlp, then `mindspore` laid over it: what plain pip does."""
    wheels = tmp_path_factory.mktemp("fw-wheels")
    venv = venv_factory("two-frameworks")
    venv.install_wheels(framework_wheel(wheels, "mindspore-dev", "2.6.0.dev20250323", "dev"))
    venv.install_wheels(build_wheel(wheels, "mindnlp", "0.4.0", requires=["mindspore>=2.2.14"]))
    venv.install_wheels(framework_wheel(wheels, "mindspore", "2.9.0", "release"))
    return venv


@pytest.fixture(scope="module")
def dev_only(venv_factory, tmp_path_factory):
    wheels = tmp_path_factory.mktemp("dev-wheels")
    venv = venv_factory("dev-only")
    venv.install_wheels(framework_wheel(wheels, "mindspore-dev", "2.5.0.dev20250202", "dev"),
                        build_wheel(wheels, "mindnlp", "0.4.0", requires=["mindspore>=2.2.14"]))
    return venv


def codes(report, code):
    return [f for f in report["findings"] if f["code"] == code]


def test_two_framework_distributions_are_an_error_naming_both(two_frameworks):
    # what makes it a trap: pip check calls this environment clean
    assert two_frameworks.pip_check() == []
    report = check_json("--python", two_frameworks.python, "--recipe", "none")
    found = codes(report, "ED110")
    assert len(found) == 1, report["findings"]
    finding = found[0]
    assert finding["severity"] == "error"
    assert sorted(finding["packages"]) == ["mindspore", "mindspore-dev"]
    assert "mindspore 2.9.0" in finding["title"] and "mindspore-dev 2.6.0.dev20250323" in finding["title"]
    assert "mixes the files" in finding["because"]
    # the fix: uninstall both, reinstall the one installed on purpose, without dependencies
    command = finding["fix"]["command"]
    uninstall, install = command.split(" && ")
    assert shlex.split(uninstall)[-5:] == ["uninstall", "-y", "--", "mindspore",
                                           "mindspore-dev"]
    assert shlex.split(install)[-3:] == ["--no-deps", "--", "mindspore-dev==2.6.0.dev20250323"]
    assert finding["fix"]["requirements"] == ["mindspore-dev==2.6.0.dev20250323"]
    assert report["summary"]["errors"] >= 1


def test_the_fix_commands_leave_one_framework(two_frameworks, tmp_path_factory):
    """Run the fix's commands for real (with the local wheel folder) on a copy of the mix."""
    import shutil
    import subprocess

    report = check_json("--python", two_frameworks.python, "--recipe", "none")
    uninstall, install = codes(report, "ED110")[0]["fix"]["command"].split(" && ")
    subprocess.run(shlex.split(uninstall), check=True, capture_output=True)
    wheels = tmp_path_factory.mktemp("fw-wheels-fix")
    framework_wheel(wheels, "mindspore-dev", "2.6.0.dev20250323", "dev")
    argv = shlex.split(install)
    end = argv.index("--")  # pip's options go before the packages
    subprocess.run(argv[:end] + ["--no-index", "--find-links", str(wheels)] + argv[end:],
                   check=True, capture_output=True)
    after = check_json("--python", two_frameworks.python, "--recipe", "none")
    assert codes(after, "ED110") == []
    # pip still calls mindnlp's requirement unmet; envdoctor says why it is not (ED112)
    assert codes(after, "ED102") == []
    assert [f["evidence"]["fits"] for f in codes(after, "ED112")] == ["yes"]
    shutil.rmtree(str(wheels))


def test_requirement_provided_under_another_name(dev_only):
    pip_says = dev_only.pip_check()
    assert any("mindnlp" in l and "mindspore" in l for l in pip_says), pip_says
    report = check_json("--python", dev_only.python, "--recipe", "none")
    # pip check's "requires mindspore" is said better: a build under another name fits it
    assert codes(report, "ED102") == []
    why = codes(report, "ED112")
    assert len(why) == 1
    assert why[0]["severity"] == "warning"
    assert why[0]["packages"] == ["mindnlp", "mindspore-dev"]
    assert "mindspore-dev 2.5.0.dev20250202" in why[0]["title"]
    assert why[0]["evidence"]["fits"] == "yes"
    assert codes(report, "ED110") == []


# --- snapshots ------------------------------------------------------------------------------

def snapshot(*dists):
    return Snapshot.from_dict({
        "schema": 1, "interpreter": {"version": "3.9.18", "executable": "/x/python"},
        "platform": {"system": "Linux", "machine": "x86_64"}, "marker_environment": {},
        "distributions": [dict(d) for d in dists]})


@pytest.mark.parametrize("name, expected", [
    ("mindspore", True), ("mindspore-dev", True), ("mindspore_gpu", True),
    ("MindSpore-Ascend", True), ("mindspore-cuda11-dev", True), ("mindspore-ascend-dev", True),
    ("mindspore-lite", False), ("mindspore-serving", False), ("mindnlp", False)])
def test_framework_names(name, expected):
    assert is_framework(name) is expected


def test_generic_top_level_clash_is_a_warning():
    # PyJWT and the unrelated `jwt` project both install `jwt/`; stray `tests/` folders
    # (mindnlp 0.4.1 ships one) are not worth a finding
    snap = snapshot({"name": "PyJWT", "version": "2.8.0", "top_level": ["jwt"]},
                    {"name": "jwt", "version": "1.3.1", "top_level": ["jwt", "tests"]},
                    {"name": "mindnlp", "version": "0.4.1", "top_level": ["mindnlp", "tests"]},
                    {"name": "alone", "version": "1.0", "top_level": ["alone"]})
    assert sorted(top_level_owners(snap)) == ["jwt"]
    found = check(CheckContext(snapshot=snap))
    assert [(f.code, f.severity.value, f.packages) for f in found] == \
        [("ED111", "warning", ("jwt", "PyJWT"))]


def test_framework_known_without_top_level():
    # a probe that could not read top_level.txt: the framework names still own mindspore/
    snap = make_snapshot(python="3.9.18", **{"mindspore": "2.9.0", "mindspore-gpu": "1.10.0"})
    found = check(CheckContext(snapshot=snap))
    assert [f.code for f in found] == ["ED110"]
    assert found[0].fix.requirements == ("mindspore-gpu==1.10.0",)


def test_one_framework_is_quiet():
    snap = snapshot({"name": "mindspore", "version": "2.7.0", "top_level": ["mindspore"],
                     "requires_dist": []},
                    {"name": "mindnlp", "version": "0.5.1", "top_level": ["mindnlp", "mindtorch"],
                     "requires_dist": ["mindspore<=2.7.0,>=2.5.0"]})
    assert check(CheckContext(snapshot=snap)) == []


def test_alias_outside_the_range_says_so():
    snap = snapshot({"name": "mindspore-gpu", "version": "1.10.0"},
                    {"name": "mindnlp", "version": "0.4.0",
                     "requires_dist": ["mindspore>=2.2.14", "tqdm"]})
    found = check(CheckContext(snapshot=snap))
    assert [f.code for f in found] == ["ED112"]
    assert found[0].evidence.to_dict()["fits"] == "no"
    assert "outside" in found[0].because


def test_marker_false_requirement_is_ignored():
    snap = snapshot({"name": "mindspore-dev", "version": "2.5.0.dev20250202"},
                    {"name": "tool", "version": "1.0",
                     "requires_dist": ["mindspore; python_version < '3'"]})
    snap.raw["marker_environment"] = {"python_version": "3.9", "python_full_version": "3.9.18"}
    assert check(CheckContext(snapshot=snap)) == []


def test_two_projects_one_package_on_a_real_venv(venv_factory, tmp_path):
    """Two differently named real wheels that both install `jwt/` (as PyJWT and the `jwt`
    project do): the probe reads their top-level packages, the check names both."""
    wheels = tmp_path / "wheels"
    first = build_wheel(wheels, "pyjwt-like", "2.8.0", files={
        "jwt/__init__.py": "WHO = 'first'\n", "pyjwt_like-2.8.0.dist-info/top_level.txt": "jwt\n"})
    second = build_wheel(wheels, "jwt-like", "1.3.1", files={
        "jwt/__init__.py": "WHO = 'second'\n"})  # no top_level.txt: RECORD says it
    venv = venv_factory("one-package-two-projects")
    venv.install_wheels(first)
    venv.install_wheels(second)
    report = check_json("--python", venv.python, "--recipe", "none")
    found = codes(report, "ED111")
    assert [sorted(f["packages"]) for f in found] == [["jwt-like", "pyjwt-like"]], \
        report["findings"]
    assert found[0]["evidence"]["package"] == "jwt/"


def test_provided_by_names_the_build_under_another_name():
    from envdoctor.checks.framework import provided_by

    snap = snapshot({"name": "mindspore-dev", "version": "2.5.0.dev20250202"},
                    {"name": "numpy", "version": "1.26.4"})
    assert provided_by(snap, "mindspore").name == "mindspore-dev"
    assert provided_by(snap, "MindSpore").version == "2.5.0.dev20250202"
    assert provided_by(snap, "numpy").name == "numpy"
    assert provided_by(snap, "mindnlp") is None
    assert provided_by(snapshot({"name": "numpy", "version": "1.26.4"}), "mindspore") is None


# --- fix --apply on a mixed folder: remove every framework, install one (real pip) ----------

def _mixed(venv_factory, tmp_path, name):
    """The plain-pip trap with small wheels: mindspore-dev, mindnlp, then `mindspore` over it.
    The index folder holds the mindspore-dev wheel again, as the student's mirror would."""
    index = tmp_path / "index"
    venv = venv_factory(name)
    venv.install_wheels(framework_wheel(index, "mindspore-dev", "2.6.0.dev20250323", "dev"))
    venv.install_wheels(build_wheel(index, "mindnlp", "0.4.0", requires=["mindspore>=2.2.14"]))
    venv.install_wheels(framework_wheel(index, "mindspore", "2.9.0", "release"))
    return venv, index


def _offline(index, state):
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(index), "ENVDOCTOR_STATE_DIR": str(state)}


def _tree(venv):
    """Every file of the mindspore/ folder and the dist-infos, with its bytes."""
    import glob
    import hashlib
    import os

    site = glob.glob(str(venv.path / "lib" / "python3*" / "site-packages"))[0]
    out = {}
    for root, _, files in os.walk(site):
        rel_root = os.path.relpath(root, site)
        if not rel_root.startswith(("mindspore", "mindnlp")) or "__pycache__" in rel_root:
            continue
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                out[os.path.join(rel_root, name)] = hashlib.sha256(handle.read()).hexdigest()
    return out


def test_fix_apply_leaves_one_framework_and_rolls_back_exactly(venv_factory, tmp_path):
    from conftest import envdoctor

    venv, index = _mixed(venv_factory, tmp_path, "mixed-apply")
    env = _offline(index, tmp_path / "state")
    freeze, tree = venv.freeze(), _tree(venv)
    plan = json.loads(envdoctor("fix", "--json", "--python", venv.python, "--recipe", "none",
                                env=env).stdout)["plan"]
    assert plan["remove"] == ["mindspore", "mindspore-dev"], plan
    assert plan["no_deps"] == ["mindspore-dev==2.6.0.dev20250323"]
    kinds = {a["package"]: a["action"] for a in plan["actions"]}
    assert kinds == {"mindspore": "remove", "mindspore-dev": "reinstall"}, kinds
    assert plan["predicted_after"] == []
    assert venv.freeze() == freeze  # planning changes nothing

    applied = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                        env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    names = [l.split("==")[0] for l in venv.freeze().splitlines()]
    assert [n for n in names if is_framework(n)] == ["mindspore-dev"], names
    after = _tree(venv)
    assert "mindspore/_build_release.py" not in after and "mindspore/_build_dev.py" in after
    assert codes(check_json("--python", venv.python, "--recipe", "none"), "ED110") == []

    back = envdoctor("rollback", "--python", venv.python, env=env)
    assert back.returncode == 0, back.stdout + back.stderr
    assert venv.freeze() == freeze
    assert _tree(venv) == tree  # the mix, byte for byte: a rollback restores what was there


def test_a_fix_failing_after_the_removal_restores_the_mix(venv_factory, tmp_path):
    """pip uninstalls both, then the reinstall fails: the environment is as it was."""
    import glob
    import os

    from conftest import envdoctor

    venv, index = _mixed(venv_factory, tmp_path, "mixed-fail")
    site = glob.glob(str(venv.path / "lib" / "python3*" / "site-packages"))[0]
    with open(os.path.join(site, "zzblocker"), "w") as handle:
        handle.write("not a folder\n")
    # the mirror's mindspore-dev wheel now installs a folder where that file stands
    build_wheel(index, "mindspore-dev", "2.6.0.dev20250323",
                files={"mindspore/__init__.py": "BUILD = 'dev'\n",
                       "zzblocker/__init__.py": ""})
    freeze, tree = venv.freeze(), _tree(venv)
    applied = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                        env=_offline(index, tmp_path / "state"))
    assert applied.returncode == 1, applied.stdout + applied.stderr
    assert "exactly as it was" in applied.stdout, applied.stdout
    assert venv.freeze() == freeze
    assert _tree(venv) == tree


# --- pip commands that never lay one framework over another (pure) ---------------------------

def _steps(reqs, *dists):
    return [(verb, list(options), list(r)) for verb, options, r in
            install_steps(reqs, snapshot(*dists))]


MINDNLP = {"name": "mindnlp", "version": "0.4.0", "requires_dist": ["mindspore>=2.2.14"]}


def test_plain_mindspore_is_one_pip_run():
    assert _steps(["mindspore==2.7.0", "mindnlp==0.5.1"],
                  {"name": "mindspore", "version": "2.10.0"}) == [
        ("install", [], ["mindspore==2.7.0", "mindnlp==0.5.1"])]
    assert _steps(["numpy<2"]) == [("install", [], ["numpy<2"])]


def test_a_dev_build_goes_first_and_mindnlp_without_dependencies():
    steps = _steps(["mindspore-dev==2.5.0.dev20250202", "mindnlp==0.4.0", "numpy==1.26.4"],
                   {"name": "mindspore-dev", "version": "2.6.0.dev20250323"}, MINDNLP)
    assert steps == [
        ("install", [], ["mindspore-dev==2.5.0.dev20250202"]),
        ("install", [], ["numpy==1.26.4", "mindspore-dev==2.5.0.dev20250202"]),
        ("install", ["--no-deps"], ["mindnlp==0.4.0"])]


def test_an_installed_dev_build_is_held_while_the_rest_goes_in():
    steps = _steps(["tokenizers==0.19.1", "mindnlp==0.4.0"],
                   {"name": "mindspore-dev", "version": "2.5.0.dev20250202"}, MINDNLP)
    assert steps == [
        ("install", [], ["tokenizers==0.19.1", "mindspore-dev==2.5.0.dev20250202"]),
        ("install", ["--no-deps"], ["mindnlp==0.4.0"])]


def test_another_framework_name_is_uninstalled_first():
    steps = _steps(["mindspore==2.7.0", "mindnlp==0.5.1"],
                   {"name": "mindspore-dev", "version": "2.6.0.dev20250323"}, MINDNLP)
    assert steps == [("uninstall", ["-y"], ["mindspore-dev"]),
                     ("install", [], ["mindspore==2.7.0", "mindnlp==0.5.1"])]


def test_a_mixed_folder_is_emptied_before_the_one_build_goes_in():
    steps = _steps(["mindspore-dev==2.5.0.dev20250202"],
                   {"name": "mindspore-dev", "version": "2.6.0.dev20250323"},
                   {"name": "mindspore", "version": "2.9.0"}, MINDNLP)
    assert steps[0] == ("uninstall", ["-y"], ["mindspore-dev", "mindspore"]) or \
        steps[0] == ("uninstall", ["-y"], ["mindspore", "mindspore-dev"])
    assert steps[1:] == [("install", [], ["mindspore-dev==2.5.0.dev20250202"])]


def test_only_one_framework_name_is_ever_installed():
    steps = _steps(["mindspore-dev==2.5.0.dev20250202", "mindspore==2.7.0", "mindnlp==0.4.0"],
                   MINDNLP)
    installed = [r for verb, _, reqs in steps if verb == "install" for r in reqs]
    assert "mindspore==2.7.0" not in installed


def test_the_combined_fix_is_framework_safe():
    from envdoctor.findings import Evidence, Finding, Fix, Severity
    from envdoctor.report import Report

    snap = snapshot({"name": "mindspore-dev", "version": "2.5.0.dev20250202"}, MINDNLP)
    errors = tuple(Finding(code, Severity.ERROR, code, "why", Evidence(), Fix(requirements=reqs))
                   for code, reqs in (("ED101", ("mindnlp==0.4.0",)),
                                      ("ED201", ("tokenizers==0.19.1",))))
    command = Report(snap, errors, None).combined_fix()
    assert [shlex.split(step)[3:] for step in command.split(" && ")] == [
        ["install", "--", "tokenizers==0.19.1", "mindspore-dev==2.5.0.dev20250202"],
        ["install", "--no-deps", "--", "mindnlp==0.4.0"]]
    # a fix wanting `mindspore` where mindspore-dev is: that one is uninstalled first
    plain = Finding("ED302", Severity.ERROR, "x", "why", Evidence(),
                    Fix(requirements=("mindspore==2.7.0",)))
    command = Report(snap, errors + (plain,), None).combined_fix()
    assert command.split(" && ")[0].endswith("uninstall -y -- mindspore-dev"), command
    # fixes wanting two different builds: no one command; `envdoctor fix` decides
    dev = Finding("ED201", Severity.ERROR, "x", "why", Evidence(),
                  Fix(requirements=("mindspore-dev==2.6.0.dev20250323",)))
    assert Report(snap, errors + (plain, dev), None).combined_fix() is None


@pytest.mark.parametrize("move, reinstall, needs_move", [
    (False, "mindspore-dev==2.6.0.dev20250323", True),
    (True, "mindspore-dev==2.5.0.dev20250202", False)])
def test_a_mixed_folder_plan(move, reinstall, needs_move):
    """The build chosen on purpose is installed again; only --move-framework installs the
    build a verified rule asks for instead (and a `mindspore` range it meets is satisfied)."""
    from envdoctor.findings import Evidence, Fix, Finding, Severity
    from envdoctor.fix.plan import build_request

    snap = snapshot({"name": "mindspore-dev", "version": "2.6.0.dev20250323"},
                    {"name": "mindspore", "version": "2.9.0"}, MINDNLP)
    mix = Finding("ED110", Severity.ERROR, "two", "why", Evidence(),
                  Fix(requirements=("mindspore-dev==2.6.0.dev20250323",)),
                  packages=("mindspore", "mindspore-dev"))
    rule = Finding("ED201", Severity.ERROR, "verified broken", "why", Evidence(),
                   Fix(requirements=("mindspore-dev==2.5.0.dev20250202", "mindnlp==0.4.0")),
                   packages=("mindnlp",))
    lab = Finding("ED302", Severity.ERROR, "lab range", "why", Evidence(),
                  Fix(requirements=("mindspore>=2.2.14,<2.6",)), packages=("mindspore",))
    request = build_request(snap, [mix, rule, lab], move_framework=move)
    assert request.remove == ("mindspore", "mindspore-dev")
    assert request.no_deps == (reinstall,)
    assert bool(request.needs_framework_move) is needs_move
    assert not any("mindspore" in r.split("==")[0] for r in request.requirements
                   if r.startswith("mindspore")), request.requirements
    if move:
        assert request.unfixable == ()
        assert "mindnlp==0.4.0" in request.requirements


# --- a declared range stricter than what works (ED101 beside a verified rule) ---------------

NLP051 = {"name": "mindnlp", "version": "0.5.1",
          "requires_dist": ["mindspore<=2.7.0,>=2.5.0"]}


def _judged(mindspore_version):
    from envdoctor.checks import run_checks
    from envdoctor.matrix import load_matrix
    from envdoctor.resources import matrix_path

    snap = snapshot(NLP051, {"name": "mindspore", "version": mindspore_version})
    return {f.code: f for f in run_checks(CheckContext(snap, load_matrix(matrix_path())))
            if f.code in ("ED101", "ED201", "ED203")}


def test_a_cap_verified_too_strict_is_a_warning_not_an_error():
    found = _judged("2.7.2")  # mindnlp 0.5.1 declares <=2.7.0; 2.7.2 was run here and works
    assert found["ED101"].severity.value == "warning"
    assert "works" in found["ED101"].because and "pip check" in found["ED101"].because
    assert found["ED203"].severity.value == "info"


def test_the_cap_stays_an_error_where_it_is_real():
    found = _judged("2.8.0")  # fails at import: Generator.__init__ seed/offset
    assert found["ED101"].severity.value == "error"
    assert "ED203" not in found and found["ED201"].severity.value == "error"


def test_the_same_package_in_two_folders_is_not_a_mix():
    """mindspore-dev in the venv, mindspore in the user site: one shadows the other (another
    finding's business), but no folder holds the files of both."""
    snap = snapshot({"name": "mindspore-dev", "version": "2.5.0.dev20250202",
                     "location": "/venv/lib/python3.9/site-packages"},
                    {"name": "mindspore", "version": "2.9.0",
                     "location": "/home/s/.local/lib/python3.9/site-packages"})
    assert top_level_owners(snap) == {}
    same = snapshot({"name": "mindspore-dev", "version": "2.5.0.dev20250202", "location": "/v"},
                    {"name": "mindspore", "version": "2.9.0", "location": "/v"})
    assert list(top_level_owners(same)) == ["mindspore"]


def test_a_mixed_folder_whose_build_pip_cannot_fetch_changes_nothing(venv_factory, tmp_path):
    from conftest import envdoctor

    venv, index = _mixed(venv_factory, tmp_path, "mixed-unreachable")
    for wheel in index.glob("mindspore_dev-*.whl"):
        wheel.unlink()  # the build came from elsewhere (MindSpore's download host)
    freeze = venv.freeze()
    proc = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                     env=_offline(index, tmp_path / "state"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "pip cannot fetch mindspore-dev==2.6.0.dev20250323" in proc.stderr, proc.stderr
    assert "--find-links" in proc.stderr
    assert venv.freeze() == freeze


@pytest.fixture
def download_host(tmp_path):
    """A folder served over HTTP on localhost, as MindSpore's download host serves wheels
    that no package index has."""
    import functools
    import http.server
    import threading

    folder = tmp_path / "host"
    folder.mkdir()
    fetched = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            fetched.append(self.path)

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, "http://127.0.0.1:%d/" % server.server_address[1], fetched
    server.shutdown()
    server.server_close()


def test_a_build_installed_from_a_web_address_is_reinstalled_from_it(venv_factory, tmp_path,
                                                                    download_host):
    """The course's form: a MindSpore build installed from its wheel's address (on no index),
    then `pip install mindnlp` lays `mindspore` over it. The fix fetches the kept build from
    the address it came from, and leaves it alone in the folder."""
    from conftest import envdoctor

    host, url, fetched = download_host
    wheel = framework_wheel(host, "mindspore-ascend", "2.5.0", "ascend")
    index = tmp_path / "index"
    venv = venv_factory("mixed-from-url")
    venv.pip("install", "-q", "--no-index", "--no-deps", url + wheel.name)
    venv.install_wheels(build_wheel(index, "mindnlp", "0.4.0", requires=["mindspore>=2.2.14"]))
    venv.install_wheels(framework_wheel(index, "mindspore", "2.9.0", "release"))
    env = _offline(index, tmp_path / "state")

    found = codes(check_json("--python", venv.python, "--recipe", "none"), "ED110")
    assert len(found) == 1
    install = found[0]["fix"]["command"].split(" && ")[1]
    assert shlex.split(install)[-2:] == ["--", "mindspore-ascend @ %s%s" % (url, wheel.name)]
    assert found[0]["fix"]["requirements"] == ["mindspore-ascend==2.5.0"]

    plan = json.loads(envdoctor("fix", "--json", "--python", venv.python, "--recipe", "none",
                                env=env).stdout)["plan"]
    assert plan["no_deps"] == ["mindspore-ascend @ %s%s" % (url, wheel.name)], plan
    assert plan["remove"] == ["mindspore", "mindspore-ascend"]
    del fetched[:]
    applied = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                        env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "/" + wheel.name in fetched  # from the download host, not the index folder
    names = [l.split(" @ ")[0].split("==")[0] for l in venv.freeze().splitlines()]
    assert [n for n in names if is_framework(n)] == ["mindspore-ascend"], names
    after = _tree(venv)
    assert "mindspore/_build_ascend.py" in after and "mindspore/_build_release.py" not in after


def test_a_web_address_that_is_gone_falls_back_to_the_index(venv_factory, tmp_path,
                                                            download_host):
    """The address answers 404 now: the build is looked for by its pin (an index or
    --find-links folder), and with neither, nothing is changed."""
    from conftest import envdoctor

    host, url, _ = download_host
    wheel = framework_wheel(host, "mindspore-ascend", "2.5.0", "ascend")
    index = tmp_path / "index"
    venv = venv_factory("mixed-url-gone")
    venv.pip("install", "-q", "--no-index", "--no-deps", url + wheel.name)
    venv.install_wheels(framework_wheel(index, "mindspore", "2.9.0", "release"))
    wheel.unlink()
    env = _offline(index, tmp_path / "state")
    freeze = venv.freeze()
    refused = envdoctor("fix", "--apply", "--yes", "--python", venv.python, "--recipe", "none",
                        env=env)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "pip cannot fetch mindspore-ascend @ %s%s" % (url, wheel.name) in refused.stderr
    assert venv.freeze() == freeze

    framework_wheel(index, "mindspore-ascend", "2.5.0", "ascend")  # the mirror has it
    proc = envdoctor("fix", "--json", "--python", venv.python, "--recipe", "none", env=env)
    plan = json.loads(proc.stdout)["plan"]
    assert plan["no_deps"] == ["mindspore-ascend==2.5.0"], plan
    assert any("did not answer" in n and wheel.name in n for n in plan["notes"]), plan["notes"]


def test_only_a_plain_wheel_address_is_used_for_a_reinstall():
    """What a snapshot says a build came from reaches pip's requirements file only as one
    plain http(s) wheel address; anything else falls back to name==version."""
    from envdoctor.frameworks import reinstall_requirement
    from envdoctor.snapshot import Distribution

    def source(url, info="archive_info"):
        return reinstall_requirement(Distribution("mindspore", "2.5.0", direct_url={
            "url": url, info: {}}))

    good = "https://ms-release.obs.cn-north-4.myhuaweicloud.com/2.5.0/MindSpore/unified/" \
           "x86_64/mindspore-2.5.0-cp39-cp39-linux_x86_64.whl"
    assert source(good) == "mindspore @ " + good
    for bad in (good + "\n--index-url http://evil/", good.replace("/2.5.0/", "/2 5/"),
                "file:///tmp/mindspore-2.5.0-cp39-cp39-linux_x86_64.whl",
                "https://host/mindspore-2.5.0.tar.gz", "ftp://host/mindspore-2.5.0-py3-none-any.whl",
                "https://host/x.whl#sha256=00", "https://host/'x.whl", "https://host/\x1b[2Jx.whl",
                "https://host/x.whl?a=b", ""):
        assert source(bad) == "mindspore==2.5.0", bad
    assert source(good, "vcs_info") == "mindspore==2.5.0"
    assert reinstall_requirement(Distribution("mindspore", "2.5.0")) == "mindspore==2.5.0"
