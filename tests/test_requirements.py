"""Declared requirements: envdoctor reports exactly what pip check reports, on real venvs."""

import re

import pytest

from conftest import build_wheel, check_json


def pip_check_pairs(lines):
    """('dependent', 'dependency') for each line pip check printed."""
    pairs = set()
    for line in lines:
        m = re.match(r"(\S+) \S+ (?:has requirement|requires) ([A-Za-z0-9_.\-]+)", line)
        assert m, line
        pairs.add((m.group(1).lower().replace("_", "-"), m.group(2).lower().replace("_", "-")))
    return pairs


def envdoctor_pairs(report):
    pairs = set()
    for f in report["findings"]:
        if f["code"] in ("ED101", "ED102"):
            dependent, dependency = f["packages"]
            pairs.add((dependent.lower().replace("_", "-"), dependency.lower().replace("_", "-")))
    return pairs


@pytest.fixture(scope="module")
def conflicted(venv_factory, tmp_path_factory):
    """A venv with conflicts, missing deps, markers, extras and a pre-release."""
    wheels = tmp_path_factory.mktemp("wheels")
    venv = venv_factory("conflicted")
    venv.install_wheels(
        build_wheel(wheels, "alpha", "1.0", requires=[
            "beta>=2,<3",                              # conflict: beta 3.1 installed
            "gamma",                                   # missing
            "delta; python_version < '3'",             # marker false: not needed
            "epsilon; extra == 'fast'",                # extra not requested: not needed
            "zeta>=1.0; sys_platform != 'nonexistent'",  # marker true, satisfied by pre-release
            "Eta_Pkg==1.*",                            # name normalisation, satisfied
        ], extras=["fast"]),
        build_wheel(wheels, "beta", "3.1", requires=["alpha>=2"]),  # conflict back
        build_wheel(wheels, "zeta", "1.1rc1"),
        build_wheel(wheels, "eta-pkg", "1.4"),
        build_wheel(wheels, "theta", "0.1", requires=["iota[extra1]>=0.5"]),  # missing + extras
    )
    return venv


def test_parity_with_pip_check(conflicted):
    expected = pip_check_pairs(conflicted.pip_check())
    assert expected == {("alpha", "beta"), ("alpha", "gamma"), ("beta", "alpha"),
                        ("theta", "iota")}
    report = check_json("--python", conflicted.python, "--recipe", "none")
    assert envdoctor_pairs(report) == expected


def test_fix_names_the_range(conflicted):
    report = check_json("--python", conflicted.python, "--recipe", "none")
    conflict = [f for f in report["findings"] if f["code"] == "ED101"
                and f["packages"] == ["alpha", "beta"]][0]
    assert conflict["severity"] == "error"
    assert conflict["evidence"]["installed"] == "beta 3.1"
    assert conflict["evidence"]["needed"] == "beta>=2,<3"
    assert conflict["fix"]["command"].endswith("-m pip install -- 'beta>=2,<3'")
    assert conflicted.python in conflict["fix"]["command"]
    missing = [f for f in report["findings"] if f["code"] == "ED102"
               and f["packages"] == ["theta", "iota"]][0]
    assert missing["fix"]["requirements"] == ["iota>=0.5"]


def test_clean_venv_has_no_requirement_findings(venv_factory):
    venv = venv_factory("clean")
    assert venv.pip_check() == []
    report = check_json("--python", venv.python, "--recipe", "none")
    assert envdoctor_pairs(report) == set()
    assert report["summary"]["errors"] == 0


@pytest.mark.slow
def test_students_tokenizers_conflict_from_the_index(venv_factory):
    """The student's report: transformers 4.35.0, then tokenizers 0.15.0, from PyPI."""
    venv = venv_factory("student-conflict")
    venv.pip("install", "-q", "--prefer-binary", "transformers==4.35.0")
    venv.pip("install", "-q", "--prefer-binary", "tokenizers==0.15.0")
    lines = venv.pip_check()
    assert any("transformers 4.35.0" in l and "tokenizers" in l for l in lines), lines

    report = check_json("--python", venv.python, "--recipe", "none")
    assert envdoctor_pairs(report) == pip_check_pairs(lines)
    finding = [f for f in report["findings"] if f["packages"] == ["transformers", "tokenizers"]][0]
    assert finding["code"] == "ED101"
    assert finding["title"] == ("transformers 4.35.0 requires tokenizers>=0.14,<0.15, "
                                "but you have tokenizers 0.15.0")
    assert finding["fix"]["requirements"] == ["tokenizers>=0.14,<0.15"]
    assert "declared: Requires-Dist of transformers 4.35.0" == finding["evidence"]["source"]

    # The fix envdoctor prints is the one the student found by hand, and it works.
    venv.pip("install", "-q", "--prefer-binary", *finding["fix"]["requirements"])
    assert venv.pip_check() == []
    after = check_json("--python", venv.python, "--recipe", "none")
    assert envdoctor_pairs(after) == set()
