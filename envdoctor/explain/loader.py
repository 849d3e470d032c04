"""The dynamic loader's errors, read by mechanism: which library or symbol version is missing,
who needed it, which component provides it, and what fits.

- ``libX.so.N: cannot open shared object file``: the soname names the component and its
  major version (``libcublas.so.10`` is CUDA 10's cuBLAS, ``libcudnn_ops_infer.so.8`` cuDNN 8,
  ``libascendcl.so`` CANN); a CUDA 11 install does not provide a CUDA 10 soname.
- ``PATH: undefined symbol: S``: the library at PATH is older than (or not the build of) the
  one its caller was linked against; the symbol's prefix says whose it is.
- ``version `GLIBC_2.xx' / `GLIBCXX_3.4.xx' not found (required by F)``: F was built on a
  newer system than this one; GLIBCXX maps to the GCC that introduced it, GLIBC to the
  manylinux tag a wheel must have to run here.

Pure functions of the text. Sources: the GCC libstdc++ ABI table
(https://gcc.gnu.org/onlinedocs/libstdc++/manual/abi.html), PEP 600 (manylinux_x_y = glibc
x.y), NVIDIA's soname conventions (the major version is in the soname).
"""

import re
from shlex import quote as shlex_quote
from typing import List, Optional, Sequence, Tuple

from envdoctor.explain.model import Explanation
from envdoctor.explain.textutil import frames_before, site_package

__all__ = ["explain_loader_line", "GLIBCXX_GCC", "component_of", "needing_package"]

_STATIC_TLS = re.compile(r"(?P<lib>[^\s:]*lib[\w+.-]*\.so[\d.]*): cannot allocate memory in static "
                         r"TLS block")
_CANNOT_OPEN = re.compile(r"(?P<lib>[\w.+-]*\.so(?:\.[\w.]+)?): cannot open shared object file")
_UNDEFINED = re.compile(r"(?:(?P<path>[^\s:()'\"]+\.so[\d.]*):\s*)?undefined symbol:?\s*"
                        r"(?P<sym>[\w@.]+)(?:,\s*version\s+(?P<symver>[\w.+-]+))?")
# glibc's wording when the versioned symbol is not in the library that was loaded
_NOT_DEFINED = re.compile(r"symbol (?P<sym>\w+),? version (?P<symver>[\w.+-]+) not defined in "
                          r"file (?P<file>[\w.+-]+)")
_VERSION = re.compile(r"(?:(?P<provider>[^\s:()'\"]+\.so[\d.]*):\s*)?version\s+[`'\"]"
                      r"(?P<tag>(?P<kind>GLIBC|GLIBCXX|CXXABI)_(?P<ver>[\d.]+))['`\"]\s+not found"
                      r"(?:\s*\(required by\s+(?P<by>[^)]+)\))?")
_LOADING = re.compile(r"(?:Load dynamic library:?\s*|Failed to load library |Fail to open "
                      r"library:?\s*|Could not load library |dlopen:?\s*)(?P<lib>[^\s,:]+)")

# GLIBCXX_3.4.N -> the GCC release whose libstdc++ first has it (GCC's ABI table).
GLIBCXX_GCC = {14: "4.8", 15: "4.8.3", 16: "4.8", 17: "4.8", 18: "4.8", 19: "4.8.3",
               20: "4.9", 21: "5.1", 22: "6.1", 23: "7.1", 24: "7.2", 25: "8.1", 26: "9.1",
               27: "9.2", 28: "9.3", 29: "11.1", 30: "12.1", 31: "13.1", 32: "13.2",
               33: "14.1"}
_GCC_SOURCE = "https://gcc.gnu.org/onlinedocs/libstdc++/manual/abi.html"
_MANYLINUX_SOURCE = "https://peps.python.org/pep-0600/"

# Import names in paths -> the distribution that installs them.
_DISTS = {"cv2": "opencv-python", "PIL": "pillow", "paddle": "paddlepaddle",
          "paddle_custom_device": "paddle-custom-npu", "google": "protobuf",
          "huggingface_hub": "huggingface-hub", "sklearn": "scikit-learn",
          "fastdeploy": "fastdeploy-python", "onnxruntime": "onnxruntime"}


