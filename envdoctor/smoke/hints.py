"""Why a smoke stage failed: the error read by ``envdoctor explain``'s knowledge (the one
signature table, ``signatures.yaml``, the matrix's recorded errors and explain's mechanisms),
turned into a :class:`~envdoctor.smoke.result.Hint`; an unknown failure gets a generic hint
for its stage.
"""

import re
from typing import Any, Dict, Iterable, List, Optional, Sequence

from envdoctor.findings import pip_install_command
from envdoctor.smoke.result import Hint

__all__ = ["explain", "relevant_lines", "hint_from_explanation"]

_CHECK_NOTE = " (run `envdoctor check` for the version this lab needs)"

_GENERIC = {
    "import": ("importing mindspore failed, so nothing else could run.",
               "run `envdoctor check` to see what is wrong with the installation"),
    "device": ("MindSpore could not run an operation on the device.",
               "leave out --device to let envdoctor pick one that works"),
    "mindnlp": ("importing mindnlp failed.", "run `envdoctor check` for the versions it needs"),
    "tokenizer": ("the tokenizer could not be trained or does not round-trip.", None),
    "data": ("mindspore.dataset could not build padded batches.", None),
    "forward": ("the model's forward pass failed or computed nonsense.", None),
    "backward": ("automatic differentiation failed or gave unusable gradients.", None),
    "optimizer": ("the optimizer could not update the weights.", None),
    "loss": ("training steps ran but the loss did not fall.", None),
    "accuracy": ("the model trained but did not learn the task: the numbers computed on this "
                 "device are probably wrong.", None),
    "compiled": ("the same training step fails or differs when compiled (graph mode / jit), "
                 "which the lab uses (Trainer(jit=True)).",
                 "train without jit for now; report the error with `envdoctor snapshot`"),
    "checkpoint": ("saving or loading a checkpoint failed or changed the model.", None),
}

_RELEVANT = re.compile(
    r"\[ERROR\]|\bError\b|error:|Traceback|Fatal Python error|Segmentation fault|Aborted|"
    r"not found|cannot open shared object|terminate called|Exception|File \"|core dumped",
    re.IGNORECASE)


_NOISE_FRAME = re.compile(
    r'File "<frozen importlib|envdoctor[/\\]probes[/\\](?:lab_smoke|smoke_\w+)\.py')


def relevant_lines(lines: Sequence[str], crash: bool = False, limit: int = 12) -> List[str]:
    """The stderr lines worth showing: errors, not the MindSpore warning chatter. For a crash,
    the end of stderr (faulthandler's stack) matters most."""
    picked = []  # type: List[str]
    seen = set()
    source = list(lines)[-200:]
    for line in source:
        text = line.strip()
        if not text or text in seen:
            continue
        if _RELEVANT.search(text) and not text.startswith("[WARNING]") \
                and not _NOISE_FRAME.search(text):
            seen.add(text)
            picked.append(text if len(text) <= 400 else text[:397] + "...")
    if crash:
        # faulthandler's report: "Fatal Python error: ...", then the stack, innermost first.
        # Import machinery and envdoctor's own frames say nothing about the cause.
        tail = [l.strip() for l in source if l.strip() and not _NOISE_FRAME.search(l)]
        fatal = [l for l in tail if l.startswith("Fatal Python error")]
        start = tail.index(fatal[-1]) if fatal else max(0, len(tail) - limit)
        tail = tail[start:start + limit]
        picked = [l for l in picked if l not in tail][-(limit - len(tail)):] + tail \
            if len(tail) < limit else tail
    return picked[-limit:] if not crash else picked[:limit]


def hint_from_explanation(exp: Any, python: Optional[str] = None) -> Hint:
    """A hint from explain's :class:`~envdoctor.explain.model.Explanation`. A guess is shown
    as one, never with a fix to apply; a fix names the target (``<python> -m pip``)."""
    diagnosis = exp.finding()
    if exp.confidence == "guess":
        return Hint("Possibly: " + exp.because, None, exp.source, diagnosis)
    if exp.requirements:
        fix = pip_install_command(exp.requirements, python) + (
            _CHECK_NOTE if exp.kind == "module" else "")
    else:
        fix = exp.fix or exp.note
    return Hint(exp.because, fix, exp.source, diagnosis)


def _known(text: str, python: Optional[str] = None) -> Optional[Hint]:
    from envdoctor.explain import explain_text

    try:
        found = explain_text(text)
    except Exception:  # a broken data file must not hide the stage's own failure
        return None
    sure = [e for e in found if e.confidence != "guess"]
    if not (sure or found):
        return None
    return hint_from_explanation(sorted(sure or found, key=lambda e: e.rank)[0], python)


def explain(stage: str, detail: str, error: Optional[Dict[str, str]],
            stderr: Iterable[str] = (), crashed: bool = False,
            timed_out: bool = False, python: Optional[str] = None) -> Hint:
    text = "\n".join([detail or "", (error or {}).get("message", ""),
                      (error or {}).get("traceback", "")[-3000:]] + list(stderr)[-200:])
    known = _known(text, python)
    if known is not None:
        return known
    if timed_out:
        return Hint("the target stopped making progress in this stage. A device that hangs "
                    "while initialising, or a dataset worker waiting forever, looks like this.",
                    "retry with --device CPU, or a larger --timeout if the machine is just slow")
    if crashed:
        return Hint("the target interpreter itself crashed (not a Python exception): a native "
                    "library in this stage aborted. The log shows its last words.",
                    "check the installation with `envdoctor check`; a mismatched compiled "
                    "package (numpy, mindspore, a CUDA/CANN library) is the usual cause")
    because, fix = _GENERIC.get(stage, ("this stage failed.", None))
    return Hint(because[0].upper() + because[1:], fix)
