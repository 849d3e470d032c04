"""The API index: the committed file against known facts, the static reader on real-shaped
sources (wheels, folders, git tags), and `envdoctor matrix api-index` end to end."""

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import build_wheel, envdoctor
from envdoctor.apiindex.command import plan_versions
from envdoctor.apiindex.model import (ApiIndex, ApiIndexError, decode_ranges, dump_api_index,
                                      encode_ranges, load_api_index, version_key)
from envdoctor.apiindex.reader import DirTree, ZipTree, analyse_tree, module_name
from envdoctor.resources import api_index_path

MINDNLP_PYPI = ["0.1.1", "0.2.0", "0.2.1", "0.2.2", "0.2.3", "0.2.4", "0.3.0", "0.3.1",
                "0.4.0", "0.4.1", "0.5.0", "0.5.1"]


@pytest.fixture(scope="module")
def index():
    return load_api_index(api_index_path())


def status(index, package, module, name):
    pkg = index.packages[package]
    return {k: pkg.labels(v) for k, v in pkg.symbol_status(module, name).items()}


# --- the committed index, checked against the facts ------------------------------------------

def test_committed_index_covers_every_mindnlp_release_and_the_git_tag(index):
    nlp = index.packages["mindnlp"]
    pypi = [v for v in nlp.versions if v.source == "pypi"]
    assert [v.label for v in pypi] == MINDNLP_PYPI
    for v in pypi:
        assert v.file == "mindnlp-%s-py3-none-any.whl" % v.version and len(v.sha256) == 64
        assert v.built and v.built.startswith("20")
    git = [v for v in nlp.versions if v.source == "git"]
    assert [(v.label, v.ref, v.url) for v in git] == [
        ("0.1.1 (git tag v0.1.1)", "v0.1.1", "https://github.com/mindspore-lab/mindnlp.git")]
    assert git[0].requirement() == \
        "mindnlp @ git+https://github.com/mindspore-lab/mindnlp.git@v0.1.1"
    assert nlp.versions[0].built == "2023-04-04"  # the research notes' RECORD date


def test_gpttokenizer_only_in_the_git_tag(index):
    got = status(index, "mindnlp", "mindnlp.transforms", "GPTTokenizer")
    assert got["has"] == ["0.1.1 (git tag v0.1.1)"]
    assert got["lacks"] == ["0.1.1"]
    assert got["no_module"] == MINDNLP_PYPI[1:]


def test_truncate_in_mindspore_200_not_in_the_prerelease(index):
    ms = index.packages["mindspore"]
    labels = [v.label for v in ms.versions]
    assert "2.0.0" in labels and "2.7.0" in labels
    assert "2.0.0.dev20221108 (mindspore-cuda11-dev)" in labels
    dev = [v for v in ms.versions if v.dist == "mindspore-cuda11-dev"][0]
    assert dev.requirement() == "mindspore-cuda11-dev==2.0.0.dev20221108"
    for name in ("Truncate", "AddToken"):
        got = status(index, "mindspore", "mindspore.dataset.text", name)
        assert "2.0.0" in got["has"] and "2.7.0" in got["has"]
        assert got["lacks"] == ["2.0.0.dev20221108 (mindspore-cuda11-dev)"]
    assert "TruncateSequencePair" in ms.infos[labels.index(
        "2.0.0.dev20221108 (mindspore-cuda11-dev)")].exports["mindspore.dataset.text"]


@pytest.mark.parametrize("module,name,has", [
    # the research notes' table 3.2, read from the wheels
    ("mindnlp", "load_dataset", MINDNLP_PYPI[:7] + ["0.1.1 (git tag v0.1.1)"]),
    ("mindnlp.dataset", "load_dataset", MINDNLP_PYPI + ["0.1.1 (git tag v0.1.1)"]),
    ("mindnlp.transforms", "PadTransform", ["0.1.1", "0.1.1 (git tag v0.1.1)"]),
    ("mindnlp.models", "GPTForSequenceClassification",
     ["0.1.1 (git tag v0.1.1)", "0.2.0", "0.2.1", "0.2.2"]),
    ("mindnlp.transformers", "GPTTokenizer", MINDNLP_PYPI[1:8]),
    ("mindnlp.transformers", "OpenAIGPTTokenizer", ["0.4.0", "0.4.1", "0.5.0", "0.5.1"]),
    ("mindnlp.engine", "Evaluator", MINDNLP_PYPI[:6] + ["0.1.1 (git tag v0.1.1)"]),
    ("mindnlp.engine", "TrainingArguments", MINDNLP_PYPI[6:10]),
    ("mindnlp.engine.callbacks", "BestModelCallback",
     MINDNLP_PYPI[:6] + ["0.1.1 (git tag v0.1.1)"]),
    ("mindnlp.metrics", "Accuracy", MINDNLP_PYPI[:6] + ["0.1.1 (git tag v0.1.1)"]),
    ("mindnlp._legacy.amp", "auto_mixed_precision",
     MINDNLP_PYPI[:8] + ["0.1.1 (git tag v0.1.1)"]),
])
def test_lab_symbols_per_mindnlp_release(index, module, name, has):
    assert sorted(status(index, "mindnlp", module, name)["has"], key=version_key) == \
        sorted(has, key=version_key)


