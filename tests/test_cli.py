"""The command line as a user runs it: JSON, exit codes, --from, --strict, colour, explain."""

import json
import os

import pytest

from conftest import build_wheel, check_json, envdoctor


@pytest.fixture(scope="module")
def broken_venv(venv_factory, tmp_path_factory):
    wheels = tmp_path_factory.mktemp("cli-wheels")
    venv = venv_factory("cli-broken")
    venv.install_wheels(
        build_wheel(wheels, "transformers", "4.35.0", requires=["tokenizers<0.15,>=0.14"]),
        build_wheel(wheels, "tokenizers", "0.15.0"),
    )
    return venv


def test_json_carries_everything(broken_venv):
    proc = envdoctor("check", "--json", "--python", broken_venv.python, "--recipe", "none")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)  # stdout is only JSON
    assert set(report) >= {"envdoctor", "schema", "environment", "findings", "summary",
                           "snapshot"}
    assert report["schema"] == 1
    env = report["environment"]
    assert env["executable"] == broken_venv.python and env["venv"] is True
    assert env["lab_packages"]["transformers"] == "4.35.0"
    finding = report["findings"][0]
    assert set(finding) >= {"code", "severity", "title", "because", "evidence", "fix", "packages"}
    assert finding["code"] == "ED101"
    assert report["summary"]["errors"] == 1 and report["summary"]["exit_code"] == 1
    assert report["summary"]["fix_command"].endswith("install -- 'tokenizers>=0.14,<0.15'")


def test_text_output_shows_the_same_and_no_colour_when_piped(broken_venv):
    proc = envdoctor("check", "--python", broken_venv.python, "--recipe", "none")
    assert proc.returncode == 1
    out = proc.stdout
    assert "\x1b[" not in out  # no ANSI codes without a terminal
    assert "ED101" in out and "transformers 4.35.0 requires tokenizers>=0.14,<0.15" in out
    assert "install -- 'tokenizers>=0.14,<0.15'" in out
    assert out.strip().splitlines()[-1].startswith("Verdict: not ready (1 error")


def test_force_color_and_no_color(broken_venv):
    coloured = envdoctor("check", "--python", broken_venv.python, "--recipe", "none",
                         env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" in coloured.stdout
    plain = envdoctor("check", "--python", broken_venv.python, "--recipe", "none",
                      env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in plain.stdout


def test_from_snapshot_on_another_machine(broken_venv, tmp_path):
    """A TA checks a student's saved snapshot; the student's venv is never touched."""
    path = tmp_path / "student.json"
    assert envdoctor("snapshot", "--python", broken_venv.python, "-o", str(path)).returncode == 0
    live = check_json("--python", broken_venv.python, "--recipe", "none")
    saved = check_json("--from", str(path), "--recipe", "none")
    assert saved["findings"] == live["findings"]
    assert saved["environment"]["source"] == "file"
    # a check JSON is itself a valid --from input (the TA may be sent that instead)
    report_path = tmp_path / "report.json"
    report_path.write_text(json.dumps(live))
    assert check_json("--from", str(report_path), "--recipe", "none")["findings"] == \
        live["findings"]


def test_from_bad_file_is_exit_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    proc = envdoctor("check", "--from", str(bad))
    assert proc.returncode == 2 and "not JSON" in proc.stderr
    proc = envdoctor("check", "--from", str(tmp_path / "missing.json"))
    assert proc.returncode == 2 and "cannot read" in proc.stderr
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"schema": 99, "distributions": []}))
    proc = envdoctor("check", "--from", str(newer))
    assert proc.returncode == 2 and "newer" in proc.stderr


