"""Devices: what compute a snapshot's machine has, and which of it its MindSpore can use.

The probe (``envdoctor/probes/device_probe.py``, run by the target interpreter) stores raw
facts under ``snapshot["devices"]``. This module turns them into decisions, as pure functions
of the snapshot:

* :func:`analyze` -> :class:`DeviceAnalysis`, used by the ``devices`` checks (ED5xx), the
  text report's Devices section (:mod:`envdoctor.render.devices`) and the JSON summary;
* :func:`usable_backends` -> the MindSpore ``device_target`` names to try, best first, e.g.
  ``["GPU", "CPU"]``; :func:`backends` -> the same with reasons, usable or not. ``envdoctor
  smoke`` picks its device with these;
* :func:`summarize` -> ``report.environment()["devices"]`` in ``check --json``.

"Usable" means that everything envdoctor can check without importing MindSpore is in place:
the device is there, the installed MindSpore has a plugin for it, and the libraries that
plugin links against can be found by the dynamic loader. Only a smoke train proves it.
A snapshot without a ``devices`` section (taken by an older envdoctor) gives ``["CPU"]``.
"""

import re
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Sequence, Tuple

from envdoctor.versions import parse_version

__all__ = [
    "Backend", "DeviceAnalysis", "analyze", "backends", "usable_backends", "summary",
    "summarize", "device_data", "infer_compute_capability", "cuda_max_arch",
    "gpu_arch_problem", "driver_too_old",
    "MINDSPORE_DISTRIBUTIONS", "BACKEND_ORDER",
]

BACKEND_ORDER = ("Ascend", "GPU", "CPU")

# Every distribution name that installs the ``mindspore`` package.
MINDSPORE_DISTRIBUTIONS = ("mindspore", "mindspore-gpu", "mindspore-ascend",
                           "mindspore-cuda11-dev", "mindspore-cuda10-dev",
                           "mindspore-ascend-dev", "mindspore-dev")

# The newest GPU architecture each CUDA release compiles for (NVIDIA CUDA toolkit release
# notes: 11.0 adds sm_80, 11.1 sm_86, 11.4 sm_87, 11.8 sm_89 and sm_90).
_CUDA_MAX_ARCH = (("10.0", "7.5"), ("11.0", "8.0"), ("11.1", "8.6"), ("11.4", "8.7"),
                  ("11.8", "9.0"), ("12.8", "12.0"))
CUDA_ARCH_SOURCE = ("NVIDIA CUDA Toolkit release notes: sm_86 from CUDA 11.1, sm_87 from 11.4, "
                    "sm_89/sm_90 (Ada, Hopper) from 11.8")

# MindSpore docs FAQ (installation): the GPU build needs compute capability above 5.3.
MIN_COMPUTE_CAPABILITY = "5.3"

# What MindSpore's run_check/_check_version.py accepts, for snapshots whose probe could not
# read the file (research notes §2.3, read from each wheel). The probe's own reading wins.
KNOWN_GPU_CUDA_VERSIONS = ("10.1", "11.1", "11.6")
KNOWN_ASCEND_VERSIONS = {
    "2.0.0": ("6.11", "6.3"),
    "2.4.1": ("7.3", "7.5"),
    "2.7.0": ("7.7", "7.8", "8.2"),
    "2.7.1": ("7.8", "8.2", "8.3"),
    "2.10.0": ("8.2", "8.3", "8.5", "9.0", "9.1"),
}
# CANN compiler component version -> CANN release, seen side by side in real version.cfg
# files (compiler_running_version=[7.5.0.1.129:8.0.RC3]).
COMPILER_TO_CANN = {"7.5": "8.0.RC3", "7.6": "8.0.0"}

# What a MindSpore GPU plugin links against when its ELF header could not be read (the
# E19 error texts name libcublas.so.11; GPUEnvChecker looks for libcudart and libcudnn).
_ASSUMED_GPU_NEEDS = {
    "10": ("libcudart.so.10.1", "libcublas.so.10", "libcudnn.so.7"),
    "11": ("libcudart.so.11.0", "libcublas.so.11", "libcudnn.so.8"),
}
_CUDA_FAMILY = re.compile(r"^lib(cudart|cublasLt|cublas|cudnn|cufft|curand|cusolver|cusparse|"
                          r"nccl|nvrtc|cuda|nvidia-ml|cupti|nvToolsExt)\.so")

