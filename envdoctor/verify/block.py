"""The generated block of ``compat_matrix.yaml``: one ``verified`` rule per combination.

Pure functions: :func:`generate_rules` turns outcomes into rule mappings (deduplicated
against the hand-written rules), :func:`render_block` writes them as YAML between the marker
comments, and :func:`replace_block` puts that block into the matrix text, leaving every
hand-written line as it was. :func:`split_block` is the inverse, for reading the hand-written
rules back.
"""

import json
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from envdoctor.snapshot import Snapshot
from envdoctor.verify.combos import DEFAULT_KEYS, Combo
from envdoctor.verify.evidence import Outcome
from envdoctor.yamlfile import DataFileError

__all__ = ["BEGIN", "END", "generate_rules", "render_block", "replace_block", "split_block",
           "outcome_snapshot", "render_summary", "RULE_PREFIX"]

BEGIN = "# --- BEGIN verified by envdoctor matrix verify ---"
END = "# --- END verified by envdoctor matrix verify ---"
RULE_PREFIX = "verified-"
_INDENT = "  "
_HEADER = (
    "Generated from verification/<id>/meta.json by `envdoctor matrix verify --write`; do not",
    "edit by hand (edit verification/combos.yaml and rerun). Each rule names the exact set",
    "that was installed and checked; the full freeze lies beside its meta.json.",
)


def outcome_snapshot(outcome: Outcome) -> Snapshot:
    """A snapshot of the verified environment (its freeze and origins), for rule matching."""
    system, _, machine = (outcome.platform or "-").partition("-")
    dists = {}  # type: Dict[str, Dict[str, Any]]
    for name, version in tuple(outcome.installed) + tuple(outcome.versions):
        dists[name] = {"name": name, "version": version}
    direct = {
        "vcs": {"url": "git+file:///verified", "vcs_info": {"vcs": "git", "commit_id": "0"}},
        "local": {"url": "file:///verified", "dir_info": {}},
        "editable": {"url": "file:///verified", "dir_info": {"editable": True}},
        "url": {"url": "https://verified/x.whl", "archive_info": {}},
    }
    for name, origin in outcome.origins:
        if name in dists and origin in direct:
            dists[name]["direct_url"] = direct[origin]
    return Snapshot.from_dict({
        "schema": 1, "interpreter": {"version": outcome.python or "", "executable": "python"},
        "platform": {"system": system, "machine": machine}, "marker_environment": {},
        "distributions": list(dists.values())})


def _describe(outcome: Outcome, limit: int = 3) -> str:
    """``mindspore 2.0.0 + mindnlp 0.1.1 (vcs)``: the first key packages, frameworks first."""
    versions = dict(outcome.versions)
    origins = dict(outcome.origins)
    names = [n for n in ("mindspore", "mindnlp") if n in versions]
    names += [n for n, _ in outcome.versions if n not in names]
    parts = []
    for name in names[:limit]:
        text = "%s %s" % (name, versions[name])
        if origins.get(name):
            text += " (%s)" % origins[name]
        parts.append(text)
    text = " + ".join(parts) or "this set"
    if outcome.left_out():
        text += " without %s" % ", ".join(outcome.left_out())
    return text


def _pin(name: str, version: str, install_as: Mapping[str, str]) -> str:
    if name in install_as:
        return install_as[name]
    return "%s==%s" % (name, version.split("+", 1)[0])


def _frameworks(outcome: Outcome) -> Tuple[str, ...]:
    return tuple(n for n, _ in outcome.versions if n.startswith(("mindspore", "mindnlp")))


def _comparable(broken: Outcome, good: Outcome) -> bool:
    """A working set that can stand in for the broken one: the same lab (recipe), or, with
    no recipe, the same frameworks installed."""
    if broken.recipe or good.recipe:
        return broken.recipe == good.recipe
    return {n.split("-")[0] for n in _frameworks(broken)} == \
        {n.split("-")[0] for n in _frameworks(good)}


