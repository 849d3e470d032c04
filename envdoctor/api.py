"""envdoctor's pipeline on one screen: the library the CLI, the notebook cell and the class
report call.

::

    target (python path | None | Snapshot | snapshot.json)
      -> Snapshot                     probe.start_probe in the target, or a saved file
      -> CheckContext                 + matrix, recipe, -r lines, lab, device analysis (once)
      -> [Finding]                    checks.run_checks (+ deep imports, + smoke train)
      -> Report                       diagnose()
      -> FixPlan                      plan_fix(): fix.make_plan, confirmed by pip --dry-run
      -> ApplyResult                  apply_fix(): fix.apply_plan, a transaction that rolls back

    explain(text) -> [Explanation]    pasted error text -> causes (envdoctor.explain)

Nothing here parses arguments or prints: what a long step is doing goes to a
:class:`Progress` passed in (pip-audit's ``AuditState``); everything else is in the returned
data, which :mod:`envdoctor.render` lays out. Errors are :class:`~envdoctor.errors.
EnvdoctorError`\\ s (exit 2 in the CLI).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import (TYPE_CHECKING, Any, Dict, FrozenSet, Iterable, List, Optional, Sequence,
                    Tuple, Union)

from envdoctor.errors import UsageError
from envdoctor.probe import DEFAULT_TIMEOUT, start_probe
from envdoctor.progress import Progress
from envdoctor.snapshot import Snapshot, load_snapshot

# The rest of the pipeline is imported where it is used, after the probe has started: on
# 2 cores, envdoctor's own imports then overlap with the target reading its metadata (half of
# `envdoctor check`'s time; see bench/check_vs_pip_check.py).
if TYPE_CHECKING:
    from envdoctor.findings import Finding
    from envdoctor.fix import ApplyResult, Plan
    from envdoctor.fix.transaction import Transaction
    from envdoctor.matrix import Matrix
    from envdoctor.pip_runner import PipOptions
    from envdoctor.recipes import Recipe
    from envdoctor.report import Report
    from envdoctor.smoke.result import SmokeResult

__all__ = ["Progress", "FixPlan", "Target", "diagnose", "ignore_codes", "take_snapshot",
           "take_target", "choose_recipe",
           "deep_check", "smoke_train", "plan_fix", "apply_fix", "explain",
           "DEEP_TIMEOUT", "VERIFY_DEEP_TIMEOUT"]

DEEP_TIMEOUT = 180.0  # seconds each deep import may take
VERIFY_DEEP_TIMEOUT = 300.0  # the same, after a fix (a fresh import compiles more)

# What diagnose() examines: an interpreter (its path, its venv folder, or None for this one),
# a Snapshot already loaded, or the path of a saved snapshot / check JSON (*.json).
Target = Union[None, str, Snapshot]


_QUIET = Progress()


# -- diagnose ---------------------------------------------------------------------------------

def take_snapshot(python: Optional[str] = None, *, timeout: float = DEFAULT_TIMEOUT
                  ) -> Snapshot:
    """Probe ``python`` (default: this interpreter) in a child process."""
    return start_probe(python, timeout=timeout).snapshot()


def take_target(target: Target = None, *, timeout: float = DEFAULT_TIMEOUT) -> Snapshot:
    """The snapshot of a :data:`Target`: probed, loaded from its file, or as given."""
    if isinstance(target, Snapshot):
        return target
    if isinstance(target, str) and _is_snapshot_file(target):
        return load_snapshot(target)
    return take_snapshot(target, timeout=timeout)


def _is_snapshot_file(target: str) -> bool:
    return target.lower().endswith(".json") and os.path.isfile(target)


def _load(target: Target, matrix_file: Optional[str], timeout: float
          ) -> Tuple[Snapshot, str, Matrix]:
    """The snapshot, where it came from (``probe`` | ``file``) and the matrix. A probe runs
    in the target while envdoctor imports its checks and loads its matrix and recipes."""
    if isinstance(target, Snapshot):
        return target, "file", _matrix(matrix_file)
    if isinstance(target, str) and _is_snapshot_file(target):
        return load_snapshot(target), "file", _matrix(matrix_file)
    pending = start_probe(target, timeout=timeout)
    try:
        import envdoctor.checks  # noqa: F401 - the checks' own imports, while the probe runs
        from envdoctor.recipes import load_recipes

        matrix: Optional[Matrix] = _matrix(matrix_file)
        load_recipes()
    except Exception:  # noqa: BLE001 - said properly below, after the probe's own errors
        matrix = None
    snapshot = pending.snapshot()
    return snapshot, "probe", matrix or _matrix(matrix_file)


def _matrix(matrix_file: Optional[str]) -> Matrix:
    from envdoctor.matrix import load_matrix
    from envdoctor.resources import matrix_path

    return load_matrix(matrix_file or matrix_path())


def choose_recipe(recipe: Union[None, str, Recipe], snapshot: Snapshot
                  ) -> Optional[Recipe]:
    """The recipe to hold ``snapshot`` to: the one named (a name or a .yaml path), none for
    ``"none"``, else the newest lab that supports the snapshot's Python."""
    from envdoctor.recipes import Recipe, default_recipe, find_recipe, load_recipes

    if isinstance(recipe, Recipe):
        return recipe
    if recipe and recipe.lower() == "none":
        return None
    recipes = load_recipes()
    if recipe:
        found = find_recipe(recipe, recipes)
        if found is None:
            raise UsageError("no recipe named %r; known: %s"
                             % (recipe, ", ".join(r.name for r in recipes)))
        return found
    return default_recipe(snapshot, recipes)


