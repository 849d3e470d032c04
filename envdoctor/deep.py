"""Deep check: import the lab's framework modules in the target interpreter, each in its own
child process with a timeout, and check the symbols the lab's code imports.

:func:`plan_imports` decides what to import (pure), :func:`run_deep` runs the children
(bounded parallelism), :func:`deep_findings` turns results into findings (pure). A crash,
abort or hang of a child is a finding, never an exception of ours.
"""

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from envdoctor.findings import Evidence, Finding, Fix, Severity, pip_install_command
from envdoctor.probe import probe_script
from envdoctor.snapshot import Snapshot, canonical_name
from envdoctor.subproc import describe_exit, marked_result, run_child

__all__ = ["ImportResult", "plan_imports", "run_deep", "deep_findings", "DEFAULT_TIMEOUT",
           "IMPORT_NAMES"]

DEFAULT_TIMEOUT = 180.0
# distribution -> the module a lab imports; checked in this order (frameworks first)
IMPORT_NAMES = (
    ("mindspore", "mindspore"), ("mindnlp", "mindnlp"), ("transformers", "transformers"),
    ("tokenizers", "tokenizers"), ("datasets", "datasets"), ("numpy", "numpy"),
    ("pyarrow", "pyarrow"), ("pillow", "PIL"), ("sentencepiece", "sentencepiece"),
    ("regex", "regex"), ("peft", "peft"), ("diffusers", "diffusers"), ("torch", "torch"),
)


@dataclass(frozen=True)
class ImportResult:
    module: str
    ok: bool
    seconds: Optional[float]
    error: Optional[Dict[str, Any]] = None  # type, message, frames, text
    symbols: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    crashed: Optional[str] = None  # "killed by SIGSEGV ...", "timed out after 180 s"
    stderr_tail: str = ""
    environment_changes: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        return {"module": self.module, "ok": self.ok, "seconds": self.seconds,
                "error": self.error, "symbols": self.symbols, "crashed": self.crashed,
                "environment_changes": self.environment_changes}


def plan_imports(snapshot: Snapshot, symbols: Sequence[str] = (),
                 packages: Sequence[str] = ()) -> List[Tuple[str, List[str]]]:
    """(module, [symbols]) groups: the symbols' root modules, plus the installed lab
    distributions among ``packages`` (all known lab distributions when none are given)."""
    groups = {}  # type: Dict[str, List[str]]
    order = []  # type: List[str]
    known = dict(IMPORT_NAMES)
    if packages:
        names = [canonical_name(p) for p in packages]
        # the frameworks first, in IMPORT_NAMES order, then the recipe's other packages
        names.sort(key=lambda n: ([d for d, _ in IMPORT_NAMES] + [n]).index(n))
    else:
        names = [d for d, _ in IMPORT_NAMES]
    for dist in names:
        if snapshot.get(dist) is None:
            continue
        module = known.get(dist) or dist.replace("-", "_")
        if module not in groups:
            groups[module] = []
            order.append(module)
    for symbol in symbols:
        root = symbol.split(".")[0]
        if root not in groups:
            groups[root] = []
            order.append(root)
        groups[root].append(symbol)
    return [(m, groups[m]) for m in order]


def _parse(module: str, symbols: List[str], result: Any, timeout: float) -> ImportResult:
    stderr_tail = "\n".join((result.stderr or "").strip().splitlines()[-25:])
    if result.error:
        return ImportResult(module, False, None, crashed="could not start: %s" % result.error)
    if result.timed_out:
        return ImportResult(module, False, timeout,
                            crashed="hung: no answer within %.0f s" % timeout,
                            stderr_tail=stderr_tail)
    data = marked_result(result.stdout)
    if data is not None:
        return ImportResult(module, bool(data.get("ok")), data.get("seconds"),
                            data.get("error"), data.get("symbols") or {},
                            stderr_tail=stderr_tail,
                            environment_changes=data.get("environment_changes") or {})
    return ImportResult(module, False, None, crashed=describe_exit(result.returncode),
                        stderr_tail=stderr_tail)


def run_deep(python: str, groups: Sequence[Tuple[str, List[str]]],
             timeout: float = DEFAULT_TIMEOUT, workers: int = 2) -> List[ImportResult]:
    script = probe_script("lab_imports.py")
    env = dict(os.environ)
    env.setdefault("PYTHONFAULTHANDLER", "1")

    def one(group: Tuple[str, List[str]]) -> ImportResult:
        module, symbols = group
        spec = json.dumps({"module": module, "symbols": symbols})
        return _parse(module, symbols, run_child([python, script, spec], timeout=timeout,
                                                 env=env), timeout)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(one, groups))


def _error_line(error: Optional[Dict[str, Any]]) -> str:
    """``Type: first line``; a first line that only announces the cause ("... because of
    the following error (look up to see its traceback):") gets the cause's line too."""
    if not error:
        return ""
    lines = [l.strip() for l in (error.get("message") or "").splitlines() if l.strip()]
    text = lines[0] if lines else ""
    if text.endswith(":"):  # wrappers may nest: the first line that is not one is the cause
        cause = next((l for l in lines[1:] if not l.endswith(":")), None)
        if cause:
            text = "%s %s" % (text, cause)
    return "%s: %s" % (error.get("type"), text)