# GPU names -> compute capability, for nvidia-smi older than ~510 (no compute_cap field).
_NAME_TO_CC = (
    (r"\bB(100|200)\b|\bGB200\b", "10.0"), (r"\bRTX 50\d0", "12.0"),
    (r"\b(G?H100|H200|H800|H20|GH200)\b", "9.0"),
    (r"\bL40S?\b|\bL4\b|\bRTX 40\d0|\bRTX \d000 Ada", "8.9"),
    (r"\b(A100|A800|A30)\b", "8.0"),
    (r"\b(A10G?|A40|A16|A2|A6000|A5000|A4000)\b|\bRTX 30\d0|\bRTX A\d", "8.6"),
    (r"\bT4\b|\bRTX 20\d0|\bGTX 16\d0|\bQuadro RTX|\bTITAN RTX", "7.5"),
    (r"\bV100|\bTITAN V\b", "7.0"), (r"\bP100\b", "6.0"),
    (r"\b(P40|P4)\b|\bGTX 10\d0|\bTITAN Xp\b", "6.1"),
    (r"\b(M60|M40)\b|\bGTX 9\d0", "5.2"), (r"\bK80\b", "3.7"),
)

_HIDDEN_VALUES = ("", "-1", "none", "nodevfiles", "void")


def _cc_key(text: Optional[str]) -> Optional[Tuple[int, int]]:
    match = re.match(r"^(\d+)\.(\d+)$", str(text or "").strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def _mm(text: Optional[str]) -> Optional[str]:
    """``7.5.0.1.129`` -> ``7.5`` (how MindSpore compares CANN versions)."""
    parts = str(text or "").split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else None


def infer_compute_capability(name: Optional[str]) -> Optional[str]:
    for pattern, cc in _NAME_TO_CC:
        if name and re.search(pattern, name):
            return cc
    return None


def cuda_max_arch(cuda: str) -> Optional[str]:
    """The newest compute capability CUDA ``cuda`` (``11.6``) compiles for: ``8.7``."""
    wanted = parse_version(cuda)
    best = None
    for release, arch in _CUDA_MAX_ARCH:
        if wanted is not None and parse_version(release) <= wanted:
            best = arch
    return best


def device_data(snapshot: Any) -> Optional[Dict[str, Any]]:
    data = snapshot.raw.get("devices") if hasattr(snapshot, "raw") else None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class Backend:
    """One MindSpore ``device_target`` and whether this environment can run it."""

    name: str  # "Ascend" | "GPU" | "CPU"
    usable: bool
    reason: str
    devices: int = 0
    caveats: Tuple[str, ...] = ()

    def to_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "usable": self.usable, "reason": self.reason,
                "devices": self.devices, "caveats": list(self.caveats)}


@dataclass(frozen=True)
class GpuPlugin:
    file: str
    cuda: str
    needs: Tuple[str, ...]
    missing: Tuple[str, ...]
    needs_source: str  # "elf" (read from the plugin) | "assumed"