def test_strict_turns_warnings_into_exit_1(venv_factory):
    venv = venv_factory("cli-warning")
    site = venv.pip("show", "pip").stdout.split("Location: ")[1].split()[0]
    # A non-PEP 440 version, as ModelArts' moxing-framework has: a warning, never a crash.
    meta = os.path.join(site, "moxing_framework-2.2.3.2c7f2141.dist-info")
    os.makedirs(meta)
    with open(os.path.join(meta, "METADATA"), "w") as handle:
        handle.write("Metadata-Version: 2.1\nName: moxing-framework\nVersion: 2.2.3.2c7f2141\n"
                     "Requires-Dist: numpy>=1.0\n\n")
    report = check_json("--python", venv.python, "--recipe", "none")
    codes = {f["code"] for f in report["findings"]}
    assert "ED104" in codes and report["summary"]["exit_code"] in (0, 1)
    warning = [f for f in report["findings"] if f["code"] == "ED104"][0]
    assert warning["severity"] == "warning" and "2.2.3.2c7f2141" in warning["title"]
    assert envdoctor("check", "--python", venv.python, "--recipe", "none",
                     "--strict").returncode == 1


def test_shadowed_duplicate_is_reported(venv_factory, tmp_path):
    venv = venv_factory("cli-shadow")
    wheels = tmp_path / "w"
    venv.install_wheels(build_wheel(wheels, "dupe", "1.0"))
    extra = tmp_path / "usersite"
    venv.pip("install", "-q", "--no-deps", "--target", str(extra),
             str(build_wheel(wheels, "dupe", "2.0")))
    report = check_json("--python", venv.python, "--recipe", "none",
                        env={"PYTHONPATH": str(extra)})
    dup = [f for f in report["findings"] if f["code"] == "ED105"]
    assert len(dup) == 1 and "2.0 (used) and 1.0 (hidden)" in dup[0]["title"]


def test_explain_code():
    proc = envdoctor("explain", "ED101")
    assert proc.returncode == 0 and "pip check" in proc.stdout
    data = json.loads(envdoctor("explain", "ed302", "--json").stdout)
    assert data["code"] == "ED302" and data["area"] == "recipe"
    assert envdoctor("explain", "ED999").returncode == 2


def test_every_emitted_code_is_documented():
    from envdoctor.findings import CODES
    from envdoctor.matrix import load_matrix
    from envdoctor.resources import matrix_path

    for rule in load_matrix(matrix_path()).rules:
        assert rule.code in CODES


def test_no_command_and_bad_usage_exit_2():
    assert envdoctor().returncode == 2
    assert envdoctor("check", "--bogus").returncode == 2
    assert envdoctor("check", "--python", "x", "--from", "y").returncode == 2


def test_version():
    from envdoctor import __version__

    proc = envdoctor("--version")
    assert proc.returncode == 0 and __version__ in proc.stdout


def test_requirements_file_of_a_lab(broken_venv, tmp_path):
    base = tmp_path / "base.txt"
    base.write_text("tokenizers>=0.14,<0.15  # the lab's pin\nsentencepiece\n"
                    "colorama; sys_platform == 'win32'\n")
    lab = tmp_path / "lab.txt"
    lab.write_text("-r base.txt\ntransformers==4.35.0\n")
    report = check_json("--python", broken_venv.python, "--recipe", "none",
                        "--requirements", str(lab))
    got = sorted((f["code"], f["packages"][0]) for f in report["findings"]
                 if "requirements file" in (f["evidence"].get("source") or ""))
    assert got == [("ED301", "sentencepiece"), ("ED302", "tokenizers")]  # colorama: not win32
    proc = envdoctor("check", "--requirements", str(tmp_path / "nope.txt"))
    assert proc.returncode == 2 and "requirements file" in proc.stderr


