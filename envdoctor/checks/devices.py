"""Devices: whether the installed MindSpore can use this machine's GPU or NPU (ED5xx).

Pure: reads ``snapshot["devices"]`` (written by ``envdoctor/probes/device_probe.py``) through
:func:`envdoctor.devices.analyze`. A snapshot without device data gives no findings.
"""

import os
import shlex
from typing import List

from envdoctor.checks.context import CheckContext
from envdoctor.devices import (COMPILER_TO_CANN, CUDA_ARCH_SOURCE, MIN_COMPUTE_CAPABILITY,
                               DeviceAnalysis, cuda_max_arch, device_data,
                               driver_too_old, gpu_arch_problem)
from envdoctor.findings import Evidence, Finding, Fix, Severity
from envdoctor.versions import parse_version

__all__ = ["check"]

GPU_INSTALL_SOURCE = ("MindSpore GPU install guide (CUDA 11.1 with cuDNN 8.0.x, CUDA 11.6 with "
                      "cuDNN 8.5.x); mindspore/run_check/_check_version.py GPUEnvChecker")
E19 = ("Load dynamic library: libmindspore_gpu.so.11.6 failed. libcublas.so.11: cannot open "
       "shared object file: No such file or directory ... RuntimeError: Unsupported device "
       "target GPU.")


def check(context: CheckContext) -> List[Finding]:
    if device_data(context.snapshot) is None:
        return []
    a = context.devices  # computed once per diagnosis
    return _gpu(a) + _ascend(a) + _cpu(a)


# --------------------------------------------------------------------------------------------
# NVIDIA
# --------------------------------------------------------------------------------------------

