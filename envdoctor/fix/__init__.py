"""``envdoctor fix``: plan pins from findings, confirm them with pip, apply them safely.

plan: findings -> :func:`plan.build_request` -> pip ``--dry-run --report`` -> diff + predicted
      findings (nothing changes);
apply: freeze + snapshot + file backup -> pip install -> probe + checks again -> on any
       failure (or interruption), :func:`rollback` to the exact previous state.
"""

import os
import signal
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

from envdoctor.checks import CheckContext, run_checks
from envdoctor.findings import Finding, Severity
from envdoctor.fix.plan import (Action, PlanRequest, actions_from_report, build_request,
                                predict_snapshot)
from envdoctor.fix.transaction import Transaction, TransactionError, list_transactions
from envdoctor.matrix import Matrix
from envdoctor.pip_runner import PipError, PipOptions, dry_run, freeze, install
from envdoctor.probe import probe
from envdoctor.recipes import Recipe
from envdoctor.snapshot import Snapshot, canonical_name

__all__ = ["Plan", "ApplyResult", "make_plan", "apply_plan", "rollback", "normalise_freeze",
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

    @property
    def needed(self) -> bool:
        return bool(_errors(self.findings))

    @property
    def python(self) -> str:
        return str(self.snapshot.interpreter.get("executable"))

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
            "confirmed_by": "pip install --dry-run --report" if self.pip_report else None,
        }


def make_plan(snapshot: Snapshot, findings: Sequence[Finding], matrix: Optional[Matrix],
              recipe: Optional[Recipe], options: PipOptions,
              lock_lines: Optional[Sequence[str]] = None, lock_source: Optional[str] = None,
              move_framework: bool = False) -> Plan:
    request = build_request(snapshot, findings, lock_lines, move_framework)
    plan = Plan(snapshot, request, list(findings), lock_source=lock_source)
    if not request.reasons:
        plan.predicted = [f for f in findings if f.severity is Severity.ERROR]
        return plan
    report = dry_run(plan.python, request.requirements, request.constraints, options)
    actions = actions_from_report(snapshot, report, request)
    # Second pass: what pip moved for consistency goes to the lock's verified version.
    extra = []
    for action in actions:
        pin = request.lock_pins.get(canonical_name(action.name))
        if pin and pin not in request.constraints and action.kind != "install":
            extra.append(pin)
    if extra:
        wider = PlanRequest(request.requirements, request.constraints + tuple(extra),
                            request.reasons, request.notes, request.unfixable, request.lock_pins)
        try:
            report = dry_run(plan.python, wider.requirements, wider.constraints, options)
            request = wider
            actions = actions_from_report(snapshot, report, request)
        except PipError:
            pass  # the first resolution stands
    plan.request, plan.actions, plan.pip_report = request, actions, report
    predicted_snapshot = predict_snapshot(snapshot, report)
    plan.predicted = _errors(run_checks(CheckContext(predicted_snapshot, matrix, recipe)))
    return plan


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
    progress("saving the current state (freeze, snapshot, files of %d distributions)"
             % len(plan.actions))
    tx = Transaction.begin(plan.snapshot, freeze(python, options), plan.to_dict())
    tx.journal["pip_wheel"] = options.pip_wheel  # rollback freezes with the same pip
    tx.save()
    tx.back_up(plan.snapshot, [a.name for a in plan.actions])
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
                             options)
        finally:
            tx.record_outcome()  # right after pip: exactly what this run created and replaced
        progress("checking the environment again")
        after_snapshot = probe(python)
        after = _errors(run_checks(CheckContext(after_snapshot, matrix, recipe)))
        if verify is not None:
            after += _errors(verify(after_snapshot))
        before_codes = {(f.code, f.packages) for f in _errors(plan.findings)}
        unfixable = {(f.code, f.packages) for f in plan.request.unfixable}
        remaining = [f for f in after if (f.code, f.packages) not in unfixable]
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
    if os.path.realpath(str(current.interpreter.get("prefix") or "")) != os.path.realpath(
            tx.prefix):
        raise TransactionError("transaction %s belongs to %s, but %s now reports prefix %s; "
                               "refused" % (tx.id, tx.prefix, python,
                                            current.interpreter.get("prefix")))
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
    prefix = snapshot.interpreter.get("prefix")
    return [t for t in list_transactions()
            if t.journal.get("prefix") == prefix
            and t.journal.get("status") in ("backed-up", "applying", "failed",
                                            "rollback-inexact")]
