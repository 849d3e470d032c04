"""Evidence of one verified combination: ``verification/<id>/`` and what it says.

A folder holds ``freeze.txt`` (the full ``pip freeze --all``), ``check.json`` (the findings and
environment of ``envdoctor check --deep --json``, without the snapshot), ``smoke.json`` (when
the combo asked for a smoke run), ``install.txt`` (the failing pip run's tail, when install
failed) and ``meta.json``: date, platform, Python, the exact key versions, the install steps,
the verdict and the error signature. :class:`Outcome` is ``meta.json`` as data; the functions
that find an error signature are pure.
"""

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from envdoctor.snapshot import canonical_name

__all__ = ["Outcome", "VERDICTS", "EVIDENCE_FILES", "DEEP_CODES", "clean_signature",
           "check_signature", "check_failures", "smoke_signature", "pip_signature", "trim_check",
           "read_outcome", "write_meta", "parse_freeze"]

# works / broken are verdicts about the environment; error (the harness could not decide)
# and skipped (not run) are never written into the matrix.
VERDICTS = ("works", "broken", "error", "skipped")
EVIDENCE_FILES = ("meta.json", "freeze.txt", "check.json", "smoke.json", "install.txt",
                  "resolved.txt", "import.txt", "pip-check.txt")
DEEP_CODES = ("ED601", "ED602", "ED603", "ED604")
_PATH_TAIL = re.compile(r"\s+\((?:/|[A-Za-z]:\\|unknown location)[^()]*\)\s*$")


@dataclass(frozen=True)
class Outcome:
    """What verification saw for one combination (``meta.json``)."""

    id: str
    verdict: str
    date: Optional[str] = None
    platform: Optional[str] = None
    python: Optional[str] = None  # the full version that ran, "3.11.7"
    versions: Tuple[Tuple[str, str], ...] = ()  # key package -> exact version, in key order
    origins: Tuple[Tuple[str, str], ...] = ()  # key package -> vcs | url | local | editable
    error: Optional[str] = None  # the signature: the first failure's exception line
    stage: Optional[str] = None  # install | imports | smoke: where it failed
    checks: Tuple[str, ...] = ()
    recipe: Optional[str] = None
    pip_check: Tuple[str, ...] = ()  # pip check's complaints; () when it called the set clean
    freeze: Optional[str] = None  # freeze.txt, relative to the repository
    note: Optional[str] = None
    installed: Tuple[Tuple[str, str], ...] = ()  # every name==version of freeze.txt
    without: Tuple[str, ...] = ()  # left out on purpose (pip check's complaints about them
    #                                say nothing about the set)

    def left_out(self) -> Tuple[str, ...]:
        """The ``without`` packages that really are not installed (a held step may have
        installed one outside the resolution: then it is there)."""
        have = {n for n, _ in tuple(self.installed) + tuple(self.versions)}
        return tuple(w for w in self.without if w not in have)

    def pip_complaints(self) -> Tuple[str, ...]:
        """pip check's lines, less those about packages left out on purpose."""
        return tuple(l for l in self.pip_check
                     if not any(re.search(r"requires %s\b" % re.escape(w), l, re.IGNORECASE)
                                for w in self.left_out()))

    @property
    def python_minor(self) -> Optional[str]:
        return ".".join(self.python.split(".")[:2]) if self.python else None

    def version(self, name: str) -> Optional[str]:
        return dict(self.versions).get(canonical_name(name))


def clean_signature(text: Optional[str], limit: int = 300) -> Optional[str]:
    """One line that matches the same failure on another machine: the first line, without
    the file path Python appends to ``cannot import name`` errors."""
    if not text:
        return None
    line = next((l.strip() for l in str(text).splitlines() if l.strip()), "")
    line = _PATH_TAIL.sub("", line)
    line = " ".join(line.split())
    return line[:limit] or None