def _pick_working(broken: Outcome, works: Sequence[Outcome]) -> Optional[Outcome]:
    same = [w for w in works if w.python_minor == broken.python_minor and
            w.platform == broken.platform and _comparable(broken, w)]
    if not same:
        return None

    def score(w: Outcome) -> Tuple[int, int, int]:
        shared = len(set(dict(w.versions)) & set(dict(broken.versions)))
        return (int(bool(w.recipe) and w.recipe == broken.recipe), int("smoke" in w.checks),
                shared)

    return max(same, key=score)


def _when(outcome: Outcome, combo: Optional[Combo], origin_names: Sequence[str]) -> Dict[str, Any]:
    origins = dict(outcome.origins)
    packages = {}  # type: Dict[str, Any]
    for name, version in outcome.versions:
        if combo is not None and name not in combo.key:
            continue
        spec = "==%s" % version.split("+", 1)[0]  # 2.13.0 also matches 2.13.0+cpu
        if name in origin_names or name in origins:
            packages[name] = {"version": spec, "from": origins.get(name, "index")}
        else:
            packages[name] = spec
    for name in outcome.left_out():  # verified without them: match only such sets
        packages[name] = "absent"
    when = {"packages": packages}  # type: Dict[str, Any]
    if outcome.python_minor:
        when["python"] = "==%s.*" % outcome.python_minor
    if outcome.platform:
        when["platforms"] = [outcome.platform]
    return when


def _source(outcome: Outcome) -> Dict[str, Any]:
    versions = dict(outcome.versions)
    if outcome.python:
        versions["python"] = outcome.python
    source = {"kind": "verified", "date": outcome.date, "versions": versions,
              "platform": outcome.platform}  # type: Dict[str, Any]
    if outcome.freeze:
        source["freeze"] = outcome.freeze
    checks = " and ".join(outcome.checks) or "imports"
    note = "envdoctor matrix verify, combo %s (checks: %s%s)" % (
        outcome.id, checks, "; recipe %s" % outcome.recipe if outcome.recipe else "")
    if outcome.note:
        note += ". " + outcome.note
    source["note"] = note
    return source


def _failure_words(outcome: Outcome) -> str:
    if outcome.stage == "install":
        return "pip could not install it"
    if outcome.stage == "smoke":
        return "the smoke train failed"
    if outcome.recipe:
        return "the %s lab's imports fail" % outcome.recipe
    return "the imports fail"


def _broken_rule(outcome: Outcome, combo: Optional[Combo], works: Sequence[Outcome],
                 combos: Mapping[str, Combo], origin_names: Sequence[str]) -> Dict[str, Any]:
    minor = outcome.python_minor or "?"
    complaints = outcome.pip_complaints()
    pip_words = ("pip check calls the set clean, so only running it shows this."
                 if not complaints else "pip check also complains: %s" % complaints[0])
    rule = {
        "id": RULE_PREFIX + outcome.id,
        "when": _when(outcome, combo, origin_names),
        "verdict": "broken",
        "title": "%s on Python %s: %s (verified)" % (_describe(outcome), minor,
                                                     _failure_words(outcome)),
        "because": "envdoctor installed exactly this set on %s (%s, Python %s) and %s: %s. %s"
                   % (outcome.date, outcome.platform, outcome.python, _failure_words(outcome),
                      (outcome.error or "no error text").rstrip("."), pip_words),
        "error": outcome.error,
    }  # type: Dict[str, Any]
    good = _pick_working(outcome, works)
    if good is not None:
        good_combo = combos.get(good.id)
        install_as = dict(good_combo.install_as) if good_combo else {}
        keys = good_combo.key if good_combo else tuple(n for n, _ in good.versions)
        pins = [_pin(n, v, install_as) for n, v in good.versions if n in keys]
        rule["fix"] = {"requirements": pins,
                       "text": "These are the pins of %s, verified to work on Python %s (%s).%s"
                               % (good.id, good.python, good.freeze or "its freeze",
                                  _held_words(pins))}
    else:
        elsewhere = sorted("%s (Python %s)" % (w.id, w.python_minor) for w in works
                           if _comparable(outcome, w))
        what = "the %s lab" % outcome.recipe if outcome.recipe else "this set's frameworks"
        rule["fix"] = {"text": "No set for %s was verified to work on Python %s here%s" % (
            what, minor, "; verified to work: %s." % ", ".join(elsewhere) if elsewhere
            else ".")}
    rule["source"] = _source(outcome)
    return rule