@dataclass(frozen=True)
class DeviceAnalysis:
    data: Dict[str, Any] = field(repr=False)
    mindspore_version: Optional[str]
    mindspore_path: Optional[str]
    gpus: Tuple[Dict[str, Any], ...]
    gpus_hidden_by: Optional[str]  # CUDA_VISIBLE_DEVICES value hiding every GPU
    driver_version: Optional[str]
    cuda_driver_version: Optional[str]
    gpu_query_errors: Tuple[str, ...]
    gpu_plugins: Tuple[GpuPlugin, ...]
    cuda_libraries: Tuple[Dict[str, Any], ...]
    npu_chips: Tuple[Dict[str, Any], ...]
    npu_device_files: int
    npu_query_errors: Tuple[str, ...]
    ascend_driver: Optional[str]
    toolkit: Optional[Dict[str, Any]]  # the CANN install MindSpore would use
    toolkits: Tuple[Dict[str, Any], ...]
    ascend_plugins: Tuple[Dict[str, Any], ...]
    accepted_cuda: Tuple[str, ...]
    accepted_cann: Tuple[str, ...]
    accepted_cann_source: Optional[str]
    ascend_env_problems: Tuple[str, ...]
    cpu: Dict[str, Any]
    machine: str
    system: str
    backends: Tuple[Backend, ...] = ()

    @property
    def mindspore_installed(self) -> bool:
        return self.mindspore_version is not None or self.mindspore_path is not None

    @property
    def has_gpu(self) -> bool:
        return bool(self.gpus)

    @property
    def has_npu(self) -> bool:
        return bool(self.npu_chips) or self.npu_device_files > 0

    @property
    def npu_count(self) -> int:
        return len(self.npu_chips) or self.npu_device_files

    @property
    def loadable_gpu_plugins(self) -> List[GpuPlugin]:
        return [p for p in self.gpu_plugins if not p.missing]

    @property
    def cann_compiler(self) -> Optional[str]:
        return _mm((self.toolkit or {}).get("compiler_version"))

    @property
    def usable_targets(self) -> List[str]:
        """The ``device_target`` names MindSpore can use here, best first, ending in CPU."""
        return [b.name for b in self.backends if b.usable and b.name != "CPU"] + ["CPU"]

    def backend(self, name: str) -> Backend:
        return [b for b in self.backends if b.name == name][0]


def _mindspore(snapshot: Any) -> Tuple[Optional[str], Optional[Any]]:
    for name in MINDSPORE_DISTRIBUTIONS:
        dist = snapshot.get(name)
        if dist is not None:
            return dist.version, dist
    return None, None


def _gpu_plugins(ms: Dict[str, Any], libraries: Sequence[Dict[str, Any]]
                 ) -> Tuple[GpuPlugin, ...]:
    on_path = {lib.get("file") for lib in libraries if lib.get("on_loader_path")}
    out = []
    for plugin in ms.get("gpu_plugins") or ():
        cuda = str(plugin.get("cuda") or "")
        if plugin.get("elf"):
            needs = tuple(n for n in plugin.get("needs") or () if _CUDA_FAMILY.match(n))
            missing = tuple(n for n in plugin.get("missing") or () if _CUDA_FAMILY.match(n))
            source = "elf"
        else:
            needs = _ASSUMED_GPU_NEEDS.get(cuda.split(".")[0], ())
            missing = tuple(n for n in needs if n not in on_path)
            source = "assumed"
        out.append(GpuPlugin(str(plugin.get("file")), cuda, needs, missing, source))
    return tuple(out)


