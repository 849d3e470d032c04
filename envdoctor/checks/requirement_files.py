"""A lab's own requirements files (``check --requirements FILE``): each line against what is
installed, with its markers evaluated for the target interpreter."""

from typing import List, Optional, Tuple

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet

from envdoctor.checks.context import CheckContext
from envdoctor.errors import EnvdoctorError
from envdoctor.findings import Evidence, Finding, Fix, finding, pip_install_command
from envdoctor.safety import valid_distribution_name
from envdoctor.versions import format_spec, spec_contains

__all__ = ["check", "load_requirement_files", "RequirementLine"]

RequirementLine = Tuple[str, str, str, str]  # (file, name, specifier, marker)


def load_requirement_files(paths: List[str]) -> Tuple[RequirementLine, ...]:
    """Parse requirements files with pip's own rules (pip-api): -r includes, -c, options.
    A line that is not a requirement is an error naming its file and line."""
    import pip_api

    out = []
    for path in paths:
        try:
            parsed = pip_api.parse_requirements(path)
        except Exception as exc:  # pip-api raises its own error types for bad files
            # (its message may carry a formatted traceback: the user needs the first lines)
            why = str(exc).split("\nTraceback", 1)[0].strip().replace("\n", " ")
            raise EnvdoctorError("cannot read requirements file %s: %s" % (
                _where(path, None), why)) from exc
        for name, req in parsed.items():
            marker = getattr(req, "marker", None)
            line = (path, str(getattr(req, "name", name)),
                    str(getattr(req, "specifier", "") or ""), str(marker) if marker else "")
            if not _valid(line[1], line[2]):
                # old pip-api releases vendor a packaging that takes any text as a "legacy"
                # version range: such a line would reach the printed pip commands
                raise EnvdoctorError("cannot read requirements file %s: '%s' is not a "
                                     "requirement" % (_where(path, line[1]),
                                                      line[1] + line[2]))
            out.append(line)
    return tuple(out)


def _valid(name: str, spec_text: str) -> bool:
    try:
        spec = SpecifierSet(spec_text)
    except InvalidSpecifier:
        return False
    # packaging < 22 lets anything through as a LegacySpecifier
    return valid_distribution_name(name) and all(type(s) is Specifier for s in spec)


def _where(path: str, name: Optional[str]) -> str:
    """``path, line N`` of the first line that is not a requirement (or names ``name`` with
    a range that is not one); ``path`` alone when none is found (an included file, say)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return path
    for number, raw in enumerate(lines, 1):
        text = raw.split(" #", 1)[0].strip()
        if not text or text.startswith(("#", "-", ".", "/")) or "://" in text \
                or text.endswith("\\"):
            continue
        text = text.split(" --", 1)[0].strip()
        try:
            req = Requirement(text)
        except InvalidRequirement:
            return "%s, line %d" % (path, number)
        if req.name == name and not _valid(req.name, str(req.specifier)):
            return "%s, line %d" % (path, number)
    return path


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