def _held_words(pins: Sequence[str]) -> str:
    """How to install a set whose MindSpore has another distribution name than `mindspore`:
    the dependents' `Requires-Dist: mindspore` would make pip lay `mindspore` over it."""
    from envdoctor.checks.framework import is_framework

    names = [re.split(r"[<>=!~ @;\[]", p, maxsplit=1)[0] for p in pins]
    alias = [n for n in names if is_framework(n) and n.lower() != "mindspore"]
    if not alias or "mindspore" in [n.lower() for n in names]:
        return ""
    return (" Install %s first, then the other pins with --no-deps (or their own "
            "requirements held): pip does not count %s as `mindspore` and would install "
            "`mindspore` over it (ED110)." % (alias[0], alias[0]))


def _works_rule(outcome: Outcome, combo: Optional[Combo],
                origin_names: Sequence[str]) -> Dict[str, Any]:
    checks = "imports and a smoke train" if "smoke" in outcome.checks else "imports"
    lab = " the %s lab's" % outcome.recipe if outcome.recipe else ""
    return {
        "id": RULE_PREFIX + outcome.id,
        "when": _when(outcome, combo, origin_names),
        "verdict": "works",
        "title": "%s on Python %s: verified to work (%s)" % (
            _describe(outcome), outcome.python_minor or "?", checks),
        "because": "envdoctor installed exactly this set on %s (%s, Python %s) and%s %s "
                   "passed." % (outcome.date, outcome.platform, outcome.python, lab, checks),
        "source": _source(outcome),
    }


def _applies(rule: Dict[str, Any], snapshot: Snapshot) -> bool:
    from envdoctor.matrix import _parse_rule  # the loader's own reading of a rule

    return _parse_rule("generated", rule).applies(snapshot)


def _difference(broken: Outcome, works: Outcome, taken: Sequence[str]
                ) -> Optional[Tuple[str, Any]]:
    """A condition true of the broken set and false of the working one: a lab package only
    the working set has (``absent``), else a version only the broken set has."""
    mine, theirs = dict(broken.installed), dict(works.installed)
    mine.update(dict(broken.versions))
    theirs.update(dict(works.versions))
    order = {n: i for i, n in enumerate(DEFAULT_KEYS)}

    def rank(name: str) -> Tuple[int, str]:
        return (order.get(name, len(order)), name)

    only_theirs = sorted((n for n in theirs if n not in mine and n not in taken), key=rank)
    if only_theirs:
        return only_theirs[0], "absent"
    differ = sorted((n for n in mine if n in theirs and mine[n] != theirs[n] and n not in taken),
                    key=rank)
    if differ:
        return differ[0], "==%s" % mine[differ[0]].split("+", 1)[0]
    only_mine = sorted((n for n in mine if n not in theirs and n not in taken), key=rank)
    if only_mine:
        return only_mine[0], "==%s" % mine[only_mine[0]].split("+", 1)[0]
    return None


def _keep_apart(rule: Dict[str, Any], broken: Outcome, works: Sequence[Outcome]
                ) -> Tuple[bool, List[str]]:
    """Narrow a broken rule until no set verified to work matches it. (False, notes) when
    the installed versions cannot tell them apart."""
    notes = []
    packages = rule["when"]["packages"]
    for good in works:
        snapshot = outcome_snapshot(good)
        while _applies(rule, snapshot):
            extra = _difference(broken, good, list(packages))
            if extra is None:
                return False, ["%s: its installed set cannot be told from %s, verified to work; "
                               "no rule" % (broken.id, good.id)]
            packages[extra[0]] = extra[1]
            notes.append("%s: %s %s added so that its rule does not match %s (verified to work)"
                         % (broken.id, extra[0], extra[1], good.id))
    return True, notes