def _explained(text: str) -> Optional[Tuple[str, Optional[str], Optional[str]]]:
    """(because, fix command, source) of the most authoritative finding envdoctor explain's
    knowledge gives for ``text`` (the signature table, the matrix's recorded errors, its
    mechanisms); a guess is no fix to apply, so it does not count."""
    try:
        from envdoctor.explain import explain_findings
        found = explain_findings(text)
    except Exception:  # explain's data must never break the deep check
        return None
    sure = [f for f in found if f.confidence != "guess"]
    if not sure:
        return None
    first = sure[0]
    return first.because, (first.fix.command if first.fix else None), first.source


def _from_rules(text: str, rules: Sequence[Any], python: str, snapshot: Optional[Any]
                ) -> Optional[Tuple[str, Optional[str], Optional[str]]]:
    """A matching compatibility rule whose recorded error appears in ``text``."""
    from envdoctor.frameworks import install_command

    for rule in rules:
        if rule.error and rule.error in text:
            if not rule.fix_requirements:
                fix = rule.fix_text
            elif snapshot is not None:  # never `mindspore` over a mindspore-dev build
                fix = install_command(rule.fix_requirements, python, snapshot)
            else:
                fix = pip_install_command(rule.fix_requirements, python)
            return ("%s (rule %s)" % (rule.because, rule.id), fix, rule.source.describe())
    return None


def deep_findings(results: Sequence[ImportResult], python: str,
                  rules: Sequence[Any] = (), snapshot: Optional[Any] = None) -> List[Finding]:
    """``rules``: the compatibility rules that match this environment; their recorded error
    texts explain a failure first, then envdoctor explain's knowledge does. ``snapshot``: the
    environment, so a rule's fix command never lays one framework over another."""
    findings = []

    def explain(text: str) -> Optional[Tuple[str, Optional[str], Optional[str]]]:
        return _from_rules(text, rules, python, snapshot) or _explained(text)

    for res in results:
        if res.crashed:
            hung = res.crashed.startswith("hung")
            findings.append(Finding(
                code="ED604" if hung else "ED603", severity=Severity.ERROR,
                title="import %s %s" % (res.module, "hangs" if hung else "crashes the interpreter"),
                because="Importing %s in the target interpreter %s; a lab cell doing the same "
                        "will %s." % (res.module, res.crashed,
                                      "never finish" if hung else "kill the kernel"),
                evidence=Evidence(installed=res.crashed, details=(
                    ("stderr", res.stderr_tail[-1500:]),) if res.stderr_tail else ()),
                packages=(res.module,),
            ))
            continue
        if not res.ok:
            line = _error_line(res.error)
            known = explain((res.error or {}).get("text") or line)
            because = known[0] if known and known[0] else (
                "`import %s` raises %s in the target interpreter." % (res.module, line))
            fix = Fix(command=known[1], text=None) if known and known[1] else None
            findings.append(Finding(
                code="ED601", severity=Severity.ERROR,
                title="import %s fails: %s" % (res.module, line[:160]),
                because=because,
                evidence=Evidence(installed=line, source=(known[2] if known else None),
                                  details=(("traceback", "\n".join(
                                      (res.error or {}).get("frames") or [])),)),
                fix=fix, packages=(res.module,),
            ))
        for symbol, outcome in sorted(res.symbols.items()):
            if outcome.get("ok"):
                continue
            line = _error_line(outcome.get("error"))
            if not res.ok and (res.error or {}).get("message") == \
                    (outcome.get("error") or {}).get("message"):
                continue  # the module itself failed: one finding says it
            known = explain((outcome.get("error") or {}).get("text") or line)
            findings.append(Finding(
                code="ED602", severity=Severity.ERROR,
                title="the lab's `%s` is not importable: %s" % (symbol, line[:160]),
                because=known[0] if known and known[0] else
                "The lab's code imports %s, and this environment's %s does not provide it."
                % (symbol, symbol.split(".")[0]),
                evidence=Evidence(installed=line, needed=symbol,
                                  source=known[2] if known else None),
                fix=Fix(command=known[1]) if known and known[1] else None,
                packages=(symbol.split(".")[0],),
            ))
        if res.ok and res.environment_changes:
            names = ", ".join(sorted(res.environment_changes)[:6])
            findings.append(Finding(
                code="ED605", severity=Severity.INFO,
                title="import %s changes environment variables: %s" % (res.module, names),
                because="These changes happen inside the lab's kernel too (envdoctor saw them "
                        "in its child process only).",
                evidence=Evidence(details=tuple(
                    (k, "%s -> %s" % (v.get("before"), v.get("after")))
                    for k, v in sorted(res.environment_changes.items())[:6])),
                packages=(res.module,),
            ))
    return findings
