"""The class report: many students' environments merged into one page and one set of numbers.

Each input is a snapshot (``envdoctor snapshot -o``), checked here with the bundled matrix and
the snapshot's default recipe (or the one asked for), or a saved ``envdoctor check --json``,
used as is. A file that cannot be read is an entry of its own, never a crash.
:func:`build_class_report` makes the data; :func:`envdoctor.render.class_html.render_class_html`
(re-exported here) is a pure function of it (one self-contained page: inline CSS and SVG, no
scripts, nothing fetched).
"""

import os
import shlex
import time
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from envdoctor import __version__
from envdoctor.findings import pip_install_command
from envdoctor.render.class_html import render_class_html

__all__ = ["ClassReport", "read_entry", "build_class_report", "expand_inputs",
           "render_class_html"]

KIND = "envdoctor-class-report"
_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def expand_inputs(paths: Sequence[str]) -> List[str]:
    """Files as given; a folder stands for the *.json files in it (sorted)."""
    out: List[str] = []
    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            try:
                names = sorted(os.listdir(path))
            except OSError:
                out.append(path)  # read_entry says why
                continue
            out.extend(os.path.join(path, n) for n in names if n.lower().endswith(".json"))
        else:
            out.append(path)
    return out


def _unreadable(path: str, message: str) -> Dict[str, Any]:
    return {"file": path, "name": os.path.basename(path) or path, "kind": None,
            "status": "unreadable", "verdict": "unreadable", "error": message,
            "python": None, "executable": None, "venv": None, "conda": None, "platform": None,
            "recipe": None, "lab_packages": {}, "created": None, "errors": 0, "warnings": 0,
            "findings": [], "fix_command": None}


def _rule_id(finding: Dict[str, Any]) -> Optional[str]:
    rule = (finding.get("evidence") or {}).get("rule")
    return str(rule).split(" (", 1)[0] if rule else None


def _fix_key(finding: Dict[str, Any], executable: Optional[str]) -> Optional[str]:
    """A finding's fix without the student's own interpreter path, so fixes can be counted:
    its pins as one command, else its command with ``python`` for the path, else its words."""
    fix = finding.get("fix") or {}
    reqs = [str(r) for r in fix.get("requirements") or []]
    if reqs:
        return pip_install_command(reqs)
    # a command without pins (two pip steps, an uninstall), else the words, which may quote one
    key = fix.get("command") or fix.get("text")
    if not key:
        return None
    key = str(key)
    if executable:
        key = key.replace(shlex.quote(str(executable)) + " -m pip ", "python -m pip ")
    return key


def _entry(path: str, kind: str, check: Dict[str, Any],
           ignore: FrozenSet[str] = frozenset()) -> Dict[str, Any]:
    env = check.get("environment") or {}
    raw = check.get("findings")
    if not isinstance(raw, list) or not all(isinstance(f, dict) and "code" in f for f in raw):
        return _unreadable(path, "a check JSON without a readable 'findings' list")
    findings = []
    for f in raw:
        severity = str(f.get("severity", "error"))
        if severity == "info" or str(f["code"]) in ignore:  # (a saved check JSON's too)
            continue
        findings.append({"code": str(f["code"]), "severity": severity,
                         "title": str(f.get("title", "")), "rule": _rule_id(f),
                         "fix": _fix_key(f, env.get("executable")) if severity == "error"
                         else None})
    findings.sort(key=lambda f: (_SEVERITY_RANK.get(f["severity"], 3), f["code"]))
    errors = sum(1 for f in findings if f["severity"] == "error")
    warnings = sum(1 for f in findings if f["severity"] == "warning")
    summary = check.get("summary") or {}
    verdict = "healthy" if not errors else "broken"
    return {"file": path, "name": os.path.basename(path) or path, "kind": kind,
            "status": verdict, "verdict": str(summary.get("verdict") or verdict), "error": None,
            "python": env.get("python"), "executable": env.get("executable"),
            "venv": env.get("venv"), "conda": env.get("conda"), "platform": env.get("platform"),
            "recipe": env.get("recipe"), "lab_packages": dict(env.get("lab_packages") or {}),
            "created": env.get("snapshot_created"), "errors": errors, "warnings": warnings,
            "findings": findings, "fix_command": summary.get("fix_command")}


