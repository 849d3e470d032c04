"""A lab's own requirements files (``check --requirements FILE``): each line against what is
installed, with its markers evaluated for the target interpreter."""

from typing import List, Tuple

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from envdoctor.checks.context import CheckContext
from envdoctor.errors import EnvdoctorError
from envdoctor.findings import Evidence, Finding, Fix, finding, pip_install_command
from envdoctor.versions import format_spec, spec_contains

__all__ = ["check", "load_requirement_files", "RequirementLine"]

RequirementLine = Tuple[str, str, str, str]  # (file, name, specifier, marker)


def load_requirement_files(paths: List[str]) -> Tuple[RequirementLine, ...]:
    """Parse requirements files with pip's own rules (pip-api): -r includes, -c, options."""
    import pip_api

    out = []
    for path in paths:
        try:
            parsed = pip_api.parse_requirements(path)
        except Exception as exc:  # pip-api raises its own error types for bad files
            raise EnvdoctorError("cannot read requirements file %s: %s" % (path, exc))
        for name, req in parsed.items():
            marker = getattr(req, "marker", None)
            out.append((path, str(getattr(req, "name", name)),
                        str(getattr(req, "specifier", "") or ""), str(marker) if marker else ""))
    return tuple(out)


def check(context: CheckContext) -> List[Finding]:
    snap = context.snapshot
    env = dict(snap.marker_environment, extra="")
    findings = []
    for path, name, spec_text, marker in context.requirement_lines:
        if marker and not Marker(marker).evaluate(env):
            continue
        spec = SpecifierSet(spec_text)
        need = name + format_spec(spec)
        source = "requirements file %s" % path
        fix = Fix(command=pip_install_command([need], context.python), requirements=(need,))
        dist = snap.get(name)
        if dist is None:
            findings.append(finding(
                code="ED301",
                title="%s is not installed (%s needs %s)" % (name, path, need),
                because="%s lists it; the lab's code expects it." % path,
                evidence=Evidence(installed="not installed", needed=need, source=source),
                fix=fix, packages=(name,)))
        elif spec_text and spec_contains(spec, dist.version) is False:
            findings.append(finding(
                code="ED302",
                title="%s: %s needs %s, you have %s %s" % (name, path, need, dist.name,
                                                         dist.version),
                because="%s pins this range; the installed version is outside it." % path,
                evidence=Evidence(installed="%s %s" % (dist.name, dist.version), needed=need,
                                  source=source),
                fix=fix, packages=(name,)))
    return findings
