"""`envdoctor explain`: the student's three errors, real captured tracebacks and pip output,
the signature table's schema, and honesty when nothing is recognised."""

import json
import shlex
import textwrap
from pathlib import Path

import pytest

from conftest import envdoctor
from envdoctor.apiindex.model import load_api_index
from envdoctor.explain.engine import explain_text
from envdoctor.explain.imports import choose_entry, describe_versions, explain_no_module
from envdoctor.explain.pipconflicts import parse_conflict, tighten
from envdoctor.explain.signatures import load_signatures
from envdoctor.explain.textutil import frames_before, imported_names, normalise, split_lines
from envdoctor.matrix import load_matrix
from envdoctor.resources import api_index_path, matrix_path, signatures_path
from envdoctor.yamlfile import DataFileError
from packaging.specifiers import SpecifierSet

DATA = Path(__file__).resolve().parent / "data" / "explain"
GIT_V011 = "python -m pip install -- 'mindnlp @ git+https://github.com/mindspore-lab/mindnlp.git@v0.1.1'"


@pytest.fixture(scope="module")
def sources():
    return (load_matrix(matrix_path()), load_api_index(api_index_path()),
            load_signatures(signatures_path()))


def explain(sources, text):
    matrix, index, table = sources
    return explain_text(text, matrix, index, table, matrix_path=matrix.path)


def explain_file(sources, name):
    return explain(sources, (DATA / name).read_text(encoding="utf-8"))


def run_json(*args, **kwargs):
    proc = envdoctor("explain", "--json", *args, **kwargs)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


# --- the student's report (shared/seeds/000_13f0fe119c333935.txt) ----------------------------

def test_student_truncate_error(sources):
    result = explain_file(sources, "student-truncate.txt")
    assert result.exit_code == 0 and len(result.explanations) == 1
    exp = result.explanations[0]
    assert exp.id == "mindnlp01-mindspore20-prerelease" and exp.kind == "matrix"
    assert exp.fix == "python -m pip install -- mindspore==2.0.0"
    assert exp.source.startswith("verified: envdoctor ran mindspore-cuda11-dev 2.0.0.dev20221108")
    assert set(exp.packages) == {"mindnlp", "mindspore"}
    # the API index, read from the real wheels, backs it up
    facts = " ".join(exp.evidence)
    assert "Truncate is in mindspore 2.0.0 to 2.10.0" in facts
    assert "2.0.0.dev20221108 (mindspore-cuda11-dev)" in facts


def test_student_gpttokenizer_error_with_typographic_quotes(sources):
    text = (DATA / "student-gpttokenizer.txt").read_text(encoding="utf-8")
    assert "\u2018GPTTokenizer\u2019" in text  # as pasted: ‘GPTTokenizer’
    result = explain(sources, text)
    assert len(result.explanations) == 1
    exp = result.explanations[0]
    assert exp.id == "mindnlp011-pypi-no-gpttokenizer"
    assert exp.fix == GIT_V011 + " regex sentencepiece"
    facts = " ".join(exp.evidence)
    assert "GPTTokenizer is in mindnlp 0.1.1 (git tag v0.1.1), not in 0.1.1 (PyPI)" in facts
    assert "api index fix: " + GIT_V011 in facts


def test_student_pip_resolver_conflict(sources):
    result = explain_file(sources, "student-pip-resolver.txt")
    assert len(result.explanations) == 1 and not result.unexplained
    exp = result.explanations[0]
    assert exp.kind == "pip-conflict"
    assert exp.title == "tokenizers 0.15.0 is outside what transformers 4.35.0 needs"
    assert exp.packages == ("tokenizers", "transformers")
    assert exp.fix == "python -m pip install -- 'tokenizers>=0.14,<0.15'"
    assert exp.source == "declared: transformers 4.35.0 metadata (pip's resolver)"


