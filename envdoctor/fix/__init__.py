"""``envdoctor fix``: plan pins from findings, confirm them with pip, apply them safely.

plan: findings -> :func:`plan.build_request` -> pip ``--dry-run --report`` -> diff + predicted
      findings (nothing changes). A plan pip cannot resolve is narrowed to the errors' own
      fixes (the lab is a separate step); a pairing only the framework move fixes is said, not
      half-applied; a framework distribution is never laid over another.
apply: freeze + snapshot + file backup -> pip install -> what that run created and replaced
       is recorded -> probe + checks again -> on any failure (or interruption),
       :func:`rollback` removes and restores exactly that (see :mod:`.transaction`).
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field
from dataclasses import replace
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from envdoctor.checks import CheckContext, run_checks
from envdoctor.findings import Finding, Severity
from envdoctor.console import safe_text
from envdoctor.fix.plan import (Action, PlanRequest, actions_from_report,
                                build_request, framework_name, mixed_frameworks,
                                predict_snapshot, requirement_name)
from envdoctor.fix.transaction import (Transaction, TransactionError, list_transactions,
                                       state_dir)
from envdoctor.matrix import Matrix
from envdoctor.pip_runner import PipError, PipOptions, dry_run, freeze, install
from envdoctor.probe import probe
from envdoctor.recipes import Recipe
from envdoctor.snapshot import Snapshot, canonical_name

__all__ = ["Plan", "ApplyResult", "make_plan", "apply_plan", "rollback", "normalise_freeze",
           "pip_lines", "unresolvable",
           "unfinished_transactions", "later_change"]


def _errors(findings: Sequence[Finding]) -> List[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


@dataclass
class Plan:
    snapshot: Snapshot
    request: PlanRequest
    findings: List[Finding]
    actions: List[Action] = field(default_factory=list)
    predicted: List[Finding] = field(default_factory=list)
    pip_report: Optional[Dict[str, Any]] = None
    lock_source: Optional[str] = None
    ignore: FrozenSet[str] = frozenset()  # codes the check left out (--ignore): not verified

    @property
    def needed(self) -> bool:
        return bool(_errors(self.findings))

    @property
    def python(self) -> str:
        return str(self.snapshot.interpreter.executable)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "python": self.python,
            "requirements": list(self.request.requirements),
            "constraints": list(self.request.constraints),
            "notes": list(self.request.notes),
            "lock": self.lock_source,
            "actions": [a.to_dict() for a in self.actions],
            "errors_before": [f.to_dict() for f in _errors(self.findings)],
            "predicted_after": [f.to_dict() for f in self.predicted],
            "unfixable": [f.to_dict() for f in self.request.unfixable],
            "needs_move_framework": [f.to_dict() for f in self.request.needs_framework_move],
            "deferred": [f.to_dict() for f in self.request.deferred],
            "no_deps": list(self.request.no_deps),
            "remove": list(self.request.remove),
            "confirmed_by": "pip install --dry-run --report" if self.pip_report else None,
        }


def make_plan(snapshot: Snapshot, findings: Sequence[Finding], matrix: Optional[Matrix],
              recipe: Optional[Recipe], options: PipOptions,
              lock_lines: Optional[Sequence[str]] = None, lock_source: Optional[str] = None,
              move_framework: bool = False, ignore: FrozenSet[str] = frozenset()) -> Plan:
    """Plan the fix and confirm it with pip's resolver. When pip cannot resolve the whole
    plan, it is narrowed to the errors' own fixes (installing the lab becomes a separate,
    stated step); when even that fails, the PipError carries pip's own lines."""
    planning = _without_the_mix(snapshot, findings, matrix, recipe)
    request = build_request(snapshot, planning, lock_lines, move_framework)
    plan = Plan(snapshot, request, list(findings), lock_source=lock_source, ignore=ignore)
    if not request.reasons:
        plan.predicted = [f for f in findings if f.severity is Severity.ERROR]
        plan.predicted += [f for f in request.needs_framework_move if f not in plan.predicted]
        return plan
    _confirm(plan, request, planning, matrix, recipe, options, move_framework)
    repairs = _rule_fixes(plan)
    if not repairs:
        return plan
    # The set pip chose would itself break a matrix rule pip cannot see (pyarrow 26 beside
    # the NumPy 1 MindSpore needs): plan again once with the rules' own fixes as constraints,
    # and keep that plan only when pip resolves it and it predicts fewer errors.
    second = Plan(snapshot, request, list(findings), lock_source=lock_source, ignore=ignore)
    wider = replace(request, constraints=request.constraints + tuple(repairs),
                    notes=request.notes + tuple(
                        "%s added: without it, pip picks a set that hits %s (%s)"
                        % (req, code, title)
                        for req, code, title in repairs.values()))
    try:
        _confirm(second, wider, planning, matrix, recipe, options, move_framework)
    except PipError:
        return plan
    return second if len(second.predicted) < len(plan.predicted) else plan


