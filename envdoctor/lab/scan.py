"""``envdoctor lab scan``: every notebook and script of a course folder against one target, a
linter for a course. With ``history``, every committed version of each file (read with
``git log`` and ``git cat-file``, never checked out)."""

import os
import subprocess
from dataclasses import dataclass, replace
from typing import Any, Dict, FrozenSet, Iterator, List, Optional, Sequence, Tuple

from envdoctor.findings import Finding, Severity
from envdoctor.lab.model import Lab
from envdoctor.lab.reader import lab_files, read_file, read_text
from envdoctor.snapshot import Snapshot

__all__ = ["ScanEntry", "scan_folder", "scan_history", "platform_snapshot", "judge",
           "PLATFORM_ONLY_SKIPS"]

# Against a platform (nothing installed), "not installed" says nothing about the lab.
PLATFORM_ONLY_SKIPS = ("ED802", "ED803", "ED804")
SUFFIXES = (".ipynb", ".py")


@dataclass(frozen=True)
class ScanEntry:
    path: str
    verdict: str  # fails | warns | ok
    findings: Tuple[Finding, ...]
    commit: Optional[str] = None
    date: Optional[str] = None

    @property
    def first_cause(self) -> Optional[Finding]:
        return next((f for f in self.findings if f.severity is not Severity.INFO), None)

    def to_dict(self) -> Dict[str, Any]:
        cause = self.first_cause
        return {"path": self.path, "commit": self.commit, "date": self.date,
                "verdict": self.verdict,
                "errors": sum(f.severity is Severity.ERROR for f in self.findings),
                "warnings": sum(f.severity is Severity.WARNING for f in self.findings),
                "first_cause": {"code": cause.code, "title": cause.title} if cause else None,
                "findings": [f.to_dict() for f in self.findings]}


def platform_snapshot(python_version: str, system: str, machine: str) -> Snapshot:
    """A target with nothing installed: a Python on a platform (``--python-version 3.10
    --platform linux-x86_64``, or this machine's)."""
    return Snapshot.from_dict({
        "interpreter": {"version": python_version, "implementation": "CPython",
                        "executable": "python"},
        "platform": {"system": system, "machine": machine},
        "distributions": []})


def _runs_nowhere_here(lab: Lab, snapshot: Snapshot, index: Any, matrix: Any
                      ) -> Optional[Finding]:
    """Against a bare platform, a lab that imports MindSpore or MindNLP is only as good as the
    releases that can run it there: ED841 (a warning: it is what envdoctor knows) when no
    known set does (the 2023 notebook on Python 3.11), with what would work."""
    from envdoctor.findings import Evidence, Fix, finding
    from envdoctor.lab.apicheck import FAMILIES
    from envdoctor.lab.plan import lab_requirements

    if index is None or not any(stmt.top in FAMILIES for stmt in lab.imports):
        return None
    target = lab_requirements(lab, snapshot, index, matrix)
    if target.ok:
        return None
    where = "Python %s on %s" % (".".join(snapshot.python_version.split(".")[:2]),
                                 snapshot.platform_tag)
    return finding(
        "ED841", "No known set of releases runs the lab on %s" % where, target.refusal or "",
        evidence=Evidence(needed="; ".join("%s: %s" % kv for kv in
                                           sorted(target.windows.items())),
                          source="; ".join(target.evidence)),
        fix=Fix(text="What would work: %s." % "; ".join(target.would_work))
        if target.would_work else None,
        packages=tuple(sorted(target.windows)))


def judge(lab: Lab, snapshot: Snapshot, platform_only: bool, index: Any,
          matrix: Any = None) -> Tuple[str, Tuple[Finding, ...]]:
    from envdoctor.checks.lab import lab_findings

    found = lab_findings(lab, snapshot, "python", index)
    if platform_only:
        found = [f for f in found if f.code not in PLATFORM_ONLY_SKIPS]
        nowhere = _runs_nowhere_here(lab, snapshot, index, matrix)
        if nowhere is not None:
            found.append(nowhere)
    found.sort(key=lambda f: (f.severity.rank, f.code))
    if any(f.severity is Severity.ERROR for f in found):
        verdict = "fails"
    elif any(f.severity is Severity.WARNING for f in found):
        verdict = "warns"
    else:
        verdict = "ok"
    return verdict, tuple(found)


