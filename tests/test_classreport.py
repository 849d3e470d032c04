"""envdoctor report: real students' snapshots (real venvs) merged into one page, opened in a real
headless Chromium; the numbers on the page must equal the inputs."""

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import CACHE, build_wheel, check_json, envdoctor

TOKENIZERS_FIX = "python -m pip install -- 'tokenizers>=0.14,<0.15'"


@pytest.fixture(scope="module")
def classroom(venv_factory, tmp_path_factory):
    """Five students: one healthy, two with the transformers/tokenizers conflict (one sent a
    check JSON instead of a snapshot), one with a missing dependency, one broken file."""
    wheels = tmp_path_factory.mktemp("class-wheels")
    conflict = [build_wheel(wheels, "transformers", "4.35.0", requires=["tokenizers<0.15,>=0.14"]),
                build_wheel(wheels, "tokenizers", "0.15.0")]
    venvs = {"ana": venv_factory("class-ana"), "ben": venv_factory("class-ben"),
             "cleo": venv_factory("class-cleo"), "dev": venv_factory("class-dev")}
    venvs["ben"].install_wheels(*conflict)
    venvs["cleo"].install_wheels(*conflict)
    venvs["dev"].install_wheels(build_wheel(wheels, "alpha", "1.0", requires=["delta>=1"]))
    folder = tmp_path_factory.mktemp("class-inputs")
    files = []
    for name, venv in sorted(venvs.items()):
        path = folder / ("%s.json" % name)
        proc = envdoctor("snapshot", "--python", venv.python, "-o", str(path))
        assert proc.returncode == 0, proc.stderr
        files.append(path)
    # cleo sent `envdoctor check --json` output instead: it is used as is
    check = envdoctor("check", "--json", "--from", str(folder / "cleo.json"), "--recipe", "none")
    assert check.returncode == 1, check.stderr
    (folder / "cleo.json").unlink()
    files[2] = folder / "cleo-check.json"
    files[2].write_text(check.stdout)
    broken = folder / "eve<b>.json"
    broken.write_text('{"schema": 1, "distributions": [')  # cut off mid-upload
    files.append(broken)
    return folder, files


def _report(files, out, *extra):
    proc = envdoctor("report", *[str(f) for f in files], "-o", str(out), "--recipe", "none",
                     "--json", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), out.read_text(encoding="utf-8")


def test_numbers_match_the_inputs(classroom, tmp_path):
    folder, files = classroom
    data, page = _report(files, tmp_path / "class.html")
    assert (data["total"], data["healthy"], data["broken"], data["unreadable"]) == (5, 1, 3, 1)
    status = {e["name"]: e["status"] for e in data["environments"]}
    assert status == {"ana.json": "healthy", "ben.json": "broken", "cleo-check.json": "broken",
                      "dev.json": "broken", "eve<b>.json": "unreadable"}
    kinds = {e["name"]: e["kind"] for e in data["environments"]}
    assert kinds["cleo-check.json"] == "check" and kinds["ben.json"] == "snapshot"
    eve = [e for e in data["environments"] if e["status"] == "unreadable"][0]
    assert eve["error"].startswith("not JSON")

    first, second = data["causes"][:2]
    assert first["code"] == "ED101" and first["count"] == 2
    assert first["title"] == "transformers 4.35.0 requires tokenizers>=0.14,<0.15, but you " \
                             "have tokenizers 0.15.0"
    assert sorted(first["environments"]) == ["ben.json", "cleo-check.json"]
    assert second["code"] == "ED102" and second["count"] == 1
    assert second["environments"] == ["dev.json"] and "delta" in second["title"]
    assert len(data["causes"]) == 2
    fixes = {f["fix"]: f["count"] for f in data["fixes"]}
    assert fixes[TOKENIZERS_FIX] == 2 and data["fixes"][0]["fix"] == TOKENIZERS_FIX

    # the page says the same; it is self-contained and escapes what students control
    def count(key):
        return int(re.search(r'id="count-%s" data-count="(\d+)">(\d+)<' % key, page).group(2))

    assert [count(k) for k in ("total", "healthy", "broken", "unreadable")] == [5, 1, 3, 1]
    assert page.count('<tr data-status="broken"') == 3
    assert page.count('<tr data-status="healthy"') == 1
    assert '<tr data-code="ED101" data-count="2">' in page
    assert "eve&lt;b&gt;.json" in page and "eve<b>" not in page
    assert "<script" not in page and not re.search(r"\b(?:src|href)=", page)
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * 2
    assert "<svg" in page and "<code>%s</code>" % html.escape(TOKENIZERS_FIX) in page

    # a folder stands for its *.json files; without -o, --json prints only the numbers
    proc = envdoctor("report", str(folder), "--recipe", "none", "--json")
    assert proc.returncode == 0, proc.stderr
    again = json.loads(proc.stdout)
    assert (again["total"], again["healthy"], again["broken"]) == (5, 1, 3)