def generate_rules(outcomes: Sequence[Outcome], combos: Mapping[str, Combo],
                   handwritten: Sequence[Any] = ()) -> Tuple[List[Dict[str, Any]], List[str]]:
    """(rules, notes): a rule per works/broken outcome, in the order given, and a line of
    explanation for each outcome left out or in conflict with a hand-written rule."""
    decided = [o for o in outcomes if o.verdict in ("works", "broken")]
    works = [o for o in decided if o.verdict == "works"]
    origin_names = sorted({n for o in decided for n, _ in o.origins})
    rules = []  # type: List[Dict[str, Any]]
    notes = []  # type: List[str]
    seen = {}  # type: Dict[str, str]
    for outcome in outcomes:
        if outcome.verdict not in ("works", "broken"):
            notes.append("%s: %s%s, not written" % (
                outcome.id, outcome.verdict, " (%s)" % outcome.error if outcome.error else ""))
            continue
        if outcome.stage == "install":
            notes.append("%s: pip could not install it (%s); no installed set to name in a "
                         "rule" % (outcome.id, outcome.error))
            continue
        combo = combos.get(outcome.id)
        applying = [r for r in handwritten if r.applies(outcome_snapshot(outcome))]
        if outcome.verdict == "broken":
            same = [r for r in applying if r.verdict == "broken" and r.error and outcome.error
                    and (r.error in outcome.error or outcome.error in r.error)]
            if same:
                notes.append("%s: broken with the error of hand-written rule %s, which already "
                             "matches it (not repeated)" % (outcome.id, same[0].id))
                continue
            rule = _broken_rule(outcome, combo, works, combos, origin_names)
            if rule["when"]["packages"]:
                apart, why = _keep_apart(rule, outcome, works)
                notes.extend(why)
                if not apart:
                    continue
            weaker = [r.id for r in applying if r.verdict != "broken"]
            if weaker:
                notes.append("%s: verified broken; hand-written %s says less" % (
                    outcome.id, ", ".join(weaker)))
        else:
            if any(r.verdict == "works" for r in applying):
                notes.append("%s: works, as a hand-written works rule already says (not "
                             "repeated)" % outcome.id)
                continue
            rule = _works_rule(outcome, combo, origin_names)
            against = ["%s (%s)" % (r.id, r.verdict) for r in applying
                       if r.verdict in ("broken", "unsupported")]
            if against:
                notes.append("%s: verified to work (%s), but hand-written %s also matches "
                             "this set: review it" % (outcome.id, " and ".join(outcome.checks),
                                                      ", ".join(against)))
        if not rule["when"].get("packages"):
            notes.append("%s: no key package installed; no rule" % outcome.id)
            continue
        signature = json.dumps([rule["when"], rule["verdict"]], sort_keys=True)
        if signature in seen:
            notes.append("%s: same set and verdict as %s (not repeated)"
                         % (outcome.id, seen[signature]))
            continue
        seen[signature] = outcome.id
        rules.append(rule)
    return rules, notes


# --- YAML -----------------------------------------------------------------------------------

_PLAIN = re.compile(r"^[a-z][a-z0-9._-]*$")
_RESERVED = {"yes", "no", "true", "false", "on", "off", "null", "y", "n"}


def _scalar(value: Any) -> str:
    if isinstance(value, str) and _PLAIN.match(value) and value not in _RESERVED:
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value))  # a JSON string is a YAML double-quoted scalar


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%s: %s" % (k, _flow(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(_flow(v) for v in value)
    return _scalar(value)


def _rule_lines(rule: Mapping[str, Any]) -> List[str]:
    pad = _INDENT + "  "
    out = [_INDENT + "- id: %s" % _scalar(rule["id"]), pad + "when:"]
    when = rule["when"]
    if when.get("packages"):
        out.append(pad + "  packages:")
        for name, spec in when["packages"].items():
            out.append(pad + "    %s: %s" % (name, _flow(spec)))
    for key in ("python", "platforms"):
        if key in when:
            out.append(pad + "  %s: %s" % (key, _flow(when[key])))
    for key in ("verdict", "title", "because", "error"):
        if rule.get(key) is not None:
            out.append(pad + "%s: %s" % (key, _scalar(rule[key]) if key != "verdict"
                                         else rule[key]))
    if rule.get("fix"):
        out.append(pad + "fix:")
        for key in ("requirements", "text"):
            if rule["fix"].get(key):
                out.append(pad + "  %s: %s" % (key, _flow(rule["fix"][key])))
    out.append(pad + "source:")
    for key, value in rule["source"].items():
        if value is not None:
            out.append(pad + "  %s: %s" % (key, _flow(value)))
    return out


