"""envdoctor.yamlfile: line numbers, clear errors, and the JSON cache of parsed files."""

import datetime
import os
import subprocess
import sys

import pytest

from envdoctor.yamlfile import LINE_KEY, DataFileError, load_yaml


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("ENVDOCTOR_CACHE_DIR", str(folder))
    return folder


def test_lines_dates_and_a_second_read_from_the_cache(tmp_path, cache):
    path = tmp_path / "m.yaml"
    path.write_text("schema: 1\nrules:\n  - id: a\n    date: 2026-11-28\n")
    first = load_yaml(str(path))
    assert first["rules"][0] == {"id": "a", "date": datetime.date(2026, 11, 28), LINE_KEY: 3}
    assert len(list((cache / "data").glob("*.json"))) == 1
    assert load_yaml(str(path)) == first
    code = ("import sys; from envdoctor.yamlfile import load_yaml; d = load_yaml(%r); "
            "print('yaml' in sys.modules, d['rules'][0]['date'])" % str(path))
    out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE,
                         universal_newlines=True, env=dict(os.environ), check=True).stdout
    assert out.split() == ["False", "2026-11-28"]


def test_a_changed_file_is_parsed_again(tmp_path, cache):
    path = tmp_path / "r.yaml"
    path.write_text("name: one\n")
    stamp = os.stat(str(path)).st_mtime_ns
    assert load_yaml(str(path))["name"] == "one"
    path.write_text("name: two\n")  # same size, and (forced) the same clock tick
    os.utime(str(path), ns=(stamp, stamp))
    assert load_yaml(str(path))["name"] == "two"


def test_what_json_cannot_hold_is_not_cached(tmp_path, cache):
    path = tmp_path / "locks.yaml"
    path.write_text("locks:\n  3.10: {file: a.txt}\n")
    assert 3.1 in load_yaml(str(path))["locks"]
    assert not list(cache.glob("data/*.json"))
    assert 3.1 in load_yaml(str(path))["locks"]


def test_bad_files_name_the_file_and_line(tmp_path, cache):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: [unclosed\n")
    with pytest.raises(DataFileError) as info:
        load_yaml(str(bad))
    assert info.value.path == str(bad) and info.value.line and "not valid YAML" in str(info.value)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(DataFileError, match="not UTF-8"):
        load_yaml(str(latin))
    with pytest.raises(DataFileError, match="cannot read"):
        load_yaml(str(tmp_path / "missing.yaml"))


def test_an_unwritable_cache_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("ENVDOCTOR_CACHE_DIR", str(blocker))
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\n")
    assert load_yaml(str(path)) == {"a": 1, LINE_KEY: 1}
