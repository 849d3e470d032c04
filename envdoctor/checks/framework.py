"""One framework per environment: two distributions that own the same top-level package.

MindSpore is published under several distribution names (``mindspore``, ``mindspore-dev``,
``mindspore-gpu``, ``mindspore-ascend``, ``mindspore-cuda11-dev``, ...), and every one of them
installs the same ``mindspore/`` folder. pip treats them as unrelated projects: a
``Requires-Dist: mindspore`` is not satisfied by ``mindspore-dev``, so ``pip install mindnlp``
after ``mindspore-dev`` lays ``mindspore`` over it. Both RECORDs then claim one folder whose
files come from two builds, ``pip check`` is clean, and ``import mindspore`` fails or runs a
mix. This check names both owners (ED110, ED111) and says when a requirement on ``mindspore``
is in fact provided under another name (ED112), beside the pip-parity ED101 / ED102.

Which top-level packages a distribution owns comes from the probe (``top_level.txt``, else the
RECORD's first path parts); the framework names are known to own ``mindspore`` even when the
probe could not say.
"""

import re
from typing import Dict, List, Optional, Sequence, Tuple

from envdoctor.checks.context import CheckContext
from envdoctor.findings import Evidence, Finding, Fix, Severity, finding, pip_install_command
from envdoctor.frameworks import (FRAMEWORK_PACKAGE, framework_distributions, install_command,
                                  install_steps, is_framework, reinstall_requirement)
from envdoctor.snapshot import Distribution, Snapshot, canonical_name
from envdoctor.versions import parse_spec, spec_contains

__all__ = ["check", "is_framework", "framework_distributions", "top_level_owners",
           "provided_by", "install_steps", "install_command", "FRAMEWORK_PACKAGE"]

_PACKAGE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# stray folders many wheels ship at the top (mindnlp 0.1.1 and 0.4.1 ship `tests`): their
# clashes overwrite files nobody imports, so they are not reported
_NOT_IMPORTED = frozenset(["tests", "test", "docs", "doc", "examples", "example", "benchmarks",
                           "scripts"])


def provided_by(snapshot: Snapshot, name: str) -> Optional[Distribution]:
    """The installed distribution that provides ``name``'s package: ``name`` itself, or for
    ``mindspore`` the MindSpore build installed under another name (mindspore-dev, -gpu,
    -ascend). For checks that ask "is MindSpore installed" (a recipe's `mindspore` entry)."""
    dist = snapshot.get(name)
    if dist is not None or canonical_name(name) != FRAMEWORK_PACKAGE:
        return dist
    aliases = framework_distributions(snapshot)
    return aliases[0] if aliases else None


def _top_level(snapshot: Snapshot, dist: Distribution) -> Tuple[str, ...]:
    """The importable top-level names ``dist`` installs, as the probe recorded them."""
    names = getattr(dist, "top_level", None)
    if names is None:  # a snapshot field older envdoctors did not parse: read the raw entry
        for entry in snapshot.raw.get("distributions") or ():
            if (isinstance(entry, dict) and canonical_name(str(entry.get("name", ""))) == dist.key
                    and entry.get("location") == dist.location):
                names = entry.get("top_level")
                break
    out = [str(n).strip().strip("/") for n in names or () if isinstance(n, str)]
    out = [n for n in out if _PACKAGE_NAME.match(n) and n.lower() not in _NOT_IMPORTED]
    if is_framework(dist.name) and FRAMEWORK_PACKAGE not in out:
        out.append(FRAMEWORK_PACKAGE)
    return tuple(dict.fromkeys(out))


def top_level_owners(snapshot: Snapshot) -> Dict[str, List[Distribution]]:
    """Top-level package -> the installed distributions (by distinct name) that own it in
    one folder, for the packages owned by more than one there. (The same package in two
    folders, a venv and the user site say, is one shadowing the other: not a mix of files.)"""
    owners = {}  # type: Dict[Tuple[str, str], List[Distribution]]
    for dist in snapshot.active.values():
        for package in _top_level(snapshot, dist):
            owners.setdefault((package, dist.location or ""), []).append(dist)
    return {p: sorted(ds, key=lambda d: d.key) for (p, _), ds in owners.items() if len(ds) > 1}


def _keep(dists: Sequence[Distribution]) -> Distribution:
    """The distribution the student most likely chose by name: plain ``mindspore`` usually
    arrives as a dependency (mindnlp requires it), a ``-dev`` / ``-gpu`` / ``-ascend`` build
    is only ever installed on purpose."""
    others = [d for d in dists if d.key != FRAMEWORK_PACKAGE]
    return others[0] if others else dists[0]


def _pin(dist: Distribution) -> str:
    return "%s==%s" % (dist.name, dist.version)