def _rule_fixes(plan: Plan) -> Dict[str, Tuple[str, str, str]]:
    """The fixes (requirement -> (requirement, code, title)) of the errors the planned set
    would bring that the environment did not have; never a framework's (moving it is a step
    of its own, --move-framework)."""
    before = {(f.code, f.packages) for f in plan.findings}
    found: Dict[str, Tuple[str, str, str]] = {}
    for finding in plan.predicted:
        if finding.fix is None or (finding.code, finding.packages) in before:
            continue
        for req in finding.fix.requirements:
            name = requirement_name(req)
            if name and not framework_name(name) and req not in plan.request.constraints:
                found.setdefault(req, (req, finding.code, finding.title))
    return found


def _confirm(plan: Plan, request: PlanRequest, planning: Sequence[Finding],
             matrix: Optional[Matrix], recipe: Optional[Recipe], options: PipOptions,
             move_framework: bool) -> None:
    """Resolve ``request`` with pip and fill ``plan``: its actions, pip's report and the
    errors predicted on the set pip chose."""
    snapshot, ignore = plan.snapshot, plan.ignore
    try:
        report = dry_run(plan.python, request.requirements, request.constraints, options)
    except PipError as exc:
        narrowed = build_request(snapshot, planning, None, move_framework, include_lab=False)
        if not narrowed.reasons or (narrowed.requirements, narrowed.constraints) == (
                request.requirements, request.constraints):
            raise unresolvable(exc)
        try:
            report = dry_run(plan.python, narrowed.requirements, narrowed.constraints, options)
        except PipError as exc2:
            raise unresolvable(exc2, first=exc)
        note = ("pip could not resolve the whole plan (%s); planned the errors' own fixes "
                "first" % "; ".join(pip_lines(exc)[:2] or [str(exc)]))
        request = replace(narrowed, notes=(note,) + narrowed.notes)
        plan.lock_source = None
    request, report = _no_framework_over_framework(snapshot, request, report, plan.python,
                                                   options)
    if request.remove:
        request, report = _with_framework_alone(report, request, plan.python, options)
    actions = actions_from_report(snapshot, report, request)
    # Second pass: what pip moved for consistency goes to the lock's verified version.
    extra = []
    for action in actions:
        pin = request.lock_pins.get(canonical_name(action.name))
        if pin and pin not in request.constraints and action.kind != "install":
            extra.append(pin)
    if extra and not request.no_deps:
        wider = replace(request, constraints=request.constraints + tuple(extra))
        try:
            report = dry_run(plan.python, wider.requirements, wider.constraints, options)
            request = wider
            actions = actions_from_report(snapshot, report, request)
        except PipError:
            pass  # the first resolution stands
    plan.request, plan.actions, plan.pip_report = request, actions, report
    predicted_snapshot = predict_snapshot(snapshot, report, request.remove)
    # every matrix rule and check, on the planned set, before anything is installed
    plan.predicted = [f for f in _errors(run_checks(CheckContext(predicted_snapshot, matrix,
                                                                  recipe)))
                      if f.code not in ignore]
    # a pairing only the framework move fixes stays, whatever its severity
    plan.predicted += [f for f in request.needs_framework_move if f not in plan.predicted]


def _without_the_mix(snapshot: Snapshot, findings: Sequence[Finding], matrix: Optional[Matrix],
                     recipe: Optional[Recipe]) -> List[Finding]:
    """The findings to plan with. A mixed framework folder (ED110) makes findings of its own
    (mindnlp 0.4 judged against the `mindspore` 2.9.0 laid over the build it was installed
    for) that go with it: the rest is judged on the environment as the plan leaves it, the
    kept build alone. What the plain checks do not make (the lab's, -r files') stays."""
    mix = mixed_frameworks(findings)
    if mix is None:
        return list(findings)
    keep = requirement_name(mix.fix.requirements[0]) if mix.fix else None
    others = [d.name for d in snapshot.active.values()
              if framework_name(d.key) and d.key != keep]
    unmixed = predict_snapshot(snapshot, {"install": []}, others)

    def key(f: Finding) -> Tuple[str, Tuple[str, ...], str]:
        return f.code, f.packages, f.title

    plain = {key(f) for f in run_checks(CheckContext(snapshot, matrix, recipe))}
    extras = [f for f in findings if key(f) not in plain and f is not mix]
    return [mix] + run_checks(CheckContext(unmixed, matrix, recipe)) + extras