def test_student_report_as_pasted_gives_all_three_in_order():
    code, data = run_json(str(DATA / "student-report.txt"))
    assert code == 0
    got = [(e["kind"], e["id"]) for e in data["explanations"]]
    assert got == [("matrix", "mindnlp01-mindspore20-prerelease"),
                   ("matrix", "mindnlp011-pypi-no-gpttokenizer"), ("pip-conflict", None)]
    for exp in data["explanations"]:
        assert {"title", "because", "packages", "fix", "source"} <= set(exp)
        assert exp["title"] and exp["because"] and exp["fix"] and exp["source"]


def test_text_output_of_the_gpttokenizer_error_and_no_colour_when_piped():
    proc = envdoctor("explain", str(DATA / "student-gpttokenizer.txt"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "\x1b[" not in out
    assert out.startswith("envdoctor explain: 1 problem recognised in ")
    assert "the PyPI wheel of mindnlp 0.1.1 has no GPTTokenizer" in out
    assert "fix: " + GIT_V011 + " regex sentencepiece" in out
    assert "source: verified: envdoctor ran mindnlp 0.1.1, mindspore 2.0.0" in out


def test_stdin_and_dash():
    text = (DATA / "student-truncate.txt").read_text(encoding="utf-8")
    for args in ([], ["-"]):
        code, data = run_json(*args, input_text=text)
        assert code == 0 and data["explanations"][0]["fix"].endswith("mindspore==2.0.0")


def test_the_error_itself_in_quotes(tmp_path):
    """A student pastes the line as an argument; a file of that name would still win."""
    line = "ImportError: cannot import name 'Truncate' from 'mindspore.dataset.text'"
    proc = envdoctor("explain", line)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("envdoctor explain: 1 problem recognised in the quoted text")
    assert "mindspore==2.0.0" in proc.stdout
    named = tmp_path / "my error.txt"
    named.write_text("ZeroDivisionError: division by zero\n")
    proc = envdoctor("explain", str(named))
    assert proc.returncode == 1 and "in %s" % named in proc.stdout, proc.stdout


# --- real outputs captured from runs on this machine --------------------------------------------

REAL = [
    ("default-py311.import.log", "mindnlp05-transformers5", "'transformers>=4.55,<5'"),
    ("verification-py311-default.import.txt", "mindnlp05-transformers5", "'transformers>=4.55,<5'"),
    ("v-peft021.import.log", "mindnlp051-peft021", "peft==0.17.1"),
    ("verification-mindnlp051-peft021.import.txt", "mindnlp051-peft021", "peft==0.17.1"),
    ("v-diffusers039.import.log", "mindnlp051-diffusers039", "diffusers==0.35.2"),
    ("verification-mindnlp051-diffusers039.import.txt", "mindnlp051-diffusers039",
     "diffusers==0.35.2"),
    ("v-pyarrow26.import.log", "pyarrow26-numpy1", "'pyarrow<26'"),
    ("verification-pyarrow26-numpy1.import.txt", "pyarrow26-numpy1", "'pyarrow<26'"),
    ("verification-ms200-py39-pillow-default.import.txt", "mindspore20-pillow10", "'pillow<10'"),
    ("verification-ms270-mindnlp031-py311.import.txt", "mindnlp03-mindspore27",
     "mindnlp==0.5.1 mindspore==2.7.0"),
    ("verification-ms270-mindnlp041-py311.import.txt", "mindnlp04-mindspore27",
     "mindnlp==0.5.1 mindspore==2.7.0"),
    ("verification-ms200-mindnlp011-pypi-py37.install.txt", "rust-sdist-build",
     "'tokenizers<0.21' 'safetensors<0.5'"),
]


@pytest.mark.parametrize("name,rule,fix", REAL, ids=[r[0] for r in REAL])
def test_real_captured_failures(sources, name, rule, fix):
    result = explain_file(sources, name)
    assert result.exit_code == 0
    assert [e.id for e in result.explanations] == [rule]  # one problem, one explanation
    assert result.explanations[0].fix == "python -m pip install -- " + fix


def test_mindtorch_failure_names_the_package_that_imported_it(sources):
    exp = explain_file(sources, "v-peft021.import.log").explanations[0]
    assert "imported by peft (peft/tuners/lora/monteclora.py, line 21)" in exp.evidence
    assert any("mindtorch.distributions.wishart is in none of the mindnlp releases" in e
               for e in exp.evidence)
    assert exp.source.startswith("verified: envdoctor ran mindnlp 0.5.1")


def test_pip_check_output_is_grouped_per_distribution_and_meets_the_matrix(sources):
    result = explain_file(sources, "v-numpy2.pipcheck.txt")
    conflict, rule = result.explanations
    assert conflict.kind == "pip-conflict"
    assert conflict.packages == ("numpy", "pyctcdecode", "mindspore")
    assert conflict.fix == "python -m pip install -- 'numpy>=1.20.0,<2.0.0'"
    assert conflict.source.endswith("(pip check)")
    assert rule.id == "mindspore-numpy2" and rule.fix == "python -m pip install -- 'numpy<2'"
    assert "versions named in pip's output: mindspore 2.7.0, numpy 2.2.6" in rule.evidence


def test_pip_check_missing_requirement(sources):
    result = explain(sources, "mindnlp 0.1.1 requires regex, which is not installed.\n"
                              "mindnlp 0.1.1 requires sentencepiece, which is not installed.\n")
    kinds = [(e.kind, e.packages[0], e.fix) for e in result.explanations]
    assert kinds == [("pip-missing", "regex", "python -m pip install -- regex"),
                     ("pip-missing", "sentencepiece", "python -m pip install -- sentencepiece")]


@pytest.mark.parametrize("name", ["v-numpy2.import.log", "verification-ms200-py39-pillow9.import.txt",
                                  "v-peft021.pipcheck.txt"])
def test_real_outputs_without_an_error_are_not_explained(sources, name):
    assert explain_file(sources, name).explanations == ()


# --- honesty ------------------------------------------------------------------------------------

def test_nothing_recognised_exits_1_and_says_so(tmp_path):
    path = tmp_path / "odd.txt"
    path.write_text("Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n"
                    "ZeroDivisionError: division by zero\n")
    proc = envdoctor("explain", str(path))
    assert proc.returncode == 1
    assert "nothing recognised in %s (3 lines)" % path in proc.stdout
    assert "it does not guess a cause" in proc.stdout
    assert "line 3: ZeroDivisionError: division by zero" in proc.stdout
    code, data = run_json(str(path))
    assert code == 1 and data["explanations"] == []
    assert data["unexplained"] == [{"line_number": 3, "line": "ZeroDivisionError: division by zero"}]


def test_unreadable_file_and_unknown_code_exit_2(tmp_path):
    proc = envdoctor("explain", str(tmp_path / "missing.txt"))
    assert proc.returncode == 2 and "cannot read" in proc.stderr
    assert envdoctor("explain", "ED999").returncode == 2


def test_finding_codes_still_explained():
    proc = envdoctor("explain", "ed101")
    assert proc.returncode == 0 and proc.stdout.startswith("ED101 (error, requirements)")
    data = json.loads(envdoctor("explain", "ED104", "--json").stdout)
    assert data["code"] == "ED104"


def test_partially_initialised_module_is_not_blamed_on_versions(sources):
    line = ("ImportError: cannot import name 'Tensor' from partially initialized module "
            "'mindspore' (most likely due to a circular import) (/x/mindspore/__init__.py)")
    assert explain(sources, line).explanations == ()


def test_an_import_every_release_has_is_not_explained_by_versions(sources):
    line = "ImportError: cannot import name 'Tensor' from 'mindspore' (/x/mindspore/__init__.py)"
    assert explain(sources, line).explanations == ()


# --- the API index in explanations --------------------------------------------------------------

def test_no_module_named_a_module_mindnlp_removed(sources):
    text = textwrap.dedent("""\
        Traceback (most recent call last):
          File "lab.py", line 6, in <module>
            from mindnlp.transforms import PadTransform, GPTTokenizer
        ModuleNotFoundError: No module named 'mindnlp.transforms'
        """)
    exp = explain(sources, text).explanations[0]
    assert exp.kind == "api-index"
    assert exp.title == "mindnlp.transforms exists only in mindnlp 0.1.1 (PyPI), 0.1.1 (git tag v0.1.1)"
    assert exp.fix == GIT_V011  # only the tag has both names
    assert "mindnlp.transforms with PadTransform, GPTTokenizer: mindnlp 0.1.1 (git tag v0.1.1)" \
        in exp.evidence
    assert "GPTTokenizer is in mindnlp.transformers in mindnlp 0.2.0 to 0.3.1" in exp.evidence


def test_cannot_import_a_name_mindnlp_renamed(sources):
    line = ("ImportError: cannot import name 'GPTTokenizer' from 'mindnlp.transformers' "
            "(/x/site-packages/mindnlp/transformers/__init__.py)")
    exp = explain(sources, line).explanations[0]
    # 0.5.x's lazy mindnlp.transformers is resolved in the index (transformers' own names):
    # it has OpenAIGPTTokenizer, not GPTTokenizer
    assert exp.title == ("mindnlp.transformers.GPTTokenizer is in mindnlp 0.2.0 to 0.3.1, "
                         "not in 0.4.0 to 0.5.1")
    assert exp.fix == "python -m pip install -- mindnlp==0.3.1"


def test_mindspore_api_added_later_recommends_the_first_release_with_it(sources):
    line = ("ImportError: cannot import name 'set_device' from 'mindspore' "
            "(/x/lib/python3.9/site-packages/mindspore/__init__.py)")
    exp = explain(sources, line).explanations[0]
    assert exp.fix == "python -m pip install -- mindspore==2.7.0"


def test_choose_entry_and_describe_versions(sources):
    index = sources[1]
    ms = index.packages["mindspore"]
    labels = [v.label for v in ms.versions]
    has_truncate = ms.symbol_status("mindspore.dataset.text", "Truncate")["has"]
    assert choose_entry(ms, has_truncate).label == "2.0.0"
    assert choose_entry(ms, has_truncate, python="3.7").label == "2.0.0"
    assert describe_versions(ms, range(len(labels))) == "%s to %s" % (labels[0], labels[-1])
    nlp = index.packages["mindnlp"]
    assert choose_entry(nlp, nlp.symbol_status("mindnlp.transforms", "GPTTokenizer")["has"]
                        ).source == "git"
    assert explain_no_module(index, "mindnlp") is None  # not installed: not a version question


# --- pure helpers ---------------------------------------------------------------------------------

def test_normalise_and_split():
    text = "\x1b[31mImportError: cannot import name \u2018X\u2019\x1b[0m\r\n  \u2502 exit code: 1\r\n"
    assert normalise(text).startswith("ImportError: cannot import name 'X'\n")
    assert split_lines(text)[1] == "exit code: 1"


def test_frames_and_imported_names():
    lines = split_lines(textwrap.dedent("""\
        Traceback (most recent call last):
          File "/v/lib/python3.7/site-packages/mindnlp/__init__.py", line 5, in <module>
            from mindnlp.transforms import (PadTransform,
        ImportError: boom
        """))
    frames = frames_before(lines, 3)
    assert [(f.line, f.function) for f in frames] == [(5, "<module>")]
    assert imported_names(frames[0].source, "mindnlp.transforms") == ("PadTransform",)
    assert imported_names(frames[0].source, "mindnlp") == ()


def test_parse_conflict_lines():
    c = parse_conflict("transformers 4.35.0 requires tokenizers<0.15,>=0.14, but you have "
                       "tokenizers 0.15.0 which is incompatible.", 7)
    assert (c.a, c.av, c.requirement, c.b, c.bv, c.tool) == (
        "transformers", "4.35.0", "tokenizers<0.15,>=0.14", "tokenizers", "0.15.0", "resolver")
    c = parse_conflict("datasets 5.2.0 has requirement huggingface-hub<3.0,>=1.31.0, but you "
                       "have huggingface-hub 0.36.2.", 1)
    assert (c.b, c.bv, c.tool) == ("huggingface-hub", "0.36.2", "pip-check")
    assert parse_conflict("No broken requirements found.", 1) is None
    assert str(tighten(SpecifierSet("<2.0.0,>=1.15.0,>=1.20.0,!=1.21"))) in (
        "!=1.21,<2.0.0,>=1.20.0", "!=1.21,>=1.20.0,<2.0.0")


# --- the signature table ----------------------------------------------------------------------------

def test_bundled_signatures_are_valid_and_each_example_is_explained_by_it(sources):
    matrix, index, table = sources
    assert len(table.signatures) >= 25
    seen_ids = set()
    for sig in table.signatures:
        assert sig.examples, sig.id
        assert sig.source.startswith(("https://", "verified", "declared")), sig.id
        for example in sig.examples:
            text = example + ("\n(context: %s)" % sig.context[0] if sig.context else "")
            result = explain_text(text, None, None, table)
            assert result.explanations, (sig.id, example)
            exp = result.explanations[0]
            ids = [exp.id] + [e for e in exp.evidence if e.startswith("signature ")]
            assert exp.id == sig.id or any(repr(sig.id) in e for e in ids), (sig.id, example)
            assert "{" not in exp.title and (exp.fix or exp.note), sig.id
            seen_ids.add(sig.id)
    # the research notes' runtime signatures are covered
    for wanted in ("numpy2-copy-false", "numpy2-abi", "pyarrow-needs-numpy2",
                   "protobuf-descriptors", "pillow10-antialias", "mindspore-gpu-lib-not-found",
                   "mindspore-unsupported-gpu", "mindspore-unsupported-ascend",
                   "mindspore-cann-version", "mindtorch-missing-module", "rust-sdist-build",
                   "invalid-version-moxing", "no-mindspore-distribution", "libgomp-static-tls"):
        assert wanted in seen_ids


def test_placeholders_fill_the_fix(sources):
    result = explain(sources, "OSError: /usr/lib/aarch64-linux-gnu/libgomp.so.1: cannot allocate "
                              "memory in static TLS block")
    assert result.explanations[0].fix == "export LD_PRELOAD=/usr/lib/aarch64-linux-gnu/libgomp.so.1"
    result = explain(sources, "ImportError: tokenizers>=0.14,<0.15 is required for a normal "
                              "functioning of this module, but found tokenizers==0.15.0.")
    assert result.explanations[0].fix == "python -m pip install -- 'tokenizers>=0.14,<0.15'"
    assert result.explanations[0].title.endswith("but found tokenizers==0.15.0")


def test_context_words_are_required(sources):
    assert explain(sources, "KeyError: None").explanations == ()


GOOD = """\
  - id: good-one
    match: 'boom (?P<what>\\w+)'
    examples: ['boom bang']
    title: boom {what}
    because: it went boom.
    fix:
      requirements: ["numpy<2"]
    source: "verified: here"
"""


@pytest.mark.parametrize("body,line,message", [
    ("  - id: Bad_Id\n" + GOOD.split("\n", 1)[1], 3, "lower-case words"),
    (GOOD + GOOD, 11, "already used at line 3"),
    (GOOD.replace("'boom (?P<what>\\w+)'", "'boom ('"), 3, "not a valid regular expression"),
    (GOOD.replace("['boom bang']", "['bang']"), 3, "no pattern matches its example"),
    (GOOD.replace("boom {what}", "boom {where}"), 3, "{where} is used but not a named group"),
    (GOOD.replace('"verified: here"', '"somebody said"'), 3, "'source' must be a link"),
    (GOOD.replace('      requirements: ["numpy<2"]', "      requirements: ['numpy<<2']"), 9,
     "fix requirement"),
    (GOOD.replace("    because: it went boom.\n", "    because: it went boom.\n    colour: red\n"),
     3, "unknown keys colour"),
    (GOOD.replace('      requirements: ["numpy<2"]\n', "      nothing: 1\n"), 9,
     "unknown fix keys nothing"),
])
def test_bad_signatures_are_reported_with_their_line(tmp_path, body, line, message):
    path = tmp_path / "sig.yaml"
    path.write_text("schema: 1\nsignatures:\n" + body)
    with pytest.raises(DataFileError) as info:
        load_signatures(str(path))
    assert info.value.line == line, str(info.value)
    assert message in info.value.message
    proc = envdoctor("explain", "--lint", "--signatures", str(path))
    assert proc.returncode == 2 and ("sig.yaml:%d:" % line) in proc.stderr


def test_good_signature_file_and_lint(tmp_path):
    path = tmp_path / "sig.yaml"
    path.write_text("schema: 1\nsignatures:\n" + GOOD)
    table = load_signatures(str(path))
    result = explain_text("RuntimeError: boom bang", None, None, table)
    assert result.explanations[0].title == "boom bang"
    proc = envdoctor("explain", "--lint", "--signatures", str(path))
    assert proc.returncode == 0 and "1 signatures OK" in proc.stdout


def test_short_way_in_for_other_commands():
    """check --deep calls envdoctor.explain.explain_text(text) with the bundled data."""
    from envdoctor.explain import explain_text as short

    text = (DATA / "student-truncate.txt").read_text(encoding="utf-8")
    found = short(text)
    assert found[0].fix == "python -m pip install -- mindspore==2.0.0"
    assert short("nothing to see") == ()


# --- issue 13: regressions, whole explanations, hostile input --------------------------------

GENERATOR_311 = textwrap.dedent("""\
    Traceback (most recent call last):
      File "/home/student/lab/venv/lib/python3.11/site-packages/mindnlp/__init__.py", line 26, in <module>
        import mindtorch
      File "/home/student/lab/venv/lib/python3.11/site-packages/mindtorch/_C/__init__.py", line 208, in <module>
        default_generator = Generator()
    TypeError: Generator.__init__() missing 2 required positional arguments: 'seed' and 'offset'
    """)


def test_transformers_import_check_names_the_package_its_fix_moves(sources):
    result = explain(sources, "ImportError: tokenizers>=0.14,<0.15 is required for a normal "
                              "functioning of this module, but found tokenizers==0.15.0.")
    exp = result.explanations[0]
    assert exp.packages[0] == "tokenizers"  # the fix moves tokenizers
    assert exp.requirements == ("tokenizers>=0.14,<0.15",)


def test_generator_init_on_python_311_gets_the_mechanism_with_a_fix(sources):
    """The verified set of py312-default is about Python 3.12; on 3.11 its context does not
    fit, and the rule for any Python (mindnlp 0.5 on MindSpore 2.8+, verified on 3.9, 3.11
    and 3.12) answers, with a fix that has wheels for 3.11."""
    exp = explain(sources, GENERATOR_311).explanations[0]
    assert exp.id == "mindnlp05-mindspore28"
    assert sorted(shlex.split(exp.fix)[-2:]) == ["mindnlp==0.5.1", "mindspore==2.7.0"]
    assert set(exp.packages) == {"mindnlp", "mindspore"}
    on_312 = explain(sources, GENERATOR_311.replace("python3.11", "python3.12")).explanations
    assert on_312[0].id == "mindnlp05-mindspore28"
    assert "Python 3.9-3.11" in on_312[0].to_dict()["note"]  # 2.7 has no 3.12 wheel
    assert "verified" in on_312[0].to_dict()["source"]


def test_every_explanation_has_a_fix_or_says_why_not(sources):
    for name in ("student-report.txt", "v-peft021.import.log", "v-numpy2.pipcheck.txt"):
        for exp in explain_file(sources, name).explanations:
            data = exp.to_dict()
            assert data["fix"] or data["no_fix_reason"], (name, data["title"])
            assert data["confidence"] in ("exact", "mechanism", "guess")
            assert data["code"].startswith("ED4") and data["source"]
            assert exp.finding().severity.value == "error"


def test_a_guess_is_shown_as_one_and_never_with_a_fix(sources):
    text = ("ImportError: cannot import name 'is_npu_available' from 'accelerate.utils' "
            "(/x/lib/python3.9/site-packages/accelerate/utils/__init__.py)")
    exp = explain(sources, text).explanations[0]
    assert exp.confidence == "guess" and exp.fix is None and exp.no_fix_reason
    assert exp.finding().code == "ED409" and exp.finding().severity.value == "info"


def test_numpy_multiarray_alone_is_not_read_as_numpy_2(sources):
    assert explain(sources, "ImportError: numpy.core.multiarray failed to import"
                   ).explanations == ()
    too_old = ("RuntimeError: module compiled against API version 0x10 but this version of "
               "numpy is 0xe\nImportError: numpy.core.multiarray failed to import")
    exp = explain(sources, too_old).explanations[0]
    assert exp.fix == "python -m pip install -- 'numpy>=1.23,<2'"


def test_a_cause_names_mindspore_only_when_the_text_shows_it(sources):
    comfy = ("  File \"/home/u/ComfyUI/venv/lib/python3.10/site-packages/PIL/Image.py\", line 1, "
             "in resize\nAttributeError: module 'PIL.Image' has no attribute 'ANTIALIAS'")
    exp = explain(sources, comfy).explanations[0]
    assert "mindspore" not in exp.packages and "pillow" in exp.packages


def test_pasted_paths_reach_commands_only_shell_quoted(sources):
    evil = ("OSError: /tmp/$(rm${IFS}-rf${IFS}~)/libgomp.so.1: cannot allocate memory in "
            "static TLS block")
    exp = explain(sources, evil).explanations[0]
    assert exp.fix == "export LD_PRELOAD='/tmp/$(rm${IFS}-rf${IFS}~)/libgomp.so.1'"
    import shlex
    assert shlex.split(exp.fix)[1] == "LD_PRELOAD=/tmp/$(rm${IFS}-rf${IFS}~)/libgomp.so.1"


def test_every_escape_sequence_is_stripped():
    text = ("\x1b[31;1mImportError\x1b[0m: x\x1b]0;owned\x07 \x1b]8;;http://e\x1b\\link"
            "\x1b]8;;\x1b\\ \x9b2J\x1bPq#0\x1b\\ \x1bc\x00done")
    clean = normalise(text)
    assert "\x1b" not in clean and "\x9b" not in clean and "\x00" not in clean
    assert clean.startswith("ImportError: x ") and clean.endswith("done")


def test_ci_prefixes_and_pytest_blocks_are_read(sources):
    text = ("2024-05-01T10:00:00.1234567Z ERROR: pip's dependency resolver does not currently "
            "take into account all the packages that are installed.\n"
            "2024-05-01T10:00:00.2234567Z transformers 4.35.0 requires tokenizers<0.15,>=0.14, "
            "but you have tokenizers 0.15.0 which is incompatible.\n")
    exp = explain(sources, text).explanations[0]
    assert exp.fix == "python -m pip install -- 'tokenizers>=0.14,<0.15'"
    pytest_block = ("E   ImportError: cannot import name 'cached_download' from "
                    "'huggingface_hub' (/v/lib/python3.11/site-packages/huggingface_hub/"
                    "__init__.py)")
    exp = explain(sources, pytest_block).explanations[0]
    assert exp.fix == "python -m pip install -- 'huggingface-hub<0.26.0'"


def test_json_gives_packages_fix_confidence_source():
    code, data = run_json(str(DATA / "corpus" / "loader-14-cv2-libgl-taskmatrix.yaml"))
    exp = data["explanations"][0]
    assert {"packages", "fix", "no_fix_reason", "confidence", "source", "code"} <= set(exp)
    assert exp["code"] == "ED406" and exp["confidence"] == "mechanism"
    assert exp["fix"] is None and "libgl1" in exp["no_fix_reason"]


def test_cuda_advice_fits_the_mindspore_version_in_the_text(sources):
    one = ("OSError: MindSpore version 1.0.0 and cuda version 10.0 does not match,")
    exp = explain(sources, one).explanations[0]
    assert "CUDA 10.1" in exp.because and "11.6" not in exp.because
    gpu_1x = ("pip install mindspore_gpu-1.2.0-cp37-cp37m-linux_x86_64.whl\n[ERROR] ME(1:1) "
              "libcuda.so (need by mindspore-gpu) is not found, please confirm that "
              "libmindspore_gpu.so is in directory")
    exp = explain(sources, gpu_1x).explanations[0]
    assert "CUDA 10.1" in (exp.note or "") and exp.confidence != "guess"
    two = ("RuntimeError: Unsupported device target GPU. This process only supports one of "
           "the ['CPU'].")
    assert "CUDA 11.6" in (explain(sources, two).explanations[0].note or "")


def test_pip_old_resolver_wording_is_read():
    c = parse_conflict("ERROR: transformers 4.35.0 has requirement tokenizers<0.15,>=0.14, but "
                       "you'll have tokenizers 0.15.0 which is incompatible.", 3)
    assert (c.a, c.b, c.bv, c.requirement, c.tool) == (
        "transformers", "tokenizers", "0.15.0", "tokenizers<0.15,>=0.14", "resolver")


def test_a_matrix_rule_is_not_used_when_the_text_shows_versions_outside_it(sources):
    text = (DATA / "student-truncate.txt").read_text(encoding="utf-8")
    assert explain(sources, text).explanations[0].id == "mindnlp01-mindspore20-prerelease"
    # the same error, but the traceback shows a MindSpore outside the rule's range
    later = text + "\n(from /x/site-packages/mindspore-2.7.0.dist-info)"
    assert explain(sources, later).explanations[0].id != "mindnlp01-mindspore20-prerelease"


def test_the_name_index_is_validated_with_lines(tmp_path):
    from envdoctor.explain.names import load_names

    assert len(load_names()) >= 10
    bad = tmp_path / "names.yaml"
    bad.write_text("schema: 1\nnames:\n  - package: numpy\n    module: numpy\n    name: float\n"
                   "    removed: '1.24.0'\n    source: https://numpy.org\n")
    with pytest.raises(DataFileError) as info:
        load_names(str(bad))
    assert info.value.line == 3 and "last_with" in info.value.message


def test_a_bare_mindnlp_pin_says_which_mindspore_it_breaks_on(sources):
    """`pip install mindnlp==0.4.1` is the pin that has Trainer, but pip pairs it with a
    MindSpore it does not import on (or lays `mindspore` over a -dev build): the note says so
    and points to check/fix --lab; a pin with no such rule gets no note."""
    exp = explain(sources, "ImportError: cannot import name 'Trainer' from 'mindnlp.engine'"
                  ).explanations[0]
    assert exp.fix == "python -m pip install -- mindnlp==0.4.1"
    assert "(matrix rule mindnlp04-mindspore27)" in exp.note
    assert "a second `mindspore`" in exp.note and "envdoctor fix --lab" in exp.note
    git_pin = explain(sources, "ImportError: cannot import name 'GPTTokenizer' from "
                               "'mindnlp.transforms'").explanations[0]
    assert git_pin.note is None
