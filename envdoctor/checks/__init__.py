"""Checks: pure functions from a :class:`CheckContext` (snapshot, matrix, recipe) to findings.

Each check module exposes ``check(context) -> list[Finding]``. :func:`run_checks` runs them
in order and turns a check that raises into a finding, so one bad check never hides the rest.
A new check is a module here with ``check(context)``, added to :data:`CHECKS`.
"""

from __future__ import annotations

import traceback
from dataclasses import replace
from typing import Callable, List, Optional, Sequence, Set, Tuple

from packaging.utils import canonicalize_name

# CheckContext first: a check module that still imports it from this package (rather than
# from checks.context) then finds it while the package is being initialised.
from envdoctor.checks.context import CheckContext
from envdoctor.checks import (ascend, devices, environment, framework, lab, matrix_rules,
                              recipe, requirement_files, requirements)
from envdoctor import safety
from envdoctor.findings import Evidence, Finding, Severity

__all__ = ["CheckContext", "CheckFn", "run_checks", "fold_duplicates", "CHECKS"]

CheckFn = Callable[[CheckContext], List[Finding]]

# In the order they run: ED1xx-ED3xx, devices ED5xx, framework ED110-ED119, Ascend fit
# ED531-ED549, the lab ED8xx, safety ED950.
CHECKS: Sequence[CheckFn] = (
    requirements.check, environment.check, matrix_rules.check, recipe.check,
    requirement_files.check, devices.check, framework.check, ascend.check, lab.check,
    safety.check)


def run_checks(context: CheckContext, checks: Optional[Sequence[CheckFn]] = None
               ) -> List[Finding]:
    findings: List[Finding] = []
    for fn in checks if checks is not None else CHECKS:
        try:
            findings.extend(fn(context))
        except Exception as exc:  # a bug of ours must not hide the other checks' findings
            findings.append(Finding(
                code="ED900", severity=Severity.WARNING,
                title="An envdoctor check failed: %s" % fn.__module__.rsplit(".", 1)[-1],
                because="envdoctor hit an internal error (%s: %s); the other checks ran. Please "
                        "report it with the snapshot (envdoctor snapshot -o env.json)."
                        % (type(exc).__name__, exc),
                evidence=Evidence(details=(("traceback", traceback.format_exc(limit=4)),)),
            ))
    findings = fold_duplicates(findings)
    return sorted(findings, key=lambda f: (f.severity.rank, f.code, f.packages))


def _requirement_names(finding: Finding) -> List[str]:
    names: List[str] = []
    for req in finding.fix.requirements if finding.fix else ():
        head = req.split("@", 1)[0] if " @ " in req else req
        for sep in "<>=!~[; ":
            head = head.split(sep, 1)[0]
        names.append(canonicalize_name(head))
    return names


def _provided_under_another_name(finding: Finding) -> bool:
    return finding.code == "ED112" and dict(finding.evidence.details).get("fits") == "yes"


def fold_duplicates(findings: List[Finding]) -> List[Finding]:
    """Drop what another finding says better: a recipe range finding when a matrix finding
    fixes the same package (the matrix one names the error it causes, and its source); pip
    check's "requires mindspore" (ED101/ED102) when a MindSpore build installed under another
    name fits it (ED112 says so, and that installing `mindspore` would break it)."""
    fixed_by_matrix = set()
    provided = set()
    for f in findings:
        if f.area == "compatibility" and f.severity is not Severity.INFO:
            fixed_by_matrix.update(_requirement_names(f))
        if _provided_under_another_name(f) and f.packages:
            provided.add(canonicalize_name(f.packages[0]))
    kept = [f for f in findings
            if not (f.code == "ED302" and f.packages
                    and canonicalize_name(f.packages[0]) in fixed_by_matrix)
            and not (f.code in ("ED101", "ED102") and len(f.packages) == 2
                     and canonicalize_name(f.packages[1]) == "mindspore"
                     and canonicalize_name(f.packages[0]) in provided)]
    # verified works rules (a handful), each with its package names, looked at once
    works = [(f, {str(canonicalize_name(p)) for p in f.packages}) for f in findings
             if f.area == "compatibility" and f.severity is Severity.INFO
             and (f.evidence.source or "").startswith("verified")]
    return [_verified_despite(f, works) if works else f for f in kept]


def _verified_despite(finding: Finding, works: Sequence[Tuple[Finding, Set[str]]]) -> Finding:
    """pip check's ED101 (a declared range not met) stays reported, as a warning, when a
    verified matrix rule says this very pairing runs (mindnlp 0.5.1 declares
    mindspore<=2.7.0 and runs on 2.7.2): the metadata is stricter than what works."""
    if finding.code != "ED101" or finding.severity is not Severity.ERROR \
            or len(finding.packages) != 2:
        return finding
    pair = {canonicalize_name(p) for p in finding.packages}
    for other, names in works:
        if pair <= names:
            return replace(finding, severity=Severity.WARNING, because=finding.because + (
                " envdoctor ran this pairing and it works (%s), so the declared range is "
                "stricter than what works; pip check still reports it." % other.title))
    return finding