def test_mindnlp05_transformers_is_resolved_through_its_proxy(index):
    """mindnlp 0.5's mindnlp.transformers replaces itself with a lazy view of transformers:
    the index records the names of the transformers release it was resolved with, so a
    static check answers for it (and says mindnlp.engine is gone in 0.5)."""
    nlp = index.packages["mindnlp"]
    got = status(index, "mindnlp", "mindnlp.transformers", "OpenAIGPTTokenizer")
    assert got["has"] == ["0.4.0", "0.4.1", "0.5.0", "0.5.1"] and not got["unknown"]
    assert status(index, "mindnlp", "mindnlp.transformers", "NoSuchModelClass")["lacks"][-2:] \
        == ["0.5.0", "0.5.1"]
    assert "0.5.1" in status(index, "mindnlp", "mindnlp.transformers", "Trainer")["has"]
    engine = status(index, "mindnlp", "mindnlp.engine", "Trainer")
    assert "0.4.0" in engine["has"] and engine["no_module"] == ["0.5.0", "0.5.1"]
    last = nlp.infos[-1]
    assert "mindnlp.transformers" not in last.dynamic
    assert "mindnlp.transformers" not in last.open
    assert last.proxies == {"mindnlp.transformers": "transformers==4.56.2"}
    assert "mindtorch" in last.modules and "mindtorch" in nlp.tops()


def test_lazy_proxy_resolved_from_a_local_wheel(tmp_path):
    """A fake transformers with an _import_structure, TYPE_CHECKING imports and a models/
    folder of __all__ lists, and a mindnlp whose transformers module is a lazy proxy of it."""
    links = tmp_path / "links"
    build_wheel(links, "transformers", "9.1.0", files={
        "transformers/__init__.py": textwrap.dedent("""\
            from typing import TYPE_CHECKING
            _import_structure = {"trainer": ["Trainer"]}
            if TYPE_CHECKING:
                from .trainer import Trainer as Trainer
            else:
                import sys
                sys.modules[__name__] = _LazyModule(__name__, __file__, _import_structure)
            """),
        "transformers/trainer.py": "class Trainer: pass\n",
        "transformers/models/__init__.py": "",
        "transformers/models/openai/__init__.py": "",
        "transformers/models/openai/tokenization_openai.py":
            "class OpenAIGPTTokenizer: pass\n__all__ = ['OpenAIGPTTokenizer']\n",
        "transformers/models/openai/modeling_tf_openai.py":
            "class TFOpenAIGPTModel: pass\n__all__ = ['TFOpenAIGPTModel']\n"})
    build_wheel(links, "mindnlp", "9.5.0", files={
        "mindnlp/__init__.py": "",
        "mindnlp/transformers/__init__.py": textwrap.dedent("""\
            import sys
            import transformers
            from mindnlp.utils import _LazyModule
            sys.modules[__name__] = _LazyModule('transformers', transformers.__file__,
                                                transformers._import_structure)
            """)})
    out = tmp_path / "index.json"
    base = ["matrix", "api-index", "--packages", "mindnlp", "--versions", "9.5.0",
            "--find-links", str(links), "--cache", str(tmp_path / "cache"), "-o", str(out)]
    proc = envdoctor(*base + ["--proxy", "transformers==9.1.0"])
    assert proc.returncode == 0, proc.stderr
    assert "resolved mindnlp.transformers as transformers==9.1.0" in proc.stderr
    pkg = load_api_index(str(out)).packages["mindnlp"]
    assert pkg.infos[0].proxies == {"mindnlp.transformers": "transformers==9.1.0"}
    look = lambda name: {k: v for k, v in pkg.symbol_status("mindnlp.transformers", name).items()
                         if v}
    assert look("OpenAIGPTTokenizer") == {"has": {0}}
    assert look("Trainer") == {"has": {0}}
    assert look("TFOpenAIGPTModel") == {"lacks": {0}}  # TensorFlow classes are gated off
    assert '"proxies"' in out.read_text()
    # without a pin for it, the proxy stays unknown, as before
    proc = envdoctor(*base + ["--proxy", "peft==1.0", "--fresh"])
    assert proc.returncode == 0, proc.stderr
    pkg = load_api_index(str(out)).packages["mindnlp"]
    assert {k: v for k, v in pkg.symbol_status("mindnlp.transformers", "Trainer").items()
            if v} == {"unknown": {0}}
    assert '"proxies"' not in out.read_text()


