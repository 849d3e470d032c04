"""Pure parsers of device facts: text in, dicts out (stdlib only, run by the target).

Each ``parse_*`` reads the output of one tool or the content of one file as a real machine
writes it (nvidia-smi, npu-smi, /proc, ldconfig -p, CUDA and CANN version files, MindSpore's
own version tables); ``device_probe`` does the reading and running. Tests feed them recorded
real outputs (tests/data/devices/).
"""

import json
import re

__all__ = [
    "parse_nvidia_smi_csv", "parse_nvidia_smi_header", "parse_proc_nvidia_version",
    "parse_proc_gpu_information", "parse_ldconfig", "CUDA_LIB", "library_info",
    "parse_cuda_version_json", "parse_cuda_version_txt", "parse_cudnn_header",
    "parse_key_values", "parse_version_cfg", "parse_npu_smi_info", "ARM_IMPLEMENTERS",
    "ARM_PARTS", "parse_cpuinfo", "parse_meminfo", "parse_sysctl", "SIMD_FLAGS",
    "parse_check_version", "parse_plugin_files", "WHEEL_OF", "parse_wheel_dist_infos",
    "expand_origin",
]

_NA = ("", "n/a", "[n/a]", "[not supported]", "not supported", "unknown error")


def _clean(value):
    value = (value or "").strip()
    return None if value.lower() in _NA else value


def parse_nvidia_smi_csv(text):
    """``nvidia-smi --query-gpu=... --format=csv`` (with header, with or without units).

    Returns a list of GPU dicts, or None when the text is not such a table (an error message,
    ``No devices were found``, an unknown field)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines or "," not in lines[0] or "name" not in lines[0]:
        return None
    keys = [re.sub(r"\s*\[[^\]]*\]$", "", h.strip()) for h in lines[0].split(",")]
    gpus = []
    for line in lines[1:]:
        values = [v.strip() for v in line.split(",")]
        if len(values) != len(keys):
            continue
        row = dict(zip(keys, values))
        gpu = {"index": None, "name": _clean(row.get("name") or row.get("gpu_name")),
               "memory_mib": None, "compute_capability": None, "pci_bus_id": None,
               "driver_version": _clean(row.get("driver_version"))}
        index = _clean(row.get("index"))
        if index and index.isdigit():
            gpu["index"] = int(index)
        memory = _clean(row.get("memory.total"))
        if memory:
            match = re.match(r"(\d+)", memory)
            if match:
                gpu["memory_mib"] = int(match.group(1))
        cap = _clean(row.get("compute_cap"))
        if cap and re.match(r"^\d+\.\d+$", cap):
            gpu["compute_capability"] = cap
        gpu["pci_bus_id"] = _clean(row.get("pci.bus_id") or row.get("gpu_bus_id"))
        if gpu["index"] is None:
            gpu["index"] = len(gpus)
        gpus.append(gpu)
    return gpus


def parse_nvidia_smi_header(text):
    """The banner of plain ``nvidia-smi``: driver version and the CUDA version it supports."""
    out = {"smi_version": None, "driver_version": None, "cuda_driver_version": None}
    text = text or ""
    match = re.search(r"NVIDIA-SMI\s+([\d.]+)", text)
    if match:
        out["smi_version"] = match.group(1)
    match = re.search(r"Driver Version:\s*([\d.]+)", text)
    if match:
        out["driver_version"] = match.group(1)
    match = re.search(r"CUDA Version:\s*([\d.]+)", text)
    if match:
        out["cuda_driver_version"] = match.group(1)
    return out


def parse_proc_nvidia_version(text):
    """``/proc/driver/nvidia/version``: the kernel module's version."""
    match = re.search(r"Kernel Module\s+(?:for\s+\S+\s+)?([\d.]+)", text or "")
    return match.group(1) if match else None


def parse_proc_gpu_information(text):
    """``/proc/driver/nvidia/gpus/<bus>/information``: ``Model:`` and ``Bus Location:``."""
    fields = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip()
    return {"name": fields.get("model"), "pci_bus_id": fields.get("bus location")}


