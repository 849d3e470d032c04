"""The compatibility matrix: schema validation with line numbers, and rule matching."""


import pytest

from envdoctor.matrix import load_matrix
from envdoctor.resources import matrix_path
from envdoctor.yamlfile import DataFileError
from conftest import envdoctor, make_snapshot as snapshot

GOOD_RULE = """\
  - id: a-b
    when:
      packages:
        alpha: ">=1,<2"
        beta: absent
      python: ">=3.8"
    verdict: broken
    title: alpha 1 breaks without beta
    because: alpha imports beta without declaring it.
    fix:
      requirements: [beta]
    source:
      kind: reported
      link: https://example.org/issue/1
"""


def write(tmp_path, body):
    path = tmp_path / "m.yaml"
    path.write_text("schema: 1\nrules:\n" + body)
    return str(path)


def test_bundled_matrix_is_valid_and_every_rule_has_a_source():
    matrix = load_matrix(matrix_path())
    assert len(matrix.rules) >= 10
    for rule in matrix.rules:
        assert rule.source.kind in ("declared", "verified", "reported")
        if rule.source.kind == "verified":
            assert rule.source.date and rule.source.versions
        if rule.verdict != "works":
            assert rule.fix_requirements or rule.fix_text


def test_bundled_verified_rules_keep_their_evidence():
    import os
    root = os.path.dirname(matrix_path())
    for rule in load_matrix(matrix_path()).rules:
        if rule.source.kind == "verified" and rule.source.freeze:
            assert os.path.exists(os.path.join(root, rule.source.freeze)), rule.id


def test_rule_matching(tmp_path):
    matrix = load_matrix(write(tmp_path, GOOD_RULE))
    rule = matrix.rules[0]
    assert rule.applies(snapshot(alpha="1.5"))
    assert not rule.applies(snapshot(alpha="1.5", beta="1.0"))     # beta present
    assert not rule.applies(snapshot(alpha="2.0"))                 # out of range
    assert not rule.applies(snapshot(python="3.7.16", alpha="1.5"))  # python excluded
    assert not rule.applies(snapshot())                            # alpha missing
    assert not rule.applies(snapshot(alpha="1.5.2c7f2141"))        # unparseable never matches


def test_origin_condition(tmp_path):
    body = GOOD_RULE.replace('alpha: ">=1,<2"', 'alpha: {version: "==1.0", from: vcs}')
    rule = load_matrix(write(tmp_path, body)).rules[0]
    vcs = {"url": "https://github.com/x/alpha.git", "vcs_info": {"vcs": "git", "commit_id": "ab"}}
    assert rule.applies(snapshot(alpha=("1.0", vcs)))
    assert not rule.applies(snapshot(alpha="1.0"))


@pytest.mark.parametrize("mutation, line, message", [
    (("verdict: broken", "verdict: borken"), 3, "verdict must be one of"),
    (('alpha: ">=1,<2"', 'alpha: ">>1"'), 6, "not a version specifier"),
    (("kind: reported\n      link: https://example.org/issue/1", "kind: reported"), 15,
     "needs a 'link'"),
    (("kind: reported\n      link: https://example.org/issue/1", "kind: verified"), 15,
     "date: YYYY-MM-DD"),
    (("    title: alpha 1 breaks without beta\n", ""), 3, "'title' is required"),
    (("    fix:\n      requirements: [beta]\n", ""), 3, "needs a fix"),
    (("requirements: [beta]", "requirements: ['beta>=>1']"), 13, "fix requirement"),
    (("    verdict: broken", "    verdict: broken\n    colour: red"), 3, "unknown keys colour"),
])
def test_malformed_entry_is_rejected_with_its_line(tmp_path, mutation, line, message):
    body = GOOD_RULE + GOOD_RULE.replace("id: a-b", "id: other")
    body = body.replace(mutation[0], mutation[1], 1)
    with pytest.raises(DataFileError) as info:
        load_matrix(write(tmp_path, body))
    assert info.value.line == line, str(info.value)
    assert message in str(info.value)


def test_duplicate_ids_and_bad_yaml(tmp_path):
    with pytest.raises(DataFileError) as info:
        load_matrix(write(tmp_path, GOOD_RULE + GOOD_RULE))
    assert info.value.line == 17 and "already used at line 3" in str(info.value)
    with pytest.raises(DataFileError) as info:
        load_matrix(write(tmp_path, GOOD_RULE + "  - id: [unclosed\n"))
    assert info.value.line is not None and "not valid YAML" in str(info.value)


def test_cli_lint_and_check_report_bad_matrix_with_exit_2(tmp_path):
    path = write(tmp_path, GOOD_RULE.replace("verdict: broken", "verdict: maybe"))
    proc = envdoctor("matrix", "lint", path)
    assert proc.returncode == 2 and "m.yaml:3" in proc.stderr
    proc = envdoctor("check", "--matrix", path)
    assert proc.returncode == 2 and "m.yaml:3: rule 'a-b': verdict" in proc.stderr
    ok = envdoctor("matrix", "lint")
    assert ok.returncode == 0 and "rules OK" in ok.stdout


def test_verified_era_rules_match_the_sets_they_were_made_from():
    """The 2024-2025 lab sets: mindspore-dev 2.5 + mindnlp 0.4.0 works, 2.6 breaks, and the
    broken rule's fix is the working 2.5 set, installed with the framework held."""
    rules = {r.id: r for r in load_matrix(matrix_path()).rules}
    stack = dict(mindnlp="0.4.0", tokenizers="0.19.1", datasets="4.5.0", numpy="1.26.4")
    works = snapshot(python="3.9.18", **dict(stack, **{"mindspore-dev": "2.5.0.dev20250202"}))
    broken = snapshot(python="3.9.18", **dict(stack, **{"mindspore-dev": "2.6.0.dev20250323"}))
    good = rules["verified-msdev250-0202-mindnlp040-py39"]
    bad = rules["verified-msdev260-0323-mindnlp040-py39"]
    assert good.verdict == "works" and good.applies(works) and not good.applies(broken)
    assert bad.applies(broken) and not bad.applies(works)
    assert "mindspore-dev==2.5.0.dev20250202" in bad.fix_requirements
    assert "--no-deps" in bad.fix_text
    # plain pip's mix (mindspore laid over mindspore-dev) is its own broken rule
    mixed = snapshot(python="3.9.18", **dict(stack, mindspore="2.9.0",
                                             **{"mindspore-dev": "2.5.0.dev20250202"}))
    layered = rules["verified-msdev250-0202-mindnlp040-plainpip-py39"]
    assert layered.verdict == "broken" and layered.applies(mixed)
