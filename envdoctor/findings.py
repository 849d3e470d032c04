"""Findings: what a check says about an environment, as data.

Every finding has a stable code (``ED101``), documented in :data:`CODES` and printed by
``envdoctor explain ED101``. Renderers (text, JSON, HTML) only format findings; they never
decide anything.
"""

import shlex
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Dict, Optional, Sequence, Tuple

__all__ = [
    "Severity",
    "Evidence",
    "Fix",
    "Finding",
    "CodeDoc",
    "CODES",
    "AREAS",
    "CONFIDENCES",
    "finding",
    "pip_install_command",
]

# How sure a diagnosis of pasted text is: its exact text was seen and explained before, a
# mechanism read it (which library, which tag, which name), or it is a guess (shown as one,
# never with a fix to apply). Findings of checks on an environment have none.
CONFIDENCES = ("exact", "mechanism", "guess")


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Evidence:
    """What was found against what was expected, and who says so."""

    installed: Optional[str] = None
    needed: Optional[str] = None
    source: Optional[str] = None  # "declared: transformers 4.35.0 metadata", a link, ...
    details: Tuple[Tuple[str, str], ...] = ()

    def summary(self) -> str:
        """"found X; needed Y", the one line every renderer shows ('' when neither is known)."""
        parts = []
        if self.installed:
            parts.append("found " + self.installed)
        if self.needed:
            parts.append("needed " + self.needed)
        return "; ".join(parts)

    def to_dict(self) -> Dict[str, Any]:
        out = {"installed": self.installed, "needed": self.needed, "source": self.source}
        for key, value in self.details:
            out[key] = value
        return out


def pip_install_command(requirements: Sequence[str], python: Optional[str] = None,
                        options: Sequence[str] = (), verb: str = "install") -> str:
    """The exact, shell-quoted pip command; ``python -m pip`` so it hits the right interpreter.

    Every value is quoted, and ``--`` ends pip's options, so a requirement taken from data
    (``--requirement=x``, ``-r file``) stays an argument pip refuses, never an option.
    ``options`` (``--no-deps``, ``-y``) are envdoctor's own constants, never data."""
    prefix = [python or "python", "-m", "pip", verb] + list(options) + ["--"]
    return " ".join(shlex.quote(str(p)) for p in prefix + list(requirements))


@dataclass(frozen=True)
class Fix:
    """How to fix a finding: a command to run and/or advice in words."""

    command: Optional[str] = None
    text: Optional[str] = None
    requirements: Tuple[str, ...] = ()  # the pins the command installs, for `fix` to plan with

    def to_dict(self) -> Dict[str, Any]:
        return {"command": self.command, "text": self.text, "requirements": list(self.requirements)}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    title: str
    because: str
    evidence: Evidence = field(default_factory=Evidence)
    fix: Optional[Fix] = None
    packages: Tuple[str, ...] = ()
    # Added for one diagnosis type across checks, explain, --deep and smoke (keyword fields at
    # the end, so every positional call keeps working).
    source: Optional[str] = None  # a link, "verified: ...", "declared: ..."
    confidence: Optional[str] = None  # one of CONFIDENCES; None for checks
    no_fix_reason: Optional[str] = None  # why no fix can be given, and what to look at
    location: Optional[str] = None  # the input line, or file:line

    @property
    def area(self) -> str:
        return CODES[self.code].area if self.code in CODES else "other"

    def to_dict(self) -> Dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "area": self.area,
            "title": self.title,
            "because": self.because,
            "evidence": self.evidence.to_dict(),
            "fix": self.fix.to_dict() if self.fix else None,
            "packages": list(self.packages),
            "source": self.source,
            "confidence": self.confidence,
            "no_fix_reason": self.no_fix_reason,
            "location": self.location,
        }


def finding(code: str, title: str, because: str, severity: Optional[Severity] = None,
            **fields: Any) -> Finding:
    """A :class:`Finding` whose severity is the one its code documents in :data:`CODES`.
    ``severity`` overrides it only where one code has two documented levels (ED105: a
    duplicate that is the same version is only information)."""
    doc = CODES.get(code)
    if severity is None:
        if doc is None:
            raise KeyError("undocumented finding code %r: add it to envdoctor.findings.CODES"
                           % code)
        severity = doc.severity
    return Finding(code, severity, title, because, **fields)