def _active_toolkit(toolkits: Sequence[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The CANN install MindSpore would use: one named by ASCEND_* variables, else the first
    default location (nnae, then ascend-toolkit, as AscendEnvChecker looks)."""
    for kit in toolkits:
        if kit.get("source") != "default":
            return kit
    for kit in toolkits:
        if "/nnae/" in str(kit.get("path")):
            return kit
    return toolkits[0] if toolkits else None


def _ascend_env_problems(env: Dict[str, str], toolkit: Optional[Dict[str, Any]]) -> List[str]:
    """What set_env.sh would have set and is missing from the probed environment (the E22
    warnings: "Can not find opp path", "Can not find driver so")."""
    if toolkit is None:
        return []
    problems = []
    if not env.get("ASCEND_OPP_PATH"):
        problems.append("ASCEND_OPP_PATH is not set")
    kit = str(toolkit.get("path") or "").rstrip("/")
    parts = [p.rstrip("/") for p in env.get("LD_LIBRARY_PATH", "").split(":") if p]
    if not any((kit and p.startswith(kit)) or ("/Ascend/" in p and p.endswith("lib64"))
               for p in parts):
        problems.append("LD_LIBRARY_PATH has no CANN lib64 folder")
    return problems


def analyze(snapshot: Any) -> DeviceAnalysis:
    data = device_data(snapshot) or {}
    env = snapshot.environment_variables
    nvidia = data.get("nvidia") or {}
    cuda = data.get("cuda") or {}
    ascend = data.get("ascend") or {}
    ms = data.get("mindspore") or {}
    version, dist = _mindspore(snapshot)
    version = version or ms.get("version")

    gpus = []
    for gpu in nvidia.get("gpus") or ():
        gpu = dict(gpu)
        if gpu.get("compute_capability"):
            gpu["compute_capability_source"] = "reported"
        else:
            gpu["compute_capability"] = infer_compute_capability(gpu.get("name"))
            gpu["compute_capability_source"] = "name" if gpu["compute_capability"] else None
        gpus.append(gpu)
    visible = env.get("CUDA_VISIBLE_DEVICES")
    hidden = visible if visible is not None and visible.strip().lower() in _HIDDEN_VALUES \
        else None

    libraries = tuple(cuda.get("libraries") or ())
    toolkits = tuple(ascend.get("toolkits") or ())
    toolkit = _active_toolkit(toolkits)
    check_version = ms.get("check_version") or {}
    accepted_cuda = tuple(check_version.get("gpu_cuda_versions") or ())
    accepted_cann = tuple(check_version.get("ascend_versions") or ())
    source = None
    if accepted_cann:
        source = "mindspore/run_check/_check_version.py (AscendEnvChecker) of the installed " \
                 "MindSpore %s" % (version or "")
    elif version and version in KNOWN_ASCEND_VERSIONS:
        accepted_cann = KNOWN_ASCEND_VERSIONS[version]
        source = "research notes §2.3: AscendEnvChecker.version of the MindSpore %s wheel" \
                 % version
    if not accepted_cuda and ms.get("gpu_plugins"):
        accepted_cuda = KNOWN_GPU_CUDA_VERSIONS
    cpu = dict(data.get("cpu") or {})
    analysis = DeviceAnalysis(
        data=data, mindspore_version=version,
        mindspore_path=ms.get("path") or (dist.location if dist is not None else None),
        gpus=tuple(gpus), gpus_hidden_by=hidden,
        driver_version=nvidia.get("driver_version") or nvidia.get("kernel_driver"),
        cuda_driver_version=nvidia.get("cuda_driver_version"),
        gpu_query_errors=tuple(nvidia.get("errors") or ()),
        gpu_plugins=_gpu_plugins(ms, libraries), cuda_libraries=libraries,
        npu_chips=tuple(ascend.get("chips") or ()),
        npu_device_files=int(ascend.get("device_files") or 0),
        npu_query_errors=tuple(ascend.get("errors") or ()),
        ascend_driver=(ascend.get("driver") or {}).get("version"),
        toolkit=toolkit, toolkits=toolkits,
        ascend_plugins=tuple(ms.get("ascend_plugins") or ()),
        accepted_cuda=accepted_cuda, accepted_cann=accepted_cann,
        accepted_cann_source=source,
        ascend_env_problems=tuple(_ascend_env_problems(env, toolkit)),
        cpu=cpu, machine=str(snapshot.platform.machine or cpu.get("machine") or ""),
        system=str(snapshot.platform.system or ""),
    )
    return _with_backends(analysis)


# --------------------------------------------------------------------------------------------
# Backends
# --------------------------------------------------------------------------------------------

def gpu_arch_problem(gpu: Dict[str, Any], plugins: Sequence[GpuPlugin]) -> Optional[str]:
    """Why this GPU's architecture is outside what every plugin's CUDA compiles for."""
    cc = _cc_key(gpu.get("compute_capability"))
    if cc is None or not plugins:
        return None
    if cc <= _cc_key(MIN_COMPUTE_CAPABILITY):
        return "compute capability %s; MindSpore's GPU build needs more than %s" % (
            gpu["compute_capability"], MIN_COMPUTE_CAPABILITY)
    limits = [cuda_max_arch(p.cuda) for p in plugins]
    limits = [lim for lim in limits if lim]
    if limits and all(cc > _cc_key(lim) for lim in limits):
        newest = max(limits, key=_cc_key)
        return "sm_%d%d is newer than CUDA %s supports (up to sm_%s)" % (
            cc[0], cc[1], "/".join(p.cuda for p in plugins), newest.replace(".", ""))
    return None


def driver_too_old(analysis: DeviceAnalysis, cuda: str) -> bool:
    """Whether the driver's CUDA version is below what a CUDA ``cuda`` program needs (CUDA
    11.x runs on any driver for 11.0+: minor version compatibility)."""
    driver = parse_version(analysis.cuda_driver_version or "")
    needed = parse_version(cuda.split(".")[0] + ".0")
    return driver is not None and needed is not None and driver < needed


def _gpu_backend(a: DeviceAnalysis) -> Backend:
    if not a.has_gpu:
        why = "no NVIDIA GPU found"
        if a.gpu_query_errors:
            why += " (%s)" % a.gpu_query_errors[0]
        return Backend("GPU", False, why)
    count = len(a.gpus)
    if a.gpus_hidden_by is not None:
        return Backend("GPU", False, "CUDA_VISIBLE_DEVICES=%r hides every GPU"
                       % a.gpus_hidden_by, count)
    if not a.mindspore_installed:
        return Backend("GPU", False, "MindSpore is not installed", count)
    if not a.gpu_plugins:
        return Backend("GPU", False, "this MindSpore build has no GPU plugin", count)
    loadable = a.loadable_gpu_plugins
    if not loadable:
        missing = sorted({m for p in a.gpu_plugins for m in p.missing})
        return Backend("GPU", False, "its CUDA %s plugins cannot load: %s not found"
                       % ("/".join(p.cuda for p in a.gpu_plugins), ", ".join(missing)), count)
    if all(driver_too_old(a, p.cuda) for p in loadable):
        return Backend("GPU", False, "the NVIDIA driver supports CUDA %s only"
                       % a.cuda_driver_version, count)
    caveats: List[str] = []
    for gpu in a.gpus:
        problem = gpu_arch_problem(gpu, loadable)
        if problem and problem.startswith("compute capability"):
            return Backend("GPU", False, "%s: %s" % (gpu.get("name"), problem), count)
        caveat = "%s: %s; only PTX JIT compilation can run it (untested)" % (
            gpu.get("name"), problem)
        if problem and caveat not in caveats:
            caveats.append(caveat)
    if a.mindspore_version and (parse_version(a.mindspore_version) or parse_version("0")) \
            >= parse_version("2.3.0rc1"):
        caveats.append("GPU is not officially supported since MindSpore 2.3")
    return Backend("GPU", True, "%d GPU%s, CUDA %s plugin can load" % (
        count, "" if count == 1 else "s", "/".join(p.cuda for p in loadable)), count,
        tuple(caveats))


def _ascend_backend(a: DeviceAnalysis) -> Backend:
    if not a.has_npu:
        why = "no Ascend NPU found"
        if a.npu_query_errors:
            why += " (%s)" % a.npu_query_errors[0]
        return Backend("Ascend", False, why)
    count = a.npu_count
    if not a.mindspore_installed:
        return Backend("Ascend", False, "MindSpore is not installed", count)
    if not a.ascend_plugins:
        return Backend("Ascend", False, "this MindSpore build has no Ascend plugin", count)
    if a.toolkit is None:
        return Backend("Ascend", False, "no CANN toolkit found", count)
    missing = sorted({m for p in a.ascend_plugins for m in p.get("missing") or ()})
    known = any(p.get("elf") for p in a.ascend_plugins)
    if missing:
        return Backend("Ascend", False, "its Ascend plugin cannot load: %s not found "
                       "(CANN environment not set?)" % ", ".join(missing[:4]), count)
    if not known and a.ascend_env_problems:
        return Backend("Ascend", False, "CANN environment not set: %s"
                       % "; ".join(a.ascend_env_problems), count)
    caveats = []
    if a.accepted_cann and a.cann_compiler and a.cann_compiler not in a.accepted_cann:
        caveats.append("CANN compiler %s is not one MindSpore %s expects (%s)" % (
            a.cann_compiler, a.mindspore_version, ", ".join(a.accepted_cann)))
    return Backend("Ascend", True, "%d NPU chip%s, CANN %s" % (
        count, "" if count == 1 else "s", a.toolkit.get("release") or a.cann_compiler),
        count, tuple(caveats))


def _cpu_backend(a: DeviceAnalysis) -> Backend:
    if not a.mindspore_installed:
        return Backend("CPU", False, "MindSpore is not installed")
    cores = a.cpu.get("usable_cores") or a.cpu.get("logical_cores") or 0
    return Backend("CPU", True, "built into every MindSpore wheel", int(cores))


def _with_backends(a: DeviceAnalysis) -> DeviceAnalysis:
    return replace(a, backends=(_ascend_backend(a), _gpu_backend(a), _cpu_backend(a)))


def backends(snapshot: Any) -> List[Backend]:
    """Ascend, GPU and CPU, in that order of preference, each usable or not with a reason."""
    return list(analyze(snapshot).backends)


def usable_backends(snapshot: Any) -> List[str]:
    """The ``device_target`` names a smoke train should try, best first; always ends in
    ``"CPU"``, the fallback (even where MindSpore is missing: the smoke train then says so)."""
    if device_data(snapshot) is None:
        return ["CPU"]
    return analyze(snapshot).usable_targets


# --------------------------------------------------------------------------------------------
# Summary: the JSON entry (the text lines are envdoctor.render.devices)
# --------------------------------------------------------------------------------------------

def summary(snapshot: Any) -> Optional[Dict[str, Any]]:
    """:func:`summarize` of the snapshot's analysis; None for a snapshot without device data."""
    if device_data(snapshot) is None:
        return None
    return summarize(analyze(snapshot))


def summarize(a: DeviceAnalysis) -> Dict[str, Any]:
    """The ``devices`` entry of ``check --json``'s ``environment``. The probe's full output stays in the report's ``snapshot.devices``.

    Keys: ``usable_backends`` (what :func:`usable_backends` returns), ``backends`` (Ascend, GPU,
    CPU: name, usable, reason, devices, caveats), ``gpus`` (index, name, memory_mib,
    compute_capability and whether it was reported or inferred from the name), ``gpu_query``
    (nvml | nvidia-smi | proc | null), ``nvidia_driver``, ``cuda_driver_version`` (the newest
    CUDA the driver runs), ``cuda_libraries`` (name, file, version, path, on_loader_path,
    package), ``npus`` (one per chip: npu, chip, name, health, memory_mib),
    ``npu_device_files``, ``ascend_driver``, ``cann`` (release, compiler_version, path of the
    install MindSpore would use), ``cpu`` (model, machine, cores, memory_mib, SIMD flags),
    ``mindspore`` (version, gpu_plugins with their missing libraries, ascend_plugin,
    accepted_cuda, accepted_cann; null when not installed), ``probe_errors``,
    ``probe_seconds``."""
    toolkit = a.toolkit or {}
    return {
        "usable_backends": a.usable_targets,
        "backends": [b.to_dict() for b in a.backends],
        "gpus": [{"index": g.get("index"), "name": g.get("name"),
                  "memory_mib": g.get("memory_mib"),
                  "compute_capability": g.get("compute_capability"),
                  "compute_capability_source": g.get("compute_capability_source")}
                 for g in a.gpus],
        "gpu_query": (a.data.get("nvidia") or {}).get("source"),
        "nvidia_driver": a.driver_version,
        "cuda_driver_version": a.cuda_driver_version,
        "cuda_libraries": [{"name": lib.get("name"), "file": lib.get("file"),
                            "version": lib.get("version"), "path": lib.get("path"),
                            "on_loader_path": lib.get("on_loader_path"),
                            "package": lib.get("package")} for lib in a.cuda_libraries],
        "npus": [{"npu": c.get("npu"), "chip": c.get("chip"), "name": c.get("name"),
                  "health": c.get("health"), "memory_mib": c.get("memory_mib")}
                 for c in a.npu_chips],
        "npu_device_files": a.npu_device_files,
        "ascend_driver": a.ascend_driver,
        "cann": {"release": toolkit.get("release"),
                 "compiler_version": toolkit.get("compiler_version"),
                 "path": toolkit.get("path")} if a.toolkit else None,
        "cpu": {k: a.cpu.get(k) for k in ("model", "machine", "logical_cores",
                                          "physical_cores", "usable_cores", "memory_mib",
                                          "flags")},
        "mindspore": {
            "version": a.mindspore_version,
            "gpu_plugins": [{"cuda": p.cuda, "missing": list(p.missing)}
                            for p in a.gpu_plugins],
            "ascend_plugin": bool(a.ascend_plugins),
            "accepted_cuda": list(a.accepted_cuda),
            "accepted_cann": list(a.accepted_cann),
        } if a.mindspore_installed else None,
        "probe_errors": list(a.data.get("errors") or ()),
        "probe_seconds": a.data.get("seconds"),
    }