@pytest.mark.parametrize("line, hint", [
    # pip-api says "Invalid requirement", or with an older vendored packaging envdoctor does
    ("numpy==1.0\\nfoo>=1", "requirement"),
    ("numpy=1.0", "Did you mean =="),
    ("numpy >= 1.0 garbage", "numpy"),
])
def test_a_bad_requirements_line_names_its_file_and_line(tmp_path, line, hint):
    lab = tmp_path / "requirements.txt"
    lab.write_text("# the lab\n-r base.txt\nsix\n%s\n" % line)
    (tmp_path / "base.txt").write_text("packaging\n")
    proc = envdoctor("check", "--recipe", "none", "-r", str(lab))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "%s, line 4" % lab in proc.stderr and hint in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_ignore_leaves_a_code_out_of_the_verdict(broken_venv):
    """A course that accepts a finding: --ignore takes it out of the verdict and the exit
    code, and says so; an unknown code is a usage error."""
    base = ("check", "--python", broken_venv.python, "--recipe", "none")
    data = check_json(*base[1:], "--ignore", "ed101")
    assert [f["code"] for f in data["ignored"]] == ["ED101"]
    assert "ED101" not in [f["code"] for f in data["findings"]]
    assert data["summary"]["ignored"] == 1 and data["summary"]["errors"] == 0
    assert data["summary"]["exit_code"] == 0
    text = envdoctor(*base, "--ignore", "ED101,ED112")
    assert text.returncode == 0, text.stdout + text.stderr
    assert "Ignored (--ignore): ED101 x1" in text.stdout and "Verdict: ready" in text.stdout
    unknown = envdoctor(*base, "--ignore", "ED1O1")
    assert unknown.returncode == 2 and "--ignore ED1O1: no such finding code" in unknown.stderr


def test_every_code_in_the_source_is_documented():
    """`envdoctor explain CODE` must know every code any module can emit."""
    import re
    from envdoctor.findings import CODES

    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "envdoctor")
    used = set()
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".py"):
                text = open(os.path.join(folder, name), encoding="utf-8").read()
                used.update(re.findall(r"[\"'](ED\d{3})[\"']", text))
    assert used and sorted(used - set(CODES)) == []
    for code in sorted(used):
        assert envdoctor("explain", code).returncode == 0, code


def test_fix_judges_as_check_does_with_requirement_files(broken_venv, tmp_path):
    """`fix -r FILE` plans from the same findings as `check -r FILE` (one diagnosis)."""
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "tokenizers", "0.14.1")
    build_wheel(wheels, "sentencepiece", "0.2.0")
    lab = tmp_path / "lab.txt"
    lab.write_text("sentencepiece\n")
    env = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels),
           "ENVDOCTOR_STATE_DIR": str(tmp_path / "state")}
    checked = check_json("--python", broken_venv.python, "--recipe", "none", "-r", str(lab))
    proc = envdoctor("fix", "--python", broken_venv.python, "--recipe", "none", "-r", str(lab),
                     "--json", env=env)
    assert proc.returncode == 1, proc.stderr
    plan = json.loads(proc.stdout)["plan"]
    errors = lambda found: sorted((f["code"], f["packages"][0]) for f in found  # noqa: E731
                                  if f["severity"] == "error")
    assert errors(plan["errors_before"]) == errors(checked["findings"]) == [
        ("ED101", "transformers"), ("ED301", "sentencepiece")]
    actions = {a["package"]: a["action"] for a in plan["actions"]}
    assert actions == {"tokenizers": "downgrade", "sentencepiece": "install"}
    without = json.loads(envdoctor("fix", "--python", broken_venv.python, "--recipe", "none",
                                   "--json", env=env).stdout)["plan"]
    assert errors(without["errors_before"]) == [("ED101", "transformers")]


def test_fix_apply_with_requirement_files_checks_them_again(venv_factory, tmp_path):
    wheels = tmp_path / "wheels"
    venv = venv_factory("cli-fix-r")
    venv.install_wheels(
        build_wheel(wheels, "transformers", "4.35.0", requires=["tokenizers<0.15,>=0.14"]),
        build_wheel(wheels, "tokenizers", "0.15.0"))
    build_wheel(wheels, "tokenizers", "0.14.1")
    build_wheel(wheels, "sentencepiece", "0.2.0")
    lab = tmp_path / "lab.txt"
    lab.write_text("sentencepiece\n")
    env = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels),
           "ENVDOCTOR_STATE_DIR": str(tmp_path / "state")}
    proc = envdoctor("fix", "--python", venv.python, "--recipe", "none", "-r", str(lab),
                     "--apply", "--yes", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Fixed: envdoctor check passes" in proc.stdout
    after = check_json("--python", venv.python, "--recipe", "none", "-r", str(lab))
    assert after["summary"]["errors"] == 0
