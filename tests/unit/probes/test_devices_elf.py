"""The probe's ELF reader on real files of this machine and on damaged copies of them."""

import os
import platform
import struct
import sys

import pytest

from envdoctor.probes import devices_elf
from envdoctor.probes.devices_elf import ElfFile, ElfInvalid, elf_dynamic

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF is Linux's")

MACHINES = {"x86_64": 62, "aarch64": 183}


def _libpython_or_executable():
    """A real dynamically linked ELF file: the interpreter running the tests."""
    return os.path.realpath(sys.executable)


def test_a_real_executable_is_read_from_its_headers():
    elf = ElfFile.read(_libpython_or_executable())
    assert elf.bits == 64 and elf.byteorder == "<"
    if platform.machine() in MACHINES:
        assert elf.machine == MACHINES[platform.machine()]
    assert any(s.type == devices_elf.PT_LOAD for s in elf.segments)
    assert elf.is_dynamic
    assert any(name.startswith("libc.so") for name in elf.needed)
    assert elf_dynamic(_libpython_or_executable())[0] == elf.needed


def test_not_elf_truncated_or_corrupt_is_none(tmp_path):
    real = open(_libpython_or_executable(), "rb").read()
    cases = {
        "text": b"#!/bin/sh\necho hi\n",
        "empty": b"",
        "header-only": real[:20],
        "headers-cut": real[:70],
        "bad-class": real[:4] + b"\x07" + real[5:4096],
    }
    # A program header table that claims 60,000 entries.
    phnum_at = 56
    cases["huge-phnum"] = real[:phnum_at] + struct.pack("<H", 60000) + real[phnum_at + 2:4096]
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert elf_dynamic(str(path)) is None, name
    with pytest.raises(ElfInvalid):
        ElfFile.read(str(tmp_path / "text"))
    assert elf_dynamic(str(tmp_path / "missing.so")) is None


def test_a_static_like_file_without_dynamic_segment_is_none(tmp_path):
    # The ELF file header alone, with no program headers: valid, but nothing to load.
    header = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack(
        "<HHIQQQIHHH", 2, 62, 1, 0, 0, 0, 0, 64, 56, 0)
    path = tmp_path / "bare"
    path.write_bytes(header)
    elf = ElfFile.read(str(path))
    assert elf.segments == [] and not elf.is_dynamic and elf.needed == []
    assert elf_dynamic(str(path)) is None
