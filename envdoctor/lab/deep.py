"""``check --deep --lab``: run exactly the lab's own import statements, in order, in ONE child
of the target interpreter (``envdoctor/probes/lab_imports.py``), as the notebook would.

One child, not one per module: the cost is the cost of the imports themselves (issue 11 asks
for at most 1.2x a bare ``python -c`` of the same statements). A statement that raises is a
finding naming the lab's file, cell and line; a crash or a hang is pinned on the statement
that was running (the probe writes a step line to stderr before each one).
"""

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from envdoctor.findings import Evidence, Finding, Fix, Severity
from envdoctor.lab.model import ImportStatement, Lab
from envdoctor.probe import probe_script
from envdoctor.subproc import describe_exit, marked_result, run_child

__all__ = ["StatementResult", "LabImportRun", "lab_statements", "run_lab_imports",
           "deep_findings", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 180.0
STEP = "@@ENVDOCTOR-STEP@@"


@dataclass(frozen=True)
class StatementResult:
    statement: ImportStatement
    ok: bool
    seconds: Optional[float] = None
    error: Optional[Dict[str, Any]] = None  # type, message, frames, text
    not_run: bool = False  # the child died before reaching it


@dataclass(frozen=True)
class LabImportRun:
    results: Tuple[StatementResult, ...]
    crashed: Optional[str] = None  # "killed by SIGSEGV ...", "hung: ..."
    crashed_at: Optional[int] = None  # index into results
    stderr_tail: str = ""
    seconds: float = 0.0


def lab_statements(lab: Lab) -> List[ImportStatement]:
    """The statements to run: every absolute import of the lab, in order, each text once."""
    seen = set()
    out = []
    for stmt in lab.imports:
        if stmt.level or not stmt.statement or stmt.statement in seen:
            continue
        seen.add(stmt.statement)
        out.append(stmt)
    return out


def _lab_env(lab: Lab) -> Dict[str, str]:
    """The variables the lab sets with %env / os.environ (mindnlp reads HF_ENDPOINT at
    import), on top of envdoctor's own environment."""
    env = dict(os.environ)
    env.setdefault("PYTHONFAULTHANDLER", "1")
    for setting in lab.env:
        if setting.persists and setting.value is not None:
            env[setting.name] = setting.value
    return env


def _cwd(lab: Lab) -> Optional[str]:
    folder = lab.path if os.path.isdir(lab.path) else os.path.dirname(lab.path)
    return folder or None


def run_lab_imports(python: str, lab: Lab, timeout: float = DEFAULT_TIMEOUT) -> LabImportRun:
    import time

    statements = lab_statements(lab)
    if not statements:
        return LabImportRun(())
    spec = json.dumps({"statements": [s.statement for s in statements]})
    started = time.time()
    result = run_child([python, probe_script("lab_imports.py"), spec], timeout=timeout,
                       env=_lab_env(lab), cwd=_cwd(lab))
    elapsed = time.time() - started
    stderr = result.stderr or ""
    steps = [int(m) for m in re.findall(r"^%s (\d+)$" % STEP, stderr, re.M)]
    tail = "\n".join(l for l in stderr.strip().splitlines() if not l.startswith(STEP))[-3000:]
    if result.error:
        return LabImportRun((), crashed="could not start: %s" % result.error, seconds=elapsed)
    data = marked_result(result.stdout)
    if data is not None:
        outcomes = data.get("statements") or []
        return LabImportRun(tuple(
            StatementResult(stmt, bool(o.get("ok")), o.get("seconds"), o.get("error"))
            for stmt, o in zip(statements, outcomes)), stderr_tail=tail, seconds=elapsed)
    at = steps[-1] if steps else 0
    crashed = ("hung: no answer within %.0f s" % timeout if result.timed_out
               else describe_exit(result.returncode))
    results = tuple(StatementResult(s, False, None, None, not_run=i > at)  # unknown before
                    for i, s in enumerate(statements))
    return LabImportRun(results, crashed=crashed, crashed_at=at, stderr_tail=tail,
                        seconds=elapsed)


def _error_line(error: Optional[Dict[str, Any]]) -> str:
    if not error:
        return ""
    lines = [l.strip() for l in (error.get("message") or "").splitlines() if l.strip()]
    return "%s: %s" % (error.get("type"), lines[0] if lines else "")


def _explained(text: str) -> Optional[Tuple[Optional[str], Optional[str], Optional[str]]]:
    """(because, fix, source) from envdoctor explain's knowledge, when it has any."""
    try:
        from envdoctor.deep import _explained as explain  # one place knows how to ask
    except ImportError:
        return None
    return explain(text)


def run_findings(run: LabImportRun, python: str) -> List[Finding]:
    findings: List[Finding] = []
    if run.crashed and run.crashed_at is not None and run.results:
        stmt = run.results[run.crashed_at].statement
        hung = run.crashed.startswith("hung")
        skipped = sum(1 for r in run.results if r.not_run)
        findings.append(Finding(
            code="ED832" if hung else "ED831", severity=Severity.ERROR,
            title="`%s` %s (%s)" % (stmt.statement, "hangs" if hung else
                                    "crashes the interpreter", stmt.where.describe()),
            because="Running the lab's import statements in order in the target, this one %s; "
                    "the kernel will %s at this line.%s" % (
                        run.crashed, "never finish" if hung else "die",
                        " %d later statement%s did not run." % (skipped, "" if skipped == 1
                                                                 else "s") if skipped else ""),
            evidence=Evidence(installed=run.crashed, details=(
                ("lab", stmt.where.describe()), ("stderr", run.stderr_tail[-1500:]))),
            packages=(stmt.top,)))
    elif run.crashed:
        findings.append(Finding(
            code="ED831", severity=Severity.ERROR,
            title="The lab's imports could not be run: %s" % run.crashed,
            because="envdoctor could not start the target interpreter %s." % python,
            evidence=Evidence(installed=run.crashed)))
    for res in run.results:
        if res.ok or res.not_run or res.error is None:
            continue
        stmt = res.statement
        line = _error_line(res.error)
        known = _explained(res.error.get("text") or line)
        optional = stmt.optional
        findings.append(Finding(
            code="ED830", severity=Severity.WARNING if optional else Severity.ERROR,
            title="`%s` fails: %s (%s)" % (stmt.statement, line[:160], stmt.where.describe()),
            because=(known[0] if known and known[0] else
                     "Run in order with the lab's other imports in the target interpreter, it "
                     "raises %s%s." % (line, "; the lab catches ImportError there, so only "
                                       "what depends on it is lost" if optional else "")),
            evidence=Evidence(installed=line, needed=stmt.statement,
                              source=known[2] if known else None,
                              details=(("lab", stmt.where.describe()),
                                       ("traceback", "\n".join(res.error.get("frames") or [])))),
            fix=Fix(command=known[1]) if known and known[1] else None,
            packages=(stmt.top,)))
    return findings


def deep_findings(python: str, lab: Lab, timeout: float = DEFAULT_TIMEOUT) -> List[Finding]:
    """Import the lab's own statements in one child of ``python``; findings for each that
    fails, and for a crash or hang."""
    return run_findings(run_lab_imports(python, lab, timeout), python)
