"""Ascend fit (ED531-ED535): the device probe run on fake machine trees holding recorded CANN
and driver version files and a recorded `npu-smi info` (origins: tests/data/devices/SOURCES.md
and tests/data/ascend/SOURCES.md), then the check against the documented pairings."""

import shutil
import stat
from pathlib import Path

import pytest

from envdoctor import ascend
from envdoctor.checks import CheckContext
from envdoctor.checks.ascend import check
from envdoctor.findings import CODES
from envdoctor.probes import device_probe as dp
from envdoctor.snapshot import Snapshot

DEVICES = Path(__file__).resolve().parent / "data" / "devices"
ASCEND = Path(__file__).resolve().parent / "data" / "ascend"


def machine(tmp_path, cfg, driver):
    """A root with one /dev/davinci0, the driver's version.info, a CANN toolkit whose
    version.cfg is ``cfg`` and an npu-smi that prints a recorded 910B4 answer."""
    root = tmp_path / "root"
    (root / "dev").mkdir(parents=True)
    (root / "dev" / "davinci0").write_text("")
    base = root / "usr" / "local" / "Ascend"
    (base / "driver").mkdir(parents=True)
    shutil.copy(str(driver), str(base / "driver" / "version.info"))
    kit = base / "ascend-toolkit" / "latest"
    kit.mkdir(parents=True)
    shutil.copy(str(cfg), str(kit / "version.cfg"))
    tools = tmp_path / "bin"
    tools.mkdir()
    smi = tools / "npu-smi"
    smi.write_text('#!/bin/sh\ncat "%s"\n' % (DEVICES / "npu-smi-910b4.txt"))
    smi.chmod(smi.stat().st_mode | stat.S_IEXEC)
    return dp.collect(environ={"PATH": str(tools)}, sys_path=[], root=str(root))


def snapshot(devices, mindspore, python="3.9.18", dist="mindspore"):
    return Snapshot.from_dict({
        "schema": 1, "interpreter": {"version": python, "executable": "/x/python"},
        "platform": {"system": "Linux", "machine": "aarch64"}, "marker_environment": {},
        "distributions": [{"name": dist, "version": mindspore}], "environment_variables": {},
        "devices": devices})


def run(snap):
    found = check(CheckContext(snap))
    for f in found:
        assert CODES[f.code].area == "devices" and f.severity is CODES[f.code].severity
        assert f.evidence.source  # every verdict names where the pairing comes from
    return found


CANN_800 = DEVICES / "cann" / "version.cfg-8.0.0"
CANN_80RC3 = DEVICES / "cann" / "version.cfg-8.0.RC3"
DRIVER_241RC3 = DEVICES / "cann" / "driver-version.info-24.1.rc3"
DRIVER_2306 = ASCEND / "driver-version.info-23.0.6"


def test_the_probe_reads_what_the_check_needs(tmp_path):
    devices = machine(tmp_path, CANN_800, DRIVER_241RC3)
    assert devices["ascend"]["driver"]["version"] == "24.1.rc3"
    assert devices["ascend"]["toolkits"][0]["release"] == "8.0.0"
    assert devices["ascend"]["chips"][0]["name"] == "910B4"


def test_documented_set_is_info(tmp_path):
    devices = machine(tmp_path, CANN_80RC3, DRIVER_241RC3)
    found = run(snapshot(devices, "2.4.1"))
    assert [f.code for f in found] == ["ED534"]
    assert "CANN 8.0.RC3" in found[0].title and "24.1.RC3" in found[0].title
    assert "r2.4.1" in found[0].evidence.source


def test_the_2025_lab_on_cann_800_with_a_2024_driver(tmp_path):
    """MindSpore 2.5 (the course's 2025 notebook) on CANN 8.0.0 with driver 24.1.rc3: the
    CANN is right, the driver older than CANN 8.0.0's 24.1.0."""
    devices = machine(tmp_path, CANN_800, DRIVER_241RC3)
    found = run(snapshot(devices, "2.5.0.dev20250202", dist="mindspore-dev"))
    assert [f.code for f in found] == ["ED532"]
    assert found[0].title == "Ascend driver 24.1.RC3 is older than the 24.1.0 that CANN 8.0.0 needs"


