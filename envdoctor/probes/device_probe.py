"""Device probe: what compute this machine has, run by the *target* interpreter.

Standard library only, importable by CPython 3.7, like ``snapshot_probe.py`` which calls
:func:`collect` and stores the result under ``snapshot["devices"]``. It never imports
mindspore, torch or any other third-party module: the installed MindSpore is inspected by
listing the files of its package folder and reading the ELF headers of its device plugins.

Every external command runs with a timeout and needs no root; a missing tool is just "not
found". This module holds the collectors (the I/O); its siblings in this folder hold what is
pure: ``devices_parse`` (the ``parse_*`` functions, fed recorded real outputs by the tests)
and ``devices_elf`` (an ELF header reader). Run this file directly to print the device JSON.

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
import sys
import time

SCHEMA = 1
TOOL_TIMEOUT = 5.0  # seconds for one external command (nvidia-smi, npu-smi, ldconfig)
HUNG = False  # set when an NVML call did not return: the caller should exit with os._exit

# The same names either way; only how this module was loaded differs.
try:  # imported as envdoctor.probes.device_probe (host tests)
    from .devices_elf import elf_dynamic
    from .devices_parse import (
        CUDA_LIB, SIMD_FLAGS, WHEEL_OF, expand_origin, library_info, parse_check_version,
        parse_cpuinfo, parse_cuda_version_json, parse_cuda_version_txt, parse_cudnn_header,
        parse_key_values, parse_ldconfig, parse_meminfo, parse_npu_smi_info,
        parse_nvidia_smi_csv, parse_nvidia_smi_header, parse_plugin_files,
        parse_proc_gpu_information, parse_proc_nvidia_version, parse_sysctl, parse_version_cfg,
        parse_wheel_dist_infos)
except ImportError:  # run by the target from this folder (snapshot_probe.py, or directly)
    from devices_elf import elf_dynamic
    from devices_parse import (
        CUDA_LIB, SIMD_FLAGS, WHEEL_OF, expand_origin, library_info, parse_check_version,
        parse_cpuinfo, parse_cuda_version_json, parse_cuda_version_txt, parse_cudnn_header,
        parse_key_values, parse_ldconfig, parse_meminfo, parse_npu_smi_info,
        parse_nvidia_smi_csv, parse_nvidia_smi_header, parse_plugin_files,
        parse_proc_gpu_information, parse_proc_nvidia_version, parse_sysctl, parse_version_cfg,
        parse_wheel_dist_infos)

__all__ = ["SCHEMA", "TOOL_TIMEOUT", "HUNG", "collect", "run_tool", "probe_nvidia",
           "probe_cuda", "probe_ascend", "probe_cpu", "probe_mindspore"]

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


class _CudaLibraries(object):
    """The CUDA libraries found so far, one entry per real file (a library reached through
    several links or folders is listed once, under its soname)."""

    def __init__(self, loader_dirs):
        self.loader_dirs = loader_dirs  # real folders the dynamic loader searches
        self.found = []
        self._by_real = {}

    def add(self, path, source, on_loader_path, wheels=None):
        filename = os.path.basename(path)
        real = _real(path)
        info = library_info(filename, os.path.basename(real))
        if info is None:
            return
        known = self._by_real.get(real)
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
        self._by_real[real] = info
        self.found.append(info)

    def scan(self, folder, source, wheels=None):
        on_path = _real(folder) in self.loader_dirs
        for name in listdir(folder):
            if CUDA_LIB.match(name):
                self.add(os.path.join(folder, name), source, on_path, wheels)


def _cuda_toolkit(home, source, loader_dirs):
    """(the toolkit's entry, its library folders)."""
    version = _toolkit_version(home)
    lib_dirs = [os.path.join(home, d) for d in ("lib64", "lib")]
    lib_dirs += [os.path.join(home, "targets", t, "lib")
                 for t in listdir(os.path.join(home, "targets"))]
    lib_dirs = [d for d in lib_dirs if os.path.isdir(d)]
    kit = {"path": home, "source": source,
           "version": version["version"] if version else None,
           "cudart_version": version["cudart"] if version else None,
           "nvcc": os.path.isfile(os.path.join(home, "bin", "nvcc")),
           "lib_on_loader_path": any(_real(d) in loader_dirs for d in lib_dirs)}
    return kit, lib_dirs


def _cudnn_header(folder):
    """{"path", "version"} from the first cuDNN header in ``folder`` that names a version."""
    for header in ("cudnn_version.h", "cudnn.h"):
        path = os.path.join(folder, header)
        found = parse_cudnn_header(read_text(path))
        if found:
            return {"path": path, "version": found}
    return None


def _system_cudnn_headers(root, known):
    out = []
    for folder in ("/usr/include", "/usr/include/x86_64-linux-gnu",
                   "/usr/include/aarch64-linux-gnu"):
        header = _cudnn_header(_rooted(root, folder))
        if header and all(h["path"] != header["path"] for h in known + out):
            out.append(header)
    return out


def _toolkit_cudart_versions(libraries, toolkits):
    """libcudart.so.13 inside a toolkit says only "13": take the toolkit's full version."""
    for info in libraries:
        if info["name"] != "cudart" or len((info["version"] or "").split(".")) >= 3:
            continue
        real = _real(info["path"])
        for kit in toolkits:
            if kit["cudart_version"] and real.startswith(_real(kit["path"]) + os.sep) \
                    and kit["cudart_version"].startswith(info["version"] or ""):
                info["version"] = kit["cudart_version"]
                break


def probe_cuda(environ, root, system, sys_path, prefix, timeout):
    """CUDA libraries where the loader, CUDA_HOME, conda and pip wheels put them; toolkits
    and cuDNN headers. Returns (section, the ldconfig cache for probe_mindspore)."""
    cache, cache_error = ldconfig_cache(root, system, timeout)
    loader_dirs = set(_real(d) for d in set(os.path.dirname(p) for _s, _f, p in cache))
    loader_dirs.update(_real(d) for d in _env_dirs(environ, "LD_LIBRARY_PATH"))
    libraries = _CudaLibraries(loader_dirs)
    for soname, _flags, path in cache:
        if CUDA_LIB.match(soname):
            libraries.add(path, "ldconfig", True)
    for folder in _env_dirs(environ, "LD_LIBRARY_PATH"):
        libraries.scan(folder, "LD_LIBRARY_PATH")
    toolkits = []
    cudnn_headers = []
    for home, source in _cuda_homes(environ, root, system):
        kit, lib_dirs = _cuda_toolkit(home, source, loader_dirs)
        toolkits.append(kit)
        for folder in lib_dirs:
            libraries.scan(folder, "CUDA_HOME" if source != "default" else "cuda-dir")
        header = _cudnn_header(os.path.join(home, "include"))
        if header:
            cudnn_headers.append(header)
    if system or root != os.sep:
        cudnn_headers += _system_cudnn_headers(root, cudnn_headers)
    if prefix and os.path.isdir(os.path.join(prefix, "conda-meta")):
        libraries.scan(os.path.join(prefix, "lib"), "conda")
    for entry in sys_path:
        nvidia = os.path.join(entry or os.curdir, "nvidia")
        if not os.path.isdir(nvidia):
            continue
        wheels = parse_wheel_dist_infos(listdir(entry))
        for sub in listdir(nvidia):
            libraries.scan(os.path.join(nvidia, sub, "lib"), "pip", wheels)
    _toolkit_cudart_versions(libraries.found, toolkits)
    errors = [cache_error] if cache_error else []
    return {"libraries": libraries.found, "toolkits": toolkits, "cudnn_headers": cudnn_headers,
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