def test_snapshots_use_their_default_recipe(classroom, tmp_path):
    folder, files = classroom
    proc = envdoctor("report", str(files[0]), "--json")
    assert proc.returncode == 0, proc.stderr
    (env,) = json.loads(proc.stdout)["environments"]
    # the same lab `envdoctor check --from` picks for that Python; a bare venv is not ready
    alone = check_json("--from", str(files[0]))
    assert env["recipe"] == alone["environment"]["recipe"] is not None
    assert env["status"] == "broken" and env["errors"] == alone["summary"]["errors"]
    assert sorted(f["code"] for f in env["findings"]) == sorted(
        f["code"] for f in alone["findings"] if f["severity"] != "info")


def test_unreadable_inputs_and_exit_codes(tmp_path):
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "other.json").write_text('{"hello": "world"}')
    (tmp_path / "newer.json").write_text('{"kind": "envdoctor-check", "schema": 99, '
                                         '"findings": [], "summary": {}}')
    files = [tmp_path / n for n in ("list.json", "other.json", "newer.json", "missing.json")]
    data, page = _report(files, tmp_path / "out.html")
    assert (data["total"], data["unreadable"], data["healthy"], data["broken"]) == (4, 4, 0, 0)
    errors = [e["error"] for e in data["environments"]]
    assert errors[0] == errors[1] == "not an envdoctor snapshot or check JSON"
    assert "newer" in errors[2] and errors[3].startswith("cannot read it")
    assert data["causes"] == [] and "No errors or warnings" in page
    # envdoctor itself cannot run: exit 2
    proc = envdoctor("report", str(files[0]), "--recipe", "no-such-lab")
    assert proc.returncode == 2 and "no recipe named" in proc.stderr
    proc = envdoctor("report", str(files[0]), "-o", str(tmp_path / "no" / "dir" / "x.html"))
    assert proc.returncode == 2 and "cannot write" in proc.stderr
    assert envdoctor("report").returncode == 2  # no files: a usage error


def test_text_on_a_terminal_html_in_a_pipe(classroom, tmp_path):
    """The same numbers as text (--text, or stdout a terminal without -o); a pipe still gets
    the page, so `report ... > class.html` keeps working."""
    import pty
    import sys

    from conftest import ROOT

    folder, _ = classroom
    proc = envdoctor("report", str(folder), "--recipe", "none", "--text")
    assert proc.returncode == 0, proc.stderr
    assert "5 environments" in proc.stdout and "healthy 1 | broken 3 | unreadable 1" in proc.stdout
    assert re.search(r"x ED101  2/4 +transformers 4\.35\.0 requires", proc.stdout), proc.stdout
    assert "eve<b>.json" in proc.stdout and "<html" not in proc.stdout
    piped = envdoctor("report", str(folder), "--recipe", "none")
    assert piped.stdout.startswith("<!DOCTYPE html>")
    assert envdoctor("report", str(folder), "--text", "--json").returncode == 2

    main, secondary = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "envdoctor", "report", str(folder),
                              "--recipe", "none"], stdout=secondary, stderr=subprocess.PIPE,
                             cwd=ROOT, env=dict(os.environ, NO_COLOR="1"))
    os.close(secondary)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(main)
    assert child.wait(timeout=120) == 0, child.stderr.read()
    text = out.decode("utf-8", "replace")
    assert "healthy 1 | broken 3 | unreadable 1" in text and "<html" not in text


