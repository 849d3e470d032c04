"""Device probe: what compute this machine has, run by the *target* interpreter.

Standard library only, importable by CPython 3.7, like ``snapshot_probe.py`` which calls
:func:`collect` and stores the result under ``snapshot["devices"]``. It never imports
mindspore, torch or any other third-party module: the installed MindSpore is inspected by
listing the files of its package folder and reading the ELF headers of its device plugins.

Every external command runs with a timeout and needs no root; a missing tool is just "not
found". The parsers (``parse_*``) are pure functions of text, kept apart from the I/O so tests
can feed them recorded real outputs. Run this file directly to print the device JSON.

Sections of the result (each one is independent; a failing section becomes an entry in
``errors`` and never stops the others):

* ``nvidia``  GPUs, driver and the CUDA version it supports (NVML through ctypes, else
  ``nvidia-smi``, else ``/proc/driver/nvidia``)
* ``cuda``    CUDA runtime / cuBLAS / cuDNN libraries (ldconfig cache, LD_LIBRARY_PATH,
  CUDA_HOME and /usr/local/cuda*, conda, ``nvidia-*`` pip wheels) and CUDA toolkits
* ``ascend``  NPUs (``npu-smi info``, /dev/davinci*), driver, firmware and CANN toolkits
* ``cpu``     model, cores, memory, SIMD flags (/proc/cpuinfo, sysctl on macOS)
* ``mindspore`` the installed MindSpore's device plugins and what each one needs to load
"""

import json
import os
import re
import struct
import sys
import time

SCHEMA = 1
TOOL_TIMEOUT = 5.0  # seconds for one external command (nvidia-smi, npu-smi, ldconfig)
HUNG = False  # set when an NVML call did not return: the caller should exit with os._exit

# --------------------------------------------------------------------------------------------
# Pure parsers
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# ELF: which libraries a plugin needs (DT_NEEDED) and where it looks (DT_RPATH / DT_RUNPATH)
# --------------------------------------------------------------------------------------------

