"""Declared requirements: each distribution's Requires-Dist against what is installed.

This mirrors ``pip check`` on the *target* interpreter: markers are evaluated with the
target's marker environment (not envdoctor's), requirements behind an ``extra`` are skipped,
a conflict is ``not spec.contains(version, prereleases=True)``, and only the first
distribution of each name on sys.path counts.
"""

import re
from collections import OrderedDict
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

from envdoctor.checks.context import CheckContext
from envdoctor.findings import Evidence, Finding, Fix, finding, pip_install_command
from envdoctor.snapshot import Distribution, Snapshot, canonical_name
from envdoctor.versions import format_spec, parse_version

__all__ = ["check", "unmet_requirements", "active_requirements", "Unmet"]

Unmet = Tuple[Distribution, Requirement, Optional[Distribution]]  # (dependent, req, installed)


def _applies(req: Requirement, env: Dict[str, str]) -> bool:
    if req.marker is None:
        return True
    try:
        return bool(req.marker.evaluate(dict(env, extra="")))
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return False


@lru_cache(maxsize=None)
def _parse(line: str) -> Tuple[Optional[Requirement], Optional[str]]:
    # Parsing dominates a check's time (thousands of Requires-Dist lines in a lab stack),
    # and the same lines recur: parse each distinct line once per process.
    try:
        return Requirement(line), None
    except InvalidRequirement as exc:
        return None, "%s: %s" % (line, exc)


# `name...; extra == "x"` (and only that) never applies without extras: most of a large
# distribution's Requires-Dist lines, skipped without parsing them.
_ONLY_EXTRA = re.compile(r"""^[^;]*;\s*\(?\s*extra\s*==\s*(['"])[^'"]*\1\s*\)?\s*$""")


def active_requirements(dist: Distribution, env: Dict[str, str]):
    """(requirement, None) for each requirement that applies; (None, error) if unparseable."""
    for line in dist.requires_dist:
        if _ONLY_EXTRA.match(line):
            continue
        req, error = _parse(line)
        if req is None:
            yield None, error
        elif _applies(req, env):
            yield req, None


def unmet_requirements(snapshot: Snapshot) -> Tuple[List[Unmet], List[Tuple[Distribution, str]]]:
    """Missing and conflicting requirements, and requirements that could not be evaluated."""
    active = snapshot.active
    env = snapshot.marker_environment
    unmet = []  # type: List[Unmet]
    unknown = []  # type: List[Tuple[Distribution, str]]
    for dist in active.values():
        for req, error in active_requirements(dist, env):
            if req is None:
                unknown.append((dist, "unparseable requirement %s" % error))
                continue
            installed = active.get(canonical_name(req.name))
            if installed is None:
                unmet.append((dist, req, None))
                continue
            version = parse_version(installed.version)
            if version is None:
                if str(req.specifier):
                    unknown.append((dist, "%s needs %s%s but its version %r is not PEP 440"
                                    % (dist.name, req.name, req.specifier, installed.version)))
                continue
            if not req.specifier.contains(version, prereleases=True):
                unmet.append((dist, req, installed))
    return unmet, unknown


def _combined_spec(reqs: List[Requirement]) -> SpecifierSet:
    spec = SpecifierSet()
    for req in reqs:
        spec &= req.specifier
    return spec


def check(context: CheckContext) -> List[Finding]:
    unmet, unknown = unmet_requirements(context.snapshot)
    # Every requirer of a package constrains the fix, so one command satisfies them all.
    by_target = OrderedDict()  # type: Dict[str, List[Requirement]]
    all_reqs = {}  # type: Dict[str, List[Requirement]]
    env = context.snapshot.marker_environment
    for dist in context.snapshot.active.values():
        for req, _ in active_requirements(dist, env):
            if req is not None:
                all_reqs.setdefault(canonical_name(req.name), []).append(req)
    for _, req, _ in unmet:
        by_target.setdefault(canonical_name(req.name), []).append(req)

    findings = []
    for dependent, req, installed in unmet:
        target = canonical_name(req.name)
        spec = _combined_spec(all_reqs.get(target, [req]))
        pin = req.name + format_spec(spec)
        fix = Fix(command=pip_install_command([pin], context.python), requirements=(pin,))
        needed = req.name + (format_spec(req.specifier) if str(req.specifier) else "")
        source = "declared: Requires-Dist of %s %s" % (dependent.name, dependent.version)
        if installed is None:
            findings.append(finding(
                code="ED102",
                title="%s %s requires %s, which is not installed"
                      % (dependent.name, dependent.version, needed),
                because="%s declares it needs %s, and no %s is installed, so importing %s will "
                        "likely fail." % (dependent.name, needed, req.name, dependent.name),
                evidence=Evidence(installed="not installed", needed=needed, source=source),
                fix=fix, packages=(dependent.name, req.name),
            ))
        else:
            findings.append(finding(
                code="ED101",
                title="%s %s requires %s, but you have %s %s"
                      % (dependent.name, dependent.version, needed, installed.name,
                         installed.version),
                because="%s %s declares it works only with %s, and %s %s is outside that range."
                        % (dependent.name, dependent.version, needed, installed.name,
                           installed.version),
                evidence=Evidence(installed="%s %s" % (installed.name, installed.version),
                                  needed=needed, source=source),
                fix=fix, packages=(dependent.name, installed.name),
            ))
    for dist, message in unknown:
        findings.append(finding(
            code="ED103",
            title="Cannot evaluate a requirement of %s %s" % (dist.name, dist.version),
            because=message + ".",
            evidence=Evidence(source="declared: Requires-Dist of %s %s" % (dist.name, dist.version)),
            packages=(dist.name,),
        ))
    return findings
