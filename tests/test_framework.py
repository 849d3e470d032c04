"""One framework per environment (ED110-ED112): on real venvs with small real wheels that
install the same `mindspore/` folder under two distribution names, and on snapshots."""

import shlex

import pytest

from conftest import build_wheel, check_json, make_snapshot
from envdoctor.checks import CheckContext
from envdoctor.checks.framework import check, is_framework, top_level_owners
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
