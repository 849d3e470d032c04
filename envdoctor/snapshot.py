"""The snapshot: everything envdoctor knows about an environment, as plain data.

A snapshot is produced by the probe (:mod:`envdoctor.probe`) or read from a JSON file that
was saved on another machine (``envdoctor snapshot -o env.json``). Checks only ever see a
:class:`Snapshot`, never a live interpreter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any, Dict, List, Optional, Tuple

from envdoctor.errors import EnvdoctorError

__all__ = ["Distribution", "Interpreter", "Platform", "Snapshot", "SnapshotError",
           "canonical_name", "requirement_name", "exact_pin", "wheel_name", "load_snapshot"]

SCHEMA = 1


class SnapshotError(EnvdoctorError):
    """A snapshot file that cannot be read (not JSON, wrong kind, newer schema)."""


def canonical_name(name: str) -> str:
    """PEP 503 normalisation: ``Foo_Bar.baz`` -> ``foo-bar-baz`` (packaging's own)."""
    # Imported here: this module loads before the probe starts, packaging while it runs.
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def requirement_name(text: str) -> Optional[str]:
    """The canonical name of a PEP 508 requirement line; None when it does not parse."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return canonical_name(Requirement(text).name)
    except InvalidRequirement:
        return None


def exact_pin(text: str) -> Optional[Tuple[str, str]]:
    """(canonical name, version) of a ``name==version`` requirement, else None (ranges,
    wildcards, URLs, lines that do not parse)."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    specs = list(req.specifier)
    if req.url or len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
        return None
    return canonical_name(req.name), specs[0].version


def wheel_name(name: str) -> str:
    """How a wheel's file name spells a distribution: ``mindspore-dev`` ->
    ``mindspore_dev`` (runs of ``-_.`` become ``_``, lower case; the binary distribution
    format's escaping)."""
    return canonical_name(name).replace("-", "_")


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str
    requires_dist: Tuple[str, ...] = ()
    requires_python: Optional[str] = None
    location: Optional[str] = None
    installer: Optional[str] = None
    direct_url: Optional[Dict[str, Any]] = None
    shadowed_by: Optional[str] = None
    metadata_path: Optional[str] = None
    extension_archs: Tuple[str, ...] = ()
    top_level: Tuple[str, ...] = ()  # packages and modules it installs (top_level.txt, RECORD)

    @property
    def key(self) -> str:
        return canonical_name(self.name)

    @property
    def origin(self) -> str:
        """Where it came from: ``index``, ``vcs``, ``url``, ``editable`` or ``local``."""
        direct = self.direct_url
        if not direct:
            return "index"
        if "vcs_info" in direct:
            return "vcs"
        if (direct.get("dir_info") or {}).get("editable"):
            return "editable"
        url = str(direct.get("url", ""))
        return "local" if url.startswith("file:") else "url"

    @property
    def origin_detail(self) -> str:
        direct = self.direct_url or {}
        vcs = direct.get("vcs_info") or {}
        if vcs:
            ref = vcs.get("requested_revision") or vcs.get("commit_id", "")[:12]
            return "%s@%s" % (direct.get("url", ""), ref)
        return str(direct.get("url", ""))

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Distribution":
        return cls(
            name=str(data["name"]),
            version=str(data.get("version", "")),
            requires_dist=tuple(data.get("requires_dist") or ()),
            requires_python=data.get("requires_python"),
            location=data.get("location"),
            installer=data.get("installer"),
            direct_url=data.get("direct_url"),
            shadowed_by=data.get("shadowed_by"),
            metadata_path=data.get("metadata_path"),
            extension_archs=tuple(data.get("extension_archs") or ()),
            top_level=tuple(str(n) for n in data.get("top_level") or ()),
        )


def _typed(cls: Any, data: Any) -> Any:
    data = data if isinstance(data, dict) else {}
    known = {f.name for f in fields(cls)} - {"raw"}
    return cls(raw=data, **{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Interpreter:
    """The ``interpreter`` section: the Python the snapshot was taken with (a typed view; the
    JSON itself stays in ``raw`` and in ``Snapshot.raw``, so files keep their format)."""

    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    version: str = ""
    implementation: Optional[str] = None
    executable: Optional[str] = None
    prefix: Optional[str] = None
    base_prefix: Optional[str] = None
    is_venv: bool = False
    is_conda: bool = False
    conda_env: Optional[str] = None
    purelib: Optional[str] = None
    platlib: Optional[str] = None
    scripts: Optional[str] = None
    purelib_writable: bool = False
    user_site: Optional[str] = None
    user_site_enabled: bool = False
    bits: Optional[int] = None

    @property
    def sys_path(self) -> List[str]:
        return list(self.raw.get("sys_path") or ())


@dataclass(frozen=True)
class Platform:
    """The ``platform`` section: the machine and operating system (a typed view, as
    :class:`Interpreter`)."""

    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    system: str = ""
    release: str = ""
    machine: str = ""
    libc: Optional[Dict[str, str]] = None
    sysconfig_platform: Optional[str] = None

    @property
    def tag(self) -> str:
        """``linux-x86_64``, ``darwin-arm64``, ``windows-amd64``: what matrix rules and recipe
        locks are keyed by."""
        return "%s-%s" % (str(self.system or "").lower(), str(self.machine or "").lower())


@dataclass(frozen=True)
class Snapshot:
    raw: Dict[str, Any] = field(repr=False)
    distributions: Tuple[Distribution, ...]

    @property
    def interpreter(self) -> Interpreter:
        cached = self.__dict__.get("_interpreter")
        if cached is None:
            cached = _typed(Interpreter, self.raw.get("interpreter"))
            object.__setattr__(self, "_interpreter", cached)
        return cached

    @property
    def platform(self) -> Platform:
        cached = self.__dict__.get("_platform")
        if cached is None:
            cached = _typed(Platform, self.raw.get("platform"))
            object.__setattr__(self, "_platform", cached)
        return cached

    @property
    def platform_tag(self) -> str:
        """``linux-x86_64``: see :attr:`Platform.tag`."""
        return self.platform.tag

    @property
    def executable(self) -> str:
        """The target interpreter's path (``"python"`` when the snapshot does not say)."""
        return self.interpreter.executable or "python"

    @property
    def marker_environment(self) -> Dict[str, str]:
        return self.raw.get("marker_environment", {})

    @property
    def python_version(self) -> str:
        return str(self.interpreter.version or "")

    @property
    def pip_version(self) -> Optional[str]:
        return self.raw.get("pip")

    @property
    def environment_variables(self) -> Dict[str, str]:
        return self.raw.get("environment_variables", {})

    @property
    def metadata_problems(self) -> List[Dict[str, str]]:
        return self.raw.get("metadata_problems", [])

    @property
    def active(self) -> Dict[str, Distribution]:
        """The distribution of each name that imports and pip see (the first on sys.path)."""
        cached = self.__dict__.get("_active")
        if cached is not None:
            return cached
        found: Dict[str, Distribution] = {}
        for dist in self.distributions:
            if dist.shadowed_by is None and dist.key not in found:
                found[dist.key] = dist
        object.__setattr__(self, "_active", found)  # computed once: checks ask often
        return found

    def get(self, name: str) -> Optional[Distribution]:
        return self.active.get(canonical_name(name))

    def to_json(self, indent: Optional[int] = 2) -> str:
        return json.dumps(self.raw, indent=indent, sort_keys=False)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Snapshot":
        if not isinstance(data, dict) or "distributions" not in data:
            raise SnapshotError("not an envdoctor snapshot (no 'distributions')")
        schema = data.get("schema", 1)
        if not isinstance(schema, int) or schema > SCHEMA:
            raise SnapshotError(
                "snapshot schema %r is newer than this envdoctor understands (%d); "
                "upgrade envdoctor" % (schema, SCHEMA)
            )
        from envdoctor.safety import drop_invalid_distributions  # names pip could misread

        data = drop_invalid_distributions(data)
        try:
            dists = tuple(Distribution.from_dict(d) for d in data["distributions"])
        except (KeyError, TypeError) as exc:
            raise SnapshotError("malformed distribution entry: %s" % exc)
        return cls(raw=data, distributions=dists)


def load_snapshot(path: str) -> Snapshot:
    """Read a snapshot saved by ``envdoctor snapshot``, or the ``environment`` of a check JSON."""
    try:
        with open(path, "r", encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise SnapshotError("cannot read %s: %s" % (path, exc.strerror or exc))
    except ValueError as exc:
        raise SnapshotError("%s is not JSON: %s" % (path, exc))
    if isinstance(data, dict) and "distributions" not in data:
        # A saved `check --json` report carries the snapshot under "snapshot".
        inner = data.get("snapshot")
        if isinstance(inner, dict):
            data = inner
    return Snapshot.from_dict(data)