def pip_lines(exc: PipError) -> List[str]:
    """pip's own explanation of a failure: its ERROR lines and the conflict it describes."""
    tail = exc.output_tail.splitlines()
    keep = [l.rstrip() for l in tail
            if not l.startswith(("  Downloading", "  Using cached", "Collecting ",
                                 "Requirement already satisfied", "Looking in "))]
    return keep[-15:]


def unresolvable(exc: PipError, first: Optional[PipError] = None) -> PipError:
    """The PipError to show when no plan resolves: pip's own words, not just its exit code."""
    lines = pip_lines(exc)
    message = str(exc)
    if first is not None:
        message += " (also after narrowing it to the errors' own fixes)"
    if lines:
        message += "; pip says:\n" + "\n".join("  " + safe_text(l) for l in lines)
    return PipError(message, exc.result)


def _requires(entry: Dict[str, Any], env: Dict[str, str]) -> List[Any]:
    from packaging.requirements import Requirement

    out = []
    for line in entry["metadata"].get("requires_dist") or []:
        try:
            req = Requirement(line)
            if req.marker is not None and not req.marker.evaluate(env):
                continue
        except Exception:  # an odd requirement or marker only loses a dependency
            continue
        out.append(req)
    return out


def _no_framework_over_framework(snapshot: Snapshot, request: PlanRequest,
                                 report: Dict[str, Any], python: str,
                                 options: PipOptions) -> Tuple[PlanRequest, Dict[str, Any]]:
    """When pip would pull a framework distribution (``mindspore``) over another one that is
    installed or that the plan itself installs (``mindspore-dev``), install what pulls it
    with --no-deps plus its other requirements instead; if pip still pulls it, refuse."""
    entries = [e for e in report.get("install", []) if isinstance(e.get("metadata"), dict)]
    planned = {canonical_name(e["metadata"]["name"]) for e in entries}
    requested = {requirement_name(r) for r in request.requirements}
    frameworks = {k for k in planned if framework_name(k)} | {
        d.key for d in snapshot.active.values() if framework_name(d.key)}
    pulled = {k for k in planned if framework_name(k) and snapshot.get(k) is None
              and k not in requested and frameworks - {k}}
    if not pulled:
        return request, report
    env = dict(snapshot.marker_environment, extra="")
    pullers = [e for e in entries if canonical_name(e["metadata"]["name"]) not in pulled
               and any(canonical_name(r.name) in pulled for r in _requires(e, env))]
    puller_keys = {canonical_name(e["metadata"]["name"]) for e in pullers}
    no_deps = tuple("%s==%s" % (e["metadata"]["name"], e["metadata"]["version"])
                    for e in pullers)
    extra: List[str] = []
    for e in pullers:
        for req in _requires(e, env):
            key = canonical_name(req.name)
            if key in pulled or key in puller_keys or framework_name(key):
                continue
            req.marker = None
            if str(req) not in extra:
                extra.append(str(req))
    requirements = tuple(r for r in request.requirements
                         if requirement_name(r) not in puller_keys) + tuple(extra)
    others = ", ".join(sorted(frameworks - pulled))
    note = ("installs %s with --no-deps (and their other requirements): they declare %s, "
            "which pip would lay over %s" % (", ".join(no_deps), ", ".join(sorted(pulled)),
                                             others))
    narrowed = replace(request, requirements=requirements, no_deps=request.no_deps + no_deps,
                       notes=request.notes + (note,))
    second = dry_run(python, narrowed.requirements, narrowed.constraints, options)
    again = [e for e in second.get("install", []) if isinstance(e.get("metadata"), dict)
             and canonical_name(e["metadata"]["name"]) in pulled]
    if again:
        raise PipError("refused: pip would install %s over %s, and two framework "
                       "distributions would own one mindspore folder"
                       % (", ".join(sorted(pulled)), others))
    combined = dict(second)
    combined["install"] = list(second.get("install", [])) + pullers
    return narrowed, combined