def test_committed_index_covers_every_framework_release_the_index_serves(index):
    """Every mindspore 2.7-2.10 release on PyPI, 2.0.0, and the mindspore-dev builds of
    2.5 / 2.6 (the only 2.1-2.6 MindSpore the index has), under their own dist name."""
    ms = index.packages["mindspore"]
    labels = [v.label for v in ms.versions]
    for version in ("2.0.0", "2.7.0rc1", "2.7.0", "2.7.1", "2.7.1.post1", "2.7.2", "2.8.0",
                    "2.9.0", "2.10.0"):
        assert version in labels, version
    dev = [v for v in ms.versions if v.dist == "mindspore-dev"]
    assert [v.version for v in dev] == ["2.5.0.dev20250119", "2.5.0.dev20250126",
                                        "2.5.0.dev20250202", "2.6.0.dev20250316",
                                        "2.6.0.dev20250323"]
    assert dev[2].requirement() == "mindspore-dev==2.5.0.dev20250202"
    # mindspore.set_device (what the current lab calls) arrived with 2.5: the dev builds
    # have it, 2.0.0 lacks it
    got = status(index, "mindspore", "mindspore", "set_device")
    assert got["lacks"] == ["2.0.0.dev20221108 (mindspore-cuda11-dev)", "2.0.0"]
    assert got["has"][0] == "2.5.0.dev20250119 (mindspore-dev)" and got["has"][-1] == "2.10.0"


def test_compiled_modules_are_listed_but_not_read(index):
    ms = index.packages["mindspore"]
    info = ms.infos[[v.label for v in ms.versions].index("2.0.0")]
    assert "mindspore._c_expression" in info.compiled
    assert not any(m.startswith("mindspore.lib.lib") for m in info.modules)  # shared libs
    assert status(index, "mindspore", "mindspore._c_expression", "Tensor")["has"] == []


def test_committed_file_is_what_dump_writes(index):
    """Deterministic: loading and dumping gives the same bytes (so diffs stay small)."""
    assert dump_api_index(index) == Path(api_index_path()).read_text(encoding="utf-8")


def test_ranges_round_trip():
    assert encode_ranges([5, 0, 1, 2]) == "0-2,5"
    assert decode_ranges("0-2,5") == {0, 1, 2, 5}
    assert sorted(["0.2.0", "0.1.1 (git tag v0.1.1)", "0.1.1", "2.0.0",
                   "2.0.0.dev20221108 (mindspore-cuda11-dev)"], key=version_key) == [
        "0.1.1", "0.1.1 (git tag v0.1.1)", "0.2.0",
        "2.0.0.dev20221108 (mindspore-cuda11-dev)", "2.0.0"]


def test_malformed_index_is_an_error(tmp_path):
    path = tmp_path / "i.json"
    path.write_text(json.dumps({"schema": 1, "packages": {"x": {
        "versions": [{"label": "1", "dist": "x", "source": "pypi", "version": "1"}],
        "modules": {"0-3": ["x"]}}}}))
    with pytest.raises(ApiIndexError, match="out of range"):
        load_api_index(str(path))
    proc = envdoctor("explain", "--api-index", str(path), "-", input_text="x")
    assert proc.returncode == 2 and "malformed" in proc.stderr


# --- the static reader --------------------------------------------------------------------------

