"""Checks: pure functions from (snapshot, matrix, recipe) to findings.

Each check module exposes ``check(context) -> list[Finding]``. :func:`run_checks` runs them
in order and turns a check that raises into a finding, so one bad check never hides the rest.
"""

import traceback
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

from envdoctor.findings import Evidence, Finding, Severity
from envdoctor.matrix import Matrix
from envdoctor.recipes import Recipe
from envdoctor.snapshot import Snapshot

__all__ = ["CheckContext", "run_checks", "CHECKS"]


@dataclass(frozen=True)
class CheckContext:
    snapshot: Snapshot
    matrix: Optional[Matrix] = None
    recipe: Optional[Recipe] = None
    recipe_requested: bool = False  # named with --recipe, rather than chosen by default
    # (file, name, specifier, marker) from --requirements files
    requirement_lines: Tuple[Tuple[str, str, str, str], ...] = ()

    @property
    def python(self) -> str:
        """The target interpreter, for exact fix commands."""
        return str(self.snapshot.interpreter.get("executable") or "python")


CheckFn = Callable[[CheckContext], List[Finding]]


def _all_checks() -> List[CheckFn]:
    from envdoctor.checks import environment, matrix_rules, recipe, requirement_files, requirements
    from envdoctor.checks import devices  # ED5xx
    from envdoctor.checks import framework, ascend  # ED110-ED119, ED531-ED549

    return [requirements.check, environment.check, matrix_rules.check, recipe.check,
            requirement_files.check, devices.check, framework.check, ascend.check]


CHECKS = _all_checks


def run_checks(context: CheckContext, checks: Optional[List[CheckFn]] = None) -> List[Finding]:
    findings = []  # type: List[Finding]
    for fn in checks if checks is not None else _all_checks():
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
    from envdoctor.snapshot import canonical_name

    names = []
    for req in finding.fix.requirements if finding.fix else ():
        head = req.split("@", 1)[0] if " @ " in req else req
        for sep in "<>=!~[; ":
            head = head.split(sep, 1)[0]
        names.append(canonical_name(head))
    return names


def fold_duplicates(findings: List[Finding]) -> List[Finding]:
    """Drop a recipe range finding when a matrix finding already fixes the same package:
    the matrix one says more (the error it causes, and its source)."""
    from envdoctor.snapshot import canonical_name

    fixed_by_matrix = set()
    for f in findings:
        if f.area == "compatibility" and f.severity is not Severity.INFO:
            fixed_by_matrix.update(_requirement_names(f))
    return [f for f in findings
            if not (f.code == "ED302" and f.packages
                    and canonical_name(f.packages[0]) in fixed_by_matrix)]