def deep_check(snapshot: Snapshot, recipe: Optional[Recipe],
               matrix: Optional[Matrix] = None, *, python: Optional[str] = None,
               timeout: float = DEEP_TIMEOUT) -> List[Finding]:
    """Findings from importing the recipe's modules and symbols in the target, each in its own
    child process (``check --deep``)."""
    from envdoctor.deep import deep_findings, plan_imports, run_deep

    python = python or snapshot.executable
    symbols = list(recipe.symbols) if recipe else []
    packages = [p.name for p in recipe.packages] if recipe else []
    groups = plan_imports(snapshot, symbols, packages)
    rules = (matrix or _matrix(None)).matching(snapshot)
    return deep_findings(run_deep(python, groups, timeout=timeout), python, rules, snapshot)


def smoke_train(python: Optional[str] = None, *, device: Optional[str] = None,
          level: str = "mindspore", timeout: Optional[float] = None,
          progress: Optional[Progress] = None) -> SmokeResult:
    """Train the toy GPT in ``python``, stage by stage (``envdoctor smoke``)."""
    from envdoctor.smoke.runner import DEFAULT_TIMEOUT as SMOKE_TIMEOUT
    from envdoctor.smoke.runner import run_smoke

    progress = progress or _QUIET
    return run_smoke(python, device, level, timeout or SMOKE_TIMEOUT,
                     on_event=progress.smoke_event)


def _smoke_findings(python: str, progress: Progress) -> List[Finding]:
    from envdoctor.smoke.findings import smoke_findings

    class StageLines(Progress):  # a finished stage as one progress line
        def smoke_event(self, kind: str, event: Dict[str, Any]) -> None:
            if kind == "end":
                progress.update("smoke %-10s %s" % (event.get("stage"), event.get("status")))

    return smoke_findings(smoke_train(python, progress=StageLines()))


def _read_lab(lab: object) -> object:
    """A lab given by its path, read (statically: nothing in it runs)."""
    if isinstance(lab, str):
        from envdoctor.lab import read_lab

        return read_lab(lab)
    return lab


def diagnose(target: Target = None, *, lab: object = None,
             recipe: Union[None, str, Recipe] = None, deep: bool = False, smoke: bool = False,
             requirement_files: Sequence[str] = (), matrix_file: Optional[str] = None,
             strict: bool = False, timeout: float = DEFAULT_TIMEOUT,
             deep_timeout: float = DEEP_TIMEOUT, progress: Optional[Progress] = None,
             ignore: Iterable[str] = ()) -> Report:
    """Check an environment: ``envdoctor check``.

    ``target``: see :data:`Target`. ``recipe``: a lab's name, a recipe file, ``"none"``, or
    None for the newest lab that supports the target's Python. ``deep``: also import the
    lab's modules in the target; ``smoke``: also train the toy GPT there (both need a live
    interpreter, not a saved snapshot). ``requirement_files``: a lab's requirements files,
    judged line by line. ``lab``: the lab itself (a notebook, script, requirements file or
    folder, or a :class:`envdoctor.lab.Lab` already read): its imports, install lines and device
    are checked, ``deep`` imports its own import statements in order, and no bundled recipe is
    chosen unless ``recipe`` names one. ``ignore``: finding codes left out of the verdict (a course that
    accepts them); they stay in :attr:`Report.ignored`."""
    started = time.time()
    progress = progress or _QUIET
    ignored_codes = ignore_codes(ignore)  # a typo is a usage error before any work
    lab = _read_lab(lab)
    if lab is not None and recipe is None:
        recipe = "none"  # the lab's own files say what it needs, not a bundled recipe
    snapshot, source, matrix = _load(target, matrix_file, timeout)
    from envdoctor.checks import CheckContext, run_checks
    from envdoctor.checks.requirement_files import load_requirement_files
    from envdoctor.report import Report, analyze_devices

    chosen = choose_recipe(recipe, snapshot)
    if source == "file" and (deep or smoke):
        raise UsageError("--%s %s in the target interpreter; it cannot run on a saved "
                         "snapshot (--from)" % (("deep", "imports modules") if deep
                                                else ("smoke", "trains")))
    lines = load_requirement_files(list(requirement_files)) if requirement_files else ()
    extra: List[Finding] = []
    if deep and lab is not None:
        from envdoctor.lab import deep_findings as lab_deep_findings

        progress.update("importing the lab's own import statements in %s ..."
                        % snapshot.executable)
        extra += lab_deep_findings(snapshot.executable, lab, deep_timeout)
    elif deep:
        progress.update("importing the lab's modules in %s ..." % snapshot.executable)
        extra += deep_check(snapshot, chosen, matrix, timeout=deep_timeout)
    if smoke:
        extra += _smoke_findings(snapshot.executable, progress)
    devices, device_error = analyze_devices(snapshot)  # once: checks and renderers read it
    context = CheckContext(snapshot, matrix, chosen, requirement_lines=lines, lab=lab,
                           device_analysis=devices)
    findings = run_checks(context) + extra
    if isinstance(recipe, str) and recipe.lower() == "none":
        # "no recipe applies" says nothing when none was asked for
        findings = [f for f in findings if f.code != "ED305"]
    ignored = tuple(f for f in findings if f.code in ignored_codes)
    return Report(snapshot, tuple(f for f in findings if f.code not in ignored_codes), chosen,
                  strict=strict, source=source, seconds=time.time() - started,
                  devices=devices, device_error=device_error, context=context,
                  ignored=ignored, ignore=ignored_codes)