def scan_folder(folder: str, snapshot: Snapshot, platform_only: bool, index: Any,
                matrix: Any = None) -> List[ScanEntry]:
    out = []
    for path in lab_files(folder):
        if not path.endswith(SUFFIXES):
            continue
        shown = os.path.relpath(path, folder)
        lab = read_file(path, shown)
        verdict, found = judge(lab, snapshot, platform_only, index, matrix)
        out.append(ScanEntry(shown, verdict, found))
    return out


def _git(folder: str, args: Sequence[str], input_bytes: Optional[bytes] = None) -> bytes:
    proc = subprocess.run(["git", "-C", folder] + list(args), input=input_bytes,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode("utf-8", "replace").strip() or "git failed")
    return proc.stdout


def _versions(folder: str) -> List[Tuple[str, str, str]]:
    """(commit, date, path relative to the repository root) of every committed version of
    every notebook and script under ``folder``, newest first."""
    log = _git(folder, ["log", "--no-renames", "--diff-filter=AM", "--format=@@%H %ad",
                        "--date=short", "--name-only", "--", "."]).decode("utf-8", "replace")
    prefix = _git(folder, ["rev-parse", "--show-prefix"]).decode().strip()
    out = []
    commit = date = ""
    for line in log.splitlines():
        if line.startswith("@@"):
            commit, _, date = line[2:].partition(" ")
        elif line.strip().endswith(SUFFIXES) and line.startswith(prefix):
            out.append((commit, date, line.strip()))
    return out


def _blobs(folder: str, specs: List[str]) -> Iterator[Optional[bytes]]:
    """``git cat-file --batch``: one process for every version."""
    data = _git(folder, ["cat-file", "--batch"], ("\n".join(specs) + "\n").encode("utf-8"))
    pos = 0
    for _ in specs:
        end = data.index(b"\n", pos)
        header = data[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] == b"missing":
            yield None
            continue
        size = int(header[2])
        yield data[pos:pos + size]
        pos += size + 1


def _tree(folder: str, commit: str, rel: str) -> FrozenSet[str]:
    """The files and folders of ``commit``, relative to the scanned folder ``rel``."""
    names = _git(folder, ["ls-tree", "-r", "--name-only", "-z", commit]).decode(
        "utf-8", "replace").split("\0")
    out = set()
    for name in filter(None, names):
        path = name if rel in (".", "") else os.path.relpath(name, rel)
        while path and path != ".":
            out.add(os.path.normpath(path))
            path = os.path.dirname(path)
    return frozenset(out)


def scan_history(folder: str, snapshot: Snapshot, platform_only: bool, index: Any,
                 matrix: Any = None) -> List[ScanEntry]:
    versions = _versions(folder)
    root = _git(folder, ["rev-parse", "--show-toplevel"]).decode().strip()
    rel = os.path.relpath(os.path.abspath(folder), root)
    out = []
    trees = {}  # type: Dict[str, FrozenSet[str]]
    for (commit, date, path), blob in zip(versions, _blobs(folder, ["%s:%s" % (c, p)
                                                                     for c, _, p in versions])):
        if blob is None:
            continue
        shown = path if rel in (".", "") else os.path.relpath(path, rel)
        if commit not in trees:
            trees[commit] = _tree(folder, commit, rel)
        # a local wheel or module beside the notebook is looked for in that commit, not today
        lab = replace(read_text(blob.decode("utf-8", "replace"), shown), tree=trees[commit])
        verdict, found = judge(lab, snapshot, platform_only, index, matrix)
        out.append(ScanEntry(shown, verdict, found, commit[:7], date))
    return out