def _pin_of_url(requirement: str) -> str:
    """``name==version`` for ``name @ URL`` of a wheel (its file name says the version)."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    name, _, url = requirement.partition(" @ ")
    try:
        version = parse_wheel_filename(url.rsplit("/", 1)[-1])[1]
    except InvalidWheelFilename:  # not a wheel's address (or no address at all)
        return requirement
    return "%s==%s" % (name, version)


def _with_framework_alone(report: Dict[str, Any], request: PlanRequest, python: str,
                          options: PipOptions) -> Tuple[PlanRequest, Dict[str, Any]]:
    """A mixed framework folder (ED110): ask pip whether it can fetch the one framework the
    plan installs after removing them all, and add it to the report (pip cannot dry-run an
    uninstall; the framework goes in with --no-deps, so its wheel is all pip must find). A
    build from a web address that no longer answers is looked for by its pin instead (an
    index, --find-links)."""
    planned = {canonical_name(e["metadata"]["name"]) for e in report.get("install", [])
               if isinstance(e.get("metadata"), dict)}
    framework = [r for r in request.no_deps if framework_name(requirement_name(r))
                 and requirement_name(r) not in planned]
    if not framework:
        return request, report
    try:
        alone = dry_run(python, framework, (), options, alone=True)
    except PipError as exc:  # e.g. a build from MindSpore's download host, not on the mirror
        pins = [_pin_of_url(r) for r in framework]
        alone = None
        if pins != framework:
            try:
                alone = dry_run(python, pins, (), options, alone=True)
            except PipError:
                pass
        if alone is None:
            raise PipError("pip cannot fetch %s, the one framework the mixed mindspore/ folder "
                           "would be reinstalled as; nothing was changed. Point pip at its "
                           "wheel (--find-links DIR or --index-url), or reinstall it by hand "
                           "as ED110's fix says" % ", ".join(framework), exc.result)
        request = replace(request, no_deps=tuple(dict(zip(framework, pins)).get(r, r)
                                                 for r in request.no_deps),
                          notes=request.notes + ("%s did not answer; pip takes %s from the "
                                                 "index or --find-links instead" % (framework[0].split(" @ ")[-1],
                                                                     ", ".join(pins)),))
    combined = dict(report)
    combined["install"] = list(report.get("install", [])) + [
        e for e in alone.get("install", []) if isinstance(e.get("metadata"), dict)]
    return request, combined


@dataclass
class ApplyResult:
    ok: bool
    transaction: Optional[Transaction]
    message: str
    after: List[Finding] = field(default_factory=list)
    rolled_back: bool = False
    rollback_exact: Optional[bool] = None
    pip_output: str = ""


def normalise_freeze(text: str) -> List[str]:
    return sorted(l.strip().lower() for l in text.splitlines()
                  if l.strip() and not l.startswith("#"))


class _Terminated(Exception):
    pass


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated("terminated by signal %d" % signum)


def apply_plan(plan: Plan, matrix: Optional[Matrix], recipe: Optional[Recipe],
               options: PipOptions,
               verify: Optional[Callable[[Snapshot], List[Finding]]] = None,
               progress: Callable[[str], None] = lambda message: None) -> ApplyResult:
    """Carry out ``plan``; on any failure or interruption, roll back and say what happened."""
    python = plan.python
    if plan.request.needs_framework_move:  # half a fix would leave the broken pairing
        return ApplyResult(False, None, "only moving the framework fixes %s; nothing was "
                           "installed: rerun with --move-framework" % ", ".join(
                               f.code for f in plan.request.needs_framework_move))
    progress("saving the current state (freeze, snapshot, files of %d distributions)"
             % len(plan.actions))
    try:
        tx = Transaction.begin(plan.snapshot, freeze(python, options), plan.to_dict())
        tx.journal["pip_wheel"] = options.pip_wheel  # rollback freezes with the same pip
        tx.save()
        tx.back_up(plan.snapshot, [a.name for a in plan.actions])
    except OSError as exc:  # a read-only or full disk: nothing was changed yet
        return ApplyResult(False, None, "cannot save the state before the fix in %s (%s); "
                           "nothing was changed" % (state_dir(), exc.strerror or exc))
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (a notebook); Ctrl-C still rolls back
        pass
    try:
        tx.pip_starts()
        progress("running pip install (%d changes)" % len(plan.actions))
        try:
            result = install(python, plan.request.requirements, plan.request.constraints,
                             options, no_deps=plan.request.no_deps,
                             remove=plan.request.remove)
        finally:
            tx.record_outcome()  # right after pip: exactly what this run created and replaced
        progress("checking the environment again")
        after_snapshot = probe(python)
        after = _errors(run_checks(CheckContext(after_snapshot, matrix, recipe)))
        if verify is not None and not plan.request.deferred:
            # (a deferred lab is not installed yet: its deep imports cannot pass now)
            after += _errors(verify(after_snapshot))
        before_codes = {(f.code, f.packages) for f in _errors(plan.findings)}
        unfixable = {(f.code, f.packages) for f in plan.request.unfixable}
        remaining = [f for f in after if (f.code, f.packages) not in unfixable
                     and f.code not in plan.ignore
                     and not (plan.request.deferred and f.area == "recipe")]
        new = [f for f in remaining if (f.code, f.packages) not in before_codes]
        if remaining:
            raise _VerifyFailed(remaining, new)
        tx.save_freeze_after(freeze(python, options))
        tx.log("applied", "pip finished and the checks pass")
        return ApplyResult(True, tx, "fixed: the checks pass now", after,
                           pip_output=result.stdout[-2000:])
    except BaseException as exc:  # noqa: B902 - interruption must roll back too
        if isinstance(exc, _VerifyFailed):
            message = "the fix did not verify: %s" % "; ".join(
                "%s %s" % (f.code, f.title) for f in exc.remaining[:3])
            after_findings = exc.remaining
        elif isinstance(exc, PipError):
            message = "%s\n%s" % (exc, exc.output_tail)
            after_findings = []
        elif isinstance(exc, (KeyboardInterrupt, _Terminated)):
            message = "interrupted (%s)" % (exc or "Ctrl-C")
            after_findings = []
        else:
            message = "%s: %s" % (type(exc).__name__, exc)
            after_findings = []
        tx.log("failed", message)
        progress("rolling back to the state saved before the fix")
        exact = rollback(tx, options)
        return ApplyResult(False, tx, message, after_findings, rolled_back=True,
                           rollback_exact=exact)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class _VerifyFailed(Exception):
    def __init__(self, remaining: List[Finding], new: List[Finding]) -> None:
        super().__init__("verification failed")
        self.remaining = remaining
        self.new = new


def rollback(tx: Transaction, options: Optional[PipOptions] = None) -> bool:
    """Undo a transaction: remove the files its pip run created and put back the ones it
    replaced (nothing else; see :meth:`Transaction.undo_files`); True when the freeze is
    exactly the freeze saved before the fix."""
    options = options or PipOptions(pip_wheel=tx.journal.get("pip_wheel"))
    tx.check_paths()
    python = tx.python
    current = probe(python)
    if os.path.realpath(str(current.interpreter.prefix or "")) != os.path.realpath(
            tx.prefix):
        raise TransactionError("transaction %s belongs to %s, but %s now reports prefix %s; "
                               "refused" % (tx.id, tx.prefix, python,
                                            current.interpreter.prefix))
    # Interrupts are deferred: a half-done rollback is worse than a slow one.
    old_int = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:
        old_int = None
    try:
        report = tx.undo_files()
        exact = normalise_freeze(freeze(python, options)) == normalise_freeze(tx.freeze_text)
        message = "freeze equals the saved one" if exact else "freeze differs from the saved one"
        if report.kept:
            message += "; kept %d paths changed or installed after the fix" % len(report.kept)
        tx.log("rolled-back" if exact else "rollback-inexact", message)
        return exact
    finally:
        if old_int is not None:
            signal.signal(signal.SIGINT, old_int)


def later_change(tx: Transaction, options: Optional[PipOptions] = None) -> Optional[str]:
    """Why rolling back a successful transaction would undo more than it: a later transaction
    on the same environment, or a freeze that differs from the one it left. None if neither."""
    tx.check_paths()  # before its python runs
    if not tx.succeeded:
        return None
    newer = [t for t in list_transactions()
             if t.prefix == tx.prefix and t.id > tx.id]
    if newer:
        return "a later fix (%s) changed this environment" % newer[-1].id
    after = tx.freeze_after
    if after is None:
        return "the transaction saved no freeze after it ended"
    now = freeze(tx.python, options or PipOptions(pip_wheel=tx.journal.get("pip_wheel")))
    if normalise_freeze(now) != normalise_freeze(after):
        changed = sorted(set(normalise_freeze(now)) ^ set(normalise_freeze(after)))
        return "the environment changed after the fix (%s)" % ", ".join(changed[:4])
    return None


def unfinished_transactions(snapshot: Snapshot) -> List[Transaction]:
    prefix = snapshot.interpreter.prefix
    return [t for t in list_transactions()
            if t.journal.get("prefix") == prefix
            and t.journal.get("status") in ("backed-up", "applying", "failed",
                                            "rollback-inexact")]
