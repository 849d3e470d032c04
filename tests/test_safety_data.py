"""Data never becomes a command or an option, and never reaches the terminal raw.

Unit level, as an attacker writes them: hostile requirement lines, names and strings."""

import shlex
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envdoctor.console import safe_text
from envdoctor.findings import pip_install_command
from envdoctor.safety import (UnsafeRequirement, checked_requirement, drop_invalid_distributions,
                              valid_distribution_name)


@pytest.mark.parametrize("line", [
    "--find-links http://127.0.0.1:9/", "-r /etc/passwd", "--requirement=x", "-e .",
    "beta>=2\n--index-url http://evil/", "beta>=2 --hash=sha256:00", "beta @ https://h/${HOME}",
    "beta>=2 \\", "beta>=2 # comment", "beta\x1b[2J", "", "   ", "beta>=2; os_name == 'x' -r y",
])
def test_hostile_requirement_lines_are_refused(line):
    with pytest.raises(UnsafeRequirement):
        checked_requirement(line)


@pytest.mark.parametrize("line,written", [
    ("tokenizers>=0.14,<0.15", "tokenizers<0.15,>=0.14"),
    ("mindnlp==0.5.1", "mindnlp==0.5.1"),
    ("mindnlp @ git+https://github.com/mindspore-lab/mindnlp.git@v0.1.1",
     "mindnlp@ git+https://github.com/mindspore-lab/mindnlp.git@v0.1.1"),
    ("numpy<2; python_version >= '3.9'", 'numpy<2; python_version >= "3.9"'),
])
def test_ordinary_requirements_pass_and_read_back_the_same(line, written):
    from packaging.requirements import Requirement

    out = checked_requirement(line)
    assert str(Requirement(out)) == str(Requirement(line))
    assert out.replace(" ", "") == written.replace(" ", "")


@pytest.mark.parametrize("name,ok", [
    ("transformers", True), ("mindspore-dev", True), ("zope.interface", True), ("A_b-1", True),
    ("-r", False), ("--find-links", False), ("a b", False), ("a\nb", False), ("", False),
    ("a-", False), (".a", False), (None, False), ("mind\x1bspore", False),
])
def test_names(name, ok):
    assert valid_distribution_name(name) is ok


def test_invalid_names_are_set_aside_not_lost():
    data = {"distributions": [{"name": "ok", "version": "1"},
                              {"name": "--index-url", "metadata_path": "/x/m"}]}
    out = drop_invalid_distributions(data)
    assert [d["name"] for d in out["distributions"]] == ["ok"]
    assert out["invalid_distributions"] == [{"path": "/x/m", "name": "--index-url"}]
    assert len(data["distributions"]) == 2  # the input is left as it was


def test_a_printed_command_keeps_data_an_argument():
    hostile = ["--requirement=/etc/passwd", "x; rm -rf ~", "$(touch /tmp/pwned)", "`id`"]
    command = pip_install_command(hostile, "/opt/my env/bin/python")
    words = shlex.split(command)
    assert words[:5] == ["/opt/my env/bin/python", "-m", "pip", "install", "--"]
    assert words[5:] == hostile
    # and a shell given it runs nothing but the (quoted) words
    echo = "printf '%s\\n' " + " ".join(shlex.quote(w) for w in words[4:])
    out = subprocess.run(["sh", "-c", echo], stdout=subprocess.PIPE,
                         universal_newlines=True).stdout.splitlines()
    assert out == ["--"] + hostile


def test_pip_reads_the_double_dash():
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index",
                           "--", "--requirement=x"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    assert proc.returncode != 0 and "Invalid requirement" in proc.stderr


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_safe_text_never_lets_a_control_character_through(text):
    out = safe_text(text, keep_newlines=False)
    assert not any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in out)
    assert "\u202e" not in out
