from __future__ import annotations
"""Plan a fix: from findings to the requirements and constraints pip is asked to resolve,
and from pip's dry-run report back to a diff (pure functions, no I/O).

Minimal change: every installed distribution is handed to pip's resolver as a plain
requirement, so it keeps its version unless a fix makes that inconsistent; only what a
finding names (and what pip must move with it) changes. A recipe's verified lock constrains
whatever is installed new or moved. The notebook image's framework build (mindspore) is
pinned where it is unless the user asks to move it.
"""

import copy
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from packaging.requirements import InvalidRequirement, Requirement

from envdoctor.findings import Finding, Severity
from envdoctor.snapshot import Distribution, Snapshot, canonical_name
from envdoctor.versions import parse_version

__all__ = [
    "FRAMEWORK_PACKAGES",
    "Action",
    "PlanRequest",
    "build_request",
    "actions_from_report",
    "predict_snapshot",
    "lock_pins_for",
    "requirement_name",
    "other_framework",
]

FRAMEWORK_PACKAGES = ("mindspore", "mindspore-gpu", "mindspore-ascend", "mindspore-cpu",
                      "mindspore-dev", "mindspore-cuda11-dev", "mindspore-ascend-dev")
# envdoctor's own footprint and pip's tooling are never part of a lab fix.
NEVER_TOUCH = ("pip", "setuptools", "wheel", "envdoctor")


def requirement_name(text: str) -> Optional[str]:
    try:
        return canonical_name(Requirement(text).name)
    except InvalidRequirement:
        return None


@dataclass(frozen=True)
class Action:
    kind: str  # install | upgrade | downgrade | reinstall | keep
    name: str
    before: Optional[str]
    after: Optional[str]
    reason: str

    def to_dict(self) -> Dict[str, Any]:
        return {"action": self.kind, "package": self.name, "from": self.before,
                "to": self.after, "reason": self.reason}


@dataclass(frozen=True)
class PlanRequest:
    requirements: Tuple[str, ...]
    constraints: Tuple[str, ...]
    reasons: Dict[str, str] = field(default_factory=dict)  # canonical name -> why it moves
    notes: Tuple[str, ...] = ()
    unfixable: Tuple[Finding, ...] = ()
    lock_pins: Dict[str, str] = field(default_factory=dict)  # canonical name -> "name==v"
    # Findings only moving the framework fixes (offered with --move-framework), and the lab
    # findings left for a separate step when the errors' own fixes are planned first.
    needs_framework_move: Tuple[Finding, ...] = ()
    deferred: Tuple[Finding, ...] = ()
    # Exact pins installed with --no-deps after the rest (MindNLP beside mindspore-dev: its
    # declared `mindspore` must not be pulled over the installed framework distribution).
    no_deps: Tuple[str, ...] = ()

    @property
    def named(self) -> List[str]:
        return list(self.reasons)


def lock_pins_for(lock_lines: Optional[Iterable[str]]) -> Dict[str, str]:
    pins: Dict[str, str] = {}
    for line in lock_lines or ():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name = requirement_name(line)
        if name:
            pins[name] = line
    return pins


def _satisfies(requirement: str, version: str) -> bool:
    try:
        req = Requirement(requirement)
    except InvalidRequirement:
        return False
    parsed = parse_version(version)
    return parsed is not None and req.specifier.contains(parsed, prereleases=True)


def other_framework(snapshot: Snapshot, name: str) -> Optional[Distribution]:
    """An installed framework distribution other than ``name`` (``mindspore-dev`` when a
    plan asks for ``mindspore``): two of them would own one ``mindspore/`` folder."""
    if name not in FRAMEWORK_PACKAGES:
        return None
    for dist in snapshot.active.values():
        if dist.key in FRAMEWORK_PACKAGES and dist.key != name:
            return dist
    return None


def _framework_pairing(finding: Finding, framework: Dict[str, Distribution]) -> bool:
    """A compatibility warning (an unsupported pairing, e.g. mindnlp 0.5.0 on MindSpore
    2.10) that only moving the installed framework fixes: planned like an error, so the plan
    says so (or, with --move-framework, moves it) instead of predicting no errors."""
    if finding.area != "compatibility" or not finding.fix or finding.severity is Severity.INFO:
        return False
    for req in finding.fix.requirements:
        name = requirement_name(req)
        have = framework.get(name) if name else None
        if have is not None and not _satisfies(req, have.version):
            return True
    return False


