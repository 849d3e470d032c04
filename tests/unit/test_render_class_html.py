"""envdoctor.render.class_html: the class page from ClassReport data (no probe: a saved
snapshot is checked here, an unreadable file is a row of its own)."""

import shutil

import synthetic
from envdoctor.classreport import build_class_report
from envdoctor.render.class_html import render_class_html


def test_page_counts_and_escapes(tmp_path):
    student = tmp_path / "<b>student<i>.json"
    shutil.copy(synthetic.STUDENT, str(student))
    broken = tmp_path / "notes.json"
    broken.write_text("{not json")
    data = build_class_report([str(student), str(broken)], recipe="none",
                              generated="2026-12-01 00:00 UTC").to_dict()
    assert (data["total"], data["broken"], data["unreadable"]) == (2, 1, 1)
    page = render_class_html(data, title="Lab <1>")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "<b>student" not in page and "&lt;b&gt;student&lt;i&gt;" in page
    assert "<title>Lab &lt;1&gt;</title>" in page
    assert "ED101" in page and "not JSON" in page