def ignore_codes(codes: Iterable[str]) -> FrozenSet[str]:
    """``--ignore`` values (``ED820`` or ``ED820,ED112``) as known finding codes; an unknown
    one is a usage error naming it."""
    from envdoctor.findings import CODES

    out = set()
    for value in codes:
        for code in str(value).replace(",", " ").split():
            code = code.upper()
            if code not in CODES:
                raise UsageError("--ignore %s: no such finding code (`envdoctor explain CODE` "
                                 "documents each one)" % code)
            out.add(code)
    return frozenset(out)


# -- fix --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FixPlan:
    """A fix for a report's environment: :class:`envdoctor.fix.Plan` (pins confirmed by pip's
    resolver, the errors predicted to remain) and what applying it needs."""

    plan: Plan
    report: Report
    options: PipOptions
    pip_note: str = ""  # why another pip than the target's runs ('' when none)
    unfinished: Tuple[Transaction, ...] = ()  # earlier fixes here that did not finish
    lab_target: Any = None  # fix --lab: the releases that run the lab here (or a refusal)

    @property
    def needed(self) -> bool:
        """The environment has errors to fix."""
        return self.plan.needed

    @property
    def python(self) -> str:
        return self.plan.python

    @property
    def warnings(self) -> List[str]:
        return ["an unfinished fix (%s, %s) was found for this environment; "
                "`envdoctor rollback %s` restores the state before it"
                % (tx.id, tx.journal.get("status"), tx.id) for tx in self.unfinished]


def _matrix_of(report: Report) -> Matrix:
    """The matrix the report was judged with (the bundled one for a report made elsewhere)."""
    matrix = getattr(report.context, "matrix", None)
    return matrix if matrix is not None else _matrix(None)


def plan_fix(report: Report, *, options: Optional[PipOptions] = None,
             move_framework: bool = False, use_lock: bool = True,
             progress: Optional[Progress] = None) -> FixPlan:
    """The smallest set of pins that fixes the report's errors, confirmed by ``pip install
    --dry-run --report`` in the target (``envdoctor fix``); nothing changes."""
    from envdoctor.fix import make_plan, unfinished_transactions
    from envdoctor.pip_runner import PipOptions, choose_pip

    progress = progress or _QUIET
    snapshot, recipe = report.snapshot, report.recipe
    unfinished = tuple(unfinished_transactions(snapshot))
    options, note = choose_pip(snapshot.pip_version, snapshot.python_version,
                               options or PipOptions())
    lock = recipe.lock_for(snapshot) if (use_lock and recipe is not None) else None
    findings, lab_target = list(report.findings), None
    lab = getattr(report.context, "lab", None)
    if lab is not None:
        findings, lab_target = _toward_the_lab(lab, report)
        if not lab_target.ok:
            return FixPlan(_refused(report, lab_target), report, options, note, unfinished,
                           lab_target)
    progress.update("planning the fix (pip install --dry-run --report)")
    plan = make_plan(snapshot, findings, _matrix_of(report), recipe, options,
                     lock_lines=lock[0] if lock else None,
                     lock_source=lock[1] if lock else None, move_framework=move_framework,
                     ignore=report.ignore)
    return FixPlan(plan, report, options, note, unfinished, lab_target)