def elf_dynamic(path):
    """(needed, rpath, runpath) of an ELF shared object, read from its headers only (a GPU
    plugin is hundreds of MB; this reads a few KB). None when it is not ELF or unreadable."""
    try:
        with open(path, "rb") as handle:
            ident = handle.read(64)
            if len(ident) < 52 or ident[:4] != b"\x7fELF":
                return None
            is64 = ident[4] == 2
            end = "<" if ident[5] == 1 else ">"
            if is64:
                phoff, = struct.unpack(end + "Q", ident[32:40])
                phentsize, phnum = struct.unpack(end + "HH", ident[54:58])
            else:
                phoff, = struct.unpack(end + "I", ident[28:32])
                phentsize, phnum = struct.unpack(end + "HH", ident[42:46])
            if phnum == 0 or phnum > 512:
                return None
            handle.seek(phoff)
            table = handle.read(phentsize * phnum)
            loads = []
            dynamic = None
            for i in range(phnum):
                entry = table[i * phentsize:(i + 1) * phentsize]
                if is64:
                    p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack(
                        end + "IIQQQQ", entry[:40])
                else:
                    p_type, p_offset, p_vaddr, _, p_filesz = struct.unpack(
                        end + "IIIII", entry[:20])
                if p_type == 1:
                    loads.append((p_vaddr, p_offset, p_filesz))
                elif p_type == 2:
                    dynamic = (p_offset, p_filesz)
            if dynamic is None or dynamic[1] > (1 << 20):
                return None
            handle.seek(dynamic[0])
            raw = handle.read(dynamic[1])
            size = 16 if is64 else 8
            fmt = end + ("qQ" if is64 else "iI")
            needed, rpath, runpath = [], [], []
            strtab = None
            for i in range(len(raw) // size):
                tag, val = struct.unpack(fmt, raw[i * size:(i + 1) * size])
                if tag == 0:
                    break
                if tag == 5:
                    strtab = val
                elif tag == 1:
                    needed.append(val)
                elif tag == 15:
                    rpath.append(val)
                elif tag == 29:
                    runpath.append(val)
            if strtab is None:
                return None
            base = None
            for vaddr, offset, filesz in loads:
                if vaddr <= strtab < vaddr + filesz:
                    base = strtab - vaddr + offset
                    break
            if base is None:
                base = strtab  # some linkers leave the string table's file offset here

            def string_at(offset):
                handle.seek(base + offset)
                data = handle.read(512)
                return data.split(b"\0", 1)[0].decode("utf-8", "replace")

            return ([string_at(o) for o in needed],
                    [d for o in rpath for d in string_at(o).split(":") if d],
                    [d for o in runpath for d in string_at(o).split(":") if d])
    except (OSError, IOError, struct.error, ValueError):
        return None


def expand_origin(paths, origin):
    return [re.sub(r"\$(\{ORIGIN\}|ORIGIN)", lambda _m: origin, p) for p in paths]


# --------------------------------------------------------------------------------------------
# I/O helpers
# --------------------------------------------------------------------------------------------

def read_text(path, limit=1 << 20):
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as handle:
            return handle.read(limit)
    except (OSError, IOError):
        return None


def listdir(path):
    try:
        return sorted(os.listdir(path))
    except (OSError, IOError):
        return []


def which(name, environ, extra_dirs=()):
    dirs = [d for d in (environ.get("PATH") or "").split(os.pathsep) if d] + list(extra_dirs)
    names = [name]
    if os.name == "nt":
        names = [name + ".exe", name]
    for folder in dirs:
        for candidate in names:
            path = os.path.join(folder, candidate)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    return None


def run_tool(argv, timeout=TOOL_TIMEOUT, environ=None):
    """Run a command without a shell: (returncode or None, stdout, error or None).

    It gets its own session so a timeout kills it and anything it started; it never waits
    more than ``timeout`` plus one second, even for a child stuck in the kernel."""
    import subprocess

    kwargs = {}
    if os.name == "posix":
        kwargs["start_new_session"] = True
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=environ, **kwargs)
    except (OSError, ValueError) as exc:
        return None, "", "cannot run %s: %s" % (argv[0], exc)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            if os.name == "posix":
                import signal

                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except OSError:
            pass
        try:
            proc.communicate(timeout=1)
        except Exception:
            pass
        return None, "", "%s did not answer within %.0f s" % (os.path.basename(argv[0]),
                                                              timeout)
    text = (out or b"").decode("utf-8", "replace")
    if proc.returncode != 0:
        detail = ((err or b"").decode("utf-8", "replace").strip() or text.strip())
        detail = detail.splitlines()[0][:300] if detail else ""
        return proc.returncode, text, "%s exited with status %d%s" % (
            os.path.basename(argv[0]), proc.returncode, ": " + detail if detail else "")
    return 0, text, None


def _rooted(root, path):
    return path if root == os.sep else os.path.join(root, path.lstrip("/"))


def _env_dirs(environ, name):
    return [d for d in (environ.get(name) or "").split(os.pathsep) if d]


def _real(path):
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return path


# --------------------------------------------------------------------------------------------
# NVIDIA
# --------------------------------------------------------------------------------------------

def _nvml_names():
    if sys.platform.startswith("win"):
        return ["nvml.dll"]
    if sys.platform == "darwin":
        return []
    return ["libnvidia-ml.so.1"]


def probe_nvml(timeout=TOOL_TIMEOUT):
    """GPUs through NVML loaded with ctypes. Loading is done here (it fails fast when there is
    no driver); the calls into NVML run in a thread so a wedged driver cannot hang the probe."""
    names = _nvml_names()
    if not names:
        return None
    try:
        import ctypes
    except Exception:
        return None
    lib = None
    for name in names:
        try:
            lib = ctypes.CDLL(name)
            break
        except OSError:
            continue
    if lib is None:
        return None
    import threading

    result = {"library": names[0]}

    def work():
        try:
            result.update(_nvml_query(ctypes, lib))
        except Exception as exc:  # any NVML or ctypes failure is data, not a crash
            result["error"] = "NVML: %s" % exc

    thread = threading.Thread(target=work, name="envdoctor-nvml")
    thread.daemon = True
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        global HUNG
        HUNG = True
        return {"library": names[0], "error": "NVML did not answer within %.0f s" % timeout,
                "timed_out": True}
    return result


