"""Untrusted files degrade, never abort; the terminal stays safe; data files are strict.

A class report over hostile student files (deep nesting, wrong types, a byte-order mark, a
symlink, a FIFO) still renders, listing each bad file with its reason; control characters
from a snapshot never reach the terminal raw; YAML with aliases or duplicate keys is refused
with its line, and `matrix lint` fails on it."""

import json
import os
import pytest

from conftest import ROOT, envdoctor, make_snapshot


@pytest.fixture
def good_snapshot():
    return make_snapshot(transformers="4.35.0", tokenizers="0.15.0")


def _report(tmp_path, *files):
    out = tmp_path / "class.html"
    proc = envdoctor("report", *[str(f) for f in files], "-o", str(out), "--recipe", "none",
                     "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), out.read_text(encoding="utf-8")


def test_hostile_student_files_are_listed_and_the_page_renders(tmp_path, good_snapshot):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "deep.json").write_text("[" * 200000 + "]" * 200000)
    (folder / "deep-ok-json.json").write_text('{"distributions": ' + "[" * 100 + "]" * 100 + "}")
    (folder / "types.json").write_text(json.dumps({"distributions": 5, "interpreter": []}))
    (folder / "items.json").write_text(json.dumps({"distributions": ["x", 1]}))
    (folder / "check-types.json").write_text(json.dumps(
        {"kind": "envdoctor-check", "environment": [], "findings": [1], "summary": "x"}))
    bom = json.dumps(good_snapshot.raw)
    (folder / "bom.json").write_bytes(b"\xef\xbb\xbf" + bom.encode())
    (folder / "latin1.json").write_bytes(b'{"x": "\xff"}')
    os.symlink("/etc/passwd", str(folder / "link.json"))
    os.mkfifo(str(folder / "fifo.json"))
    data, page = _report(tmp_path, folder)
    by_name = {e["name"]: e for e in data["environments"]}
    assert by_name["bom.json"]["status"] != "unreadable", by_name["bom.json"]
    why = {n: e["error"] for n, e in by_name.items() if e["status"] == "unreadable"}
    assert "nested too deeply" in why["deep.json"]
    assert "nested too deeply" in why["deep-ok-json.json"]
    assert "'distributions' is a int" in why["types.json"]
    assert "distributions entry 0" in why["items.json"]
    assert "'environment' is a list" in why["check-types.json"]
    assert "UTF-8" in why["latin1.json"]
    assert "symlink" in why["link.json"] and "FIFO" in why["fifo.json"]
    assert "root:" not in page  # the symlink's target was never read
    for name in why:
        assert name in page
    assert sorted(by_name) == sorted(os.listdir(str(folder)))
    assert (data["total"], data["unreadable"]) == (9, 8)


def test_control_characters_from_a_snapshot_never_reach_the_terminal(tmp_path):
    snap = make_snapshot(transformers="4.35.0", tokenizers="0.15.0")
    raw = json.loads(json.dumps(snap.raw))
    for dist in raw["distributions"]:
        if dist["name"] == "transformers":
            dist["version"] = "4.35.0\x1b]0;pwned\x07\x1b[2J\r"
            dist["requires_dist"] = ["tokenizers<0.15,>=0.14"]
    raw["interpreter"]["executable"] = "/usr/bin/python\x1b]52;c;ZXZpbA==\x07"
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(raw))
    proc = envdoctor("check", "--from", str(path), "--recipe", "none",
                     env={"FORCE_COLOR": "1"})
    out = proc.stdout + proc.stderr
    assert proc.returncode in (0, 1), out
    assert "\x1b]" not in out and "\x07" not in out and "\r" not in out
    assert "\\x1b]52" in out or "\\x1b]0" in out, out


def test_invalid_distribution_names_in_a_snapshot_are_set_aside(tmp_path):
    snap = make_snapshot(transformers="4.35.0", tokenizers="0.15.0")
    raw = json.loads(json.dumps(snap.raw))
    raw["distributions"].append({"name": "--find-links http://127.0.0.1:9/", "version": "1.0",
                                 "metadata_path": "/x/evil-1.0.dist-info"})
    raw["distributions"].append({"name": "ok\n-r /etc/passwd", "version": "1.0"})
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(raw))
    data = json.loads(envdoctor("check", "--json", "--from", str(path), "--recipe", "none").stdout)
    ed950 = [f for f in data["findings"] if f["code"] == "ED950"]
    assert len(ed950) == 2, data["findings"]
    for f in data["findings"]:
        command = (f.get("fix") or {}).get("command") or ""
        assert "find-links" not in command and "/etc/passwd" not in command


def test_duplicate_keys_and_aliases_are_refused_with_their_line(tmp_path):
    matrix = (ROOT / "compat_matrix.yaml").read_text(encoding="utf-8")
    dup = matrix.replace("\nrules:\n", "\nrules: []\nrules:\n", 1)
    assert dup != matrix
    (tmp_path / "dup.yaml").write_text(dup, encoding="utf-8")
    proc = envdoctor("matrix", "lint", str(tmp_path / "dup.yaml"))
    assert proc.returncode != 0 and "given twice" in proc.stderr, proc.stderr
    line = dup.split("\nrules:\n", 1)[0].count("\n") + 2
    assert "dup.yaml:%d:" % line in proc.stderr, proc.stderr
    bomb = ("schema: 1\nrules:\n  - &a [x, x, x, x, x, x, x, x, x]\n"
            + "".join("  - &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n"
                      % ((chr(98 + i),) + (chr(97 + i),) * 8) for i in range(8))
            + "  - {id: 1, when: *i}\n")
    (tmp_path / "bomb.yaml").write_text(bomb)
    proc = envdoctor("matrix", "lint", str(tmp_path / "bomb.yaml"))
    assert proc.returncode != 0 and "aliases" in proc.stderr and "bomb.yaml:3:" in proc.stderr
    assert len(proc.stderr) < 2000
