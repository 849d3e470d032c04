"""Why a smoke stage failed: known error signatures turned into an explanation and a fix.

Pure functions over text (the stage's detail, the exception the target sent and the
target's stderr). The signatures come from errors reproduced while researching the lab's
stack (``mindspore-compat-facts.md``, section 5); an unknown failure gets a generic hint
for its stage.
"""

import re
from typing import Dict, Iterable, List, Optional, Sequence

from envdoctor.smoke.result import Hint

__all__ = ["explain", "relevant_lines", "SIGNATURES"]

_NOTES = "research notes: mindspore-compat-facts.md"

# (regex over detail + message + stderr, because, fix). The first match wins.
SIGNATURES = (
    (r"No module named '?mindspore'?(?![.\w])",
     "mindspore is not installed in this interpreter.",
     "pip install mindspore (run `envdoctor check` for the version this lab needs)"),
    (r"No module named '?mindnlp'?(?![.\w])",
     "mindnlp is not installed in this interpreter.",
     "pip install mindnlp (run `envdoctor check` for the version this lab needs)"),
    (r"compiled using NumPy 1\.x cannot be run in\s+NumPy 2|numpy\.core\.multiarray failed to "
     r"import|_ARRAY_API not found",
     "MindSpore's compiled extension was built against NumPy 1.x and NumPy 2 is installed "
     "(MindSpore 2.10 no longer caps numpy, so pip picks 2.x).",
     "pip install \"numpy<2\""),
    (r"Unable to avoid copy while creating an array|np\.array\(obj, copy=False\)",
     "NumPy 2 is installed: MindSpore's GeneratorDataset calls np.array(x, copy=False), which "
     "NumPy 2 refuses. mindspore.run_check() does not touch the dataset, so it still passes.",
     "pip install \"numpy<2\""),
    (r"has no attribute 'ANTIALIAS'",
     "Pillow 10 removed Image.ANTIALIAS, and MindSpore 2.0 compares Pillow versions as strings, "
     "so it takes the old code path.",
     "pip install \"pillow<10\""),
    (r"cannot import name 'Truncate' from 'mindspore\.dataset\.text'",
     "This MindSpore is a 2.0 pre-release without the text ops mindnlp 0.1 imports.",
     "install MindSpore 2.0.0 final or later"),
    (r"has no attribute '_stub_tensor'|cannot import name 'Tensor' from "
     r"'mindspore\._c_expression'",
     "This mindnlp was written for an older MindSpore (0.3.x: 2.1-2.3; 0.4.x: 2.2.14-2.5) and "
     "reaches into internals that MindSpore 2.7+ removed.",
     "install the MindSpore its README lists, or mindnlp 0.5.x for MindSpore 2.5-2.7"),
    (r"KeyError: None[\s\S]*finfo|finfo[\s\S]*KeyError: None",
     "mindnlp 0.5.x does not work with transformers 5.x.",
     "pip install \"transformers>=4.55,<5\""),
    (r"mindtorch\.distributions\.wishart",
     "peft 0.18+ imports torch.distributions.wishart, which mindnlp 0.5.1's torch proxy lacks.",
     "pip install \"peft<0.18\""),
    (r"mindtorch\.distributed\.fsdp",
     "diffusers 0.36+ needs torch FSDP APIs that mindnlp 0.5.1's torch proxy lacks.",
     "pip install \"diffusers<0.36\""),
    (r"pyarrow requires NumPy 2\.0 or newer",
     "pyarrow 26+ needs NumPy 2, and MindSpore up to 2.9 needs NumPy 1.",
     "pip install \"pyarrow<26\""),
    (r"Unsupported device target GPU|libcuda\.so[^\n]*not found|libcudnn\.so[^\n]*not found|"
     r"libcublas\.so\.11|libmindspore_gpu\.so[^\n]*failed|Cuda \[.*\] version",
     "MindSpore's GPU backend could not load. Its x86_64 wheels carry GPU plugins built for "
     "CUDA 11.1 / 11.6 only (libmindspore_gpu.so.11.x), which need the CUDA 11 runtime and "
     "cuDNN 8 libraries on LD_LIBRARY_PATH; a CUDA 12 system or a newer GPU (sm_90: H100/H200, "
     "first supported by CUDA 11.8) is not enough. GPU support was dropped from MindSpore's "
     "release notes after 2.2.",
     "run on CPU (`--device CPU`), or install CUDA 11.6 + cuDNN 8.5 and put their lib folders "
     "on LD_LIBRARY_PATH"),
    (r"Unsupported device target Ascend|libge_runner\.so|Ascend AI software package|"
     r"ccec_compiler|ASCEND_OPP_PATH",
     "MindSpore could not use an Ascend NPU: the CANN toolkit and driver are missing, not on the "
     "library path, or not the version this MindSpore was built for.",
     "source /usr/local/Ascend/ascend-toolkit/set_env.sh, and match CANN to the MindSpore "
     "release; or run on CPU (`--device CPU`)"),
    (r"aarch64-linux-gnu\.so|wrong ELF class|cannot open shared object file: No such file.*"
     r"_c_expression",
     "The installed mindspore wheel was built for another machine (PyPI's cpXY-none-any "
     "wheels are Linux aarch64 builds).",
     "use a Python / MindSpore pair that has a wheel for this platform"),
    (r"GLIBC(XX)?_[\d.]+' not found",
     "A compiled library needs a newer C/C++ runtime than this system has.",
     "use a newer OS image (or conda's libstdcxx-ng)"),
    (r"libgomp\.so\.1: cannot allocate memory in static TLS block",
     "Another library loaded its own OpenMP before mindspore.",
     "import mindspore first, or export LD_PRELOAD=<path to libgomp.so.1>"),
    (r"Descriptors cannot be created directly",
     "The installed protobuf is too new for the generated code being imported.",
     "export PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python, or pip install \"protobuf<=3.20.3\""),
    (r"No implementation for function: (addcdiv|raw_sgd|raw_adam\w*) on cpu",
     "mindnlp 0.5's torch layer (mindtorch) has no CPU kernel for the optimizer update "
     "(addcdiv for torch.optim.Adam/AdamW, the transformers Trainer's default, raw_sgd for "
     "SGD), so no training step can run on CPU with this mindnlp; it targets Ascend NPUs. "
     "optimizer.zero_grad() is broken too (no mindtorch.autograd.profiler).",
     "run the lab on an Ascend NPU; on CPU, train with MindSpore's own API (`envdoctor smoke "
     "--level mindspore` shows whether that works here)"),
    (r"No module named '?tokenizers'?",
     "tokenizers is not installed.",
     "pip install tokenizers"),
)

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


def explain(stage: str, detail: str, error: Optional[Dict[str, str]],
            stderr: Iterable[str] = (), crashed: bool = False,
            timed_out: bool = False) -> Hint:
    text = "\n".join([detail or "", (error or {}).get("message", ""),
                      (error or {}).get("traceback", "")[-3000:]] + list(stderr)[-200:])
    for pattern, because, fix in SIGNATURES:
        if re.search(pattern, text):
            return Hint(because, fix, _NOTES)
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