def test_ignore_leaves_a_cause_out_of_every_environment(classroom, tmp_path):
    """--ignore ED101: ben (a snapshot) and cleo (a saved check JSON) are healthy then."""
    folder, files = classroom
    data, page = _report(files, tmp_path / "class.html", "--ignore", "ED101")
    assert data["ignored"] == ["ED101"]
    assert (data["healthy"], data["broken"], data["unreadable"]) == (3, 1, 1)
    assert [c["code"] for c in data["causes"]] == ["ED102"]
    assert "ignoring ED101 (--ignore)" in page
    text = envdoctor("report", str(folder), "--recipe", "none", "--text", "--ignore", "ED101")
    assert "healthy 3 | broken 1 | unreadable 1  (ignoring ED101)" in text.stdout
    assert envdoctor("report", str(folder), "--ignore", "nope").returncode == 2


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed")
def test_page_in_headless_chromium(classroom, tmp_path):
    folder, files = classroom
    data, page = _report(files, tmp_path / "class.html")
    url = (tmp_path / "class.html").resolve().as_uri()
    shots = Path(os.environ.get("ENVDOCTOR_SCREENSHOT_DIR", str(CACHE / "screenshots")))
    shots.mkdir(parents=True, exist_ok=True)
    png = shots / "class-report.png"
    if png.exists():
        png.unlink()

    def chromium(*args):
        with tempfile.TemporaryDirectory(prefix="envdoctor-chromium-") as profile:
            argv = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--user-data-dir=" + profile, "--window-size=1280,1600"] + list(args) + [url]
            return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  universal_newlines=True, timeout=180)

    dom = chromium("--dump-dom").stdout
    assert "<svg" in dom and 'id="chart-causes"' in dom
    for key in ("total", "healthy", "broken", "unreadable"):
        shown = re.search(r'id="count-%s" data-count="\d+">(\d+)<' % key, dom)
        assert shown and int(shown.group(1)) == data[key], key
    rows = re.findall(r'<tr data-status="(\w+)"', dom)
    assert sorted(rows) == sorted(e["status"] for e in data["environments"])
    ring = dict((s, int(n)) for s, n in re.findall(r'data-status="(\w+)" data-count="(\d+)"',
                                                     dom.split('id="chart-status"')[1]
                                                     .split("</svg>")[0]))
    assert ring == {"healthy": 1, "broken": 3, "unreadable": 1}
    bars = re.findall(r'<g data-code="(ED\d+)" data-count="(\d+)">', dom)
    assert bars == [(c["code"], str(c["count"])) for c in data["causes"]]

    proc = chromium("--screenshot=%s" % png)
    assert png.exists(), proc.stderr[-2000:]
    head = png.read_bytes()[:8]
    assert head == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20000


def test_the_class_against_the_lab_itself(tmp_path):
    """`report --lab NOTEBOOK`: each snapshot is held to the notebook, as `check --lab`
    does; a fix counted across the class carries no student's interpreter path."""
    course = os.path.join(os.path.dirname(__file__), "data", "labs", "course")
    lab = os.path.join(course, "gpt_2025.ipynb")
    for name, dists in (("ana", [("mindspore-dev", "2.5.0.dev20250202"), ("mindnlp", "0.5.1"),
                                 ("numpy", "1.26.4")]),
                        ("ben", [("mindspore-dev", "2.5.0.dev20250202"), ("mindnlp", "0.5.1"),
                                 ("numpy", "1.26.4")]),
                        ("cai", [])):
        snap = {"interpreter": {"version": "3.9.18",
                                "executable": "/home/%s/lab/bin/python" % name},
                "platform": {"system": "Linux", "machine": "x86_64"},
                "distributions": [{"name": n, "version": v} for n, v in dists]}
        (tmp_path / ("%s.json" % name)).write_text(json.dumps(snap))
    proc = envdoctor("report", str(tmp_path), "--lab", lab, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["lab"] == lab and data["broken"] == 3
    codes = {e["name"]: {f["code"] for f in e["findings"]} for e in data["environments"]}
    assert "ED801" in codes["ana.json"] and "ED801" not in codes["cai.json"]
    assert {"ED803", "ED820"} <= codes["cai.json"]  # nothing installed; the lab asks for Ascend
    fixes = {f["fix"]: f for f in data["fixes"]}
    # ana and ben keep their framework: one fix, counted twice
    assert fixes["python -m pip install --no-deps -- mindnlp==0.4.0"]["count"] == 2
    # cai has nothing: the framework first, then mindnlp without pulling `mindspore`
    bare = ("python -m pip install -- mindspore-dev==2.5.0.dev20250202 && "
            "python -m pip install --no-deps -- mindnlp==0.4.0")
    assert fixes[bare]["environments"] == ["cai.json"]
    assert "/home/" not in json.dumps(data["fixes"])

    text = envdoctor("report", str(tmp_path), "--lab", lab, "--text").stdout
    assert "3 environments, checked against the lab %s (" % lab in text
    missing = envdoctor("report", str(tmp_path), "--lab", str(tmp_path / "nope.ipynb"))
    assert missing.returncode == 2 and "no such lab" in missing.stderr