_LDCONFIG_LINE = re.compile(r"^\s+(\S+)\s+\(([^)]*)\)\s+=>\s+(\S.*?)\s*$")


def parse_ldconfig(text):
    """``ldconfig -p``: a list of (soname, flags, path)."""
    out = []
    for line in (text or "").splitlines():
        match = _LDCONFIG_LINE.match(line)
        if match:
            out.append((match.group(1), match.group(2), match.group(3)))
    return out


# Libraries of the NVIDIA stack that MindSpore's GPU plugins link against, or that say which
# driver is there. The captured kind is the library's name without lib/.so.
CUDA_LIB = re.compile(
    r"^lib(cudart|cublasLt|cublas|cudnn|cufft|curand|cusolver|cusparse|nccl|nvrtc|cuda|"
    r"nvidia-ml)\.so(?:\.(\d+(?:\.\d+)*))?$")


def library_info(filename, real_filename=None):
    """``libcudart.so.11.0`` (-> ``libcudart.so.11.6.55``) -> kind, soname version, version."""
    match = CUDA_LIB.match(filename)
    if not match:
        return None
    version = match.group(2)
    if real_filename:
        real = CUDA_LIB.match(real_filename)
        if real and real.group(1) == match.group(1) and real.group(2) and (
                not version or len(real.group(2)) > len(version)):
            version = real.group(2)
    return {"name": match.group(1), "file": filename, "soname_version": match.group(2),
            "version": version}