PKG = {
    "demo/__init__.py": textwrap.dedent("""\
        import os
        import sys
        from .core import *
        from . import text
        from .text import Tokenizer as Tok
        from .lazy import *
        try:
            from fastlib import speedup
        except ImportError:
            def speedup():
                pass
        if sys.platform == "win32":
            from .win import WinOnly
        else:
            LINUX_ONLY = 1
        _private = 1
        tmp = 2
        del tmp
        __all__ = ["Core", "Tok"]
        __all__ += text.__all__
        __all__.extend(core.__all__)
        """),
    "demo/core.py": "__all__ = ['Core']\nclass Core: pass\nclass Hidden: pass\n",
    "demo/win.py": "class WinOnly: pass\n",
    "demo/text/__init__.py": "from .tok import *\nfrom .tok import __all__ as _a\n"
                             "__all__ = list(_a)\n",
    "demo/text/tok.py": "__all__ = ['Tokenizer', 'Truncate']\nclass Tokenizer: pass\n"
                        "def Truncate(): pass\ndef helper(): pass\n",
    "demo/lazy.py": "from transformers import *\n",
    "demo/proxy.py": "import sys\nfrom x import _LazyModule\n"
                     "sys.modules[__name__] = _LazyModule('transformers', __file__)\n",
    "demo/getattr_mod.py": "def __getattr__(name):\n    return name\n",
    "demo/_ext.cpython-311-x86_64-linux-gnu.so": "",
    "demo/lib/libdemo.so": "",
    "demo/broken.py": "def (:\n",
    "tests/test_demo.py": "def test(): pass\n",
}


def test_reader_resolves_exports(tmp_path):
    wheel = build_wheel(tmp_path, "demo", "1.0", files=dict(PKG))
    mods = ["demo", "demo.text", "demo.proxy", "demo.getattr_mod", "demo.lazy", "demo.broken",
            "demo._ext"]
    info = analyse_tree(ZipTree(str(wheel)), "demo", mods)
    names = info.exports["demo"]
    # star import through __all__ (Hidden is not in core.__all__), alias, both branches of
    # try/if, `import os`, submodule binding; private names and deleted ones are not
    assert {"Core", "Tok", "text", "speedup", "WinOnly", "LINUX_ONLY", "os", "sys"} <= names
    assert "Hidden" not in names and "_private" not in names and "tmp" not in names
    assert {"Tokenizer", "Truncate"} == info.exports["demo.text"] - {"tok"}
    assert "helper" not in info.exports["demo.text"]
    assert info.open["demo"] == {"transformers"} and info.open["demo.lazy"] == {"transformers"}
    assert "demo.proxy" in info.dynamic and info.open["demo.proxy"] == {"transformers"}
    assert "demo.getattr_mod" in info.dynamic and "demo.broken" in info.dynamic
    assert info.compiled == {"demo._ext"}
    assert "tests" not in {m.split(".")[0] for m in info.modules}  # stray test packages
    assert "demo.lib" not in info.modules  # a shared library is not a module
    assert {"demo", "demo.text", "demo.text.tok", "demo.core"} <= info.modules


def test_module_names():
    assert module_name("a/b/__init__.py") == ("a.b", "py")
    assert module_name("a/_c.cpython-37m-x86_64-linux-gnu.so") == ("a._c", "compiled")
    assert module_name("a/lib/libmindspore.so") is None
    assert module_name("a/b-c/d.py") is None
    assert module_name("a/data.json") is None


def test_folder_source(tmp_path):
    for path, text in PKG.items():
        target = tmp_path / "src" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (tmp_path / "src" / "setup.py").write_text("setup(name='demo', version='1.2')\n")
    info = analyse_tree(DirTree(str(tmp_path / "src")), "demo", ["demo"], wheel=False)
    assert "Core" in info.exports["demo"]