_CUDA_LIBS = {"cublas": "cuBLAS", "cublasLt": "cuBLASLt", "cusolver": "cuSOLVER",
              "cufft": "cuFFT", "curand": "cuRAND", "cusparse": "cuSPARSE", "nvrtc": "NVRTC",
              "nvToolsExt": "NVTX", "nvJitLink": "nvJitLink", "cupti": "CUPTI"}


def _cuda_from_major(major: str) -> str:
    return {"10": "CUDA 10.x (10.0-10.2)", "11": "CUDA 11.x", "12": "CUDA 12.x",
            "13": "CUDA 13.x"}.get(major, "CUDA %s" % major)


def component_of(lib: str) -> Optional[Tuple[str, str, str]]:
    """(component id, what provides it in words, advice) for a soname, None if unknown."""
    name = lib.rsplit("/", 1)[-1]
    found = re.match(r"lib(?P<base>[A-Za-z_+-]+?)(?:[-_]?\d[\d.]*)?\.so(?:\.(?P<ver>[\d.]+))?$",
                     name)
    base = found.group("base") if found else name
    ver = (found.group("ver") or "") if found else ""
    major = ver.split(".")[0] if ver else ""
    if base == "cudart" and ver:
        cuda = "CUDA %s" % ver if "." in ver else _cuda_from_major(major)
        return ("cuda", "the CUDA runtime of %s" % cuda,
                "Install %s (the version in the soname; another major version does not "
                "provide it) or put its lib64 folder on LD_LIBRARY_PATH." % cuda)
    if base in ("cublas", "cublasLt", "cusolver", "cufft", "curand", "cusparse", "nvrtc",
                "nvToolsExt", "nvJitLink", "cupti"):
        cuda = _cuda_from_major(major) if major else "CUDA"
        comp = "cublas" if base.startswith("cublas") else "cuda"
        pretty = _CUDA_LIBS.get(base, base)
        return (comp, "%s of %s" % (pretty, cuda),
                "Install %s (its %s) or put the folder that has %s on LD_LIBRARY_PATH; a "
                "different CUDA major version does not provide this soname." % (
                    cuda, pretty, name))
    if base.startswith("cudnn"):
        what = "cuDNN %s" % major if major else "cuDNN"
        return ("cudnn", what,
                "Install %s for the CUDA version in use (NVIDIA's archive, conda's cudnn, or "
                "the nvidia-cudnn-cuXX wheel that matches the framework) and put it on "
                "LD_LIBRARY_PATH." % what)
    if base == "nccl":
        return ("nccl", "NCCL %s" % major if major else "NCCL",
                "Install the NCCL the framework was built with (its nvidia-nccl-cuXX wheel) "
                "and do not put another libnccl first on LD_LIBRARY_PATH.")
    if base in ("cuda", "nvidia-ml"):
        return ("nvidia-driver", "the NVIDIA driver (%s ships with the driver, not with the "
                                 "CUDA toolkit)" % name,
                "Install the NVIDIA driver, or make its library folder visible (in WSL "
                "/usr/lib/wsl/lib, in a container the NVIDIA container runtime).")
    if base in ("GL", "EGL", "GLX"):
        return ("libgl", "the system's OpenGL library",
                "Install the system package with %s (Debian/Ubuntu: apt-get install -y libgl1, "
                "older releases libgl1-mesa-glx; RHEL: mesa-libGL); for OpenCV on a server, "
                "opencv-python-headless needs no OpenGL." % name)
    if base.startswith(("glib", "gthread", "gobject")):
        return ("glib", "the system's GLib",
                "Install the system package with %s (Debian/Ubuntu: libglib2.0-0)." % name)
    if base.startswith("mpi"):
        # the soname's major version is the MPI ABI: 12 is MPICH's (and its derivatives'),
        # 40 Open MPI 3.x-4.x's, 80 Open MPI 5's
        which = {"12": "MPICH (libmpi.so.12 ABI)", "40": "Open MPI 3.x / 4.x",
                 "80": "Open MPI 5.x"}.get(major, "an MPI library (Open MPI / MPICH)")
        return ("mpi", which,
                "Install %s, the MPI the package (mpi4py, ...) was built against, from the same "
                "channel as the package (conda: conda install -c conda-forge %s), or put its "
                "lib folder on LD_LIBRARY_PATH; the other MPI does not provide %s." % (
                    which, "mpich" if major == "12" else "openmpi", name))
    if base in ("ascendcl", "ge_runner", "hccl", "cann_kb", "msprofiler", "ascend_dump",
                "ascend_hal", "runtime", "opapi", "graph", "register", "acl_op_compiler",
                "tsdclient", "c_sec", "mmpa", "ascendalog", "ge_common", "aicpu_kernels",
                "huawei_ascend_npu") or "ascend" in base:
        return ("cann", "Huawei's CANN toolkit (Ascend)",
                "Install CANN and source its set_env.sh in the same shell (or the service's "
                "environment) before Python starts: source /usr/local/Ascend/ascend-toolkit/"
                "set_env.sh; this puts CANN's lib64 folders on LD_LIBRARY_PATH.")
    if base == "stdc++":
        return ("libstdc++", "the GNU C++ runtime",
                "Install libstdc++ (Debian/Ubuntu: libstdc++6; conda: libstdcxx-ng).")
    if base == "gomp":
        return ("libgomp", "GCC's OpenMP runtime", "Install libgomp1 (Debian/Ubuntu).")
    if base.startswith("python"):
        return ("python", "a shared Python library (%s)" % name,
                "Use an interpreter built with --enable-shared, or the same Python the "
                "package was built for.")
    return None


