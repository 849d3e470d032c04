"""The compatibility matrix: rules of compat_matrix.yaml that the installed set matches."""

from typing import List

from envdoctor.checks.context import CheckContext
from envdoctor.findings import CODES, Evidence, Finding, Fix, finding
from envdoctor.frameworks import install_command

__all__ = ["check"]


def check(context: CheckContext) -> List[Finding]:
    if context.matrix is None:
        return []
    snap = context.snapshot
    findings = []
    for rule in context.matrix.matching(snap):
        installed = []
        for pkg in rule.packages:
            dist = snap.get(pkg.name)
            installed.append("%s %s" % (pkg.name, dist.version) if dist else
                             "%s not installed" % pkg.name)
        if rule.python is not None:
            installed.append("Python %s" % snap.python_version)
        fix = None
        if rule.fix_requirements or rule.fix_text:
            fix = Fix(
                command=install_command(rule.fix_requirements, context.python, snap)
                if rule.fix_requirements else None,
                text=rule.fix_text,
                requirements=rule.fix_requirements,
            )
        details = [("rule", "%s (%s line %s)" % (rule.id, context.matrix.path.rsplit("/", 1)[-1],
                                                 rule.line))]
        details.append(("when", ", ".join(
            [p.describe() for p in rule.packages]
            + (["Python %s" % rule.python] if rule.python is not None else []))))
        if rule.error:
            details.append(("error", rule.error))
        findings.append(finding(
            code=rule.code, title=rule.title, because=rule.because,
            # a rule may carry its own code; the verdict's level stands in when undocumented
            severity=None if rule.code in CODES else rule.severity,
            evidence=Evidence(
                installed=", ".join(installed),
                needed=", ".join(rule.fix_requirements) or None,
                source=rule.source.describe(),
                details=tuple(details),
            ),
            fix=fix,
            packages=tuple(p.name for p in rule.packages),
        ))
    return findings
