"""The Devices section of a report: (label, text) facts, from a :class:`DeviceAnalysis`.

A pure function of the analysis the report already holds; the text and HTML renderers lay the
lines out their own way.
"""

from __future__ import annotations

import os
from typing import Dict, List, Optional, Tuple

from envdoctor.devices import DeviceAnalysis

__all__ = ["device_lines"]


def _gib(mib: Optional[int]) -> str:
    return "%.0f GiB" % (mib / 1024.0) if mib else "? GiB"


def device_lines(a: DeviceAnalysis) -> List[Tuple[str, str]]:
    """(label, text) lines for the report's Devices section (text and HTML)."""
    lines: List[Tuple[str, str]] = []
    cpu = a.cpu
    cores = cpu.get("usable_cores") or cpu.get("logical_cores")
    parts = [cpu.get("model") or "unknown CPU", a.machine,
             "%s cores" % cores if cores else None,
             _gib(cpu.get("memory_mib")) if cpu.get("memory_mib") else None,
             " ".join(cpu.get("flags") or ()) or None]
    lines.append(("cpu", ", ".join(p for p in parts if p)))

    nvidia = a.data.get("nvidia") or {}
    if a.gpus:
        names: Dict[str, int] = {}
        for gpu in a.gpus:
            cc = gpu.get("compute_capability")
            label = "%s (%s%s)" % (gpu.get("name"), _gib(gpu.get("memory_mib")),
                                   ", sm_%s" % cc.replace(".", "") if cc else "")
            names[label] = names.get(label, 0) + 1
        text = ", ".join("%d x %s" % (n, label) for label, n in names.items())
        text += "; driver %s" % (a.driver_version or "?")
        if a.cuda_driver_version:
            text += " (CUDA up to %s)" % a.cuda_driver_version
        text += " [%s]" % nvidia.get("source")
    elif a.gpu_query_errors:
        text = "none (%s)" % a.gpu_query_errors[0]
    elif nvidia.get("nvml"):
        text = "none (the NVIDIA driver reports no GPU)"
    else:
        text = "none (no NVIDIA driver library, nvidia-smi %s)" % (
            "found" if nvidia.get("nvidia_smi") else "not found")
    lines.append(("gpu", text))

    folders: Dict[str, List[str]] = {}
    for lib in a.cuda_libraries:
        if lib.get("name") in ("cudart", "cublas", "cudnn"):
            folder = os.path.dirname(str(lib.get("path")))
            if not lib.get("on_loader_path"):
                folder += " (not on the loader path)"
            folders.setdefault(folder, []).append("%s %s" % (lib.get("name"),
                                                             lib.get("version") or "?"))
    if folders:
        lines.append(("cuda libs", "; ".join("%s in %s" % (", ".join(names), folder)
                                             for folder, names in folders.items())))
    elif a.has_gpu or a.gpu_plugins:
        lines.append(("cuda libs", "no CUDA runtime, cuBLAS or cuDNN found"))

    ascend = a.data.get("ascend") or {}
    if a.has_npu:
        if a.npu_chips:
            names = {}
            for chip in a.npu_chips:
                names[str(chip.get("name"))] = names.get(str(chip.get("name")), 0) + 1
            text = ", ".join("%d x %s" % (n, name) for name, n in names.items())
        else:
            text = "%d /dev/davinci device%s" % (a.npu_device_files,
                                                  "" if a.npu_device_files == 1 else "s")
        if a.ascend_driver:
            text += "; driver %s" % a.ascend_driver
        lines.append(("npu", text))
    else:
        lines.append(("npu", "none (npu-smi %s, no /dev/davinci*)" % (
            "found" if ascend.get("npu_smi") else "not found")))
    if a.toolkit or a.has_npu:
        kit = a.toolkit
        lines.append(("cann", "%s (compiler %s) at %s" % (
            kit.get("release") or "?", kit.get("compiler_version") or "?", kit.get("path"))
            if kit else "none found"))

    if a.mindspore_installed:
        plugins = []
        if a.gpu_plugins:
            plugins.append("GPU (CUDA %s)" % "/".join(p.cuda for p in a.gpu_plugins))
        if a.ascend_plugins:
            plugins.append("Ascend")
        plugins.append("CPU")
        lines.append(("mindspore", "%s with plugins for %s" % (a.mindspore_version or "?",
                                                               ", ".join(plugins))))
    else:
        lines.append(("mindspore", "not installed"))
    usable = [b for b in a.backends if b.usable]
    text = "MindSpore can use %s" % ", ".join(b.name for b in usable) if usable else \
        "none (MindSpore is not installed)"
    lines.append(("backends", text))
    for b in a.backends:
        if not b.usable and b.name != "CPU":
            lines.append(("", "not %s: %s" % (b.name, b.reason)))
        for caveat in b.caveats if b.usable else ():
            lines.append(("", "%s: %s" % (b.name, caveat)))
    return lines
