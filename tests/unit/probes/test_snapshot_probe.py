"""The snapshot probe's pure parts on the host: valid names and the packages a RECORD owns."""

import pytest

from envdoctor.probes import snapshot_probe as sp


@pytest.mark.parametrize("name", ["six", "A", "mindspore-dev", "zope.interface", "typing_extensions",
                                  "x1"])
def test_valid_names(name):
    assert sp.VALID_NAME.match(name)


@pytest.mark.parametrize("name", ["", "-r", "--find-links http://host/", "evil\n--index-url x",
                                  "a b", "pkg\x1b[2J", "trailing-", ".hidden", "pkg;rm",
                                  "név"])
def test_invalid_names(name):
    assert not sp.VALID_NAME.match(name)


def test_record_top_level_keeps_packages_and_modules_only():
    record = "\n".join([
        "torch/__init__.py,sha256=a,1", "torchgen/x.py,,", "functorch/__init__.py,,",
        "torch-2.1.0.dist-info/METADATA,,", "torch-2.1.0.data/scripts/x,,",
        "../../../bin/torchrun,sha256=b,2", "/usr/lib/evil.so,,", "__pycache__/a.pyc,,",
        "bin/tool,,", "stray.cpython-311.pyc,,", "six.py,,", "_speedups.cpython-311-x86_64-"
        "linux-gnu.so,,", "win.pyd,,", "torch.libs/libgomp.so,,", "LICENSE,,", "x.pth,,",
        '"odd,name/y.py",,', "pkg\\\\mod.py,,", "2bad/x.py,,"])
    assert sp.record_top_level(record) == [
        "_speedups", "functorch", "pkg", "six", "torch", "torchgen", "win"]


def test_top_level_txt_is_preferred_and_cleaned(tmp_path):
    meta = tmp_path / "foo-1.0.dist-info"
    meta.mkdir()
    (meta / "top_level.txt").write_text("foo\n\n  bar  \nfoo/sub\n")
    (meta / "RECORD").write_text("never/read.py,,\n")
    assert sp.top_level(str(meta), True) == ["bar", "foo"]
    (meta / "top_level.txt").write_text("\n")  # empty: fall back on RECORD
    assert sp.top_level(str(meta), True) == ["never"]
