"""envdoctor.render.class_text: the class report as terminal text, from the same data as the
page and the JSON; what students control is printed with its control characters visible."""

import io
import re
import shutil

import synthetic
from envdoctor.classreport import build_class_report
from envdoctor.console import emit
from envdoctor.render.class_text import class_text_lines
from envdoctor.render.text import plain


def _data(tmp_path):
    student = tmp_path / "ana\x1b[2J.json"
    shutil.copy(synthetic.STUDENT, str(student))
    (tmp_path / "notes.json").write_text("{not json")
    return build_class_report([str(student), str(tmp_path / "notes.json")], recipe="none",
                              generated="2026-12-01 00:00 UTC").to_dict()


def test_the_text_says_what_the_data_says(tmp_path):
    data = _data(tmp_path)
    text = plain(class_text_lines(data, title="Lab 3"))
    assert text.startswith("Lab 3: 2 environments, checked without a lab recipe")
    assert "healthy %d | broken %d | unreadable %d" % (
        data["healthy"], data["broken"], data["unreadable"]) in text
    for cause in data["causes"]:
        assert "%s  %d/%d" % (cause["code"], cause["count"], 1) in text
        assert cause["title"] in text
    for fix in data["fixes"]:
        assert fix["fix"] in text
    assert re.search(r"\?  notes\.json +unreadable: not JSON", text), text
    broken = [e for e in data["environments"] if e["status"] == "broken"][0]
    assert re.search(r"x  ana.*%d errors?, %d warnings?" % (broken["errors"],
                                                             broken["warnings"]), text), text
    # -v: each environment's findings under it
    verbose = plain(class_text_lines(data, verbose=True))
    assert all(f["title"] in verbose for f in broken["findings"])
    assert len(verbose.splitlines()) == len(text.splitlines()) + len(broken["findings"])


def test_a_class_without_problems(tmp_path):
    (tmp_path / "x.json").write_text("[]")
    data = build_class_report([str(tmp_path / "x.json")], recipe="none").to_dict()
    data["environments"], data["total"], data["unreadable"] = [], 0, 0
    text = plain(class_text_lines(data))
    assert "no errors or warnings in any environment" in text and "none needed" in text


def test_control_characters_from_file_names_are_made_visible(tmp_path):
    out = io.StringIO()
    emit(class_text_lines(_data(tmp_path)), out)
    assert "\x1b" not in out.getvalue() and "ana" in out.getvalue()
