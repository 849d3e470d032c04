"""The API index as data: releases, their modules and names, and the JSON file.

Schema: ``docs/api-index-schema.md``. Version sets are stored as index ranges into a
package's ``versions`` list ("0-2,5"), which keeps the file small and its diffs readable.
"""

import datetime
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from envdoctor.errors import EnvdoctorError

__all__ = [
    "SCHEMA",
    "index_runs",
    "ApiIndexError",
    "VersionInfo",
    "VersionEntry",
    "PackageIndex",
    "ApiIndex",
    "load_api_index",
    "dump_api_index",
    "version_key",
    "encode_ranges",
    "decode_ranges",
]

SCHEMA = 1


class ApiIndexError(EnvdoctorError):
    """An index file that cannot be read, or a wheel that cannot be fetched or read."""


@dataclass(frozen=True)
class VersionInfo:
    """What one release has: modules (listed) and, for the lab's modules, their names."""

    modules: FrozenSet[str]
    compiled: FrozenSet[str] = frozenset()
    exports: Dict[str, FrozenSet[str]] = field(default_factory=dict)
    open: Dict[str, FrozenSet[str]] = field(default_factory=dict)  # module -> external stars
    dynamic: FrozenSet[str] = frozenset()  # module whose names cannot be known statically
    # lazy proxy module -> the release of the distribution whose names it was resolved with
    # ("transformers==4.56.2"): mindnlp 0.5's mindnlp.transformers is transformers
    proxies: Dict[str, str] = field(default_factory=dict)


def version_key(label: str) -> Tuple[Any, ...]:
    """Sort ``0.1.1`` < ``0.1.1 (git tag v0.1.1)`` < ``0.2.0``; dev builds before finals."""
    from envdoctor.versions import parse_version

    base, _, rest = label.partition(" ")
    parsed = parse_version(base)
    if parsed is None:
        return (1, label, 0, rest)
    return (0, parsed, 1 if rest else 0, rest)


@dataclass(frozen=True)
class VersionEntry:
    """One indexed release: where it came from and how to install it."""

    label: str  # "0.1.1", "0.1.1 (git tag v0.1.1)", "2.0.0.dev20221108 (mindspore-cuda11-dev)"
    dist: str  # the distribution pip installs (mindspore-cuda11-dev for the dev build)
    source: str  # pypi | git | local
    version: str  # the PEP 440 version the distribution reports
    file: Optional[str] = None
    sha256: Optional[str] = None
    built: Optional[str] = None
    url: Optional[str] = None  # git: the repository
    ref: Optional[str] = None
    commit: Optional[str] = None
    requires_python: Optional[str] = None

    def requirement(self) -> str:
        """What to give pip to install exactly this release."""
        if self.source == "git" and self.url and self.ref:
            url = self.url if self.url.startswith("git+") else "git+" + self.url
            return "%s @ %s@%s" % (self.dist, url, self.ref)
        return "%s==%s" % (self.dist, self.version)

    def to_dict(self) -> Dict[str, Any]:
        out = {"label": self.label, "dist": self.dist, "source": self.source,
               "version": self.version}  # type: Dict[str, Any]
        for key in ("file", "sha256", "built", "url", "ref", "commit", "requires_python"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "VersionEntry":
        return cls(**{k: data.get(k) for k in ("label", "dist", "source", "version", "file",
                                                 "sha256", "built", "url", "ref", "commit",
                                                 "requires_python")})


def index_runs(indexes: Iterable[int]) -> List[Tuple[int, int]]:
    """{0, 1, 2, 5} -> [(0, 2), (5, 5)]: runs of consecutive indexes."""
    items = sorted(set(indexes))
    runs = []
    i = 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1] == items[j] + 1:
            j += 1
        runs.append((items[i], items[j]))
        i = j + 1
    return runs


def encode_ranges(indexes: Iterable[int]) -> str:
    """{0, 1, 2, 5} -> "0-2,5"."""
    return ",".join(str(i) if i == j else "%d-%d" % (i, j) for i, j in index_runs(indexes))


def decode_ranges(text: str) -> FrozenSet[int]:
    out = set()  # type: Set[int]
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            out.update(range(int(lo), int(hi) + 1))
        else:
            out.add(int(part))
    return frozenset(out)