def test_course_machine_of_2025_01(tmp_path):
    """MindSpore 2.4.1 with CANN 8.0.0 on driver 23.0.6: 2.4.1's own compiler list (ED512,
    devices check) already speaks of the CANN, so only the driver is said here."""
    devices = machine(tmp_path, CANN_800, DRIVER_2306)
    found = run(snapshot(devices, "2.4.1"))
    assert [f.code for f in found] == ["ED532"]
    assert "23.0.6" in found[0].title and "24.1.0" in found[0].title


def test_cann_of_another_release(tmp_path):
    """MindSpore 2.5 (no compiler list known) on CANN 8.0.RC3, which is 2.4.0/2.4.1's."""
    devices = machine(tmp_path, CANN_80RC3, DRIVER_241RC3)
    found = run(snapshot(devices, "2.5.0"))
    assert [f.code for f in found] == ["ED531"]
    wrong = found[0]
    assert wrong.title == "CANN 8.0.RC3 is not the CANN MindSpore 2.5.0 is published for (8.0.0)"
    assert "MindSpore 2.4.0/2.4.1" in wrong.because
    # 2.4.1 is not on PyPI: the fix says where it comes from instead of a pip command
    assert wrong.fix.command is None and "mindspore.cn/versions" in wrong.fix.text
    assert wrong.fix.text.startswith("Install CANN 8.0.0 (community edition 8.0.0.beta1)")


def test_mindspore_on_pypi_gets_a_command(tmp_path):
    devices = machine(tmp_path, CANN_80RC3, DRIVER_241RC3)
    # a CANN 8.2.RC1 install (the release MindSpore 2.7.0 is published for)
    devices["ascend"]["toolkits"][0].update(release="8.2.RC1", compiler_version=None)
    found = run(snapshot(devices, "2.6.0", python="3.10.13"))
    assert [f.code for f in found] == ["ED531", "ED532"]  # and 8.2.RC1 wants driver 25.2.0
    assert found[0].fix.requirements == ("mindspore==2.7.0",)
    assert found[0].fix.command.endswith("-m pip install -- mindspore==2.7.0")


def test_compiler_check_takes_precedence(tmp_path):
    """When MindSpore's own AscendEnvChecker list is known (ED512's business), no ED531."""
    devices = machine(tmp_path, CANN_800, DRIVER_241RC3)
    devices["mindspore"] = {"version": "2.7.0",
                            "check_version": {"ascend_versions": ["7.7", "7.8", "8.2"]}}
    devices["ascend"]["toolkits"][0]["compiler_version"] = "7.6.0.1.220"
    assert [f.code for f in run(snapshot(devices, "2.7.0"))] == ["ED532"]


def test_python_outside_the_release(tmp_path):
    devices = machine(tmp_path, CANN_80RC3, DRIVER_241RC3)
    assert [f.code for f in run(snapshot(devices, "2.3.1", python="3.11.4"))] == \
        ["ED531", "ED533"]


def test_release_without_a_pairing(tmp_path):
    devices = machine(tmp_path, CANN_800, DRIVER_241RC3)
    assert [f.code for f in run(snapshot(devices, "2.10.0"))] == ["ED535"]


def test_no_npu_no_findings(tmp_path):
    devices = dp.collect(environ={"PATH": ""}, sys_path=[], root=str(tmp_path))
    assert run(snapshot(devices, "2.7.0")) == []


@pytest.mark.parametrize("a, b", [
    ("24.1.RC3", "24.1.0"), ("24.1.rc3.3", "24.1.0"), ("24.1.0", "24.1.0.3"),
    ("23.0.6", "24.1.RC2"), ("24.1.0", "25.0.RC1"), ("8.0.RC3.beta1", "8.0.0")])
def test_release_order(a, b):
    assert ascend.driver_key(a) < ascend.driver_key(b)


def test_table_rows_are_sourced_and_cover_2_2_to_2_10():
    for minor in range(2, 11):
        row = ascend.pairing_for("2.%d.0" % minor)
        assert row is not None, minor
        assert row.sources and all(s.strip() for s in row.sources)
    assert ascend.pairing_for("2.4.10").cann == "8.0.0"
    assert ascend.pairing_for("2.4.1").cann == "8.0.RC3"
    assert ascend.pairing_for("2.7.1.post1").cann == "8.3.RC1"
    assert ascend.pairing_for("2.6.0rc1").cann == "8.1.RC1"
    assert ascend.pairing_for("2.1.0") is None
    assert [r.label for r in ascend.pairings_for_cann("8.0.0.beta1")] == \
        ["MindSpore 2.5.x", "MindSpore 2.4.10"]