@dataclass(frozen=True)
class CodeDoc:
    code: str
    area: str
    severity: Severity
    title: str
    doc: str


AREAS = {
    "requirements": "Declared requirements (what pip check sees)",
    "compatibility": "Compatibility matrix (what really works)",
    "recipe": "Lab recipe",
    "environment": "Interpreter and installation",
    "imports": "Imports (deep check)",
    "devices": "Devices",
    "smoke": "Smoke train",
    "explain": "Pasted errors (explain)",
    "lab": "The lab's own files (--lab)",
    "other": "envdoctor itself",
}


def _codes(*docs: CodeDoc) -> Dict[str, CodeDoc]:
    return {d.code: d for d in docs}


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

CODES = _codes(
    CodeDoc("ED101", "requirements", E, "Installed version does not satisfy a requirement",
            "A distribution declares (Requires-Dist) that it needs another one within a version "
            "range, and the installed version is outside it. This is what pip reports as "
            "'X requires Y<spec>, but you have Y v which is incompatible', and `pip check` as "
            "'X has requirement ...'. The package may still import, but its authors say it is "
            "not meant to work with that version (transformers checks some at import time).\n"
            "Fix: install a version inside the range; the fix line gives the exact command."),
    CodeDoc("ED102", "requirements", E, "A required distribution is not installed",
            "A distribution declares that it needs another one, which is not installed at all. "
            "Importing it will usually fail with ModuleNotFoundError.\nFix: install it."),
    CodeDoc("ED103", "requirements", W, "A requirement could not be evaluated",
            "A Requires-Dist line could not be parsed, or names an installed distribution whose "
            "version is not PEP 440, so envdoctor cannot tell whether it is satisfied."),
    CodeDoc("ED104", "requirements", W, "Installed version is not a PEP 440 version",
            "Modern pip and packaging reject versions like '2.2.3.2c7f2141' (ModelArts' "
            "moxing-framework). pip may then fail with 'Invalid version' while installing "
            "something else. envdoctor reports it and carries on.\n"
            "Fix: if pip fails on it, uninstall or reinstall that distribution."),
    CodeDoc("ED105", "environment", W, "The same distribution is installed twice",
            "Two copies of one distribution are on sys.path (often one in the user site from "
            "`pip install --user` and one in the image). Python imports the first; pip may "
            "upgrade the other, so upgrades seem to do nothing.\n"
            "Fix: uninstall the copy that is not wanted (the command names it)."),
    CodeDoc("ED106", "environment", E, "Installed for a Python it does not support",
            "The distribution declares Requires-Python, and the interpreter is outside it "
            "(it was installed with --ignore-requires-python, or copied in)."),
    CodeDoc("ED107", "environment", W, "Unreadable distribution metadata",
            "A *.dist-info or *.egg-info folder could not be read; pip and importlib will "
            "trip over it too.\nFix: remove the broken folder or reinstall the package."),
    CodeDoc("ED108", "environment", W, "pip is not installed in the target environment",
            "Without pip in the target interpreter, neither the student nor `envdoctor fix` can "
            "install anything there.\nFix: python -m ensurepip --upgrade"),
    CodeDoc("ED109", "environment", E, "Compiled for another machine",
            "The package's compiled extension targets a different CPU architecture or OS than "
            "this machine. mindspore's `cpXY-none-any` wheels on PyPI are Linux aarch64 builds "
            "with a wrong tag, and pip installs them on x86_64, macOS or Windows when no "
            "platform wheel matches. They install, then fail at import.\n"
            "Fix: use a Python / MindSpore pair that has a wheel for this platform."),
    CodeDoc("ED601", "imports", E, "A lab module fails to import",
            "`envdoctor check --deep` imported the module in the target interpreter (in a "
            "child process) and it raised. The finding carries the exception, the last frames "
            "and, when envdoctor knows the error, its cause and fix."),
    CodeDoc("ED602", "imports", E, "A name the lab imports is missing",
            "The module imports, but a name the lab's code imports from it does not exist in "
            "this version (the student's `cannot import name 'GPTTokenizer' from "
            "'mindnlp.transforms'`). The recipe lists the names each lab imports."),
    CodeDoc("ED603", "imports", E, "Importing a lab module crashes the interpreter",
            "The child process died from a signal (segmentation fault, abort) while importing: "
            "a lab cell doing the same kills the kernel. Often a binary built for another "
            "CPU, NumPy ABI mismatches or a library loaded twice."),
    CodeDoc("ED604", "imports", E, "Importing a lab module hangs",
            "The import did not finish within the deep check's timeout (--deep-timeout)."),
    CodeDoc("ED605", "imports", I, "Importing a module changes environment variables",
            "mindnlp sets HF_ENDPOINT and TOKENIZERS_PARALLELISM; MindSpore sets "
            "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION. Shown so a lab is not surprised."),
    CodeDoc("ED201", "compatibility", E, "Known-broken combination",
            "The installed versions match a rule in compat_matrix.yaml whose verdict is "
            "'broken': this set was run (verified) or reported to fail, even where its metadata "
            "allows it. The finding names the rule, its source and the error it produces."),
    CodeDoc("ED202", "compatibility", W, "Unsupported combination",
            "The installed versions match a rule whose verdict is 'unsupported': outside the "
            "range the authors support or that was verified, so it may or may not work."),
    CodeDoc("ED203", "compatibility", I, "Verified combination",
            "The installed versions match a rule whose verdict is 'works'."),
    CodeDoc("ED301", "recipe", E, "A package the lab needs is missing",
            "The lab recipe lists this package and it is not installed."),
    CodeDoc("ED302", "recipe", E, "A package is outside the lab's range",
            "The lab recipe needs a version range (or a source, such as a git tag) and the "
            "installed distribution is outside it."),
    CodeDoc("ED303", "recipe", E, "This Python is not one the lab supports",
            "The lab recipe lists the Python versions its packages exist for and work on; "
            "this interpreter is not one of them, so no pin can fix the environment.\n"
            "Fix: create a venv with a supported Python (the finding names them)."),
    CodeDoc("ED304", "recipe", W, "This platform is not one the lab supports",
            "The lab recipe lists the platforms it was verified on; this is not one of them."),
    CodeDoc("ED305", "recipe", I, "No recipe applies",
            "No lab recipe supports this Python, or none was asked for; only the declared "
            "requirements and the compatibility matrix were checked."),
    CodeDoc("ED306", "recipe", I, "Recipe is declared-only",
            "The recipe's versions come from package metadata and documentation; envdoctor "
            "has not run it. Its wheels may not be on PyPI (the finding says where they are)."),
    # --- devices (envdoctor/checks/devices.py; facts from envdoctor/probes/device_probe.py)
    CodeDoc("ED501", "devices", W, "NVIDIA GPU found, but this MindSpore has no GPU backend",
            "The machine has an NVIDIA GPU, and the installed MindSpore ships no GPU plugin "
            "(mindspore/lib/plugin/libmindspore_gpu.so.11.x), so set_device('GPU') fails with "
            "'Unsupported device target GPU' and training runs on CPU. PyPI's Linux x86_64 "
            "wheels of 2.0.0 and 2.7.0-2.10.0 carry CUDA 11.1/11.6 plugins; aarch64, Windows "
            "and macOS wheels have none.\nFix: install a MindSpore wheel with GPU plugins, or "
            "train on CPU."),
    CodeDoc("ED502", "devices", W, "MindSpore's GPU plugins cannot load their CUDA libraries",
            "There is an NVIDIA GPU and MindSpore ships GPU plugins, but the dynamic loader "
            "cannot find a library every plugin links against (read from the plugin's ELF "
            "header: libcudart.so.11.0, libcublas.so.11, libcudnn.so.8, ...). MindSpore then "
            "logs 'Load dynamic library: libmindspore_gpu.so.11.6 failed. libcublas.so.11: "
            "cannot open shared object file' and 'Unsupported device target GPU'. A CUDA 12 or "
            "13 install does not help: its libraries have other sonames.\nFix: install CUDA "
            "11.6 with cuDNN 8.5 (or 11.1 with cuDNN 8.0) and put their lib folders on "
            "LD_LIBRARY_PATH; when the libraries are already on disk, the finding gives the "
            "export line."),
    CodeDoc("ED503", "devices", W, "GPU architecture outside what MindSpore's CUDA supports",
            "MindSpore's GPU plugins are built with CUDA 11.1/11.6, which compile for GPUs up "
            "to sm_86/sm_87. Hopper (H100, H200: sm_90) and Ada (L4, L40, RTX 40xx: sm_89) "
            "need CUDA 11.8 or newer, so MindSpore's kernels can only run there if the driver "
            "JIT-compiles their PTX: untested, and may fail with a CUDA error at the first "
            "op. GPUs of compute capability 5.3 or lower are below MindSpore's documented "
            "minimum.\nFix: run `envdoctor smoke` to see whether training really works; "
            "otherwise train on CPU or on an older GPU (A100, A10, T4, V100)."),
    CodeDoc("ED504", "devices", W, "NVIDIA driver too old for MindSpore's CUDA 11 plugins",
            "The driver supports an older CUDA than the plugins need (CUDA 11.x needs a driver "
            "for CUDA 11.0 or newer, 450.80.02 on Linux).\nFix: upgrade the NVIDIA driver."),
    CodeDoc("ED505", "devices", I, "MindSpore's GPU backend is unofficial in this release",
            "MindSpore documents GPU support from 2.0.0-alpha to 2.2.14; from 2.3.0-rc1 the "
            "release lists and install guides name Ascend and CPU only, although the x86_64 "
            "wheels still carry CUDA 11.1/11.6 plugins. It may work; nobody promises it."),
    CodeDoc("ED506", "devices", W, "The NVIDIA GPU could not be queried",
            "An NVIDIA driver is there, but NVML or nvidia-smi failed or did not answer "
            "(e.g. 'Driver/library version mismatch' after a driver upgrade without a reboot, "
            "or a hung GPU). MindSpore's GPU backend uses the same driver and will fail too."
            "\nFix: run nvidia-smi; reboot after a driver upgrade, or reinstall the driver."),
    CodeDoc("ED507", "devices", I, "GPUs hidden by CUDA_VISIBLE_DEVICES",
            "CUDA_VISIBLE_DEVICES is set to a value that hides every GPU, so CUDA programs, "
            "MindSpore included, see none."),
    CodeDoc("ED511", "devices", W, "Ascend NPU found, but no CANN toolkit",
            "The machine has Ascend NPUs (npu-smi or /dev/davinci*), but no CANN toolkit was "
            "found (ascend-toolkit, nnae, cann under /usr/local/Ascend or ~/Ascend, or "
            "ASCEND_HOME_PATH). MindSpore then fails with 'Unsupported device target Ascend' "
            "after warnings such as 'Can not find opp path'.\nFix: install the CANN version "
            "the installed MindSpore expects, then source its set_env.sh."),
    CodeDoc("ED512", "devices", W, "CANN version not one this MindSpore accepts",
            "Each MindSpore release accepts a few CANN compiler versions (AscendEnvChecker in "
            "mindspore/run_check/_check_version.py, compared with <toolkit>/compiler/"
            "version.info). Outside them MindSpore warns 'MindSpore version X and Ascend AI "
            "software package ... version Y does not match' and may fail later with undefined "
            "symbols such as aclmdlBundleGetModelId.\nFix: install a matching CANN, or the "
            "MindSpore release made for this CANN."),
    CodeDoc("ED513", "devices", W, "CANN is installed but not set up in this environment",
            "A CANN toolkit is on disk, but this environment lacks what its set_env.sh sets "
            "(ASCEND_OPP_PATH, the CANN lib64 folders on LD_LIBRARY_PATH), or MindSpore's "
            "Ascend plugin links against CANN libraries the loader cannot find (libge_runner.so"
            ", libascendcl.so, ...). The variables must be set before Python starts: for a "
            "notebook, in the kernel's environment.\nFix: source <toolkit>/set_env.sh (the "
            "finding names it), then restart the kernel or shell."),
    CodeDoc("ED514", "devices", W, "Ascend NPU found, but this MindSpore has no Ascend backend",
            "The machine has Ascend NPUs, but the installed MindSpore ships no Ascend plugin "
            "(mindspore/lib/plugin/libmindspore_ascend.so*), so it can only run on CPU.\nFix: "
            "install the MindSpore wheel for this architecture that supports Ascend, matching "
            "the installed CANN."),
    CodeDoc("ED515", "devices", W, "The Ascend NPUs could not be queried",
            "/dev/davinci* devices exist, but npu-smi failed or did not answer (not in the "
            "HwHiAiUser group, a driver problem, a hung device).\nFix: run `npu-smi info`; "
            "ask the administrator to check the NPU driver."),
    CodeDoc("ED521", "devices", I, "This x86_64 CPU has no AVX2",
            "MindSpore's x86_64 CPU kernels are built with AVX/AVX-512 SIMD variants; whether "
            "a CPU without AVX2 runs them is not verified. If `import mindspore` dies with "
            "'Illegal instruction', this is why."),
    # --- end devices
    CodeDoc("ED701", "smoke", E, "The smoke train fails at a stage",
            "`envdoctor smoke` (or `check --smoke`) trained a toy GPT classifier in the target "
            "interpreter, the lab's recipe at toy scale: import mindspore, pick a device and "
            "run an op, train a byte-level BPE tokenizer, batch and pad with "
            "mindspore.dataset, forward, backward, one optimizer step, loss falls, held-out "
            "accuracy well above chance, the same step compiled with jit, checkpoint save and "
            "load. A stage failed; the finding names it, shows the error and, when the error "
            "is a known one, its cause and fix. Later stages did not run."),
    CodeDoc("ED702", "smoke", W, "The smoke train passes with a fallback",
            "Every stage worked, but one needed a fallback, e.g. `tokenizers` is not "
            "installed and envdoctor trained its own pure-Python byte-level BPE instead. The "
            "lab itself needs the missing piece."),
    CodeDoc("ED703", "smoke", I, "The smoke train passes",
            "A toy GPT trained end to end in the target: the loss fell, held-out accuracy was "
            "well above chance, the compiled step matched the eager one and a checkpoint "
            "round-tripped. The finding gives the device, the numbers and the time taken."),
    # --- codes: one framework per environment (ED110-ED119), issue 12
    CodeDoc("ED110", "environment", E, "Two MindSpore distributions share one mindspore/ folder",
            "MindSpore is published as `mindspore`, `mindspore-dev`, `mindspore-gpu`, "
            "`mindspore-ascend`, `mindspore-cuda11-dev` and more, and each installs the same "
            "`mindspore/` package. pip treats them as unrelated projects: `Requires-Dist: "
            "mindspore` (mindnlp's) is not met by `mindspore-dev`, so `pip install mindnlp` "
            "after a `-dev` build installs `mindspore` over it. The folder then holds files of "
            "two builds, `import mindspore` fails (e.g. `cannot import name 'Tensor' from "
            "'mindspore._c_expression'`) or runs a mix, and `pip check` is clean.\n"
            "Fix: uninstall all of them, then reinstall the one you want with --no-deps; install "
            "MindNLP with --no-deps after it (the fix line gives the commands)."),
    CodeDoc("ED111", "environment", W, "Two distributions install the same top-level package",
            "Two differently named distributions both list one top-level package (top_level.txt "
            "or their RECORD): the one installed last overwrote the other's files, and "
            "uninstalling either removes files the other needs.\n"
            "Fix: uninstall both and reinstall the one you need."),
    CodeDoc("ED112", "requirements", W, "A requirement on mindspore is provided under another name",
            "A distribution requires `mindspore` (mindnlp 0.4 declares `mindspore>=2.2.14`) "
            "and a MindSpore build is installed as `mindspore-dev`, `-gpu` or `-ascend`. pip "
            "and `pip check` count only the name `mindspore`, so they report the requirement "
            "as missing or wrong; this finding says which installed build provides the "
            "package and whether its version fits. When it fits, envdoctor reports this "
            "warning instead of pip check's ED102 / ED101 (the import works); when it does "
            "not, both are reported. Never satisfy it by installing `mindspore` (ED110); "
            "install the dependent with --no-deps."),


    # --- codes: Ascend / CANN fit (ED531-ED549), issue 12
    CodeDoc("ED531", "devices", W, "CANN is not the release this MindSpore is published for",
            "Each MindSpore release is built against one CANN release, named on its install "
            "page (2.4.1: CANN 8.0.RC3; 2.5.0: 8.0.0; 2.6.0: 8.1.RC1; table and sources in "
            "envdoctor/ascend.py). With another CANN, `import mindspore` works and the Ascend "
            "device fails later. Said only when MindSpore's own compiler check (ED512) cannot "
            "be compared. The fix names the CANN to install, or the MindSpore release made for "
            "the installed CANN."),
    CodeDoc("ED532", "devices", W, "Ascend NPU driver older than the installed CANN needs",
            "A CANN release runs on the Ascend HDK (npu-driver, npu-firmware) of its own "
            "solution or a newer one (CANN 8.0.0 with 24.1.0, 8.0.RC3 with 24.1.RC3, 8.1.RC1 "
            "with 25.0.RC1). The driver version comes from `npu-smi info` or "
            "/usr/local/Ascend/driver/version.info."),
    CodeDoc("ED533", "devices", W, "MindSpore for Ascend published for other Pythons",
            "The Ascend wheels of a MindSpore release exist for a few Pythons (2.2: 3.7-3.9; "
            "2.3: 3.8-3.10; 2.4-2.7.1: 3.9-3.11; 2.7.2-2.9: 3.9-3.12; 2.10: 3.10-3.12)."),
    CodeDoc("ED534", "devices", I, "MindSpore, CANN and driver are a documented set",
            "The installed MindSpore, the CANN release and the NPU driver match the pairing "
            "MindSpore documents."),
    CodeDoc("ED535", "devices", I, "No documented CANN pairing for this MindSpore",
            "envdoctor's table has no CANN and driver release for this MindSpore line (2.8, "
            "2.10: none found in the public install pages); only MindSpore's own accepted "
            "compiler versions (ED512) apply."),


    # --- codes: explain's mechanisms (ED401-ED499), issue 13
    CodeDoc("ED401", "explain", E, "A known error text",
            "`envdoctor explain` (or --deep, or smoke) found a line of the signature table "
            "(signatures.yaml) in the pasted text: an error met before in MindSpore / MindNLP "
            "labs, with its cause, the packages involved and a fix. Confidence: exact."),
    CodeDoc("ED402", "explain", E, "An error the compatibility matrix records",
            "The text contains the error a rule of compat_matrix.yaml records for a broken "
            "combination, and the packages of that rule appear in the text. The rule's fix "
            "(verified, reported or declared) applies."),
    CodeDoc("ED403", "explain", E, "A name or module the installed release does not have",
            "`cannot import name X from M`, `module M has no attribute X` or `No module named "
            "M.sub`: the API index (read from the real wheels) or the small name index "
            "(envdoctor/explain/names.yaml, each entry with its release note) says which "
            "releases have the name, and in which direction to move: an older release when it "
            "was removed, a newer one when it was added."),
    CodeDoc("ED404", "explain", E, "pip reports a dependency conflict",
            "pip's resolver (`A requires B<2, but you have B 2.1 which is incompatible`), "
            "`pip check` or `ResolutionImpossible` output, read in any line format (CI "
            "timestamps, colour codes, Windows paths, old and new wording). The fix installs "
            "the one version of each package that satisfies every line."),
    CodeDoc("ED405", "explain", E, "A module is not installed for this interpreter",
            "`No module named 'x'` for a top-level module: no installed distribution provides "
            "it to the interpreter that ran the code."),
    CodeDoc("ED406", "explain", E, "The dynamic loader cannot load a library",
            "`cannot open shared object file`, `undefined symbol`, `version GLIBC_2.xx / "
            "GLIBCXX_3.4.xx not found`: envdoctor reads which library or symbol version is "
            "missing, which component provides it (CUDA, cuDNN, cuBLAS, NCCL, CANN, libGL, "
            "libstdc++, glibc) and which package needed it, and says what fits: the component "
            "and version to install or put on LD_LIBRARY_PATH, or for a glibc symbol the "
            "manylinux tag a wheel must have to run on this system."),
    CodeDoc("ED407", "explain", E, "pip finds no installable release",
            "`is not a supported wheel on this platform`, `Ignored the following versions that "
            "require a different python version`, `Could not find a version that satisfies "
            "the requirement`, `requires a different Python`: envdoctor compares the wheel's "
            "tags (Python, ABI, platform) with the interpreter's, or the Requires-Python "
            "windows with the Python in use, and names the release or Python that fits."),
    CodeDoc("ED408", "explain", E, "An Ascend / CANN error",
            "An Ascend log (`EZ9999`, `EE1001`, `[ERROR] RUNTIME`, `aclnn...`, op-info files, "
            "runtime initialisation) read as a whole: the CANN component that failed and "
            "whether it is the installation (version, set_env.sh) or the model's operator. "
            "Advice depends on the MindSpore version in the text when there is one."),
    CodeDoc("ED409", "explain", I, "A possible cause (a guess)",
            "The text fits a known cause only loosely (no exact signature, no mechanism that "
            "reads it whole). The explanation is shown as a guess, with what to check, and "
            "never with a fix to apply."),


    # --- codes: the lab read from its files (ED801-ED899), issue 11
    CodeDoc("ED801", "lab", E, "The installed framework lacks a name the lab imports",
            "`check --lab` read the lab's import statements and looked each mindspore.* / "
            "mindnlp.* name up in the API index (api_index.json, built from the real wheels), "
            "without importing anything. The installed release does not have this one, so the "
            "lab's cell raises ImportError. The finding names the lab's file, cell and line and "
            "the releases that have every name the lab imports (the release window); inside "
            "try/except ImportError it is only a warning.\n"
            "Fix: a release in the window (`envdoctor fix --lab PATH` plans it), or change the "
            "lab's import."),
    CodeDoc("ED802", "lab", I, "The installed framework release is not in the API index",
            "The static API check needs the installed mindspore / mindnlp release in "
            "api_index.json; this one is not there, so the lab's imports are not judged "
            "statically. `check --deep --lab` imports them for real."),
    CodeDoc("ED803", "lab", W, "The lab imports a module nothing installed provides",
            "No installed distribution matches a module the lab imports (by name, and by the "
            "common import-name differences such as PIL/pillow). An error for mindspore and "
            "mindnlp; a warning otherwise, since a distribution of another name may provide it "
            "(--deep imports it to be sure). Optional imports (try/except ImportError) and the "
            "lab's own modules are not counted.\nFix: install the distribution."),
    CodeDoc("ED804", "lab", I, "A lab import the API index cannot judge",
            "The module is compiled or fills its names at import time (a lazy module), so the "
            "index does not list its names for this release. `check --deep --lab` imports it."),
    CodeDoc("ED810", "lab", E, "A wheel the lab installs does not fit this target",
            "The lab installs a wheel by URL or path; its file name (read with "
            "packaging.utils.parse_wheel_filename) says which Python, ABI and platform it is "
            "built for, and none of its tags fits the target (the course's notebooks install "
            "cp39 linux_aarch64 MindSpore wheels for Ascend machines). pip refuses it: \"is not "
            "a supported wheel on this platform\".\n"
            "Fix: the wheel of the same release for this Python and platform, or the machine "
            "the wheel is built for."),
    CodeDoc("ED811", "lab", E, "An install line of the lab gets a release without the lab's names",
            "An install line (`!pip install mindnlp`, a pinned version, a wheel, a git tag) "
            "installs a MindSpore / MindNLP release that lacks names the lab imports, per the "
            "API index. An unpinned line gets the newest release pip finds today, so a lab that "
            "worked when it was written breaks when a newer release moves its API.\n"
            "Fix: pin the line to a release of the window the finding names."),
    CodeDoc("ED812", "lab", W, "The lab installs a local file that is not there",
            "An install line names a local wheel, archive or folder that does not exist next "
            "to the lab, and nothing in the lab downloads it.\n"
            "Fix: install by name from an index, or ship the file with the lab."),
    CodeDoc("ED813", "lab", E, "An install line uses a variable set by `!export`",
            "In Jupyter each `!` line runs in its own shell, so `!export VAR=...` is gone when "
            "the next `!pip install .../${VAR}/...` runs: the URL has an empty part and pip "
            "fails.\nFix: `%env VAR=value` (the kernel's environment, inherited by every later "
            "`!` line), or the value written into the line."),
    CodeDoc("ED814", "lab", W, "`!export` in a notebook does not persist",
            "`!export VAR=...` sets the variable in a shell that ends with the line; neither "
            "the kernel nor later `!` lines see it.\nFix: `%env VAR=value` or os.environ."),
    CodeDoc("ED815", "lab", E, "`pip install pip install ...` installs a package named `install`",
            "A doubled `pip install` makes pip read `pip` and `install` as requirements: it "
            "reinstalls pip and installs the unrelated PyPI project `install`.\n"
            "Fix: remove the second `pip install`."),
    CodeDoc("ED816", "lab", I, "The lab changes pip's configuration",
            "`pip config set` writes the user's pip.conf (a mirror as global.index-url, say): "
            "it stays for every later pip run of that user, in every environment.\n"
            "Fix: pass the mirror on the install line (-i URL), or `pip config unset KEY`."),
    CodeDoc("ED817", "lab", E, "The lab installs a second framework distribution",
            "The lab installs one MindSpore distribution (mindspore, mindspore-dev, "
            "mindspore-gpu, ...) while another is installed. pip treats them as unrelated "
            "projects and unpacks both into one mindspore/ folder; the files mix.\n"
            "Fix: skip that cell here, or uninstall the installed distribution first."),
    CodeDoc("ED820", "lab", E, "The lab asks for a device this machine cannot give",
            "The lab calls set_context(device_target=...) or set_device(...) with Ascend or "
            "GPU, and the device probe finds no usable backend of that kind (a warning when "
            "the snapshot carries no device data).\n"
            "Fix: change that line to device_target='CPU' (the finding prints it), or run the "
            "lab on a machine with the device."),
    CodeDoc("ED821", "lab", I, "The lab downloads from a model or dataset hub",
            "from_pretrained, load_dataset, evaluate.load and the like fetch at run time: the "
            "lab needs the hub or a mirror (HF_ENDPOINT), or a cache. A warning when "
            "HF_HUB_OFFLINE is set in the environment."),
    CodeDoc("ED830", "lab", E, "One of the lab's import statements fails",
            "`check --deep --lab` ran exactly the lab's own import statements, in order, in one "
            "child process of the target interpreter (with the variables the lab sets by %env "
            "or os.environ), as the notebook does. This one raised; the finding carries the "
            "exception, its last frames and the lab's file, cell and line. A warning when the "
            "lab catches ImportError around it."),
    CodeDoc("ED831", "lab", E, "One of the lab's import statements crashes the interpreter",
            "While running the lab's import statements in order, the child died (a signal such "
            "as SIGSEGV or SIGILL, or an abort in native code) at this statement; a notebook "
            "kernel dies the same way. The statements after it did not run."),
    CodeDoc("ED832", "lab", E, "One of the lab's import statements hangs",
            "The child running the lab's import statements did not finish within the timeout; "
            "this is the statement it was running. The kernel would never finish that cell."),
    CodeDoc("ED840", "lab", E, "The releases that run the lab here are not installed",
            "`fix --lab` only: the MindNLP and MindSpore releases whose API has every name the "
            "lab imports, intersected with what runs on this Python and platform and what the "
            "compatibility matrix says works (verified pairs first), keeping the installed "
            "framework when it fits. The plan installs them (MindNLP with --no-deps beside a "
            "framework installed under another name, a CPU torch first where the release "
            "needs torch) and drops every other fix that would install a release lacking a "
            "name the lab imports."),
    CodeDoc("ED841", "lab", W, "No known set of releases runs the lab on this target",
            "`lab scan` against a bare platform (nothing installed): no MindNLP / MindSpore "
            "releases with every name the lab imports install on this Python and platform and "
            "are known to work together (verified pairs, then the recipes' declared ranges). "
            "A warning, not an error: it says what envdoctor knows, and a set nobody has run "
            "here may still work; the fix names the sets that are known to (another Python, "
            "a verified pair)."),
    CodeDoc("ED890", "lab", W, "Part of the lab could not be read",
            "A notebook that is not JSON, a cell that does not parse (Python 2, a typo), an "
            "install line pip's grammar rejects: envdoctor names the file, cell and line and "
            "reads the rest of the lab."),


    # --- codes: hostile input and safety (ED950-ED969), issue 14
    CodeDoc("ED950", "environment", W, "A distribution's name is not a valid name",
            "A distribution's metadata gives a Name that is not a PEP 508 name (letters, "
            "digits, '.', '_', '-', starting and ending with a letter or digit): control "
            "characters, a newline, spaces or a leading '-' (a folded 'Name:' line such as "
            "'--find-links http://host/' would be an option to pip). envdoctor sets the entry "
            "aside, lists it here with its metadata folder, and never passes the name to pip "
            "or into a printed command.\nFix: remove that metadata folder by hand after "
            "checking what it is."),


    CodeDoc("ED900", "other", W, "An envdoctor check failed",
            "One of envdoctor's own checks raised an error on this environment. The other "
            "checks still ran and their findings stand; this one is a bug in envdoctor. The "
            "finding carries the traceback (shown with -v and in the JSON): please report it "
            "with the snapshot (`envdoctor snapshot -o env.json`)."),
)