@dataclass(frozen=True)
class PackageIndex:
    name: str
    versions: Tuple[VersionEntry, ...]
    infos: Tuple[VersionInfo, ...]

    def labels(self, indexes: Iterable[int]) -> List[str]:
        return [self.versions[i].label for i in sorted(indexes)]

    def shown_label(self, i: int) -> str:
        """A release's label, with ``(PyPI)`` where a git tag of the same version is indexed
        too: "in 0.1.1 (git tag v0.1.1), not in 0.1.1" would read as a contradiction."""
        entry = self.versions[i]
        if entry.source == "pypi" and entry.label == entry.version and any(
                other.version == entry.version and other.source != "pypi"
                for other in self.versions):
            return entry.label + " (PyPI)"
        return entry.label

    def describe(self, indexes: Iterable[int], empty: str = "none") -> str:
        """Runs of consecutive indexed releases, said in words: ``0.1.1 (PyPI), 0.1.1 (git tag
        v0.1.1), 0.2.0 to 0.3.1``; ``empty`` when there are none."""
        parts = []
        for i, j in index_runs(indexes):
            first, last = self.shown_label(i), self.shown_label(j)
            parts.append(first if i == j else ("%s, %s" % (first, last) if j == i + 1
                                               else "%s to %s" % (first, last)))
        return ", ".join(parts) if parts else empty

    def with_version(self, entry: VersionEntry, info: VersionInfo) -> "PackageIndex":
        pairs = [(e, i) for e, i in zip(self.versions, self.infos) if e.label != entry.label]
        pairs.append((entry, info))
        pairs.sort(key=lambda p: version_key(p[0].label))
        return PackageIndex(self.name, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))

    def has_module(self) -> Dict[str, FrozenSet[int]]:
        out = {}  # type: Dict[str, Set[int]]
        for i, info in enumerate(self.infos):
            for mod in info.modules:
                out.setdefault(mod, set()).add(i)
        return {k: frozenset(v) for k, v in out.items()}

    def module_versions(self, module: str) -> FrozenSet[int]:
        return frozenset(i for i, info in enumerate(self.infos) if module in info.modules)

    def tops(self) -> FrozenSet[str]:
        return frozenset(m.split(".")[0] for info in self.infos for m in info.modules)

    def symbol_status(self, module: str, name: str) -> Dict[str, FrozenSet[int]]:
        """For ``from module import name``: the versions where it works ("has"), where the
        module exists without it ("lacks"), where the module does not exist ("no_module"),
        where the module's names were not indexed or cannot be known ("unknown")."""
        has, lacks, no_module, unknown = set(), set(), set(), set()
        for i, info in enumerate(self.infos):
            if module not in info.modules:
                no_module.add(i)
            elif (module + "." + name) in info.modules or name in info.exports.get(module, ()):
                has.add(i)
            elif module not in info.exports or module in info.open or module in info.dynamic \
                    or module in info.compiled:
                unknown.add(i)
            else:
                lacks.add(i)
        return {"has": frozenset(has), "lacks": frozenset(lacks),
                "no_module": frozenset(no_module), "unknown": frozenset(unknown)}

    def exporters(self, name: str) -> Dict[str, FrozenSet[int]]:
        """Which indexed modules export ``name``, and in which versions."""
        out = {}  # type: Dict[str, Set[int]]
        for i, info in enumerate(self.infos):
            for mod, names in info.exports.items():
                if name in names:
                    out.setdefault(mod, set()).add(i)
        return {k: frozenset(v) for k, v in out.items()}


@dataclass(frozen=True)
class ApiIndex:
    path: Optional[str]
    packages: Dict[str, PackageIndex]
    generated: Optional[str] = None

    def package_for_module(self, module: str) -> Optional[PackageIndex]:
        top = module.split(".")[0]
        if top in self.packages:
            return self.packages[top]
        for pkg in self.packages.values():
            if top in pkg.tops():
                return pkg
        return None

    def with_version(self, family: str, entry: VersionEntry, info: VersionInfo) -> "ApiIndex":
        packages = dict(self.packages)
        current = packages.get(family) or PackageIndex(family, (), ())
        packages[family] = current.with_version(entry, info)
        return ApiIndex(self.path, packages, datetime.date.today().isoformat())


def _grouped(table: Dict[str, Set[int]]) -> Dict[str, List[str]]:
    """{"a": {0, 1}, "b": {0, 1}, "c": {1}} -> {"0-1": ["a", "b"], "1": ["c"]}."""
    out = {}  # type: Dict[str, List[str]]
    for name, indexes in table.items():
        out.setdefault(encode_ranges(indexes), []).append(name)
    return {k: sorted(v) for k, v in sorted(out.items(),
                                            key=lambda kv: (_range_order(kv[0]), kv[0]))}


def _range_order(ranges: str) -> Tuple[int, ...]:
    return tuple(int(p) for p in re.split(r"[-,]", ranges) if p)


