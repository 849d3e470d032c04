"""Reading a lab statically: the notebooks and scripts under tests/data/labs are written for
these tests in the course's forms (never copied from the course)."""

import json
import os

import pytest

from envdoctor.lab import LabReadError, read_lab, read_text
from envdoctor.lab.installs import parse_item, parse_shell
from envdoctor.lab.model import Where
from envdoctor.lab.session import notebook_path

LABS = os.path.join(os.path.dirname(__file__), "data", "labs")
FORMS = os.path.join(LABS, "forms")


def _installs(lab, cell):
    return [l for l in lab.installs if l.where.cell == cell]


@pytest.fixture(scope="module")
def installs():
    return read_lab(os.path.join(FORMS, "installs.ipynb"))


def test_requirements_with_markers_and_extras(installs):
    (line,) = _installs(installs, 2)
    assert line.tool == "pip" and line.action == "install"
    transformers, datasets = line.items
    assert (transformers.name, transformers.specifier) == ("transformers", "<5,>=4.30")
    assert datasets.extras == ("audio",) and datasets.marker == 'python_version >= "3.8"'


def test_index_options(installs):
    (line,) = _installs(installs, 3)
    assert line.extra_index_urls == ("https://mirror.example.org/simple",)
    assert line.trusted_hosts == ("mirror.example.org",) and "-U" in line.options
    assert line.items[0].pinned
    (line,) = _installs(installs, 7)
    assert line.index_url == "https://pypi.example.org/simple"
    assert line.find_links == ("https://links.example.org/",)
    (line,) = _installs(installs, 19)  # --index-url=URL, pip3, a local version label
    assert line.index_url == "https://pypi.example.org/simple"
    assert line.items[0].specifier == "==2.1.0+cpu"


def test_requirement_and_constraint_files(installs):
    (line,) = _installs(installs, 4)
    assert line.requirement_files == ("requirements.txt",)
    assert line.constraint_files == ("constraints.txt",)


def test_git_url_with_ref(installs):
    (item,) = _installs(installs, 5)[0].items
    assert (item.kind, item.name, item.ref) == ("git", "mindnlp", "v0.1.1")
    assert item.url == "git+https://github.com/mindspore-lab/mindnlp.git"


def test_wheel_urls_and_local_wheels(installs):
    (local,) = _installs(installs, 6)[0].items
    assert local.kind == "wheel" and local.is_local and local.wheel.version == "1.0"
    items = _installs(installs, 17)[0].items
    wheel = items[-1]
    assert (wheel.wheel.name, wheel.wheel.version) == ("mindspore", "2.5.0")
    assert wheel.wheel.tags == ("cp39-cp39-linux_aarch64",)
    assert wheel.wheel.pythons == ("cp39",) and wheel.wheel.platforms == ("linux_aarch64",)
    assert not wheel.is_local


def test_pip_install_pip_install_takes_install_as_a_package(installs):
    names = [i.name for i in _installs(installs, 17)[0].items]
    assert names[:2] == ["pip", "install"]


def test_conda_lines(installs):
    (line,) = _installs(installs, 8)
    assert line.tool == "conda" and line.index_url == "conda-forge"
    assert [(i.name, i.specifier) for i in line.items] == [("python", "=3.9"), ("numpy", "=1.23")]
    (create,) = _installs(installs, 9)  # a conda found by its full path
    assert create.action == "create" and create.items[0].name == "python"


def test_pip_config_and_env(installs):
    (line,) = _installs(installs, 10)
    assert line.config == (("global.index-url", "https://mirror.example.org/simple"),)
    assert installs.env_value("HF_ENDPOINT") == "https://hf-mirror.example.org"
    assert installs.env_value("TOKENIZERS_PARALLELISM") == "false"  # %env NAME value


def test_export_does_not_persist_and_the_variable_is_recorded(installs):
    lines = _installs(installs, 11)  # a %%capture cell: the rest of it is still read
    assert [l.action for l in lines] == ["uninstall", "install"]
    assert lines[1].items[0].variables == ("MS_VER",)
    (export,) = [e for e in installs.env if e.how == "export"]
    assert (export.name, export.value, export.persists) == ("MS_VER", "2.3.1", False)
    assert installs.env_value("MS_VER") is None


def test_line_continuation_and_two_commands(installs):
    (line,) = _installs(installs, 12)
    assert [i.name for i in line.items] == ["numpy", "pandas"]
    lines = _installs(installs, 16)
    assert [[i.name for i in l.items] for l in lines] == [["mindnlp"], ["jieba"]]