def _toward_the_lab(lab: Any, report: Report) -> Tuple[List[Finding], Any]:
    """``fix --lab``: the findings to plan with. Every fix that would install a release
    lacking a name the lab imports is dropped (a matrix rule's pin made without the lab), and
    the lab's own per-name fixes give way to one finding carrying the releases that run the
    whole lab here (:func:`envdoctor.lab.plan.lab_requirements`)."""
    from packaging.requirements import Requirement

    from envdoctor.findings import Evidence, Fix, finding
    from envdoctor.lab.apicheck import load_index
    from envdoctor.lab.plan import lab_requirements, lab_violations

    index = load_index()
    target = lab_requirements(lab, report.snapshot, index, _matrix_of(report))
    if not target.ok:
        return list(report.findings), target
    from envdoctor.checks.lab import ENVIRONMENT_CODES

    kept = []
    for f in report.findings:
        reqs = f.fix.requirements if f.fix else ()
        if f.area == "lab" and f.code in ENVIRONMENT_CODES:
            continue  # what the environment lacks for the lab: the plan below installs it
        if reqs and (f.area == "lab" or lab_violations(lab, reqs, index)):
            continue
        kept.append(f)
    wanted = target.requirements() + target.no_deps()
    if wanted:
        kept.append(finding(
            "ED840", "The releases that run the lab here: %s" % ", ".join(wanted),
            "The lab imports names that only these releases have, and they run on this "
            "Python and platform" + (" (verified together)" if any(
                c.verified_by for c in target.choices) else ""),
            evidence=Evidence(needed=", ".join(wanted), source="; ".join(target.evidence)),
            fix=Fix(requirements=wanted),
            packages=tuple(Requirement(r).name for r in wanted)))
    return kept, target


def _refused(report: Report, target: Any) -> Plan:
    """A plan that changes nothing: no release reachable here runs the lab."""
    from envdoctor.fix import Plan
    from envdoctor.fix.plan import PlanRequest

    notes = ("fix --lab changes nothing: %s" % target.refusal,) + tuple(
        "what would work: %s" % w for w in target.would_work)
    plan = Plan(report.snapshot, PlanRequest((), (), notes=notes), list(report.findings))
    plan.predicted = [f for f in report.findings if f.severity.value == "error"]
    return plan


def apply_fix(plan: FixPlan, *, verify_deep: bool = True,
              deep_timeout: float = VERIFY_DEEP_TIMEOUT,
              progress: Optional[Progress] = None) -> ApplyResult:
    """Carry out ``plan`` as a transaction (``envdoctor fix --apply``): save the state, pip
    install, check again (the report's ``-r`` files too; with ``verify_deep``, also the deep
    imports the recipe asks for), and roll back by itself if anything fails or is
    interrupted."""
    from envdoctor.checks import CheckContext, lab as lab_check, requirement_files
    from envdoctor.fix import apply_plan

    progress = progress or _QUIET
    recipe, matrix = plan.report.recipe, _matrix_of(plan.report)
    lines = getattr(plan.report.context, "requirement_lines", ())
    lab = getattr(plan.report.context, "lab", None)
    deep = verify_deep and (lab is not None or (recipe is not None and bool(recipe.symbols)))

    def verify(after: Snapshot) -> List[Finding]:
        # fix.apply_plan re-runs the checks with matrix and recipe; these are the rest of
        # what `check` judged the environment by: -r files, the lab, its imports
        context = CheckContext(after, matrix, recipe, requirement_lines=lines, lab=lab)
        # of the lab's findings, those about the environment: the lab's own lines (a wheel
        # for another machine, `!export`, Ascend asked) are not the fix's to verify
        found = requirement_files.check(context) + [
            f for f in lab_check.check(context) if f.code in lab_check.ENVIRONMENT_CODES]
        if deep and lab is not None:
            from envdoctor.lab import deep_findings as lab_deep_findings

            found += lab_deep_findings(plan.python, lab, deep_timeout)
        elif deep:
            found += deep_check(after, recipe, matrix, python=plan.python,
                                timeout=deep_timeout)
        return found

    return apply_plan(plan.plan, matrix, recipe, plan.options,
                      verify=verify if (deep or lines or lab is not None) else None,
                      progress=progress.update)


# -- explain ----------------------------------------------------------------------------------

def explain(text: str) -> List[Any]:
    """What pasted error text (a traceback, pip's output) means: the causes envdoctor knows,
    best first; [] when nothing is recognised (``envdoctor explain``)."""
    from envdoctor.explain import explain_text

    return list(explain_text(text))