def render_block(rules: Sequence[Mapping[str, Any]], notes: Sequence[str] = ()) -> str:
    """The block, markers included, indented as items of the top-level ``rules`` list."""
    lines = [_INDENT + BEGIN]
    lines += [_INDENT + "# " + h for h in _HEADER]
    for note in notes:
        lines.append(_INDENT + "# note: " + " ".join(note.split()))
    for rule in rules:
        lines.append("")
        lines.extend(_rule_lines(rule))
    lines.append(_INDENT + END)
    return "\n".join(lines) + "\n"


def split_block(text: str, path: str = "compat_matrix.yaml") -> Tuple[str, Optional[str]]:
    """(the text without the generated block, the block or None)."""
    lines = text.splitlines(True)
    begin = [i for i, l in enumerate(lines) if l.strip().startswith(BEGIN)]
    end = [i for i, l in enumerate(lines) if l.strip().startswith(END)]
    if not begin and not end:
        return text, None
    if len(begin) != 1 or len(end) != 1 or end[0] < begin[0]:
        raise DataFileError(path, (begin or end)[0] + 1,
                            "the generated block needs exactly one %r and one %r line, in "
                            "that order" % (BEGIN, END))
    b, e = begin[0], end[0]
    return "".join(lines[:b] + lines[e + 1:]), "".join(lines[b:e + 1])


def replace_block(text: str, block: str, path: str = "compat_matrix.yaml") -> str:
    """``text`` with its generated block replaced by ``block`` (appended when it has none;
    the matrix's ``rules`` list must then be the file's last key)."""
    lines = text.splitlines(True)
    begin = [i for i, l in enumerate(lines) if l.strip().startswith(BEGIN)]
    end = [i for i, l in enumerate(lines) if l.strip().startswith(END)]
    if begin and end:
        split_block(text, path)  # validates the markers
        return "".join(lines[:begin[0]]) + block + "".join(lines[end[0] + 1:])
    split_block(text, path)
    body = text if text.endswith("\n") or not text else text + "\n"
    return body + "\n" + block


def render_summary(outcomes: Sequence[Outcome], combos: Sequence[Combo]) -> str:
    """``verification/SUMMARY.md``: every combination, its exact versions and verdict."""
    from envdoctor.checks.framework import is_framework

    found = {o.id: o for o in outcomes}
    lines = ["# Verified combinations", "",
             "Generated by `envdoctor matrix verify --write` from `verification/<id>/meta.json`"
             " (schema and method: `docs/verification.md`). Broken and working sets become "
             "`verified-<id>` rules of `compat_matrix.yaml`.", "",
             "| id | Python | mode | key versions | checks | verdict | error signature |",
             "|---|---|---|---|---|---|---|"]
    for combo in combos:
        o = found.get(combo.id)
        if o is None:
            lines.append("| %s | %s | %s | | | %s | |" % (
                combo.id, combo.python, combo.mode,
                "not run here: %s" % combo.skip if combo.skip else "not run yet"))
            continue
        origins = dict(o.origins)
        versions = ", ".join("%s %s%s" % (n, v, " (%s)" % origins[n] if n in origins else "")
                             for n, v in o.versions
                             if is_framework(n) or n in ("mindnlp", "transformers", "numpy",
                                                         "pillow", "pyarrow", "peft",
                                                         "diffusers", "torch"))
        mode = combo.mode + (" %s" % combo.exclude_newer if combo.exclude_newer else "") + \
            (" without %s" % ", ".join(combo.without) if combo.without else "")
        lines.append("| %s | %s | %s | %s | %s | **%s** | %s |" % (
            o.id, o.python or combo.python, mode, versions, " + ".join(o.checks) or "-",
            o.verdict, ("`%s`" % o.error.replace("|", "\\|")) if o.error else ""))
    return "\n".join(lines) + "\n"
