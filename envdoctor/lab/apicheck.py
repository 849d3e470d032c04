"""The lab's framework imports against the API index, without importing anything.

For each name a lab takes from ``mindspore.*`` / ``mindnlp.*``, which indexed releases have it
(:func:`symbol_statuses`); the releases that have every one of them (:func:`window`); which
indexed release is installed (:func:`installed_release`); and the release an unpinned
``pip install NAME`` gets today (:func:`resolve_today`).
"""

import os
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from envdoctor.apiindex.model import ApiIndex, ApiIndexError, PackageIndex, load_api_index
from envdoctor.lab.model import ImportStatement, Lab
from envdoctor.snapshot import Distribution, Snapshot, canonical_name

__all__ = ["FAMILIES", "SymbolStatus", "symbol_statuses", "window", "possible", "describe",
           "installed_release", "installed_distribution", "resolve_today", "fits_python",
           "load_index"]

FAMILIES = ("mindspore", "mindnlp")
FRAMEWORK_DISTRIBUTIONS = ("mindspore", "mindspore-gpu", "mindspore-ascend", "mindspore-dev",
                           "mindspore-cuda11-dev", "mindspore-cuda10-dev", "mindspore-ascend-dev")


@dataclass(frozen=True)
class SymbolStatus:
    """One name the lab imports and the indexed releases of its family that have it."""

    statement: ImportStatement
    symbol: str
    family: str
    has: FrozenSet[int]
    lacks: FrozenSet[int]  # the module is there without the name, or the module is missing
    unknown: FrozenSet[int]  # the index cannot say (a compiled or lazy module)


_INDEX_CACHE: Dict[Tuple[str, float], ApiIndex] = {}


def load_index(path: Optional[str] = None) -> Optional[ApiIndex]:
    """The bundled (or ``ENVDOCTOR_API_INDEX``) API index, read once; None when unreadable."""
    from envdoctor.resources import api_index_path

    path = path or api_index_path()
    try:
        key = (path, os.path.getmtime(path))
    except OSError:
        return None
    if key not in _INDEX_CACHE:
        try:
            _INDEX_CACHE[key] = load_api_index(path)
        except ApiIndexError:
            return None
    return _INDEX_CACHE[key]


def _statuses_of(stmt: ImportStatement, pkg: PackageIndex) -> List[Tuple[str, FrozenSet[int],
                                                                            FrozenSet[int],
                                                                            FrozenSet[int]]]:
    every = frozenset(range(len(pkg.versions)))
    if not stmt.names or stmt.names == ("*",):
        has = pkg.module_versions(stmt.module)
        return [(stmt.module, has, every - has, frozenset())]
    out = []
    for name in stmt.names:
        if name == "*":
            continue
        status = pkg.symbol_status(stmt.module, name)
        out.append(("%s.%s" % (stmt.module, name), status["has"],
                    status["lacks"] | status["no_module"], status["unknown"]))
    return out


def symbol_statuses(lab: Lab, index: ApiIndex, families: Sequence[str] = FAMILIES
                    ) -> List[SymbolStatus]:
    out = []
    for stmt in lab.imports:
        if stmt.level or stmt.top not in families:
            continue
        pkg = index.packages.get(stmt.top) or index.package_for_module(stmt.module)
        if pkg is None:
            continue
        for symbol, has, lacks, unknown in _statuses_of(stmt, pkg):
            out.append(SymbolStatus(stmt, symbol, pkg.name, has, lacks, unknown))
    return out


def window(statuses: Sequence[SymbolStatus], family: str, n: int) -> FrozenSet[int]:
    """The releases that have every name the lab imports from ``family`` (proven by the index)."""
    out = frozenset(range(n))
    for s in statuses:
        if s.family == family and not s.statement.optional:
            out &= s.has
    return out


def possible(statuses: Sequence[SymbolStatus], family: str, n: int) -> FrozenSet[int]:
    """The releases not known to lack any of them (the index may not know some names)."""
    out = frozenset(range(n))
    for s in statuses:
        if s.family == family and not s.statement.optional:
            out &= s.has | s.unknown
    return out


def describe(pkg: PackageIndex, indexes: FrozenSet[int]) -> str:
    """``0.3.0 to 0.4.1, 0.5.1`` (runs of consecutive indexed releases); 'none' when empty."""
    return pkg.describe(indexes, empty="none of the indexed releases")


def installed_distribution(snapshot: Snapshot, family: str) -> Optional[Distribution]:
    if family == "mindspore":
        for name in FRAMEWORK_DISTRIBUTIONS:
            dist = snapshot.get(name)
            if dist is not None:
                return dist
        return None
    return snapshot.get(family)


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def installed_release(pkg: PackageIndex, dist: Distribution) -> Optional[int]:
    """The index entry of the installed release (a git install matches a git-tag entry)."""
    matches = [i for i, e in enumerate(pkg.versions)
               if _same_version(e.version, dist.version) and canonical_name(e.dist) == dist.key]
    if not matches:
        return None
    from_git = dist.origin == "vcs"
    preferred = [i for i in matches if (pkg.versions[i].source == "git") == from_git]
    return (preferred or matches)[0]


def fits_python(requires_python: Optional[str], python_version: str) -> bool:
    if not requires_python or not python_version:
        return True
    try:
        return SpecifierSet(requires_python).contains(python_version, prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return True


def resolve_today(pkg: PackageIndex, dist_name: str, specifier: str, python_version: str
                  ) -> Optional[int]:
    """The indexed PyPI release pip picks for ``dist_name<specifier>``: the newest that the
    specifier allows (pre-releases only when it names one) and the target's Python accepts."""
    try:
        spec = SpecifierSet(specifier or "")
    except InvalidSpecifier:
        return None
    best: Optional[int] = None
    for i, entry in enumerate(pkg.versions):
        if entry.source != "pypi" or canonical_name(entry.dist) != canonical_name(dist_name):
            continue
        try:
            version = Version(entry.version)
        except InvalidVersion:
            continue
        if not spec.contains(version):  # pip's rule: pre-releases only when the spec names one
            continue
        if not fits_python(entry.requires_python, python_version):
            continue
        if best is None or version > Version(pkg.versions[best].version):
            best = i
    return best

