"""The snapshot: everything envdoctor knows about an environment, as plain data.

A snapshot is produced by the probe (:mod:`envdoctor.probe`) or read from a JSON file that
was saved on another machine (``envdoctor snapshot -o env.json``). Checks only ever see a
:class:`Snapshot`, never a live interpreter.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from envdoctor.errors import EnvdoctorError

__all__ = ["Distribution", "Snapshot", "SnapshotError", "canonical_name", "load_snapshot"]

SCHEMA = 1


class SnapshotError(EnvdoctorError):
    """A snapshot file that cannot be read (not JSON, wrong kind, newer schema)."""


def canonical_name(name: str) -> str:
    """PEP 503 normalisation: ``Foo_Bar.baz`` -> ``foo-bar-baz``."""
    return re.sub(r"[-_.]+", "-", name).lower()


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


@dataclass(frozen=True)
class Snapshot:
    raw: Dict[str, Any] = field(repr=False)
    distributions: Tuple[Distribution, ...]

    @property
    def interpreter(self) -> Dict[str, Any]:
        return self.raw.get("interpreter", {})

    @property
    def platform(self) -> Dict[str, Any]:
        return self.raw.get("platform", {})

    @property
    def marker_environment(self) -> Dict[str, str]:
        return self.raw.get("marker_environment", {})

    @property
    def python_version(self) -> str:
        return str(self.interpreter.get("version", ""))

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
        found = {}  # type: Dict[str, Distribution]
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