def _gpu(a: DeviceAnalysis) -> List[Finding]:
    findings = []  # type: List[Finding]
    nvidia = a.data.get("nvidia") or {}
    # A user-space NVML without a loaded kernel module ("Driver Not Loaded") on a machine with
    # no GPU is not worth a warning; a loaded module, nvidia-smi or another NVML error is.
    driver_seen = nvidia.get("kernel_driver") or nvidia.get("nvidia_smi") or (
        nvidia.get("nvml") and not all("Driver Not Loaded" in e for e in a.gpu_query_errors))
    if not a.gpus and a.gpu_query_errors and driver_seen:
        findings.append(Finding(
            code="ED506", severity=Severity.WARNING,
            title="The NVIDIA GPU could not be queried: %s" % a.gpu_query_errors[0],
            because="An NVIDIA driver is installed (%s), but asking it for its GPUs failed. "
                    "MindSpore's GPU backend talks to the same driver."
                    % ("kernel module %s" % nvidia["kernel_driver"]
                       if nvidia.get("kernel_driver") else nvidia.get("nvidia_smi")
                       or nvidia.get("nvml")),
            evidence=Evidence(installed="; ".join(a.gpu_query_errors),
                              source="NVML / nvidia-smi, run by envdoctor's device probe"),
            fix=Fix(text="Run nvidia-smi to see the error; after a driver upgrade, reboot; "
                         "otherwise reinstall the NVIDIA driver."),
        ))
    if not a.gpus:
        return findings
    if a.gpus_hidden_by is not None:
        findings.append(Finding(
            code="ED507", severity=Severity.INFO,
            title="CUDA_VISIBLE_DEVICES=%r hides all %d GPU%s" % (
                a.gpus_hidden_by, len(a.gpus), "" if len(a.gpus) == 1 else "s"),
            because="CUDA programs, MindSpore included, see no GPU while it is set this way.",
            evidence=Evidence(installed="CUDA_VISIBLE_DEVICES=%r" % a.gpus_hidden_by),
            fix=Fix(command="unset CUDA_VISIBLE_DEVICES"),
        ))
    if not a.mindspore_installed:
        return findings
    names = ", ".join(sorted({str(g.get("name")) for g in a.gpus}))
    if not a.gpu_plugins:
        findings.append(_no_gpu_plugin(a, names))
        return findings
    loadable = a.loadable_gpu_plugins
    if not loadable:
        findings.append(_gpu_libraries_missing(a, names))
        return findings
    if a.cuda_driver_version and all(driver_too_old(a, p.cuda) for p in loadable):
        findings.append(Finding(
            code="ED504", severity=Severity.WARNING,
            title="The NVIDIA driver %s supports CUDA %s; MindSpore's plugins need CUDA %s"
                  % (a.driver_version, a.cuda_driver_version,
                     "/".join(p.cuda for p in loadable)),
            because="A CUDA 11 program needs a driver made for CUDA 11.0 or newer; this one "
                    "refuses to run it (cudaErrorInsufficientDriver).",
            evidence=Evidence(installed="driver %s (CUDA %s)" % (a.driver_version,
                                                                  a.cuda_driver_version),
                              needed="a driver for CUDA 11.0+ (>= 450.80.02 on Linux)",
                              source="NVIDIA CUDA compatibility guide (minor version "
                                     "compatibility)"),
            fix=Fix(text="Upgrade the NVIDIA driver (any current driver runs CUDA 11 "
                         "programs)."),
        ))
    kinds = {}  # one finding per kind of GPU: (name, compute capability) -> count
    for gpu in a.gpus:
        key = (gpu.get("name"), gpu.get("compute_capability"))
        if key not in kinds:
            kinds[key] = [gpu, 0]
        kinds[key][1] += 1
    for gpu, count in kinds.values():
        problem = gpu_arch_problem(gpu, loadable)
        if not problem:
            continue
        cc = gpu.get("compute_capability")
        too_new = not problem.startswith("compute capability")
        findings.append(Finding(
            code="ED503", severity=Severity.WARNING,
            title="%s%s (%s) is %s for MindSpore's CUDA %s GPU plugins" % (
                "%d x " % count if count > 1 else "", gpu.get("name"),
                "sm_" + str(cc).replace(".", ""),
                "too new" if too_new else "too old", "/".join(p.cuda for p in loadable)),
            because=("%s. MindSpore's kernels carry machine code up to sm_80 and PTX up to "
                     "compute_86 (as published for the 2.10 wheel); on this GPU only driver "
                     "JIT compilation of that PTX can run them, which envdoctor has not "
                     "verified: expect a slow first step or a CUDA error at the first op."
                     % problem) if too_new else
                    "%s; MindSpore documents a compute capability above %s for its GPU "
                    "build." % (problem, MIN_COMPUTE_CAPABILITY),
            evidence=Evidence(
                installed="%s, compute capability %s (%s)" % (
                    gpu.get("name"), cc, "reported by the driver"
                    if gpu.get("compute_capability_source") == "reported"
                    else "inferred from the name"),
                needed="compute capability above %s, up to %s for CUDA %s" % (
                    MIN_COMPUTE_CAPABILITY, max((_arch(p.cuda) for p in loadable), key=_cc_sort),
                    "/".join(p.cuda for p in loadable)),
                source=CUDA_ARCH_SOURCE + "; a published unpacking of the 2.10 wheel's "
                       "libcuda_ops.so.11 (cubins sm_60-sm_80, PTX compute_60/86)" if too_new
                else "MindSpore docs FAQ (installation)"),
            fix=Fix(text="Run `envdoctor smoke` to see whether training really works here; "
                         "if it fails, train on CPU or on a GPU up to sm_86 (A100, A10, T4, "
                         "V100)." if too_new else "Train on CPU, or on a newer GPU."),
        ))
    version = a.mindspore_version or ""
    parsed = parse_version(version)
    if parsed is not None and parsed >= parse_version("2.3.0rc1"):
        findings.append(Finding(
            code="ED505", severity=Severity.INFO,
            title="GPU support is unofficial in MindSpore %s" % version,
            because="From 2.3.0-rc1 MindSpore's release lists and install guides name only "
                    "Ascend and CPU, yet its x86_64 wheels still ship CUDA %s plugins; they "
                    "may work, untested by MindSpore or envdoctor."
                    % "/".join(p.cuda for p in a.gpu_plugins),
            evidence=Evidence(installed="mindspore %s with %s" % (
                version, ", ".join(p.file for p in a.gpu_plugins)),
                source="mindspore-ai/docs release lists and install/ per branch (research "
                       "notes §2.3)"),
        ))
    return findings


