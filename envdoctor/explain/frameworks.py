"""MindSpore in the text: a source checkout that shadows the installed package, and device
advice that fits the MindSpore version the text shows (1.x, 2.0-2.2 and 2.3+ need different
CUDA). Facts: MindSpore's release lists and install pages (research notes, section 2.3).
"""

import re
from typing import List, Optional, Sequence

from envdoctor.explain.model import Explanation
from envdoctor.explain.textutil import frames_before

__all__ = ["explain_shadowed_checkout", "explain_mindspore_cuda", "mindspore_cuda_advice",
           "mindspore_version"]

_RELEASES = "https://www.mindspore.cn/versions/en"
_COMPILED = re.compile(r"No module named '(?P<pkg>mindspore|mindnlp|torch|paddle)\._\w+'|"
                       r"cannot import name '\w+' from '(?P<pkg2>mindspore|torch)\._\w+'")
_CUDA_MISMATCH = re.compile(r"MindSpore version (?P<ms>[\w.-]+) and cuda version "
                            r"(?P<cuda>[\d.]+) does not match")


def mindspore_version(text: str) -> Optional[str]:
    for pattern in (r"MindSpore version (\d+\.\d+\.\d+)", r"mindspore[_-]gpu-(\d+\.\d+\.\d+)",
                    r"mindspore(?:[_-]\w+)?[=-]=?(\d+\.\d+\.\d+)", r"/(\d+\.\d+\.\d+)(?:-\w+)?/"
                    r"MindSpore/"):
        found = re.search(pattern, text, re.IGNORECASE)
        if found:
            return found.group(1)
    return None


def mindspore_cuda_advice(version: Optional[str]) -> str:
    """Which CUDA the MindSpore release ``version`` was built for, in words."""
    if not version:
        return ("MindSpore 1.0-1.4 need CUDA 10.1; 1.5-1.10 CUDA 10.1 or 11.1; 2.0-2.2 CUDA "
                "10.1, 11.1 or 11.6; 2.3 and later document no GPU support (their x86_64 wheels "
                "carry CUDA 11.1 / 11.6 plugins).")
    parts = [int(p) for p in re.findall(r"\d+", version)[:2]] + [0]
    major, minor = parts[0], parts[1]
    if major < 1 or major == 1 and minor < 5:
        return ("MindSpore %s is built for CUDA 10.1 (with cuDNN 7.6): install CUDA 10.1, not "
                "CUDA 11." % version)
    if major == 1:
        return ("MindSpore %s has builds for CUDA 10.1 (cuDNN 7.6) and CUDA 11.1 (cuDNN 8.0): "
                "install the CUDA of the wheel you installed." % version)
    if major == 2 and minor <= 2:
        return ("MindSpore %s supports CUDA 10.1, 11.1 and 11.6 (cuDNN 7.6 / 8.0 / 8.5)."
                % version)
    return ("MindSpore %s documents no GPU support (from 2.3 on); its x86_64 wheels carry CUDA "
            "11.1 / 11.6 plugins only: use CUDA 11.6 with cuDNN 8.5, or the CPU." % version)


_GPU_LINE = re.compile(r"need by mindspore-gpu|libmindspore_gpu\S* failed|Unsupported device "
                       r"target GPU|Cuda \[[^\]]*\] version")


def _is_1x(version: Optional[str]) -> bool:
    return bool(version) and re.match(r"^[01]\.", version or "") is not None


def explain_mindspore_cuda(lines: Sequence[str], index: int, whole: str) -> List[Explanation]:
    """MindSpore's own CUDA messages, answered for the MindSpore version the text shows (the
    signature table's CUDA 11 advice is for 2.x)."""
    found = _CUDA_MISMATCH.search(lines[index])
    if not found:
        version = mindspore_version(whole)
        if not _GPU_LINE.search(lines[index]) or not _is_1x(version):
            return []
        return [Explanation(
            "MindSpore %s's GPU backend cannot load its CUDA libraries" % version,
            "MindSpore %s looks for the CUDA libraries its GPU build was made for; %s" % (
                version, mindspore_cuda_advice(version)),
            ("mindspore", "cuda"), None, "declared: MindSpore's release lists and install "
            "pages (%s)" % _RELEASES, "device",
            note="Install the CUDA (and cuDNN) this MindSpore release was built for and put "
                 "its lib64 on LD_LIBRARY_PATH: %s" % mindspore_cuda_advice(version))]
    ms = found.group("ms")
    return [Explanation(
        "MindSpore %s does not run with the installed CUDA %s" % (ms, found.group("cuda")),
        "MindSpore checks the CUDA version at import; %s" % mindspore_cuda_advice(ms),
        ("mindspore", "cuda"), None, "declared: MindSpore's release lists and install pages (%s)"
        % _RELEASES, "device",
        note="Install the CUDA version this MindSpore release was built for and put its lib64 "
             "on LD_LIBRARY_PATH: %s" % mindspore_cuda_advice(ms))]


def explain_shadowed_checkout(lines: Sequence[str], index: int) -> List[Explanation]:
    """``No module named 'mindspore._c_expression'`` raised from a ``mindspore/`` folder that
    is not in site-packages: a source checkout on sys.path hides the installed wheel."""
    found = _COMPILED.search(lines[index])
    if not found:
        return []
    pkg = found.group("pkg") or found.group("pkg2")
    frames = [f for f in frames_before(lines, index)
              if re.search(r"[\\/]%s[\\/]" % pkg, f.path.replace("\\", "/") + "/")]
    if not frames:
        return []
    if any(re.search(r"(?:site|dist)-packages", f.path) for f in frames):
        return []
    root = re.split(r"[\\/]%s[\\/]" % pkg, frames[0].path)[0]
    return [Explanation(
        "A %s source folder (%s) shadows the installed %s" % (pkg, root or ".", pkg),
        "Python imported %s from %s%s%s, a source checkout without the compiled modules, "
        "instead of the installed wheel in site-packages: the current directory (or PYTHONPATH) "
        "comes first on sys.path." % (pkg, root or ".", "/" if root else "", pkg),
        (pkg,), None, "mechanism: the traceback's paths (%s is not in site-packages)" % root,
        "shadow",
        note="Run Python from another directory (not the repository root, e.g. `cd ~`), or "
             "remove the source folder from PYTHONPATH; the installed %s is then imported." % pkg)]