def _nvml_query(ctypes, lib):
    class Memory(ctypes.Structure):
        _fields_ = [("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong),
                    ("used", ctypes.c_ulonglong)]

    def describe(code):
        try:
            lib.nvmlErrorString.restype = ctypes.c_char_p
            return "%s (%d)" % (lib.nvmlErrorString(code).decode("utf-8", "replace"), code)
        except Exception:
            return "error %d" % code

    def call(names, *args):
        for name in names:
            fn = getattr(lib, name, None)
            if fn is not None:
                code = fn(*args)
                if code != 0:
                    raise RuntimeError("%s failed: %s" % (name, describe(code)))
                return
        raise RuntimeError("%s is missing from the NVML library" % names[0])

    call(("nvmlInit_v2", "nvmlInit"))
    try:
        out = {"driver_version": None, "cuda_driver_version": None, "gpus": []}
        buf = ctypes.create_string_buffer(96)
        call(("nvmlSystemGetDriverVersion",), buf, ctypes.c_uint(96))
        out["driver_version"] = buf.value.decode("utf-8", "replace")
        cuda = ctypes.c_int(0)
        try:
            call(("nvmlSystemGetCudaDriverVersion_v2", "nvmlSystemGetCudaDriverVersion"),
                 ctypes.byref(cuda))
            if cuda.value:
                out["cuda_driver_version"] = "%d.%d" % (cuda.value // 1000,
                                                        (cuda.value % 1000) // 10)
        except RuntimeError:
            pass
        count = ctypes.c_uint(0)
        call(("nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"), ctypes.byref(count))
        for index in range(count.value):
            gpu = {"index": index, "name": None, "memory_mib": None,
                   "compute_capability": None, "pci_bus_id": None}
            handle = ctypes.c_void_p()
            try:
                call(("nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"),
                     ctypes.c_uint(index), ctypes.byref(handle))
            except RuntimeError as exc:
                gpu["error"] = str(exc)
                out["gpus"].append(gpu)
                continue
            try:
                call(("nvmlDeviceGetName",), handle, buf, ctypes.c_uint(96))
                gpu["name"] = buf.value.decode("utf-8", "replace")
            except RuntimeError:
                pass
            memory = Memory()
            try:
                call(("nvmlDeviceGetMemoryInfo",), handle, ctypes.byref(memory))
                gpu["memory_mib"] = int(memory.total // (1024 * 1024))
            except RuntimeError:
                pass
            major, minor = ctypes.c_int(0), ctypes.c_int(0)
            try:
                call(("nvmlDeviceGetCudaComputeCapability",), handle, ctypes.byref(major),
                     ctypes.byref(minor))
                gpu["compute_capability"] = "%d.%d" % (major.value, minor.value)
            except RuntimeError:
                pass
            out["gpus"].append(gpu)
        return out
    finally:
        try:
            lib.nvmlShutdown()
        except Exception:
            pass


SMI_FIELDS = ("index", "name", "memory.total", "compute_cap", "driver_version", "pci.bus_id")


def probe_nvidia_smi(smi, timeout=TOOL_TIMEOUT):
    """GPUs from ``nvidia-smi --query-gpu`` (without compute_cap on drivers older than ~510,
    which reject it), and the supported CUDA version from the plain banner."""
    out = {"driver_version": None, "cuda_driver_version": None, "gpus": [], "errors": []}
    fields = list(SMI_FIELDS)
    gpus = None
    for _ in range(2):
        code, text, error = run_tool([smi, "--query-gpu=" + ",".join(fields), "--format=csv"],
                                     timeout)
        if code is None and "did not answer" in (error or ""):
            out["errors"].append(error)
            out["timed_out"] = True
            return out
        if "compute_cap" in fields and "is not a valid field" in text:
            fields.remove("compute_cap")
            continue
        gpus = parse_nvidia_smi_csv(text)
        if gpus is None:
            message = error or (text.strip().splitlines() or ["no output"])[0]
            if "No devices were found" in text:
                gpus = []
            else:
                out["errors"].append("nvidia-smi: %s" % message[:300])
        break
    out["gpus"] = gpus or []
    for gpu in out["gpus"]:
        driver = gpu.pop("driver_version", None)
        if driver and not out["driver_version"]:
            out["driver_version"] = driver
    code, text, error = run_tool([smi], timeout)
    banner = parse_nvidia_smi_header(text)
    out["cuda_driver_version"] = banner["cuda_driver_version"]
    out["driver_version"] = out["driver_version"] or banner["driver_version"]
    if error and not out["errors"] and not out["gpus"]:
        out["errors"].append(error)
    return out


def probe_nvidia(environ, root, system, timeout):
    """NVML first; nvidia-smi when NVML is unavailable; /proc/driver/nvidia as a last word."""
    out = {"source": None, "driver_version": None, "cuda_driver_version": None, "gpus": [],
           "kernel_driver": None, "nvidia_smi": None, "nvml": None, "errors": []}
    proc_version = read_text(_rooted(root, "/proc/driver/nvidia/version"))
    out["kernel_driver"] = parse_proc_nvidia_version(proc_version)
    nvml = probe_nvml(timeout) if system else None
    if nvml is not None:
        out["nvml"] = nvml.get("library")
        if nvml.get("error"):
            out["errors"].append(nvml["error"])
        else:
            out.update(source="nvml", driver_version=nvml["driver_version"],
                       cuda_driver_version=nvml["cuda_driver_version"], gpus=nvml["gpus"])
            return out
        if nvml.get("timed_out"):
            return out  # nvidia-smi uses NVML too: it would hang the same way
    extra = [_rooted(root, d) for d in ("/usr/bin", "/usr/local/bin", "/usr/lib/wsl/lib")]
    smi = which("nvidia-smi", environ, extra if system else ())
    out["nvidia_smi"] = smi
    if smi:
        found = probe_nvidia_smi(smi, timeout)
        out["errors"].extend(found["errors"])
        if found["gpus"] or not found["errors"]:
            out.update(source="nvidia-smi", driver_version=found["driver_version"],
                       cuda_driver_version=found["cuda_driver_version"], gpus=found["gpus"])
            return out
        if found.get("timed_out"):
            return out
    gpus_dir = _rooted(root, "/proc/driver/nvidia/gpus")
    for index, bus in enumerate(listdir(gpus_dir)):
        info = parse_proc_gpu_information(read_text(os.path.join(gpus_dir, bus,
                                                                 "information")))
        out["gpus"].append({"index": index, "name": info["name"], "memory_mib": None,
                            "compute_capability": None,
                            "pci_bus_id": info["pci_bus_id"] or bus})
    if out["gpus"]:
        out["source"] = "proc"
        out["driver_version"] = out["kernel_driver"]
    return out


# --------------------------------------------------------------------------------------------
# CUDA libraries and toolkits
# --------------------------------------------------------------------------------------------

def ldconfig_cache(root, system, timeout):
    """(soname, flags, path) of the dynamic loader's cache, or [] where there is none."""
    if not system or not sys.platform.startswith("linux"):
        return [], None
    tool = None
    for candidate in ("/sbin/ldconfig", "/usr/sbin/ldconfig", "/bin/ldconfig"):
        if os.path.isfile(candidate):
            tool = candidate
            break
    if tool is None:
        return [], "ldconfig not found"
    code, text, error = run_tool([tool, "-p"], timeout)
    return parse_ldconfig(text), error


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


def _cuda_homes(environ, root, system):
    homes = []
    for name in ("CUDA_HOME", "CUDA_PATH", "CUDA_ROOT", "CUDA_TOOLKIT_ROOT_DIR"):
        value = environ.get(name)
        if value:
            homes.append((value, name))
    if system or root != os.sep:
        base = _rooted(root, "/usr/local")
        homes.append((os.path.join(base, "cuda"), "default"))
        for name in listdir(base):
            if re.match(r"^cuda-\d+(\.\d+)?$", name):
                homes.append((os.path.join(base, name), "default"))
        homes.append((_rooted(root, "/opt/cuda"), "default"))
    seen = set()
    out = []
    for path, source in homes:
        real = _real(path)
        if real in seen or not os.path.isdir(path):
            continue
        seen.add(real)
        out.append((path, source))
    return out


def _toolkit_version(home):
    """A CUDA toolkit's version: version.json (11.1+), version.txt (<= 11.0), or the
    nvidia_cuda_runtime dist-info of a toolkit assembled from wheels (CUDA 13)."""
    found = parse_cuda_version_json(read_text(os.path.join(home, "version.json")) or "")
    if found is None:
        found = parse_cuda_version_txt(read_text(os.path.join(home, "version.txt")))
    if found is None:
        wheel = parse_wheel_dist_infos(listdir(os.path.join(home, "dist-info"))).get(
            "cuda_runtime")
        if wheel:
            found = {"version": ".".join(wheel[1].split(".")[:2]), "cudart": wheel[1]}
    return found


def _name_rank(filename):
    return (0 if re.search(r"\.so\.\d", filename) else 1, len(filename))


def probe_cuda(environ, root, system, sys_path, prefix, timeout):
    cache, cache_error = ldconfig_cache(root, system, timeout)
    libraries = []
    by_real = {}
    loader_dirs = set(_real(d) for d in set(os.path.dirname(p) for _s, _f, p in cache))
    loader_dirs.update(_real(d) for d in _env_dirs(environ, "LD_LIBRARY_PATH"))

    def add(path, source, on_loader_path, wheels=None):
        filename = os.path.basename(path)
        real = _real(path)
        info = library_info(filename, os.path.basename(real))
        if info is None:
            return
        known = by_real.get(real)
        if known is not None:
            known["on_loader_path"] = known["on_loader_path"] or on_loader_path
            # Name it by its soname: libcudart.so.11.0 rather than .so or .so.11.6.55
            if _name_rank(filename) < _name_rank(known["file"]):
                known.update(file=filename, soname_version=info["soname_version"])
            return
        info.update(path=path, source=source, on_loader_path=on_loader_path, package=None)
        wheel = (wheels or {}).get(WHEEL_OF.get(info["name"], ""))
        if wheel:
            info["package"] = "%s %s" % wheel
            if len(wheel[1]) > len(info["version"] or ""):
                info["version"] = wheel[1]
        by_real[real] = info
        libraries.append(info)

    def scan(folder, source, wheels=None):
        on_path = _real(folder) in loader_dirs
        for name in listdir(folder):
            if CUDA_LIB.match(name):
                add(os.path.join(folder, name), source, on_path, wheels)

    for soname, _flags, path in cache:
        if CUDA_LIB.match(soname):
            add(path, "ldconfig", True)
    for folder in _env_dirs(environ, "LD_LIBRARY_PATH"):
        scan(folder, "LD_LIBRARY_PATH")

    toolkits = []
    cudnn_headers = []
    for home, source in _cuda_homes(environ, root, system):
        version = _toolkit_version(home)
        lib_dirs = [os.path.join(home, d) for d in ("lib64", "lib")]
        lib_dirs += [os.path.join(home, "targets", t, "lib")
                     for t in listdir(os.path.join(home, "targets"))]
        lib_dirs = [d for d in lib_dirs if os.path.isdir(d)]
        toolkits.append({"path": home, "source": source,
                         "version": version["version"] if version else None,
                         "cudart_version": version["cudart"] if version else None,
                         "nvcc": os.path.isfile(os.path.join(home, "bin", "nvcc")),
                         "lib_on_loader_path": any(_real(d) in loader_dirs for d in lib_dirs)})
        for folder in lib_dirs:
            scan(folder, "CUDA_HOME" if source != "default" else "cuda-dir")
        for header in ("cudnn_version.h", "cudnn.h"):
            path = os.path.join(home, "include", header)
            found = parse_cudnn_header(read_text(path))
            if found:
                cudnn_headers.append({"path": path, "version": found})
                break
    if system or root != os.sep:
        for folder in ("/usr/include", "/usr/include/x86_64-linux-gnu",
                       "/usr/include/aarch64-linux-gnu"):
            for header in ("cudnn_version.h", "cudnn.h"):
                path = _rooted(root, os.path.join(folder, header))
                found = parse_cudnn_header(read_text(path))
                if found and all(h["path"] != path for h in cudnn_headers):
                    cudnn_headers.append({"path": path, "version": found})
                    break
    if prefix and os.path.isdir(os.path.join(prefix, "conda-meta")):
        scan(os.path.join(prefix, "lib"), "conda")
    for entry in sys_path:
        nvidia = os.path.join(entry or os.curdir, "nvidia")
        if not os.path.isdir(nvidia):
            continue
        wheels = parse_wheel_dist_infos(listdir(entry))
        for sub in listdir(nvidia):
            scan(os.path.join(nvidia, sub, "lib"), "pip", wheels)
    for info in libraries:  # libcudart.so.13 inside a toolkit: take the toolkit's version
        if info["name"] == "cudart" and len((info["version"] or "").split(".")) < 3:
            real = _real(info["path"])
            for kit in toolkits:
                if kit["cudart_version"] and real.startswith(_real(kit["path"]) + os.sep) \
                        and kit["cudart_version"].startswith(info["version"] or ""):
                    info["version"] = kit["cudart_version"]
                    break
    errors = [cache_error] if cache_error else []
    return {"libraries": libraries, "toolkits": toolkits, "cudnn_headers": cudnn_headers,
            "loader_cache": bool(cache), "errors": errors}, cache


# --------------------------------------------------------------------------------------------
# Ascend
# --------------------------------------------------------------------------------------------

def _ascend_roots(environ, root, system):
    roots = []
    if system or root != os.sep:
        roots.append(_rooted(root, "/usr/local/Ascend"))
        home = environ.get("HOME")
        if home and system:
            roots.append(os.path.join(home, "Ascend"))
    return [r for r in roots if os.path.isdir(r)]


def _toolkit_candidates(environ, roots):
    candidates = []
    for name in ("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME"):
        if environ.get(name):
            candidates.append((environ[name], name))
    for name in ("ASCEND_OPP_PATH",):
        if environ.get(name):
            candidates.append((os.path.dirname(environ[name].rstrip("/")), name))
    for base in roots:
        for sub in ("ascend-toolkit/latest", "nnae/latest", "latest", "cann"):
            candidates.append((os.path.join(base, sub), "default"))
        for name in listdir(base):
            if re.match(r"^cann-\d", name):
                candidates.append((os.path.join(base, name), "default"))
    return candidates


def read_toolkit(path):
    """One CANN install: release name (8.0.RC3) and compiler version (7.5.0.1.129)."""
    info = {"path": path, "release": None, "compiler_version": None, "files": []}
    cfg = parse_version_cfg(read_text(os.path.join(path, "version.cfg")) or "")
    if cfg:
        info["files"].append("version.cfg")
        info["release"] = cfg["release"]
        info["compiler_version"] = cfg["component_version"]
    for sub in ("compiler", "opp", "runtime"):
        values = parse_key_values(read_text(os.path.join(path, sub, "version.info")) or "")
        if values.get("Version"):
            info["files"].append(sub + "/version.info")
            if sub == "compiler" or not info["compiler_version"]:
                info["compiler_version"] = values["Version"]
            info["release"] = info["release"] or values.get("version_dir")
            break
    for name in listdir(path):
        if name.endswith("-linux"):
            values = parse_key_values(read_text(
                os.path.join(path, name, "ascend_toolkit_install.info")) or "")
            if values.get("version"):
                info["files"].append(name + "/ascend_toolkit_install.info")
                info["release"] = values["version"]
                info["package"] = values.get("package_name")
                info["arch"] = values.get("arch")
                break
    parent = os.path.dirname(path.rstrip("/"))
    for script in (os.path.join(path, "set_env.sh"), os.path.join(parent, "set_env.sh")):
        if os.path.isfile(script):
            info["set_env"] = script
            break
    info["lib64"] = os.path.join(path, "lib64")
    return info if info["files"] else None


def probe_ascend(environ, root, system, timeout):
    out = {"npu_smi": None, "npu_smi_version": None, "chips": [], "device_files": 0,
           "driver": None, "firmware": None, "toolkits": [], "errors": []}
    out["device_files"] = len([n for n in listdir(_rooted(root, "/dev"))
                               if re.match(r"^davinci\d+$", n)])
    roots = _ascend_roots(environ, root, system)
    for base in roots:
        for key in ("driver", "firmware"):
            if out[key] is None:
                values = parse_key_values(read_text(os.path.join(base, key, "version.info")))
                if values.get("Version"):
                    out[key] = {"version": values.get("package_version") or values["Version"],
                                "component_version": values["Version"],
                                "path": os.path.join(base, key)}
    extra = [_rooted(root, d) for d in ("/usr/local/sbin", "/usr/local/bin",
                                        "/usr/local/Ascend/driver/tools")]
    smi = which("npu-smi", environ, extra if (system or root != os.sep) else ())
    out["npu_smi"] = smi
    if smi:
        code, text, error = run_tool([smi, "info"], timeout)
        parsed = parse_npu_smi_info(text)
        out["chips"] = parsed["chips"]
        out["npu_smi_version"] = parsed["npu_smi_version"]
        if error:
            out["errors"].append(error)
            out["timed_out"] = code is None
        if parsed["driver_version"] and out["driver"] is None:
            out["driver"] = {"version": parsed["driver_version"], "component_version": None,
                             "path": None}
    seen = set()
    for path, source in _toolkit_candidates(environ, roots):
        real = _real(path)
        if real in seen or not os.path.isdir(path):
            continue
        seen.add(real)
        info = read_toolkit(path)
        if info:
            info["source"] = source
            out["toolkits"].append(info)
    return out


# --------------------------------------------------------------------------------------------
# CPU
# --------------------------------------------------------------------------------------------

def probe_cpu(root, system, timeout):
    import platform

    out = {"machine": platform.machine(), "model": None, "vendor": None,
           "logical_cores": None, "physical_cores": None, "usable_cores": None,
           "memory_mib": None, "flags": []}
    text = read_text(_rooted(root, "/proc/cpuinfo"), limit=1 << 22)
    if text:
        parsed = parse_cpuinfo(text)
        out.update((k, v) for k, v in parsed.items() if v)
        out["memory_mib"] = parse_meminfo(read_text(_rooted(root, "/proc/meminfo")))
    elif system and sys.platform == "darwin":
        code, text, _error = run_tool(
            ["/usr/sbin/sysctl", "machdep.cpu.brand_string", "hw.memsize", "hw.ncpu",
             "hw.physicalcpu", "machdep.cpu.features", "machdep.cpu.leaf7_features"], timeout)
        parsed = parse_sysctl(text)
        out.update((k, v) for k, v in parsed.items() if v)
    if system:
        out["logical_cores"] = out["logical_cores"] or os.cpu_count()
        if hasattr(os, "sched_getaffinity"):
            try:
                out["usable_cores"] = len(os.sched_getaffinity(0))
            except OSError:
                pass
        if not out["model"]:
            out["model"] = platform.processor() or None
    flags = set(out["flags"])
    out["flags"] = [f for f in SIMD_FLAGS if f in flags]
    return out


# --------------------------------------------------------------------------------------------
# The installed MindSpore's device plugins
# --------------------------------------------------------------------------------------------

def find_package(sys_path, name="mindspore"):
    """The folder Python would import ``name`` from: the first sys.path entry that has it."""
    for entry in sys_path:
        folder = os.path.join(entry or os.getcwd(), name)
        if os.path.isfile(os.path.join(folder, "__init__.py")):
            return folder
    return None


def resolve_library(soname, search_dirs, cache_map, default_dirs):
    """Where the dynamic loader would find ``soname`` (None: it would not)."""
    for folder in search_dirs:
        path = os.path.join(folder, soname)
        if os.path.exists(path):
            return path
    if soname in cache_map:
        return cache_map[soname]
    for folder in default_dirs:
        path = os.path.join(folder, soname)
        if os.path.exists(path):
            return path
    return None


def plugin_needs(path, environ, cache_map, default_dirs, extra_dirs=()):
    """The libraries a plugin needs, and which of them the loader would not find."""
    dyn = elf_dynamic(path)
    if dyn is None:
        return {"elf": False, "needs": [], "missing": []}
    needed, rpath, runpath = dyn
    origin = os.path.dirname(path)
    search = []
    if not runpath:
        search.extend(expand_origin(rpath, origin))
    search.extend(_env_dirs(environ, "LD_LIBRARY_PATH"))
    search.extend(expand_origin(runpath, origin))
    search.extend(extra_dirs)
    missing = [n for n in needed
               if resolve_library(n, search, cache_map, default_dirs) is None]
    return {"elf": True, "needs": needed, "missing": missing,
            "runpath": runpath or rpath}


def probe_mindspore(sys_path, environ, cache, root):
    folder = find_package(sys_path)
    if folder is None:
        return None
    out = {"path": folder, "version": None, "layout": "none", "plugin_dir": None,
           "gpu_plugins": [], "ascend_plugins": [], "cpu_plugins": [], "other_plugins": [],
           "check_version": {}}
    match = re.search(r"__version__\s*=\s*['\"]([^'\"]+)['\"]",
                      read_text(os.path.join(folder, "version.py")) or "")
    if match:
        out["version"] = match.group(1)
    out["check_version"] = parse_check_version(
        read_text(os.path.join(folder, "run_check", "_check_version.py")) or "")
    cache_map = {}
    for soname, _flags, path in cache:
        cache_map.setdefault(soname, path)
    # The loader's trusted folders (system libraries like libc.so.6 resolve there even when
    # the ldconfig cache could not be read), under ``root`` and on this machine.
    import platform

    arch = "%s-linux-gnu" % platform.machine()
    system_dirs = ["/lib", "/usr/lib", "/lib64", "/usr/lib64", "/lib/" + arch, "/usr/lib/" + arch]
    default_dirs = [_rooted(root, d) for d in system_dirs]
    default_dirs += [d for d in system_dirs if d not in default_dirs]
    plugin_dir = os.path.join(folder, "lib", "plugin")
    names = listdir(plugin_dir)
    if names:
        out["layout"] = "plugins"
        out["plugin_dir"] = plugin_dir
        found = parse_plugin_files(names)
        for cuda, name in sorted(found["gpu"].items()):
            path = os.path.join(plugin_dir, name)
            extra = [plugin_dir, os.path.join(plugin_dir, "gpu" + cuda)]
            entry = {"file": name, "cuda": cuda, "akg_dir": cuda in found["gpu_dirs"]}
            entry.update(plugin_needs(path, environ, cache_map, default_dirs, extra))
            out["gpu_plugins"].append(entry)
        for name in found["ascend"]:
            extra = [plugin_dir, os.path.join(plugin_dir, "ascend")]
            entry = {"file": name}
            entry.update(plugin_needs(os.path.join(plugin_dir, name), environ, cache_map,
                                      default_dirs, extra))
            out["ascend_plugins"].append(entry)
        out["cpu_plugins"] = found["cpu"]
        out["other_plugins"] = found["other"]
    else:
        # MindSpore 1.x builds (mindspore-gpu, mindspore-ascend) link the device code into
        # _c_expression itself; what it needs says which device it was built for.
        for name in listdir(folder):
            if name.startswith("_c_expression") and (name.endswith(".so") or ".so." in name):
                dyn = plugin_needs(os.path.join(folder, name), environ, cache_map,
                                   default_dirs, [os.path.join(folder, "lib")])
                cuda = [n for n in dyn["needs"] if n.startswith("libcudart.so.")]
                if cuda:
                    out["layout"] = "monolithic"
                    entry = {"file": name, "cuda": cuda[0].split(".so.", 1)[1],
                             "akg_dir": False}
                    entry.update(dyn)
                    out["gpu_plugins"].append(entry)
                if any(n.startswith(("libge_runner", "libascendcl")) for n in dyn["needs"]):
                    out["layout"] = "monolithic"
                    entry = {"file": name}
                    entry.update(dyn)
                    out["ascend_plugins"].append(entry)
                break
    return out


# --------------------------------------------------------------------------------------------
# Everything
# --------------------------------------------------------------------------------------------

def collect(environ=None, sys_path=None, root=os.sep, system=None, prefix=None,
            timeout=TOOL_TIMEOUT):
    """The ``devices`` section of a snapshot.

    ``environ``, ``sys_path`` and ``prefix`` default to this interpreter's. ``root`` prefixes
    the fixed system paths (/proc, /dev, /usr/local/...) so tests can point it at a fake tree;
    ``system`` (default: root is /) allows what only makes sense on the real machine: NVML,
    the ldconfig cache, extra tool folders and ~/Ascend."""
    started = time.time()
    environ = dict(os.environ if environ is None else environ)
    sys_path = list(sys.path if sys_path is None else sys_path)
    if system is None:
        system = root == os.sep
    if prefix is None and system:
        prefix = sys.prefix
    out = {"schema": SCHEMA, "nvidia": None, "cuda": None, "ascend": None, "cpu": None,
           "mindspore": None, "errors": []}
    cache = []

    def section(name, fn):
        try:
            return fn()
        except Exception as exc:  # one failing section must not hide the others
            out["errors"].append("%s: %s: %s" % (name, type(exc).__name__, exc))
            return None

    out["nvidia"] = section("nvidia", lambda: probe_nvidia(environ, root, system, timeout))
    found = section("cuda", lambda: probe_cuda(environ, root, system, sys_path, prefix,
                                               timeout))
    if found:
        out["cuda"], cache = found
    out["ascend"] = section("ascend", lambda: probe_ascend(environ, root, system, timeout))
    out["cpu"] = section("cpu", lambda: probe_cpu(root, system, timeout))
    out["mindspore"] = section("mindspore",
                               lambda: probe_mindspore(sys_path, environ, cache, root))
    out["seconds"] = round(time.time() - started, 4)
    return out


if __name__ == "__main__":
    sys.stdout.write(json.dumps(collect(), indent=2) + "\n")