def read_entry(path: str, recipe: Optional[str] = None,
               matrix_file: Optional[str] = None,
               ignore: FrozenSet[str] = frozenset(), lab: object = None) -> Dict[str, Any]:
    """One student's environment as a row of the class report (status: healthy, broken or
    unreadable); findings with an ``ignore`` code are left out. ``lab``: a lab already read
    (:func:`envdoctor.lab.read_lab`), which every snapshot is checked against."""
    from envdoctor.api import diagnose
    from envdoctor.report import REPORT_SCHEMA
    from envdoctor.snapshot import Snapshot, SnapshotError

    from envdoctor.untrusted import read_json_file, shape_problem

    data, problem = read_json_file(path)  # symlinks, FIFOs, size, depth, BOM, encoding
    problem = problem or shape_problem(data)
    if problem:
        return _unreadable(path, problem)
    if data.get("kind") == "envdoctor-check" or ("findings" in data and "summary" in data):
        schema = data.get("schema", 1)
        if not isinstance(schema, int) or schema > REPORT_SCHEMA:
            return _unreadable(path, "check JSON schema %r is newer than this envdoctor "
                                     "understands (%d)" % (schema, REPORT_SCHEMA))
        return _entry(path, "check", data, ignore)
    if "distributions" not in data:
        return _unreadable(path, "not an envdoctor snapshot or check JSON")
    try:
        snapshot = Snapshot.from_dict(data)
    except SnapshotError as exc:
        return _unreadable(path, str(exc))
    try:
        report = diagnose(snapshot, lab=lab, recipe=recipe, matrix_file=matrix_file,
                          ignore=ignore)
    except Exception as exc:  # one odd snapshot must not lose the whole class
        return _unreadable(path, "envdoctor could not check it: %s: %s"
                           % (type(exc).__name__, exc))
    return _entry(path, "snapshot", report.to_dict(include_snapshot=False), ignore)


class ClassReport:
    """The entries and what they add up to."""

    def __init__(self, environments: List[Dict[str, Any]], recipe: Optional[str] = None,
                 generated: Optional[str] = None, ignored: Iterable[str] = (),
                 lab: Optional[str] = None) -> None:
        self.environments = environments
        self.recipe = recipe
        self.lab = lab  # the path of the lab the snapshots were checked against
        self.ignored = sorted(ignored)  # codes left out of every environment's findings
        self.generated = generated or time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())

    def count(self, status: str) -> int:
        return sum(1 for e in self.environments if e["status"] == status)

    @property
    def readable(self) -> int:
        return len(self.environments) - self.count("unreadable")

    def causes(self) -> List[Dict[str, Any]]:
        """Errors and warnings by code / rule id + title; each counted once per environment;
        most environments first, errors before warnings."""
        found: Dict[Tuple[str, str, str], Dict[str, Any]] = {}
        for env in self.environments:
            seen = set()
            for f in env["findings"]:
                key = (f["code"], f["rule"] or "", f["title"])
                if key in seen:
                    continue
                seen.add(key)
                cause = found.setdefault(key, {"code": f["code"], "rule": f["rule"],
                                               "title": f["title"], "severity": f["severity"],
                                               "count": 0, "environments": []})
                cause["count"] += 1
                cause["environments"].append(env["name"])
        readable = self.readable or 1
        out = sorted(found.values(), key=lambda c: (-c["count"],
                                                    _SEVERITY_RANK.get(c["severity"], 3),
                                                    c["code"], c["title"]))
        for c in out:
            c["share"] = round(c["count"] / float(readable), 3)
        return out

    def fixes(self) -> List[Dict[str, Any]]:
        """The errors' fixes (without each student's interpreter path), most common first."""
        found: Dict[str, Dict[str, Any]] = {}
        for env in self.environments:
            seen = set()
            for f in env["findings"]:
                if not f["fix"] or f["fix"] in seen:
                    continue
                seen.add(f["fix"])
                fix = found.setdefault(f["fix"], {"fix": f["fix"], "count": 0, "codes": [],
                                                  "environments": []})
                fix["count"] += 1
                fix["environments"].append(env["name"])
                if f["code"] not in fix["codes"]:
                    fix["codes"].append(f["code"])
        return sorted(found.values(), key=lambda x: (-x["count"], x["fix"]))

    def to_dict(self) -> Dict[str, Any]:
        return {"envdoctor": __version__, "kind": KIND, "generated": self.generated,
                "recipe": self.recipe, "lab": self.lab, "ignored": list(self.ignored),
                "total": len(self.environments),
                "healthy": self.count("healthy"), "broken": self.count("broken"),
                "unreadable": self.count("unreadable"), "causes": self.causes(),
                "fixes": self.fixes(), "environments": self.environments}


def build_class_report(paths: Sequence[str], recipe: Optional[str] = None,
                       matrix_file: Optional[str] = None,
                       generated: Optional[str] = None,
                       ignore: Sequence[str] = (), lab: Optional[str] = None) -> ClassReport:
    """``ignore``: finding codes the course accepts (``report --ignore``), left out of every
    environment, snapshots and saved check JSONs alike. ``lab``: a notebook, script,
    requirements file or folder, read once; every snapshot is checked against it (saved check
    JSONs keep what their own check found)."""
    from envdoctor.api import ignore_codes

    codes = ignore_codes(ignore)
    read = None
    if lab is not None:
        from envdoctor.lab import read_lab

        read = read_lab(lab)  # a missing lab fails once, up front
    return ClassReport([read_entry(p, recipe, matrix_file, codes, read) for p in paths], recipe,
                       generated, codes, lab)
