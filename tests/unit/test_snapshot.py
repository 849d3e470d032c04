"""envdoctor.snapshot: typed sections over the probe's JSON, which stays as it is."""

import json

import synthetic
from envdoctor.matrix import platform_tag
from envdoctor.snapshot import Interpreter, Platform, Snapshot, load_snapshot


def test_typed_sections_read_the_probe_json():
    snap = synthetic.student()
    interp = snap.interpreter
    assert isinstance(interp, Interpreter) and isinstance(snap.platform, Platform)
    assert interp.executable == "/home/student/lab/bin/python"
    assert interp.prefix == "/home/student/lab" and interp.is_venv and not interp.is_conda
    assert interp.version == snap.python_version == "3.9.18"
    assert interp.sys_path[-1].endswith("site-packages")
    assert snap.platform.libc == {"name": "glibc", "version": "2.35"}
    assert snap.platform_tag == platform_tag(snap) == "linux-x86_64"
    assert snap.executable == interp.executable
    # the section's JSON stays as the probe wrote it
    assert interp.raw["executable"] == interp.executable and not hasattr(interp, "get")


def test_the_json_is_unchanged_and_round_trips(tmp_path):
    data = synthetic.student_data()
    snap = Snapshot.from_dict(data)
    snap.interpreter, snap.platform  # noqa: B018 - reading must not change the data
    assert json.loads(snap.to_json()) == data
    path = tmp_path / "env.json"
    path.write_text(snap.to_json())
    assert load_snapshot(str(path)) == snap


def test_old_and_partial_files_still_load():
    snap = Snapshot.from_dict({"schema": 1, "distributions": []})
    assert snap.interpreter.executable is None and snap.executable == "python"
    assert snap.platform_tag == "-" and snap.python_version == ""
    odd = Snapshot.from_dict({"distributions": [], "interpreter": "not a dict",
                              "platform": {"system": "Darwin", "machine": "arm64",
                                           "extra_key": 1}})
    assert odd.interpreter.version == "" and odd.platform_tag == "darwin-arm64"
    assert odd.platform.raw.get("extra_key") == 1


def test_wheel_file_names_spell_a_distribution_one_way():
    from envdoctor.snapshot import wheel_name

    assert wheel_name("mindspore-dev") == wheel_name("MindSpore_Dev") == "mindspore_dev"
    assert wheel_name("zope.interface") == "zope_interface"