def _arch(cuda: str) -> str:
    return cuda_max_arch(cuda) or "?"


def _cc_sort(text: str):
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return (0,)


def _no_gpu_plugin(a: DeviceAnalysis, names: str) -> Finding:
    system, machine = a.system.lower(), a.machine.lower()
    if system == "windows":
        advice = ("MindSpore's Windows wheels carry only the CPU backend (mindspore_cpu.dll): "
                  "use Linux, or WSL2 with a Linux x86_64 wheel, for the GPU.")
    elif machine in ("aarch64", "arm64"):
        advice = ("MindSpore publishes no GPU build for %s (only Ascend and CPU); train on "
                  "CPU here." % machine)
    else:
        advice = ("Install a MindSpore wheel that ships lib/plugin/libmindspore_gpu.so.11.x "
                  "(PyPI's Linux x86_64 wheels of 2.0.0 and 2.7.0-2.10.0 do), or train on CPU.")
    return Finding(
        code="ED501", severity=Severity.WARNING,
        title="This machine has %s, but MindSpore %s has no GPU backend" % (
            names, a.mindspore_version or ""),
        because="Its package folder has no GPU plugin (%s), so set_device('GPU') fails with "
                "'Unsupported device target GPU' and training runs on CPU."
                % (a.data.get("mindspore") or {}).get("plugin_dir", "no lib/plugin folder"),
        evidence=Evidence(installed="mindspore %s at %s" % (a.mindspore_version,
                                                             a.mindspore_path),
                          needed="lib/plugin/libmindspore_gpu.so.11.1 or .11.6",
                          source="file list of the installed package; research notes §2.3 "
                                 "(wheel contents per release)"),
        fix=Fix(text=advice), packages=("mindspore",),
    )


def _gpu_libraries_missing(a: DeviceAnalysis, names: str) -> Finding:
    missing = sorted({m for p in a.gpu_plugins for m in p.missing})
    elsewhere = {}  # folder -> libraries found there but not on the loader path
    for lib in a.cuda_libraries:
        if lib.get("file") in missing and not lib.get("on_loader_path"):
            elsewhere.setdefault(os.path.dirname(str(lib.get("path"))), []).append(lib["file"])
    runtimes = sorted({"%s %s" % (lib.get("name"), lib.get("version") or lib.get("file"))
                       for lib in a.cuda_libraries
                       if lib.get("name") in ("cudart", "cublas", "cudnn")})
    other_majors = sorted({str(lib.get("soname_version") or "").split(".")[0]
                           for lib in a.cuda_libraries if lib.get("name") == "cudart"}
                          - {p.cuda.split(".")[0] for p in a.gpu_plugins} - {""})
    because = ("MindSpore tries each GPU plugin (%s) and each one links against libraries the "
               "dynamic loader cannot find, so selecting the GPU fails with: %s"
               % (", ".join(p.file for p in a.gpu_plugins), E19))
    if other_majors:
        because += (" CUDA %s is installed, but its libraries carry other sonames "
                    "(libcudart.so.%s); the plugins need CUDA 11's."
                    % ("/".join(other_majors), other_majors[0]))
    details = tuple(("plugin %s" % p.file, "needs %s; missing %s%s" % (
        ", ".join(p.needs) or "?", ", ".join(p.missing) or "nothing",
        " (assumed: its ELF header could not be read)" if p.needs_source == "assumed" else ""))
        for p in a.gpu_plugins)
    if elsewhere and all(m in sum(elsewhere.values(), []) for m in missing
                         if not m.startswith("libcuda.so")):
        folders = sorted(elsewhere)
        fix = Fix(command="export LD_LIBRARY_PATH=%s:$LD_LIBRARY_PATH"
                          % ":".join(shlex.quote(f) for f in folders),
                  text="The libraries are on disk but not where the loader looks; export "
                       "this before starting Python (for a notebook, in the kernel's "
                       "environment).")
    else:
        fix = Fix(text="Install CUDA 11.6 with cuDNN 8.5 (or CUDA 11.1 with cuDNN 8.0), then "
                       "put their lib folders on LD_LIBRARY_PATH before starting Python; or "
                       "train on CPU.")
    if any(m.startswith("libcuda.so") for m in missing):
        because += (" libcuda.so.1 belongs to the NVIDIA driver itself: in a container, start "
                    "it with the NVIDIA container toolkit (docker run --gpus all).")
    return Finding(
        code="ED502", severity=Severity.WARNING,
        title="MindSpore's GPU backend cannot load: %s not found" % ", ".join(missing),
        because=because,
        evidence=Evidence(installed=", ".join(runtimes) or "no CUDA runtime, cuBLAS or cuDNN",
                          needed="CUDA %s runtime libraries (%s)" % (
                              "/".join(p.cuda for p in a.gpu_plugins), ", ".join(missing)),
                          source=GPU_INSTALL_SOURCE, details=details),
        fix=fix, packages=("mindspore",),
    )