def build_request(snapshot: Snapshot, findings: Sequence[Finding],
                  lock_lines: Optional[Iterable[str]] = None,
                  move_framework: bool = False, include_lab: bool = True) -> PlanRequest:
    active = snapshot.active
    requirements: List[str] = []
    reasons: Dict[str, str] = {}
    notes: List[str] = []
    unfixable: List[Finding] = []
    constraints: List[str] = []
    needs_move: List[Finding] = []
    deferred: List[Finding] = []
    wanted: Set[str] = set()

    framework = [d for d in active.values() if d.key in FRAMEWORK_PACKAGES]
    fixed_framework = {} if move_framework else {d.key: d for d in framework}

    held = {d.key: d for d in framework}
    for finding in findings:
        if finding.severity is not Severity.ERROR and not _framework_pairing(finding, held):
            continue
        reqs = list(finding.fix.requirements) if finding.fix else []
        if not reqs:
            unfixable.append(finding)
            continue
        if not include_lab and finding.area == "recipe":
            deferred.append(finding)
            continue
        named = [(req, requirement_name(req)) for req in reqs]
        blocked = False
        for req, name in named:
            other = other_framework(snapshot, name) if name else None
            if other is not None:
                notes.append("never installs %s over %s %s (two distributions would own one "
                             "mindspore folder); %s is left to you: remove %s first if you "
                             "want %s" % (name, other.name, other.version, finding.code,
                                          other.name, req))
                blocked = True
            elif name in fixed_framework and not _satisfies(req, fixed_framework[name].version):
                have = fixed_framework[name]
                notes.append(
                    "only moving the framework fixes %s (%s): it asks for %s, the environment "
                    "has %s %s; rerun with --move-framework to plan that"
                    % (finding.code, finding.title, req, have.name, have.version))
                needs_move.append(finding)
                blocked = True
        if blocked:  # all of a finding's pins or none: half a fix is a different set
            if finding not in needs_move:
                unfixable.append(finding)
            continue
        for req, name in named:
            if name is None or name in fixed_framework:
                continue
            if req not in wanted:  # a set: a 50,000-distribution plan stays linear
                wanted.add(req)
                requirements.append(req)
            reasons.setdefault(name, "%s %s" % (finding.code, finding.title))
    if deferred:
        notes.append("installing the lab (%s) is a separate step: run `envdoctor fix --apply` "
                     "again after this one" % ", ".join(sorted({f.code for f in deferred})))

    for dist in framework:
        if dist.key in fixed_framework:
            constraints.append("%s==%s" % (dist.name, dist.version))
            notes.insert(0, "keeps %s %s fixed (the environment's framework build)"
                         % (dist.name, dist.version))

    # Everything else that is installed goes to the resolver as a plain name: kept as it is
    # unless the fixes make it inconsistent (then pip moves it, and the diff says so).
    named = set(reasons)
    for dist in active.values():
        if dist.key in NEVER_TOUCH or dist.key in named or dist.key in fixed_framework:
            continue
        if parse_version(dist.version) is None or dist.origin != "index":
            continue  # pip could not find it on an index again; leave it alone
        requirements.append(dist.name)

    pins = lock_pins_for(lock_lines if include_lab else None)
    for name, pin in pins.items():
        if name in fixed_framework or name in NEVER_TOUCH:
            continue
        installed = active.get(name)
        if installed is None or name in named:
            constraints.append(pin)
    return PlanRequest(tuple(requirements), tuple(constraints), reasons, tuple(notes),
                       tuple(unfixable), pins, tuple(needs_move), tuple(deferred))


def _report_entries(report: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [e for e in report.get("install", []) if isinstance(e.get("metadata"), dict)]


def actions_from_report(snapshot: Snapshot, report: Dict[str, Any],
                        request: PlanRequest) -> List[Action]:
    """The real diff pip would make, with the reason for each change."""
    active = snapshot.active
    entries = _report_entries(report)
    dependents: Dict[str, List[str]] = {}
    env = dict(snapshot.marker_environment, extra="")
    for entry in entries:
        meta = entry["metadata"]
        for line in meta.get("requires_dist") or []:
            try:
                req = Requirement(line)
                if req.marker is not None and not req.marker.evaluate(env):
                    continue
            except Exception:  # an odd marker only loses a reason, never the plan
                continue
            name = canonical_name(req.name)
            if name != canonical_name(meta["name"]):
                dependents.setdefault(name, []).append("%s %s" % (meta["name"], meta["version"]))
    actions = []
    for entry in entries:
        meta = entry["metadata"]
        name, version = str(meta["name"]), str(meta["version"])
        key = canonical_name(name)
        have = active.get(key)
        if have is None:
            kind = "install"
        else:
            new, old = parse_version(version), parse_version(have.version)
            if new is None or old is None or new == old:
                kind = "reinstall"
            else:
                kind = "upgrade" if new > old else "downgrade"
        reason = request.reasons.get(key)
        if reason is None:
            needed_by = dependents.get(key)
            if needed_by:
                reason = "needed by %s" % ", ".join(sorted(set(needed_by))[:3])
            elif have is not None:
                reason = "moved by pip's resolver to keep the set consistent"
            else:
                reason = "requested"
        actions.append(Action(kind, name, have.version if have else None, version, reason))
    order = {"downgrade": 0, "upgrade": 1, "reinstall": 2, "install": 3}
    return sorted(actions, key=lambda a: (order.get(a.kind, 9), canonical_name(a.name)))


def predict_snapshot(snapshot: Snapshot, report: Dict[str, Any]) -> Snapshot:
    """The environment as it will be after pip carries out ``report``."""
    raw = copy.deepcopy(snapshot.raw)
    changed = {}
    for entry in _report_entries(report):
        meta = entry["metadata"]
        changed[canonical_name(meta["name"])] = meta
    dists = []
    for dist in raw.get("distributions", []):
        key = canonical_name(dist["name"])
        if key in changed and not dist.get("shadowed_by"):
            continue  # replaced below
        dists.append(dist)
    for key, meta in changed.items():
        direct = None
        entry = [e for e in _report_entries(report) if canonical_name(e["metadata"]["name"]) == key]
        if entry and entry[0].get("is_direct"):
            direct = entry[0].get("download_info")
        dists.append({
            "name": meta["name"],
            "version": meta["version"],
            "requires_dist": list(meta.get("requires_dist") or []),
            "requires_python": meta.get("requires_python"),
            "direct_url": direct,
            "installer": "pip",
            "shadowed_by": None,
        })
    raw["distributions"] = dists
    return Snapshot.from_dict(raw)