def parse_cuda_version_json(text):
    """``<cuda>/version.json`` (CUDA 11.1+): the SDK version and the runtime's."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    out = {"version": (data.get("cuda") or {}).get("version"),
           "cudart": (data.get("cuda_cudart") or {}).get("version")}
    return out if out["version"] else None


def parse_cuda_version_txt(text):
    """``<cuda>/version.txt`` (CUDA <= 11.0): ``CUDA Version 10.1.243``."""
    match = re.search(r"CUDA Version\s+([\d.]+)", text or "")
    return {"version": match.group(1), "cudart": None} if match else None


def parse_cudnn_header(text):
    """``cudnn_version.h`` (cuDNN 8+) or ``cudnn.h`` (7): ``8.5.0``."""
    parts = []
    for name in ("MAJOR", "MINOR", "PATCHLEVEL"):
        match = re.search(r"#define\s+CUDNN_%s\s+(\d+)" % name, text or "")
        if not match:
            return None
        parts.append(match.group(1))
    return ".".join(parts)


def parse_key_values(text):
    """``key=value`` files: CANN ``version.info``, ``ascend_toolkit_install.info``, driver and
    firmware ``version.info``. Keys are kept as written; blank lines and comments skipped."""
    out = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if sep and key.strip() not in out:
            out[key.strip()] = value.strip()
    return out


def parse_version_cfg(text):
    """CANN ``<toolkit>/version.cfg``: ``compiler_running_version=[7.5.0.1.129:8.0.RC3]``.

    Returns {"component_version", "release"} from the compiler line (else the first)."""
    found = {}
    for key, value in parse_key_values(text).items():
        match = re.match(r"^\[([^:\]]+):([^\]]*)\]$", value)
        if match and key.endswith("_version"):
            found[key] = (match.group(1).strip(), match.group(2).strip())
    for key in ("compiler_running_version", "runtime_running_version"):
        if key in found:
            return {"component_version": found[key][0], "release": found[key][1] or None}
    if found:
        first = sorted(found)[0]
        return {"component_version": found[first][0], "release": found[first][1] or None}
    return None


_NPU_ROW = re.compile(r"^\s*(\d+)\s+(\S.*?)\s*$")
_CHIP_ROW = re.compile(r"^\s*(\d+)(?:\s+(\d+))?\s*$")
_BUS_ID = re.compile(r"^\s*([0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7])\s*$")


def parse_npu_smi_info(text):
    """``npu-smi info``: its version and one entry per chip (an NPU card has one or two)."""
    out = {"npu_smi_version": None, "driver_version": None, "chips": []}
    match = re.search(r"npu-smi\s+(\S+)\s+Version:\s*(\S+)", text or "")
    if match:
        out["npu_smi_version"] = match.group(1)
        out["driver_version"] = match.group(2)
    pending = None
    for line in (text or "").splitlines():
        if "Process id" in line or "Process name" in line:
            break  # the process table that follows reuses the same row shapes
        if not line.startswith("|"):
            continue
        cells = line.split("|")[1:-1]
        if len(cells) < 3:
            continue
        bus = _BUS_ID.match(cells[1])
        if bus and pending is not None:
            chip_match = _CHIP_ROW.match(cells[0])
            totals = [int(t) for _, t in re.findall(r"(\d+)\s*/\s*(\d+)", cells[2])]
            chip = dict(pending)
            if chip_match:
                chip["chip"] = int(chip_match.group(1))
                chip["phy_id"] = int(chip_match.group(2)) if chip_match.group(2) else None
            chip["bus_id"] = bus.group(1)
            chip["memory_mib"] = totals[-1] if totals and totals[-1] else None
            out["chips"].append(chip)
            pending = None
            continue
        row = _NPU_ROW.match(cells[0])
        health = cells[1].strip()
        if row and health and not _BUS_ID.match(cells[1]) and not row.group(2).isdigit():
            pending = {"npu": int(row.group(1)), "name": row.group(2), "health": health,
                       "chip": None, "phy_id": None}
    return out


# aarch64 /proc/cpuinfo has no model name: the implementer and part codes say it.
ARM_IMPLEMENTERS = {"0x41": "Arm", "0x48": "HiSilicon", "0x61": "Apple", "0xc0": "Ampere"}
ARM_PARTS = {("0x48", "0xd01"): "HiSilicon Kunpeng 920", ("0x41", "0xd0c"): "Arm Neoverse N1",
             ("0x41", "0xd40"): "Arm Neoverse V1", ("0x41", "0xd4f"): "Arm Neoverse V2"}


def parse_cpuinfo(text):
    """Linux ``/proc/cpuinfo``: model, logical and physical core counts, feature flags."""
    blocks = [b for b in re.split(r"\n\s*\n", text or "") if b.strip()]
    logical = 0
    cores = set()
    first = {}
    for block in blocks:
        fields = {}
        for line in block.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip().lower()] = value.strip()
        if "processor" in fields:
            logical += 1
            if "physical id" in fields and "core id" in fields:
                cores.add((fields["physical id"], fields["core id"]))
        if not first and ("model name" in fields or "flags" in fields or "features" in fields):
            first = fields
        for key in ("hardware", "model name"):
            if key in fields and key not in first:
                first[key] = fields[key]
    model = first.get("model name") or first.get("hardware")
    if not model and "cpu implementer" in first:
        implementer = first.get("cpu implementer", "").lower()
        part = first.get("cpu part", "?").lower()
        model = "%s (CPU implementer %s, part %s)" % (
            ARM_PARTS.get((implementer, part)) or ARM_IMPLEMENTERS.get(implementer, "ARM"),
            implementer, part)
    flags = (first.get("flags") or first.get("features") or "").split()
    return {"model": model, "vendor": first.get("vendor_id"),
            "logical_cores": logical or None, "physical_cores": len(cores) or None,
            "flags": flags}


def parse_meminfo(text):
    match = re.search(r"^MemTotal:\s+(\d+)\s*kB", text or "", re.M)
    return int(match.group(1)) // 1024 if match else None


def parse_sysctl(text):
    """``sysctl machdep.cpu.brand_string hw.memsize ...`` (macOS, ``name: value`` lines)."""
    fields = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    flags = (fields.get("machdep.cpu.features", "") + " "
             + fields.get("machdep.cpu.leaf7_features", "")).lower().split()
    memory = fields.get("hw.memsize")
    cores = fields.get("hw.physicalcpu")
    logical = fields.get("hw.ncpu") or fields.get("hw.logicalcpu")
    return {"model": fields.get("machdep.cpu.brand_string"), "vendor": None,
            "logical_cores": int(logical) if logical and logical.isdigit() else None,
            "physical_cores": int(cores) if cores and cores.isdigit() else None,
            "memory_mib": int(memory) // (1024 * 1024) if memory and memory.isdigit() else None,
            "flags": [f.replace(".", "_") for f in flags]}


# The SIMD features worth reporting (x86_64 from /proc/cpuinfo or sysctl, aarch64 Features).
SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni",
              "avx512vnni", "avx512_bf16", "amx_bf16", "asimd", "asimdhp", "fphp", "sve",
              "sve2", "bf16", "i8mm", "neon")


def parse_check_version(text):
    """MindSpore's ``run_check/_check_version.py``, read as text (never imported): the CUDA
    versions its GPUEnvChecker accepts and the CANN compiler versions its AscendEnvChecker
    accepts (``self.version = [...]`` in each class)."""
    out = {}
    for cls, key in (("GPUEnvChecker", "gpu_cuda_versions"),
                     ("AscendEnvChecker", "ascend_versions")):
        match = re.search(r"\nclass %s\b(.*?)(?=\nclass |\Z)" % cls, text or "", re.S)
        if not match:
            continue
        found = re.search(r"self\.version\s*=\s*\[([^\]]*)\]", match.group(1))
        if found:
            out[key] = re.findall(r"['\"]([^'\"]+)['\"]", found.group(1))
    return out


def parse_plugin_files(names):
    """Names in ``mindspore/lib/plugin`` -> GPU plugins by CUDA version, Ascend, CPU, others."""
    out = {"gpu": {}, "gpu_dirs": [], "ascend": [], "cpu": [], "other": []}
    for name in sorted(names):
        match = re.match(r"^libmindspore_gpu\.so\.(\d+\.\d+)$", name)
        if match:
            out["gpu"][match.group(1)] = name
            continue
        match = re.match(r"^gpu(\d+\.\d+)$", name)
        if match:
            out["gpu_dirs"].append(match.group(1))
            continue
        if re.match(r"^libmindspore_ascend\.so(\.\d+)*$", name):
            out["ascend"].append(name)
        elif re.match(r"^(libmindspore_cpu.*\.so.*|mindspore_cpu.*\.dll)$", name):
            out["cpu"].append(name)
        elif name.startswith("libmindspore_") or name in ("ascend", "cpu"):
            out["other"].append(name)
    return out


# Which nvidia-* wheel ships each library (nvidia-cudnn-cu11, nvidia-cuda-runtime-cu12, and
# CUDA 13's nvidia-cuda-runtime without a suffix).
WHEEL_OF = {"cudart": "cuda_runtime", "cublas": "cublas", "cublasLt": "cublas", "cudnn": "cudnn",
            "cufft": "cufft", "curand": "curand", "cusolver": "cusolver",
            "cusparse": "cusparse", "nccl": "nccl", "nvrtc": "cuda_nvrtc"}


def parse_wheel_dist_infos(names):
    """{"cudnn": ("nvidia-cudnn-cu11", "8.5.0.96"), ...} from nvidia_*.dist-info folder names."""
    out = {}
    for name in names:
        match = re.match(r"^nvidia_([a-z0-9_]+?)(?:_(cu\d+))?-([^-]+)\.dist-info$", name)
        if match:
            dist = "nvidia-" + match.group(1).replace("_", "-")
            if match.group(2):
                dist += "-" + match.group(2)
            out[match.group(1)] = (dist, match.group(3))
    return out


def expand_origin(paths, origin):
    return [re.sub(r"\$(\{ORIGIN\}|ORIGIN)", lambda _m: origin, p) for p in paths]
