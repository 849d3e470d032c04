"""The interpreter and the installation itself: unparseable versions, duplicate installs,
Requires-Python, unreadable metadata, a missing pip, extensions built for another machine."""

import os
import shlex
from typing import List

from envdoctor.checks.context import CheckContext
from envdoctor.findings import Evidence, Finding, Fix, Severity, finding
from envdoctor.versions import parse_spec, parse_version, spec_contains

__all__ = ["check"]

# Names the probe sees in extension file names, per platform.machine() value.
_ARCH_ALIASES = {
    "x86_64": {"x86_64", "amd64"},
    "amd64": {"x86_64", "amd64", "win_amd64"},
    "aarch64": {"aarch64", "arm64"},
    "arm64": {"aarch64", "arm64"},
}


def _python_cmd(context: CheckContext, *args: str) -> str:
    return " ".join(shlex.quote(a) for a in (context.python, "-m", "pip") + args)


def check(context: CheckContext) -> List[Finding]:
    snap = context.snapshot
    findings = []  # type: List[Finding]
    active = snap.active

    for dist in active.values():
        if parse_version(dist.version) is None:
            findings.append(finding(
                code="ED104",
                title="%s has a version that is not PEP 440: %r" % (dist.name, dist.version),
                because="Modern pip and packaging reject this version string, so pip may fail "
                        "with 'Invalid version' when it installs something else, and envdoctor "
                        "cannot compare it with any range.",
                evidence=Evidence(installed=dist.version, needed="a PEP 440 version",
                                  source="declared: %s metadata" % dist.metadata_path),
                fix=Fix(command=_python_cmd(context, "uninstall", "-y", dist.name),
                        text="If pip fails with 'Invalid version', uninstall %s (on ModelArts "
                             "the maintainers' answer for moxing-framework)." % dist.name),
                packages=(dist.name,),
            ))

    for dist in snap.distributions:
        if dist.shadowed_by is None:
            continue
        winner = active.get(dist.key)
        if winner is None:
            continue
        same = winner.version == dist.version
        findings.append(finding(
            code="ED105", severity=None if not same else Severity.INFO,
            title="%s is installed twice: %s (used) and %s (hidden)"
                  % (dist.name, winner.version, dist.version),
            because="Python imports the copy in %s, which comes first on sys.path; the copy in "
                    "%s is never imported, but pip may upgrade or report it."
                    % (winner.location, dist.location),
            evidence=Evidence(installed="%s %s at %s" % (winner.name, winner.version,
                                                          winner.location),
                              details=(("hidden", "%s %s at %s" % (dist.name, dist.version,
                                                                    dist.location)),)),
            fix=Fix(text="Remove the copy you do not want; to drop the hidden one, delete %s "
                         "(or run pip uninstall with the interpreter that installed it)."
                         % (dist.metadata_path or dist.location)),
            packages=(dist.name,),
        ))

    for dist in active.values():
        if not dist.requires_python:
            continue
        spec = parse_spec(dist.requires_python)
        if spec is None:
            continue
        if spec_contains(spec, snap.python_version) is False:
            findings.append(finding(
                code="ED106",
                title="%s %s requires Python %s, but this is Python %s"
                      % (dist.name, dist.version, dist.requires_python, snap.python_version),
                because="The distribution declares Requires-Python %s; it was installed with "
                        "--ignore-requires-python or copied in, and may fail at import."
                        % dist.requires_python,
                evidence=Evidence(installed="Python %s" % snap.python_version,
                                  needed="Python %s" % dist.requires_python,
                                  source="declared: Requires-Python of %s %s"
                                         % (dist.name, dist.version)),
                fix=Fix(command=_python_cmd(context, "install", dist.name),
                        text="Reinstall a version of %s made for this Python." % dist.name),
                packages=(dist.name,),
            ))

    for problem in snap.metadata_problems:
        findings.append(finding(
            code="ED107",
            title="Unreadable metadata: %s" % os.path.basename(str(problem.get("path"))),
            because="Reading %s failed (%s); pip and importlib will stumble on it too."
                    % (problem.get("path"), problem.get("error")),
            evidence=Evidence(details=(("path", str(problem.get("path"))),)),
            fix=Fix(text="Remove that folder, then reinstall the package it belonged to."),
        ))

    if not snap.pip_version:
        findings.append(finding(
            code="ED108",
            title="pip is not installed in this environment",
            because="Nothing can be installed into this interpreter until pip is there.",
            evidence=Evidence(installed="no pip distribution on sys.path"),
            fix=Fix(command="%s -m ensurepip --upgrade" % shlex.quote(context.python)),
        ))

    machine = str(snap.platform.machine or "").lower()
    system = str(snap.platform.system or "").lower()
    for dist in active.values():
        if not dist.extension_archs:
            continue
        accepted = _ARCH_ALIASES.get(machine, {machine})
        wrong = [a for a in dist.extension_archs
                 if a not in accepted or (system != "linux" and a in ("x86_64", "aarch64"))]
        if wrong:
            findings.append(finding(
                code="ED109",
                title="%s %s is built for %s, but this machine is %s %s"
                      % (dist.name, dist.version, ", ".join(wrong), system, machine),
                because="Its compiled core (_c_expression) targets another platform: pip chose "
                        "a mis-tagged 'none-any' wheel because this Python has no wheel for this "
                        "platform. It will fail at import.",
                evidence=Evidence(installed=", ".join(dist.extension_archs),
                                  needed="%s-%s" % (system, machine),
                                  source="the RECORD of %s %s" % (dist.name, dist.version)),
                fix=Fix(text="Use a Python for which PyPI has a %s wheel for this platform "
                             "(Linux x86_64: 3.9-3.11 for 2.7.x)." % dist.name),
                packages=(dist.name,),
            ))
    return findings