@pytest.mark.skipif(not shutil.which("git"), reason="needs git")
def test_git_tag_source_via_the_command(tmp_path):
    repo = tmp_path / "repo"
    for path, text in PKG.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (repo / "setup.py").write_text("setup(name='demo', version='1.2')\n")

    def git(*args):
        subprocess.run(["git", "-C", str(repo)] + list(args), check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one")
    git("tag", "v1.2")
    (repo / "demo" / "core.py").write_text("__all__ = ['Core', 'Later']\nclass Core: pass\n"
                                           "class Later: pass\n")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-am", "two")
    out = tmp_path / "index.json"
    proc = envdoctor("matrix", "api-index", "--packages", "demo", "--source", str(repo),
                     "--ref", "v1.2", "--url", "https://example.org/demo.git",
                     "--modules", "demo", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    got = load_api_index(str(out)).packages["demo"]
    entry = got.versions[0]
    assert entry.label == "1.2 (git tag v1.2)" and len(entry.commit) == 40
    assert entry.requirement() == "demo @ git+https://example.org/demo.git@v1.2"
    assert "Core" in got.infos[0].exports["demo"]
    assert "Later" not in got.infos[0].exports["demo"]  # the tag, not the work tree


# --- the command ------------------------------------------------------------------------------------

def test_plan_versions():
    lister = {"mindspore": ["2.7.0", "2.0.0"], "mindnlp": ["0.5.1", "0.1.1"]}.get
    empty = ApiIndex(None, {})
    assert plan_versions(["mindspore"], "2.0.0,mindspore-cuda11-dev==2.0.0.dev20221108",
                         empty, lister) == [
        ("mindspore", "mindspore", "2.0.0"),
        ("mindspore", "mindspore-cuda11-dev", "2.0.0.dev20221108")]
    assert plan_versions(["mindspore", "mindnlp"], "mindnlp==0.1.1", empty, lister) == [
        ("mindnlp", "mindnlp", "0.1.1")]
    assert plan_versions(["mindnlp"], "all", empty, lister) == [
        ("mindnlp", "mindnlp", "0.5.1"), ("mindnlp", "mindnlp", "0.1.1")]
    assert plan_versions(["mindnlp"], None, empty, lister) == [
        ("mindnlp", "mindnlp", "0.5.1"), ("mindnlp", "mindnlp", "0.1.1")]


def test_command_indexes_a_local_wheel_without_network(tmp_path):
    """--find-links: the wheel is found on disk, nothing is downloaded or deleted."""
    links = tmp_path / "links"
    wheel = build_wheel(links, "mindnlp", "9.9.9", files={
        "mindnlp/__init__.py": "from mindnlp.dataset import load_dataset\n",
        "mindnlp/dataset/__init__.py": "def load_dataset(): pass\n",
        "mindnlp/transforms/__init__.py": "from .tokenizers import *\n",
        "mindnlp/transforms/tokenizers.py": "class GPTTokenizer: pass\n"})
    out = tmp_path / "index.json"
    proc = envdoctor("matrix", "api-index", "--packages", "mindnlp", "--versions", "9.9.9",
                     "--find-links", str(links), "--cache", str(tmp_path / "cache"),
                     "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert wheel.exists()
    assert "mindnlp 1 versions" in proc.stdout
    got = load_api_index(str(out)).packages["mindnlp"]
    assert "GPTTokenizer" in got.infos[0].exports["mindnlp.transforms"]
    # a second run adds to the file instead of replacing it
    build_wheel(links, "mindnlp", "9.9.10")
    proc = envdoctor("matrix", "api-index", "--packages", "mindnlp", "--versions", "9.9.10",
                     "--find-links", str(links), "--cache", str(tmp_path / "cache"),
                     "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    labels = [v.label for v in load_api_index(str(out)).packages["mindnlp"].versions]
    assert labels == ["9.9.9", "9.9.10"]
    assert "  mindnlp: 9.9.9, 9.9.10\n" in proc.stdout
    # and explain reads it
    proc = envdoctor("explain", "--json", "--api-index", str(out), "-", input_text=(
        "ImportError: cannot import name 'GPTTokenizer' from 'mindnlp.transforms' (x)"))
    data = json.loads(proc.stdout)
    fixes = [e["fix"] for e in data["explanations"]]
    assert "python -m pip install -- mindnlp==9.9.9" in " ".join(
        fixes + [ev for e in data["explanations"] for ev in e["evidence"]])


def test_source_options_need_source(tmp_path):
    proc = envdoctor("matrix", "api-index", "--ref", "v1", "-o", str(tmp_path / "i.json"))
    assert proc.returncode == 2 and "go with --source" in proc.stderr


@pytest.mark.slow
def test_indexer_on_the_real_mindnlp_011_wheel_from_pypi(tmp_path, index):
    """Download the real (small) mindnlp 0.1.1 wheel and index it: same answer as the
    committed file, byte-identical wheel."""
    out = tmp_path / "index.json"
    cache = tmp_path / "cache"
    proc = envdoctor("matrix", "api-index", "--packages", "mindnlp", "--versions", "0.1.1",
                     "--cache", str(cache), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (cache / "mindnlp-0.1.1-py3-none-any.whl").exists()  # small: kept
    fresh = load_api_index(str(out)).packages["mindnlp"]
    committed = index.packages["mindnlp"]
    assert fresh.versions[0].sha256 == committed.versions[0].sha256
    assert fresh.infos[0].exports["mindnlp.transforms"] == \
        committed.infos[0].exports["mindnlp.transforms"]
    assert "GPTTokenizer" not in fresh.infos[0].exports["mindnlp.transforms"]
    assert "PadTransform" in fresh.infos[0].exports["mindnlp.transforms"]
