"""Plan a fix: from findings to the requirements and constraints pip is asked to resolve,
and from pip's dry-run report back to a diff (pure functions, no I/O).

Minimal change: every installed distribution is handed to pip's resolver as a plain
requirement, so it keeps its version unless a fix makes that inconsistent; only what a
finding names (and what pip must move with it) changes. A recipe's verified lock constrains
whatever is installed new or moved. The notebook image's framework build (mindspore) is
pinned where it is unless the user asks to move it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from packaging.requirements import InvalidRequirement, Requirement

from envdoctor.findings import Finding, Severity
from envdoctor.frameworks import is_framework, reinstall_requirement
from envdoctor.snapshot import (Distribution, Snapshot, canonical_name, exact_pin,
                                requirement_name)
from envdoctor.versions import parse_version

__all__ = [
    "framework_name",
    "Action",
    "PlanRequest",
    "build_request",
    "actions_from_report",
    "predict_snapshot",
    "lock_pins_for",
    "requirement_name",
    "other_framework",
    "mixed_frameworks",
]

# envdoctor's own footprint and pip's tooling are never part of a lab fix.
NEVER_TOUCH = ("pip", "setuptools", "wheel", "envdoctor")


def framework_name(name: Optional[str]) -> bool:
    """A MindSpore distribution name (mindspore, mindspore-dev, -gpu, -ascend, ...)."""
    return bool(name) and is_framework(str(name))


@dataclass(frozen=True)
class Action:
    kind: str  # install | upgrade | downgrade | reinstall | remove
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
    # Distributions uninstalled between the two (every MindSpore distribution of a mixed
    # mindspore/ folder, ED110); the framework in ``no_deps`` is then the only one.
    remove: Tuple[str, ...] = ()

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
    if not framework_name(name):
        return None
    for dist in snapshot.active.values():
        if framework_name(dist.key) and dist.key != name:
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


def mixed_frameworks(findings: Sequence[Finding]) -> Optional[Finding]:
    """The ED110 finding (two MindSpore distributions in one ``mindspore/`` folder) whose
    fix names the distribution to keep: the plan removes them all and installs that one."""
    for finding in findings:
        if (finding.code == "ED110" and finding.severity is Severity.ERROR and finding.fix
                and finding.fix.requirements):
            return finding
    return None


def _pin_of(dist: Distribution) -> str:
    return "%s==%s" % (dist.name, dist.version)


def _provides(pin: str, req: str) -> bool:
    """Whether the framework build ``pin`` (name==version) meets ``req``: under its own name,
    or for a requirement on plain ``mindspore`` under any MindSpore distribution name (every
    one installs the same package)."""
    exact = exact_pin(pin)
    wanted = requirement_name(req)
    return (exact is not None and wanted in (exact[0], "mindspore")
            and _satisfies(req, exact[1]))


def _first_framework_pin(findings: Sequence[Finding],
                         mix: Finding) -> Tuple[Optional[str], Optional[Finding]]:
    """The exact framework build the first error's fix asks for (a verified matrix rule's
    sorts first): what a mixed folder is reinstalled as with --move-framework."""
    for finding in findings:
        if finding is mix or finding.severity is not Severity.ERROR or not finding.fix:
            continue
        for req in finding.fix.requirements:
            exact = exact_pin(req)
            if exact is not None and framework_name(exact[0]):
                return req, finding
    return None, None


class _Framework:
    """What a plan does with MindSpore. Normally each installed framework distribution stays
    as it is (``--move-framework`` lets a fix move it) and none is laid over another. In a
    mixed folder (ED110) every framework distribution is removed and exactly one is installed
    again with --no-deps: the one chosen on purpose, or with ``--move-framework`` the build a
    fix asks for (e.g. the verified 2.5 build a matrix rule names)."""

    def __init__(self, snapshot: Snapshot, findings: Sequence[Finding],
                 move_framework: bool) -> None:
        self.snapshot = snapshot
        self.move = move_framework
        self.installed = [d for d in snapshot.active.values() if framework_name(d.key)]
        self.mix = mixed_frameworks(findings)
        self.target: Optional[str] = None  # mixed folder, --move-framework: the build a fix asks for
        self.asked_by: Optional[Finding] = None  # ... and that fix's finding
        keep = None
        if self.mix is not None:
            keep = snapshot.active.get(requirement_name(self.mix.fix.requirements[0]) or "")
        self.keep = keep
        held = [keep] if self.mix is not None else self.installed
        self.held = {d.key: d for d in held if d is not None}
        self.fixed = {} if move_framework else dict(self.held)
        if self.mix is not None and move_framework:
            self.target, self.asked_by = _first_framework_pin(findings, self.mix)

    def owns(self, name: Optional[str]) -> bool:
        """A name the framework handling decides for (kept out of pip's resolution)."""
        if self.mix is not None:
            return framework_name(name)
        return name in self.fixed

    def blocker(self, finding: Finding, req: str, name: Optional[str]) -> Tuple[Optional[str], bool]:
        """Why ``req`` (one pin of ``finding``'s fix) cannot be planned, and whether only
        moving the framework would allow it; (None, False) when it can."""
        if name is None or not framework_name(name):
            return None, False
        if self.mix is None:
            other = other_framework(self.snapshot, name)
            if other is not None:
                return ("never installs %s over %s %s (two distributions would own one "
                        "mindspore folder); %s is left to you: remove %s first if you want %s"
                        % (name, other.name, other.version, finding.code, other.name, req),
                        False)
            have = self.fixed.get(name)
            if have is None or _satisfies(req, have.version):
                return None, False
            return ("only moving the framework fixes %s (%s): it asks for %s, the environment "
                    "has %s %s; rerun with --move-framework to plan that"
                    % (finding.code, finding.title, req, have.name, have.version), True)
        chosen = self.reinstall() or req
        if _provides(chosen, req):
            return None, False
        if not self.move:
            return ("only moving the framework fixes %s (%s): it asks for %s, and the mixed "
                    "mindspore/ folder is reinstalled as %s; rerun with --move-framework to "
                    "plan that" % (finding.code, finding.title, req, chosen), True)
        return ("%s asks for %s, but the one framework installed is %s; %s is left to you"
                % (finding.code, req, chosen, finding.code), False)

    def source(self, pin: str) -> str:
        """What pip installs for the reinstalled build ``pin``: the kept build from the web
        address it came from, when it did (:func:`envdoctor.frameworks.reinstall_requirement`)."""
        if self.keep is not None and pin == _pin_of(self.keep):
            return reinstall_requirement(self.keep)
        return pin

    def reinstall(self) -> Optional[str]:
        """Mixed folder: the one framework pin installed (with --no-deps) after the removal."""
        if self.mix is None:
            return None
        return self.target or self.mix.fix.requirements[0]


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
    frame = _Framework(snapshot, findings, move_framework)

    for finding in findings:
        if finding is frame.mix:
            continue  # planned below: remove every framework distribution, install one
        if finding.severity is not Severity.ERROR and not _framework_pairing(finding,
                                                                             frame.held):
            continue
        reqs = list(finding.fix.requirements) if finding.fix else []
        if not reqs:
            unfixable.append(finding)
            continue
        if not include_lab and finding.area == "recipe":
            deferred.append(finding)
            continue
        named = [(req, requirement_name(req)) for req in reqs]
        blocked = moves = False
        for req, name in named:
            why, move = frame.blocker(finding, req, name)
            if why is not None:
                notes.append(why)
                blocked, moves = True, moves or move
        if blocked:  # all of a finding's pins or none: half a fix is a different set
            (needs_move if moves else unfixable).append(finding)
            continue
        for req, name in named:
            if name is None or frame.owns(name):
                continue
            if req not in wanted:  # a set: a 50,000-distribution plan stays linear
                wanted.add(req)
                requirements.append(req)
            reasons.setdefault(name, "%s %s" % (finding.code, finding.title))
    if deferred:
        notes.append("installing the lab (%s) is a separate step: run `envdoctor fix --apply` "
                     "again after this one" % ", ".join(sorted({f.code for f in deferred})))

    remove: Tuple[str, ...] = ()
    no_deps: Tuple[str, ...] = ()
    reinstall = frame.reinstall()
    if reinstall is not None and frame.mix is not None:
        # held where they are while pip installs the rest, then all removed (each uninstall
        # takes the files its RECORD lists), then the chosen one alone
        constraints.extend(_pin_of(d) for d in frame.installed)
        remove = tuple(d.name for d in sorted(frame.installed, key=lambda d: d.key))
        no_deps = (frame.source(reinstall),)
        why = "%s %s" % (frame.mix.code, frame.mix.title)
        if frame.asked_by is not None:
            reasons[requirement_name(reinstall) or reinstall] = "%s %s" % (
                frame.asked_by.code, frame.asked_by.title)
        for dist in frame.installed:
            reasons.setdefault(dist.key, why)
        reasons.setdefault(requirement_name(reinstall) or reinstall, why)
        notes.insert(0, "removes %s (they share one mindspore/ folder), then installs %s "
                     "alone with --no-deps%s" % (" and ".join(remove), reinstall, "" if
                                                 no_deps[0] == reinstall else
                                                 ", from " + no_deps[0].split(" @ ", 1)[1]))
    else:
        for dist in frame.installed:
            if dist.key in frame.fixed:
                constraints.append(_pin_of(dist))
                notes.insert(0, "keeps %s %s fixed (the environment's framework build)"
                             % (dist.name, dist.version))

    # Everything else that is installed goes to the resolver as a plain name: kept as it is
    # unless the fixes make it inconsistent (then pip moves it, and the diff says so).
    named_keys = set(reasons)
    for dist in active.values():
        if dist.key in NEVER_TOUCH or dist.key in named_keys or frame.owns(dist.key):
            continue
        if parse_version(dist.version) is None or dist.origin != "index":
            continue  # pip could not find it on an index again; leave it alone
        requirements.append(dist.name)

    pins = lock_pins_for(lock_lines if include_lab else None)
    for name, pin in pins.items():
        if frame.owns(name) or name in NEVER_TOUCH:
            continue
        installed = active.get(name)
        if installed is None or name in named_keys:
            constraints.append(pin)
    return PlanRequest(tuple(requirements), tuple(constraints), reasons, tuple(notes),
                       tuple(unfixable), pins, tuple(needs_move), tuple(deferred),
                       no_deps, remove)


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
    planned = {canonical_name(e["metadata"]["name"]) for e in entries}
    for name in request.remove:  # removed and not installed again
        have = active.get(canonical_name(name))
        if have is not None and have.key not in planned:
            actions.append(Action("remove", have.name, have.version, None,
                                  request.reasons.get(have.key, "requested")))
    order = {"remove": 0, "downgrade": 1, "upgrade": 2, "reinstall": 3, "install": 4}
    return sorted(actions, key=lambda a: (order.get(a.kind, 9), canonical_name(a.name)))


def predict_snapshot(snapshot: Snapshot, report: Dict[str, Any],
                     removed: Sequence[str] = ()) -> Snapshot:
    """The environment as it will be after pip uninstalls ``removed`` and carries out
    ``report``."""
    raw = copy.deepcopy(snapshot.raw)
    changed = {}
    for entry in _report_entries(report):
        meta = entry["metadata"]
        changed[canonical_name(meta["name"])] = meta
    gone = {canonical_name(n) for n in removed}
    dists = []
    for dist in raw.get("distributions", []):
        key = canonical_name(dist["name"])
        if (key in changed or key in gone) and not dist.get("shadowed_by"):
            continue  # replaced below, or uninstalled
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