def needing_package(lines: Sequence[str], index: int, line: str) -> Optional[str]:
    """The distribution that needed the library: the ``required by`` file, the library being
    loaded, or the innermost frame in site-packages."""
    for pattern in (r"\(required by\s+(?P<path>[^)]+)\)", _LOADING.pattern,
                    r"(?P<path>\S+\.so[\d.]*):\s*undefined symbol"):
        found = re.search(pattern, line)
        if found:
            path = found.groupdict().get("path") or found.groupdict().get("lib") or ""
            pkg = _package_of_path(path)
            if pkg:
                return pkg
    frames = frames_before(lines, index)
    for frame in reversed(frames):
        pkg = _package_of_path(frame.path)
        if pkg:
            return pkg
    # the user's own code: the import statement under the last frame names the package
    source = frames[-1].source if frames else None
    found = re.match(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", source or "")
    if found and found.group(1) not in ("os", "sys", "ctypes", "importlib"):
        return _DISTS.get(found.group(1), found.group(1).replace("_", "-").lower())
    return None


def _package_of_path(path: str) -> Optional[str]:
    path = path.replace("\\", "/")
    pkg = site_package(path)
    if pkg is None and "/Ascend/" not in path:
        # a Python extension in a package folder, or a framework's own library
        found = re.search(r"(?:^|/)(?P<pkg>[A-Za-z]\w*)/(?:lib/)?[\w.-]+\.(?:cpython-|abi3)"
                          r"[\w.-]*\.so$|(?:^|/)(?P<pkg2>torch|mindspore|paddle)/lib/", path) \
            or re.search(r"lib(?P<pkg3>mindspore|torch|paddle|onnxruntime)", path)
        pkg = next((g for g in found.groups() if g), None) if found else None
        if pkg in ("lib", "lib64", "usr", "bin", "local", "_internal", "binding"):
            pkg = None
    if pkg and pkg.startswith("libmindspore"):
        pkg = "mindspore"
    if pkg and (pkg.startswith("lib") and pkg not in _DISTS):
        pkg = pkg[3:] if pkg[3:] in ("mindspore", "torch", "paddle", "onnxruntime") else None
    return _DISTS.get(pkg, pkg.replace("_", "-").lower()) if pkg else None


def _mindspore_cuda(whole: str) -> Optional[str]:
    """Which CUDA the MindSpore in the text was built for (its wheel URL says so)."""
    found = re.search(r"cuda-(\d+\.\d+)/mindspore", whole)
    return "CUDA %s" % found.group(1) if found else None


def _missing_library(lib: str, lines: Sequence[str], index: int, line: str,
                     whole: str) -> Optional[Explanation]:
    comp = component_of(lib)
    needer = needing_package(lines, index, line)
    if needer is None and comp and comp[0] in ("cuda", "cublas", "cudnn", "cann") and \
            re.search(r"\bmindspore", whole, re.IGNORECASE):
        needer = "mindspore"  # the paste shows MindSpore being installed or imported
    if comp is None:
        if needer is None:
            return None
        what, advice = "a library", ("Find the package or system component that provides %s "
                                     "(the documentation of %s names it) and put its folder "
                                     "on LD_LIBRARY_PATH." % (lib, needer))
        cid = None
    else:
        cid, what, advice = comp
    if cid in ("cuda", "cublas", "cudnn") and needer == "mindspore":
        from envdoctor.explain.frameworks import mindspore_cuda_advice, mindspore_version

        built = _mindspore_cuda(whole)
        version = mindspore_version(whole)
        if built:
            advice = ("This MindSpore wheel was built for %s; install that CUDA (not another "
                      "major version) and put its lib64 on LD_LIBRARY_PATH." % built)
        elif version:
            advice += " " + mindspore_cuda_advice(version)
    packages = tuple(p for p in (needer, cid) if p)
    title = "The dynamic loader cannot find %s (%s)%s" % (
        lib, what, ", which %s needs" % needer if needer else "")
    because = ("%s is not installed, or its folder is not on the loader's search path "
               "(LD_LIBRARY_PATH, ld.so.conf)%s." % (lib, "; %s loads it at import or when it "
                                                          "picks its device" % needer
                                                          if needer else ""))
    return Explanation(title, because, packages, None,
                       "mechanism: the soname %s names %s (the major version is part of the "
                       "soname)" % (lib, what), "loader", note=advice,
                       evidence=("needed by %s" % needer,) if needer else ())


_SYMBOL_OWNERS = (
    (r"^cudnn", "cudnn", "cuDNN"), (r"^nccl", "nccl", "NCCL"), (r"^cublas", "cublas", "cuBLAS"),
    (r"^(?:nvrtc|cuda|cu[A-Z])", "cuda", "the CUDA toolkit"),
    (r"^(?:acl|_ZN2ge|_ZN3ge|_ZN\d*ascend|Hccl|hccl|rtGet|rt[A-Z])", "cann", "CANN"),
    (r"^_?Py", "python", "the Python interpreter"),
    (r"^_ZN3c10|^_ZN2at|^_ZNK3c10|^_ZN5torch", "torch", "torch (libtorch)"),
)


def _undefined_symbol(found: "re.Match", lines: Sequence[str], index: int, line: str,
                      whole: str) -> Optional[Explanation]:
    sym, path, symver = found.group("sym"), found.group("path"), found.group("symver")
    owner = None
    for pattern, cid, words in _SYMBOL_OWNERS:
        if re.match(pattern, sym):
            owner = (cid, words)
            break
    if symver and symver.startswith("libcudnn"):
        owner = ("cudnn", "cuDNN %s" % symver.rsplit(".", 1)[-1])
    if path and "/Ascend/" in path:
        owner = ("cann", "CANN")
    if owner is None:
        return None
    cid, words = owner
    needer = needing_package(lines, index, line)
    where = ""
    if path:
        version = re.search(r"cuda-(\d+\.\d+)", path)
        where = " (the one loaded from %s%s)" % (path, ", CUDA %s" % version.group(1)
                                                if version else "")
    if cid == "python":
        advice = ("The compiled module was built for another Python (or a debug / free-threaded "
                  "build): reinstall the package for this interpreter.")
    elif cid == "torch":
        advice = ("The extension was compiled against another torch release: reinstall the "
                  "extension for the installed torch (or the torch it was built for).")
    elif cid == "cann":
        advice = ("Parts of two CANN versions are mixed: use one CANN release for the toolkit, "
                  "the kernels and every CANN folder on LD_LIBRARY_PATH, and the CANN version "
                  "that this MindSpore / framework release lists.")
    else:
        advice = ("The %s library found first on the loader path is older than the one the "
                  "caller was built against (or another build): put the %s that came with the "
                  "framework (or a newer one%s) first on LD_LIBRARY_PATH, and remove the older "
                  "folder from it." % (words, words, ", e.g. CUDA 11's lib64" if cid == "cuda"
                                        and "cuda-10" in (path or "") else ""))
    packages = tuple(p for p in (needer, cid) if p)
    title = "%s lacks the symbol %s%s" % (words, sym, where)
    because = ("The library that provides %s was loaded, but it is not the release the caller "
               "was linked against: it lacks %s%s." % (words, sym, where))
    return Explanation(title, because, packages, None,
                       "mechanism: the symbol %s belongs to %s" % (sym, words), "loader",
                       note=advice)


def _static_tls(lib: str, lines: Sequence[str], index: int, line: str) -> Explanation:
    """``libX.so: cannot allocate memory in static TLS block``: a library with initial-exec
    thread-local storage (OpenMP's libgomp, tcmalloc) was loaded after others had used up the
    static TLS space (mostly on aarch64); loading it first is the cure."""
    needer = _package_of_path(lib) if "-packages/" in lib else None  # a wheel's own copy
    needer = needer or needing_package(lines, index, "")
    name = lib.rsplit("/", 1)[-1]
    return Explanation(
        "%s was loaded too late to get static TLS memory%s" % (
            name, " (while importing %s)" % needer if needer else ""),
        "%s uses static thread-local storage, which the loader can only give it if it is "
        "loaded before other libraries have used that space up; another import before it "
        "(often another package's own OpenMP) did, mostly on aarch64." % name,
        tuple(p for p in (needer, "libgomp" if "gomp" in name else None) if p), None,
        "mechanism: glibc's static TLS limit (the library named in the message)", "loader",
        note="Preload it: export LD_PRELOAD=%s (then start Python again), or import %s "
             "before the other packages." % (shlex_quote(lib), needer or "the package that "
                                                                         "needs it"))


def _not_defined(found: "re.Match", lines: Sequence[str], index: int, line: str
                 ) -> List[Explanation]:
    """``symbol S version libX.so.N not defined in file libX.so.N``: the libX that was loaded
    is another build than the one its caller was linked with (two copies on the system)."""
    lib = found.group("file")
    comp = component_of(lib)
    if comp is None:
        return []
    cid, what, _ = comp
    needer = needing_package(lines, index, line)
    return [Explanation(
        "Two different copies of %s are mixed (%s)" % (lib, what),
        "The %s that was loaded lacks %s, which the library linked against it expects: another "
        "copy of %s (another CUDA install, a conda or pip copy) is found first." % (
            lib, found.group("sym"), lib),
        tuple(p for p in (needer, cid) if p), None,
        "mechanism: the versioned symbol %s@%s" % (found.group("sym"), found.group("symver")),
        "loader",
        note="Find every %s on the system (`ldconfig -p | grep %s`, `find / -name '%s*'`) and "
             "make the one that matches (the same cuBLAS / CUDA release as its partner library) "
             "come first on LD_LIBRARY_PATH; remove the stray copy from it." % (
                 lib, lib.split(".so")[0], lib.split(".so")[0]))]


def _short(path: str, needer: Optional[str]) -> str:
    """``msgpack's _msgpack.so`` instead of the whole path."""
    if not path:
        return ""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return "%s's %s" % (needer, name) if needer else name


def _version_not_found(found: "re.Match", lines: Sequence[str], index: int, line: str
                       ) -> Explanation:
    kind, ver, tag = found.group("kind"), found.group("ver"), found.group("tag")
    provider, by_path = found.group("provider"), (found.group("by") or "").strip()
    needer = needing_package(lines, index, line)
    by = _short(by_path, needer)
    if kind == "GLIBC":
        need = tuple(int(x) for x in ver.split(".")[:2])
        older = "manylinux_%d_%d" % (need[0], need[1] - 1) if need[1] else "manylinux1"
        title = "%s needs glibc %s or newer; this system's glibc is older" % (
            by or needer or "A compiled library", ver)
        because = ("%s was built on a system with glibc %s or newer (it uses the symbol version "
                   "%s) and this system's C library%s is older. Per PEP 600 a wheel tagged "
                   "manylinux_%s needs glibc %s; one tagged %s or lower runs here%s." % (
                       by or "The library", ver, tag, " (%s)" % provider if provider else "",
                       ver.replace(".", "_"), ver, older,
                       " (manylinux2014 = manylinux_2_17)" if need > (2, 17) else ""))
        advice = ("Install a wheel built for an older glibc (manylinux tag %s or lower), build "
                  "the package from source here (pip install --no-binary <package> <package>), "
                  "or use a newer OS / image with glibc %s or newer." % (older, ver))
        return Explanation(title, because, tuple(p for p in (needer, "glibc") if p), None,
                           "mechanism: GLIBC symbol versions vs PEP 600 manylinux tags (%s)"
                           % _MANYLINUX_SOURCE, "loader", note=advice)
    minor = int(ver.split(".")[-1]) if kind == "GLIBCXX" and ver.startswith("3.4.") else None
    gcc = GLIBCXX_GCC.get(minor) if minor is not None else None
    in_conda = bool(provider and re.search(r"(?:conda|mamba|miniforge)[^/]*/(?:envs/[^/]+/)?"
                                           r"(?:bin/\.\./)?lib/", provider))
    needer_in_env = bool(by_path and re.search(r"conda|mamba|envs/", by_path))
    if in_conda:
        where = ("the libstdc++ of the conda environment (%s) is older than the one %s was built "
                 "with" % (provider, by or "the library"))
        advice = ("Update the environment's C++ runtime: conda install -c conda-forge "
                  "'libstdcxx-ng>=%s' (or conda install -c conda-forge gcc gxx)." % (
                      gcc.split(".")[0] if gcc else "12"))
    elif needer_in_env:
        where = ("the system libstdc++ (%s) is found before the newer one in the environment "
                 "that %s was built with" % (provider or "libstdc++.so.6", by or "it"))
        advice = ("Use the environment's newer libstdc++: conda install -c conda-forge "
                  "libstdcxx-ng (then it is found first), or export LD_LIBRARY_PATH="
                  "$CONDA_PREFIX/lib:$LD_LIBRARY_PATH; or upgrade the system's libstdc++6.")
    else:
        where = "this system's libstdc++%s is older than the one it was built with" % (
            " (%s)" % provider if provider else "")
        advice = ("Upgrade libstdc++ to GCC %s's or newer (Debian/Ubuntu: libstdc++6 from a "
                  "newer release; conda: libstdcxx-ng), or install a build of the package made "
                  "for an older libstdc++ (a wheel that follows its manylinux tag)." % (
                      gcc or "a newer"))
    title = "%s needs %s%s, which this libstdc++ does not have" % (
        by or needer or "A compiled library", tag, " (GCC %s or newer)" % gcc if gcc else "")
    because = "%s needs the C++ runtime symbol version %s%s: %s." % (
        by or "The library", tag, ", introduced with GCC %s" % gcc if gcc else "", where)
    return Explanation(title, because, tuple(p for p in (needer, "libstdc++") if p), None,
                       "mechanism: libstdc++ symbol versions (%s)" % _GCC_SOURCE, "loader",
                       note=advice)


def explain_loader_line(lines: Sequence[str], index: int, whole: str) -> List[Explanation]:
    """What the loader says on ``lines[index]``, as explanations (empty if nothing)."""
    line = lines[index]
    if re.search(r"\bINFO\b|\[I\]|\bDEBUG\b", line):
        return []  # an optional library probed at INFO level (NCCL's net plugin) is no error
    out = []  # type: List[Explanation]
    found = _VERSION.search(line)
    if found:
        return [_version_not_found(found, lines, index, line)]
    found = _UNDEFINED.search(line)
    if found:
        exp = _undefined_symbol(found, lines, index, line, whole)
        return [exp] if exp else []
    found = _NOT_DEFINED.search(line)
    if found:
        return _not_defined(found, lines, index, line)
    found = _STATIC_TLS.search(line)
    if found:
        return [_static_tls(found.group("lib"), lines, index, line)]
    for found in _CANNOT_OPEN.finditer(line):
        exp = _missing_library(found.group("lib"), lines, index, line, whole)
        if exp is not None:
            out.append(exp)
            break
    return out