def test_a_line_pip_rejects_is_a_warning_naming_file_cell_line(installs):
    (warning,) = [w for w in installs.warnings if w.where.cell == 13]
    assert (warning.where.cell, warning.where.line) == (13, 1)
    assert warning.where.file.endswith("installs.ipynb")
    assert "mindnlp >>0.4" in warning.message
    assert _installs(installs, 15)[0].items[0].name == "mindnlp"  # the rest is read


def test_shell_assignment_and_percent_pip(installs):
    assert _installs(installs, 14)[0].action == "list"
    (line,) = _installs(installs, 15)
    assert not line.items[0].pinned


def test_imports_in_order_with_names_functions_and_optional():
    lab = read_lab(os.path.join(FORMS, "imports.ipynb"))
    got = [(s.where.cell, s.where.line, s.module, s.names, s.optional, s.function)
           for s in lab.imports]
    assert got[:5] == [
        (1, 1, "os", (), False, None), (1, 1, "sys", (), False, None),
        (1, 2, "mindspore", (), False, None), (1, 3, "mindspore", ("nn", "ops"), False, None),
        (1, 4, "mindspore.dataset", ("GeneratorDataset",), False, None)]
    assert (2, 2, "jieba", (), True, None) in got
    assert (2, 7, "mindnlp.engine", ("Trainer",), True, None) in got  # a tuple of errors
    assert (3, 2, "mindnlp.transformers", ("AutoTokenizer",), False, "build_tokenizer") in got
    assert (3, 7, "numpy", (), False, "run") in got  # a method
    relative = [s for s in lab.imports if s.level]
    assert [s.statement for s in relative] == ["from . import helpers", "from .helpers import tidy"]
    assert lab.imports[2].statement == "import mindspore as ms"
    assert "mindspore.nn" in lab.symbols() and "mindnlp.engine.Trainer" in lab.symbols()
    assert lab.symbols(("mindnlp",))[0] == "mindnlp.engine.Trainer"


def test_devices_fetches_and_environ():
    lab = read_lab(os.path.join(FORMS, "imports.ipynb"))
    assert [(d.target, d.call) for d in lab.devices] == [("GPU", "ms.set_context"),
                                                          ("Ascend", "ms.set_device")]
    assert [(f.call, f.what) for f in lab.fetches] == [
        ("from_pretrained", None), ("load_dataset", "imdb"), ("evaluate.load", "accuracy"),
        ("from_pretrained", None)]
    assert [(e.name, e.how) for e in lab.env] == [("HF_ENDPOINT", "os.environ"),
                                                  ("MS_ALLOC_CONF", "os.environ")]


def test_script_with_optional_import_in_function():
    lab = read_lab(os.path.join(FORMS, "train.py"))
    assert lab.files[0].kind == "script"
    wandb = [s for s in lab.imports if s.module == "wandb"][0]
    assert wandb.optional and wandb.function == "main" and wandb.where.cell is None
    assert [d.target for d in lab.devices] == ["GPU", None]  # args.device is no literal


def test_bad_cells_are_warnings_and_the_rest_is_read():
    lab = read_lab(os.path.join(FORMS, "bad_cells.ipynb"))
    py2, broken = lab.warnings
    assert (py2.where.cell, py2.where.line) == (1, 2) and "Python 2" in py2.message
    assert (broken.where.cell, broken.where.line) == (2, 1)
    # the Python 2 cell's import is still read; %%writefile is not Python; the last cell is
    assert [s.statement for s in lab.imports] == ["import mindnlp", "from mindspore import Tensor"]


def test_not_json_is_a_warning():
    lab = read_lab(os.path.join(FORMS, "not_json.ipynb"))
    (warning,) = lab.warnings
    assert "not JSON" in warning.message and warning.where.file.endswith("not_json.ipynb")


def test_requirements_file_with_options_includes_and_continuations():
    lab = read_lab(os.path.join(FORMS, "requirements.txt"))
    items = [(i.name, i.specifier, i.marker) for _, i in lab.install_items()]
    assert ("mindnlp", "==0.4.0", 'python_version < "3.10"') in items
    assert ("jieba", "==0.42.1", "") in items  # from -r extra.txt (which includes us back)
    assert ("numpy", "<2,>=1.22", "") in items  # a line continued with '\'
    assert ("tool", "", "") in items
    assert lab.installs[0].index_url == "https://mirror.example.org/simple"
    (bad,) = lab.warnings
    assert bad.where.line == 12 and "not a requirement" in bad.message