def _reinstall(context: CheckContext, dists: Sequence[Distribution], keep: Distribution) -> Fix:
    uninstall = pip_install_command([d.name for d in dists], context.python, ["-y"],
                                    verb="uninstall")
    # --no-deps: its requirements are installed already, and a resolver run could pull the
    # other framework name back in through a dependent's Requires-Dist
    source = reinstall_requirement(keep)
    install = pip_install_command([source], context.python, ["--no-deps"])
    alternatives = ", ".join(_pin(d) for d in dists if d is not keep)
    return Fix(command="%s && %s" % (uninstall, install),
               text="Uninstall every one of them (each uninstall removes the files its RECORD "
                    "lists, so the shared folder is emptied), then reinstall the one you want: "
                    "here %s, which was installed on purpose (%s usually arrives as a "
                    "dependency)%s. To keep %s instead, reinstall that one. Install MindNLP and "
                    "other dependents with --no-deps afterwards, or pip lays `mindspore` over "
                    "it again." % (_pin(keep), FRAMEWORK_PACKAGE,
                                   "" if source == _pin(keep) else
                                   ", from the address it was installed from",
                                   alternatives),
               requirements=(_pin(keep),))


def _overlaps(context: CheckContext) -> List[Finding]:
    findings = []  # type: List[Finding]
    for package, dists in sorted(top_level_owners(context.snapshot).items()):
        names = " and ".join("%s %s" % (d.name, d.version) for d in dists)
        locations = "; ".join("%s: %s" % (d.name, d.location or "?") for d in dists)
        details = (("package", package + "/"), ("owners", locations))
        if package == FRAMEWORK_PACKAGE and all(is_framework(d.name) for d in dists):
            keep = _keep(dists)
            findings.append(Finding(
                code="ED110", severity=Severity.ERROR,
                title="Two MindSpore distributions share one mindspore/ folder: %s" % names,
                because="%s all install the package `mindspore`. pip treats them as unrelated "
                        "projects, so installing one over another (typically `pip install "
                        "mindnlp`, whose requirement on `mindspore` is not met by %s) writes a "
                        "second build into the same folder: `import mindspore` now mixes the "
                        "files of both, and fails or runs a build neither release is. `pip "
                        "check` does not see it." % (names, keep.name),
                evidence=Evidence(installed=names, needed="exactly one MindSpore distribution",
                                  source="installed: top-level packages of each distribution "
                                         "(top_level.txt / RECORD)",
                                  details=details),
                fix=_reinstall(context, dists, keep),
                packages=tuple(d.name for d in dists),
            ))
        else:
            findings.append(Finding(
                code="ED111", severity=Severity.WARNING,
                title="%s both install the top-level package %s" % (names, package),
                because="Each of them writes `%s/`; whichever was installed last overwrote the "
                        "other's files, so `import %s` mixes two projects, and uninstalling "
                        "either removes files the other needs." % (package, package),
                evidence=Evidence(installed=names, needed="one owner per top-level package",
                                  source="installed: top-level packages of each distribution "
                                         "(top_level.txt / RECORD)",
                                  details=details),
                fix=Fix(text="Uninstall both, then reinstall the one you need; if both are "
                             "needed, report the clash to one of the projects."),
                packages=tuple(d.name for d in dists),
            ))
    return findings


def _provided_elsewhere(context: CheckContext) -> List[Finding]:
    """A requirement on ``mindspore`` that pip calls missing or wrong, while a MindSpore
    build is installed under another name: say so (pip-parity ED101 / ED102 stay as they are)."""
    snap = context.snapshot
    plain = snap.get(FRAMEWORK_PACKAGE)
    aliases = [d for d in framework_distributions(snap) if d.key != FRAMEWORK_PACKAGE]
    if not aliases:
        return []
    from packaging.requirements import InvalidRequirement, Requirement

    findings = []  # type: List[Finding]
    for dependent in sorted(snap.active.values(), key=lambda d: d.key):
        for line in dependent.requires_dist:
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if canonical_name(req.name) != FRAMEWORK_PACKAGE:
                continue
            if req.marker is not None and not _marker_true(req, snap):
                continue
            spec = parse_spec(str(req.specifier)) if str(req.specifier) else None
            if plain is not None and (spec is None or spec_contains(spec, plain.version)):
                continue  # pip is satisfied; ED110 speaks of the mix if there is one
            for alias in aliases:
                fits = spec is None or bool(spec_contains(spec, alias.version))
                needed = "%s%s" % (FRAMEWORK_PACKAGE, req.specifier)
                findings.append(finding(
                    code="ED112",
                    title="%s's requirement %s is provided by %s %s under another name"
                          % (dependent.name, needed, alias.name, alias.version),
                    because="%s %s installs the package `mindspore`, but pip (and `pip check`) "
                            "count only a distribution named `mindspore` for %s. %s. Never let "
                            "pip install `mindspore` to satisfy it: that writes a second build "
                            "into the same folder (ED110); install %s with --no-deps instead."
                            % (alias.name, alias.version, needed,
                               "Its version fits the range" if fits else
                               "Its version %s is outside %s too" % (alias.version, needed),
                               dependent.name),
                    evidence=Evidence(installed="%s %s" % (alias.name, alias.version),
                                      needed=needed,
                                      source="declared: Requires-Dist of %s %s"
                                             % (dependent.name, dependent.version),
                                      details=(("fits", "yes" if fits else "no"),)),
                    packages=(dependent.name, alias.name),
                ))
    return findings


def _marker_true(req, snap: Snapshot) -> bool:
    env = dict(snap.marker_environment)
    env.setdefault("extra", "")
    try:
        return bool(req.marker.evaluate(env))
    except Exception:  # an incomplete marker environment: count the requirement
        return True


def check(context: CheckContext) -> List[Finding]:
    return _overlaps(context) + _provided_elsewhere(context)