# --------------------------------------------------------------------------------------------
# Ascend
# --------------------------------------------------------------------------------------------

def _set_env(a: DeviceAnalysis) -> str:
    kit = a.toolkit or {}
    return str(kit.get("set_env") or "/usr/local/Ascend/ascend-toolkit/set_env.sh")


def _ascend(a: DeviceAnalysis) -> List[Finding]:
    findings = []  # type: List[Finding]
    if not a.has_npu:
        return findings
    if not a.npu_chips and a.npu_query_errors:
        findings.append(Finding(
            code="ED515", severity=Severity.WARNING,
            title="The Ascend NPUs could not be queried: %s" % a.npu_query_errors[0],
            because="%d /dev/davinci device%s exist, but npu-smi failed; MindSpore needs the "
                    "same driver." % (a.npu_device_files,
                                      "" if a.npu_device_files == 1 else "s"),
            evidence=Evidence(installed="; ".join(a.npu_query_errors),
                              source="npu-smi info, run by envdoctor's device probe"),
            fix=Fix(text="Run `npu-smi info`; a permission error means this user is not in the "
                         "HwHiAiUser group. Otherwise ask the administrator to check the NPU "
                         "driver."),
        ))
    chips = "%d Ascend NPU chip%s" % (a.npu_count, "" if a.npu_count == 1 else "s")
    if a.npu_chips:
        chips += " (%s)" % ", ".join(sorted({str(c.get("name")) for c in a.npu_chips}))
    if a.mindspore_installed and not a.ascend_plugins:
        findings.append(Finding(
            code="ED514", severity=Severity.WARNING,
            title="This machine has %s, but MindSpore %s has no Ascend backend" % (
                chips, a.mindspore_version or ""),
            because="Its package folder has no Ascend plugin (lib/plugin/libmindspore_ascend"
                    ".so*), so set_device('Ascend') fails with 'Unsupported device target "
                    "Ascend' and training runs on CPU.",
            evidence=Evidence(installed="mindspore %s at %s" % (a.mindspore_version,
                                                                 a.mindspore_path),
                              needed="lib/plugin/libmindspore_ascend.so.2",
                              source="file list of the installed package"),
            fix=Fix(text="Install the MindSpore wheel for %s that matches the installed CANN "
                         "(see https://www.mindspore.cn/install)." % (a.machine or "this "
                                                                      "machine")),
            packages=("mindspore",),
        ))
    if a.toolkit is None:
        findings.append(Finding(
            code="ED511", severity=Severity.WARNING,
            title="This machine has %s, but no CANN toolkit was found" % chips,
            because="MindSpore (and any other framework) needs CANN to use the NPU; without it "
                    "set_device('Ascend') fails with 'Unsupported device target Ascend' after "
                    "'Can not find opp path (need by mindspore-ascend)'.",
            evidence=Evidence(
                installed="driver %s; no ascend-toolkit, nnae or cann folder"
                          % (a.ascend_driver or "?"),
                needed="a CANN toolkit%s" % (
                    " whose compiler version is one of %s" % ", ".join(a.accepted_cann)
                    if a.accepted_cann else ""),
                source=a.accepted_cann_source or "research notes §5 (E22)"),
            fix=Fix(text="Install the CANN toolkit (and kernels) the installed MindSpore "
                         "expects, then `source <install path>/ascend-toolkit/set_env.sh`."),
        ))
        return findings
    if not a.mindspore_installed or not a.ascend_plugins:
        return findings
    compiler = a.cann_compiler
    if a.accepted_cann and compiler and compiler not in a.accepted_cann:
        known = ["%s (CANN %s)" % (v, COMPILER_TO_CANN[v]) if v in COMPILER_TO_CANN else v
                 for v in a.accepted_cann]
        findings.append(Finding(
            code="ED512", severity=Severity.WARNING,
            title="CANN %s (compiler %s) is not a version MindSpore %s accepts (%s)" % (
                a.toolkit.get("release") or "?", compiler, a.mindspore_version,
                ", ".join(a.accepted_cann)),
            because="MindSpore reads <toolkit>/compiler/version.info and warns 'MindSpore "
                    "version %s and Ascend AI software package (Ascend Data Center Solution)"
                    "version %s does not match, the version of software package expect one "
                    "of %s'; mismatched CANN can then fail with undefined symbols (e.g. "
                    "aclmdlBundleGetModelId)." % (a.mindspore_version, compiler,
                                                   list(a.accepted_cann)),
            evidence=Evidence(installed="CANN %s, compiler %s at %s" % (
                a.toolkit.get("release") or "?", a.toolkit.get("compiler_version"),
                a.toolkit.get("path")),
                needed="compiler version %s" % " or ".join(known),
                source=a.accepted_cann_source),
            fix=Fix(text="Install a CANN whose compiler version is %s, or the MindSpore "
                         "release made for CANN %s (https://www.mindspore.cn/install)."
                         % (" or ".join(known), a.toolkit.get("release") or compiler)),
            packages=("mindspore",),
        ))
    missing = sorted({m for p in a.ascend_plugins for m in p.get("missing") or ()})
    elf_known = any(p.get("elf") for p in a.ascend_plugins)
    if missing or (not elf_known and a.ascend_env_problems):
        problems = list(a.ascend_env_problems)
        if missing:
            problems.insert(0, "the Ascend plugin's %s not found" % ", ".join(missing[:5]))
        findings.append(Finding(
            code="ED513", severity=Severity.WARNING,
            title="CANN %s is installed but not set up in this environment" % (
                a.toolkit.get("release") or a.toolkit.get("path")),
            because="%s, so MindSpore logs 'Can not find driver so (need by mindspore-ascend)'"
                    " / 'Load dynamic library: libmindspore_ascend.so.2 failed' and falls back "
                    "to CPU. The variables must be set before Python starts."
                    % "; ".join(problems),
            evidence=Evidence(installed="; ".join(problems),
                              needed="the environment set_env.sh creates",
                              source="mindspore/run_check/_check_version.py AscendEnvChecker; "
                                     "research notes §5 (E22)"),
            fix=Fix(command="source %s" % shlex.quote(_set_env(a)),
                    text="Then restart the shell or notebook kernel (for Jupyter, start it "
                         "from a shell where this was sourced)."),
        ))
    return findings


# --------------------------------------------------------------------------------------------
# CPU
# --------------------------------------------------------------------------------------------

def _cpu(a: DeviceAnalysis) -> List[Finding]:
    flags = a.cpu.get("flags") or []
    if a.machine.lower() not in ("x86_64", "amd64") or not flags or "avx2" in flags:
        return []
    return [Finding(
        code="ED521", severity=Severity.INFO,
        title="This CPU (%s) has no AVX2" % (a.cpu.get("model") or "x86_64"),
        because="MindSpore's x86_64 CPU kernels are built with AVX/AVX-512 SIMD variants; "
                "whether they run without AVX2 is not verified. If `import mindspore` dies with "
                "'Illegal instruction', this is the reason.",
        evidence=Evidence(installed="SIMD flags: %s" % " ".join(flags),
                          source="/proc/cpuinfo; MindSpore's nnacl build (X86_64_SIMD)"),
    )]