def test_a_folder_reads_every_notebook_and_script():
    lab = read_lab(FORMS)
    kinds = sorted((f.path, f.kind) for f in lab.files)
    assert ("imports.ipynb", "notebook") in kinds and ("train.py", "script") in kinds
    assert ("requirements.txt", "requirements") in kinds
    assert any(w.where.file == "not_json.ipynb" for w in lab.warnings)


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(LabReadError):
        read_lab(str(tmp_path / "nope.ipynb"))
    with pytest.raises(LabReadError):
        read_lab(str(tmp_path))


def test_nbformat3_and_text_source(tmp_path):
    data = {"nbformat": 3, "worksheets": [{"cells": [
        {"cell_type": "code", "input": "!pip install mindnlp==0.2.4\nimport mindnlp"}]}]}
    lab = read_text(json.dumps(data), "old.ipynb")
    assert lab.imports[0].module == "mindnlp"
    assert lab.installs[0].items[0].specifier == "==0.2.4"


def test_parse_item_rejects_what_pip_rejects():
    assert parse_item("torch>=2,<3")[0].specifier == "<3,>=2"
    item, problem = parse_item("not valid !!")
    assert item is None and "pip cannot read" in problem
    item, problem = parse_item("https://x.example/bad-name.whl")
    assert "not a valid wheel file name" in problem
    installs, env, warnings = parse_shell("pip install 'unterminated", Where("a", 1))
    assert warnings and not installs


def test_notebook_path_forms(tmp_path):
    nb = tmp_path / "lab.ipynb"
    nb.write_text("{}")
    assert notebook_path({"__vsc_ipynb_file__": str(nb)}, {}) == str(nb)
    assert notebook_path({"__session__": str(nb)}, {}) == str(nb)
    assert notebook_path({}, {"JPY_SESSION_NAME": str(nb)}) == str(nb)
    assert notebook_path({}, {"JPY_SESSION_NAME": "file://" + str(nb)}) == str(nb)
    assert notebook_path({}, {"JPY_SESSION_NAME": "console-1"}) is None  # not a notebook
    assert notebook_path({}, {}) is None


@pytest.mark.parametrize("filename, python, system, machine, fits", [
    ("mindspore-2.5.0-cp39-cp39-linux_aarch64.whl", "3.9.18", "Linux", "aarch64", True),
    ("mindspore-2.5.0-cp39-cp39-linux_aarch64.whl", "3.9.18", "Linux", "x86_64", False),
    ("mindspore-2.5.0-cp39-cp39-linux_aarch64.whl", "3.10.12", "Linux", "aarch64", False),
    ("mindspore-2.7.0-cp311-cp311-manylinux1_x86_64.whl", "3.11.7", "Linux", "x86_64", True),
    ("x-1.0-cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "3.12.1", "Linux",
     "x86_64", True),
    ("x-1.0-cp38-abi3-manylinux_2_17_x86_64.whl", "3.7.16", "Linux", "x86_64", False),
    ("mindnlp-0.4.0-py3-none-any.whl", "3.7.16", "Windows", "AMD64", True),
    ("x-1.0-cp311-cp311-macosx_11_0_universal2.whl", "3.11.7", "Darwin", "arm64", True),
    ("x-1.0-cp311-cp311-macosx_11_0_x86_64.whl", "3.11.7", "Darwin", "arm64", False),
    ("x-1.0-cp311-cp311-win_amd64.whl", "3.11.7", "Windows", "AMD64", True),
    ("x-1.0-cp311-cp311-win_amd64.whl", "3.11.7", "Linux", "x86_64", False),
])
def test_wheel_tags_against_a_target(filename, python, system, machine, fits):
    from envdoctor.lab.wheels import target_of, wheel_misfit

    item, problem = parse_item("https://wheels.example.org/" + filename)
    assert problem is None
    misfit = wheel_misfit(item.wheel, target_of(python, "CPython", system, machine))
    assert (misfit is None) == fits, misfit


def test_a_notebooks_requirements_file_is_read_once():
    lab = read_lab(os.path.join(FORMS, "installs.ipynb"))  # cell 4: -r requirements.txt
    names = [i.name for _, i in lab.install_items()]
    assert "jieba" in names and "tool" in names  # requirements.txt and its -r extra.txt
    folder = read_lab(FORMS)  # the folder reads requirements.txt itself too: still once
    assert [i.name for _, i in folder.install_items()].count("tool") == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_a_lab_folder_is_skipped_not_read(tmp_path):
    """A TA scans folders of students' files: reading a FIFO would hang for ever."""
    os.mkfifo(str(tmp_path / "stuck.py"))
    (tmp_path / "train.py").write_text("import mindspore\n")
    lab = read_lab(str(tmp_path))
    assert [i.module for i in lab.imports] == ["mindspore"]
    assert any("stuck.py" in w.describe() and "not a regular file" in w.describe()
               for w in lab.warnings)
