"""Locks: the full, exact set of distributions a lab needs, read off a verified environment."""

from typing import Iterable, List, Set

from packaging.requirements import InvalidRequirement, Requirement

from envdoctor.snapshot import Snapshot, canonical_name

__all__ = ["dependency_closure", "lock_lines"]


def dependency_closure(snapshot: Snapshot, roots: Iterable[str]) -> List[str]:
    """Canonical names of ``roots`` and everything they require, in the target's environment."""
    active = snapshot.active
    env = dict(snapshot.marker_environment)
    seen: Set[str] = set()
    todo = [canonical_name(r) for r in roots]
    while todo:
        key = todo.pop()
        if key in seen or key not in active:
            continue
        seen.add(key)
        for line in active[key].requires_dist:
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if req.marker is not None:
                try:
                    if not req.marker.evaluate(dict(env, extra="")):
                        continue
                except Exception:
                    continue
            todo.append(canonical_name(req.name))
    return sorted(seen)


def lock_lines(snapshot: Snapshot, roots: Iterable[str]) -> List[str]:
    """``name==version`` for the closure of ``roots``; local versions lose their label
    (``torch==2.13.0`` also matches the installed ``2.13.0+cpu``)."""
    active = snapshot.active
    out = []
    for key in dependency_closure(snapshot, roots):
        if key in ("pip", "setuptools", "wheel"):
            continue  # installer tooling, never part of a lab's lock
        dist = active[key]
        out.append("%s==%s" % (dist.name, dist.version.split("+", 1)[0]))
    return out