def _deep_failures(report: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The failed imports of a ``check --deep`` report in the order the lab meets them: a
    module that does not import first, then the lab's symbols in the recipe's order."""
    recipe = report.get("recipe")
    symbols = list(recipe.get("symbols") or []) if isinstance(recipe, dict) else []
    found = [(i, f) for i, f in enumerate(report.get("findings") or [])
             if f.get("code") in DEEP_CODES]

    def order(item: Tuple[int, Dict[str, Any]]) -> Tuple[int, int, int]:
        index, finding = item
        needed = (finding.get("evidence") or {}).get("needed")
        if finding.get("code") != "ED602":
            return (0, 0, index)
        return (1, symbols.index(needed) if needed in symbols else len(symbols), index)

    return [f for _, f in sorted(found, key=order)]


def _failure_line(finding: Dict[str, Any]) -> Optional[str]:
    installed = (finding.get("evidence") or {}).get("installed") or ""
    if finding.get("code") in ("ED603", "ED604"):  # crash or hang: say which import
        return clean_signature("%s: %s" % (finding.get("title"), installed))
    return clean_signature(installed or finding.get("title"))


def check_signature(report: Dict[str, Any]) -> Optional[str]:
    """The first failing import of a ``check --deep --json`` report, as its exception line."""
    for finding in _deep_failures(report):
        return _failure_line(finding)
    return None


def check_failures(report: Dict[str, Any]) -> List[str]:
    """Every failing import or lab symbol, one line each (``symbol: exception line``)."""
    out = []
    for finding in _deep_failures(report):
        needed = (finding.get("evidence") or {}).get("needed")
        line = _failure_line(finding) or ""
        out.append("%s: %s" % (needed, line) if needed else line)
    return out


def smoke_signature(smoke: Dict[str, Any]) -> Optional[str]:
    """``smoke <stage>: Type: message`` for the first failed stage of ``smoke --json``."""
    for stage in smoke.get("stages") or []:
        if stage.get("status") != "fail":
            continue
        error = stage.get("error") or {}
        cause = re.search(r"\(cause: (.+)\)\s*$", stage.get("detail") or "")
        if cause:  # the exception inside MindSpore's wrapper says what went wrong
            what = cause.group(1)
        elif error.get("type"):
            what = "%s: %s" % (error["type"], clean_signature(error.get("message")) or "")
        else:
            what = stage.get("detail") or smoke.get("exit_description") or "failed"
        return clean_signature("smoke %s: %s" % (stage.get("name"), what))
    if smoke.get("exit_code") not in (0, None):
        return clean_signature("smoke: %s" % (smoke.get("exit_description") or
                                              smoke.get("verdict") or "failed"))
    return None


def pip_signature(output: str) -> Optional[str]:
    """The last ``ERROR:`` / ``error:`` line of a failed pip or uv run."""
    lines = [l.strip() for l in output.splitlines() if l.strip()]
    errors = [l for l in lines if re.match(r"^(ERROR|error)(:|\b)", l) or l.startswith("×")]
    picked = errors[-1] if errors else (lines[-1] if lines else "failed")
    return clean_signature(picked)


def trim_check(report: Dict[str, Any]) -> Dict[str, Any]:
    """check.json: the findings and environment, not the whole snapshot."""
    keep = ("envdoctor", "schema", "kind", "environment", "findings", "summary")
    out = {k: report.get(k) for k in keep if k in report}
    recipe = report.get("recipe")
    out["recipe"] = recipe.get("name") if isinstance(recipe, dict) else recipe
    return out


def parse_freeze(text: str) -> List[Tuple[str, str]]:
    """(canonical name, version) from ``pip freeze`` lines; ``name @ url`` lines give
    no version and are left out."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "==" not in line:
            continue
        name, _, version = line.partition("==")
        out.append((canonical_name(name.strip()), version.strip()))
    return out


def _tuple_pairs(data: Any) -> Tuple[Tuple[str, str], ...]:
    if not isinstance(data, dict):
        return ()
    return tuple((canonical_name(str(k)), str(v)) for k, v in data.items())


def read_outcome(folder: str, root: Optional[str] = None) -> Optional[Outcome]:
    """The outcome recorded in ``folder/meta.json``; None when there is none (or it is not
    one the harness wrote)."""
    path = os.path.join(folder, "meta.json")
    try:
        with open(path, encoding="utf-8") as handle:
            meta = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("kind") != "envdoctor-verification":
        return None
    installed = ()  # type: Tuple[Tuple[str, str], ...]
    freeze = os.path.join(folder, "freeze.txt")
    rel = None
    if os.path.exists(freeze):
        with open(freeze, encoding="utf-8", errors="replace") as handle:
            installed = tuple(parse_freeze(handle.read()))
        rel = os.path.relpath(freeze, root).replace(os.sep, "/") if root else freeze
    return Outcome(
        id=str(meta.get("id") or os.path.basename(folder)),
        verdict=str(meta.get("verdict")),
        date=meta.get("date"),
        platform=meta.get("platform"),
        python=meta.get("python"),
        versions=_tuple_pairs(meta.get("versions")),
        origins=tuple((canonical_name(k), str((v or {}).get("origin") if isinstance(v, dict)
                                               else v))
                      for k, v in (meta.get("origins") or {}).items()),
        error=meta.get("error"),
        stage=meta.get("stage"),
        checks=tuple(meta.get("checks") or ()),
        recipe=meta.get("recipe"),
        pip_check=tuple(meta.get("pip_check") or ()),
        freeze=rel,
        note=meta.get("note"),
        installed=installed,
        without=tuple(canonical_name(w) for w in meta.get("without") or ()),
    )


def write_meta(folder: str, meta: Dict[str, Any]) -> str:
    path = os.path.join(folder, "meta.json")
    data = dict(meta)
    data.setdefault("kind", "envdoctor-verification")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    return path


def clear_evidence(folder: str, names: Sequence[str] = EVIDENCE_FILES) -> None:
    """Remove the files a previous run of this combination left (and only those)."""
    for name in names:
        try:
            os.remove(os.path.join(folder, name))
        except OSError:
            pass