def _encode_package(pkg: PackageIndex) -> Dict[str, Any]:
    modules = {}  # type: Dict[str, Set[int]]
    compiled = {}  # type: Dict[str, Set[int]]
    indexed = {}  # type: Dict[str, Set[int]]
    exports = {}  # type: Dict[str, Dict[str, Set[int]]]
    open_ = {}  # type: Dict[str, Dict[str, Set[int]]]
    dynamic = {}  # type: Dict[str, Set[int]]
    proxies = {}  # type: Dict[str, Dict[str, Set[int]]]
    for i, info in enumerate(pkg.infos):
        for mod in info.modules:
            modules.setdefault(mod, set()).add(i)
        for mod in info.compiled:
            compiled.setdefault(mod, set()).add(i)
        for mod, names in info.exports.items():
            indexed.setdefault(mod, set()).add(i)
            table = exports.setdefault(mod, {})
            for name in names:
                table.setdefault(name, set()).add(i)
        for mod, ext in info.open.items():
            for target in ext:
                open_.setdefault(mod, {}).setdefault(target, set()).add(i)
        for mod in info.dynamic:
            dynamic.setdefault(mod, set()).add(i)
        for mod, release in info.proxies.items():
            proxies.setdefault(mod, {}).setdefault(release, set()).add(i)
    out = {
        "versions": [e.to_dict() for e in pkg.versions],
        "modules": _grouped(modules),
        "compiled": _grouped(compiled),
        "indexed": _grouped(indexed),
        "dynamic": _grouped(dynamic),
        "open": {k: _grouped(v) for k, v in sorted(open_.items())},
        "exports": {k: _grouped(v) for k, v in sorted(exports.items())},
    }
    if proxies:  # additive (schema 1 readers ignore it): written only when there are any
        out["proxies"] = {k: _grouped(v) for k, v in sorted(proxies.items())}
    return out


def _spread(groups: Any, n: int, add: Callable[[int, str], None]) -> None:
    for ranges, names in (groups or {}).items():
        if not isinstance(names, list):
            raise ValueError("%r: expected a list of names" % (ranges,))
        for i in decode_ranges(ranges):
            if not 0 <= i < n:
                raise IndexError("version index %d out of range (%d versions)" % (i, n))
            for name in names:
                add(i, str(name))


def _decode_package(path: str, name: str, data: Any) -> PackageIndex:
    if not isinstance(data, dict) or not isinstance(data.get("versions"), list):
        raise ApiIndexError("%s: package %r: expected a mapping with a 'versions' list"
                            % (path, name))
    try:
        versions = tuple(VersionEntry.from_dict(v) for v in data["versions"])
        n = len(versions)
        modules = [set() for _ in range(n)]  # type: List[Set[str]]
        compiled = [set() for _ in range(n)]  # type: List[Set[str]]
        dynamic = [set() for _ in range(n)]  # type: List[Set[str]]
        exports = [{} for _ in range(n)]  # type: List[Dict[str, Set[str]]]
        open_ = [{} for _ in range(n)]  # type: List[Dict[str, Set[str]]]
        proxies = [{} for _ in range(n)]  # type: List[Dict[str, str]]
        _spread(data.get("modules"), n, lambda i, m: modules[i].add(m))
        _spread(data.get("compiled"), n, lambda i, m: compiled[i].add(m))
        _spread(data.get("dynamic"), n, lambda i, m: dynamic[i].add(m))
        _spread(data.get("indexed"), n, lambda i, m: exports[i].setdefault(m, set()))
        for mod, groups in (data.get("exports") or {}).items():
            _spread(groups, n, lambda i, sym, mod=mod: exports[i].setdefault(mod, set()).add(sym))
        for mod, groups in (data.get("open") or {}).items():
            _spread(groups, n, lambda i, ext, mod=mod: open_[i].setdefault(mod, set()).add(ext))
        for mod, groups in (data.get("proxies") or {}).items():
            _spread(groups, n, lambda i, rel, mod=mod: proxies[i].__setitem__(mod, rel))
    except (IndexError, TypeError, ValueError, AttributeError, KeyError) as exc:
        raise ApiIndexError("%s: package %r is malformed: %s" % (path, name, exc))
    infos = tuple(VersionInfo(frozenset(modules[i]), frozenset(compiled[i]),
                              {k: frozenset(v) for k, v in exports[i].items()},
                              {k: frozenset(v) for k, v in open_[i].items()},
                              frozenset(dynamic[i]), dict(proxies[i])) for i in range(n))
    return PackageIndex(name, versions, infos)


def load_api_index(path: str) -> ApiIndex:
    try:
        with open(path, "r", encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise ApiIndexError("%s: cannot read: %s" % (path, exc.strerror or exc))
    except ValueError as exc:
        raise ApiIndexError("%s: not valid JSON: %s" % (path, exc))
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ApiIndexError("%s: not an API index of schema %d" % (path, SCHEMA))
    packages = {name: _decode_package(path, name, value)
                for name, value in (data.get("packages") or {}).items()}
    return ApiIndex(path, packages, data.get("generated"))


def dump_api_index(index: ApiIndex) -> str:
    """Deterministic JSON, one entry a line (readable diffs, small file)."""
    data = {
        "schema": SCHEMA,
        "about": "Generated by `envdoctor matrix api-index` from the real wheels; do not edit. "
                 "Schema: docs/api-index-schema.md. Version sets are index ranges into "
                 "'versions' (\"0-2,5\").",
        "generated": index.generated or datetime.date.today().isoformat(),
        "packages": {name: _encode_package(pkg) for name, pkg in sorted(index.packages.items())},
    }
    text = json.dumps(data, indent=0, sort_keys=False, ensure_ascii=True)
    return text + "\n"
