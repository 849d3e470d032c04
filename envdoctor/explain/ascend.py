"""Ascend / CANN logs read as a whole: which CANN part failed, and whether that is the
installation (kernels package, versions, set_env.sh) or the model's operator.

A CANN error code (``EZ9999``, ``E39999``, ``EE1001``...) alone says little: the lines under
it do. Installation causes are explained; an operator's own tiling or shape failure is not
(it is the model's or the framework's bug, not the environment's).
"""

import re
from typing import List, Sequence

from envdoctor.explain.model import Explanation
from envdoctor.explain.textutil import mentions

__all__ = ["explain_ascend_log", "CANN_ERROR"]

CANN_ERROR = re.compile(r"\b(?:E[A-Z0-9]\d{4}|EZ9999|EE\d{4})\b:?\s*(?:Inner Error|\[PID)")
_KERNEL_MISSING = re.compile(r"Cannot parse json for config file \[(?P<path>[^\]]*opp[^\]]*)\]"
                             r"|Op (?P<op>\w+) does not has any binary"
                             r"|kernel/config/(?P<chip>ascend\w+)/")
_AICPU = re.compile(r"AICPU execution|aicpu exception|AICPU Kernel task happen error")
_OPERATOR_BUG = re.compile(r"Tiling failed|calc(?:ulate)? \w+ by (?:double|float)|"
                           r"shape .* (?:not match|mismatch)|Tiling Failed", re.IGNORECASE)
_SOURCE = "https://www.hiascend.com/document (CANN installation: toolkit and kernels packages)"
_OP_INFO = re.compile(r"Get op info json suffix path failed, soc_version: (?P<soc>\w+)"
                      r"|Load op info json failed, version: (?P<soc2>\w+)")
_OPEN_DEVICE = re.compile(r"open device (?P<dev>\d+) failed, runtime result = (?P<code>\d+)"
                          r"|set ?device (?P<dev2>\d+)? ?failed,? (?:errorCode|error code)\s*(?:=|is)"
                          r"\s*(?P<code2>\d+)|aclrtSetDevice\S* failed:? (?P<code3>\d+)|"
                          r"SetDevice\(device_id_\), error code is (?P<code4>\d+)", re.IGNORECASE)
_OPP_VERIFY = re.compile(r"Failed to verify the OPP|E30006")
_DEVICE_MEMORY = re.compile(r"Memory_Allocation_Failure|EL0004|Available memory is insufficient|"
                            r"out of memory", re.IGNORECASE)


def _first(lines: Sequence[str], pattern: "re.Pattern") -> int:
    return next((i for i, l in enumerate(lines) if pattern.search(l)), 0)


def _op_info(lines: Sequence[str], whole: str) -> List[Explanation]:
    found = _OP_INFO.search(whole)
    if not found:
        return []
    soc = found.group("soc") or found.group("soc2")
    at = _first(lines, _OP_INFO)
    return [Explanation(
        "This MindSpore has no operator information for the chip %s" % soc,
        "MindSpore loads its operator info for the SoC CANN reports (%s) and finds none: this "
        "MindSpore release (or this use, e.g. training or online inference) does not support "
        "that chip, or CANN reports a chip this MindSpore was not built for." % soc,
        ("mindspore", "cann"), None, "mechanism: MindSpore's op info lookup by soc_version "
        "(mindspore/ccsrc/kernel/oplib/op_info_utils.cc)", "ascend",
        note="Check that %s is listed for this MindSpore release and task on mindspore.cn/"
             "install (inference chips such as Ascend 310P run models through MindSpore Lite), "
             "and that CANN is the version this MindSpore lists." % soc,
        line=lines[at].strip(), line_number=at + 1)]


def _open_device(lines: Sequence[str], whole: str) -> List[Explanation]:
    found = _OPEN_DEVICE.search(whole)
    if not found or _DEVICE_MEMORY.search(whole):
        return []  # the device's memory is taken: a resource problem, not the installation
    at = _first(lines, _OPEN_DEVICE)
    if _OPP_VERIFY.search(whole):
        return [Explanation(
            "The NPU could not start: CANN's operator package (OPP) failed verification",
            "Opening the device starts the AICPU executor with CANN's operator package, and the "
            "device refused it (E30006 Failed to verify the OPP): the OPP / kernels installed do "
            "not match the toolkit, the driver or the firmware.",
            ("cann",), None, "mechanism: E30006 in the device-open trace", "ascend",
            note="Reinstall the CANN toolkit and kernels (OPP) packages of one release that "
                 "matches the installed Ascend driver and firmware, then source set_env.sh.",
            line=lines[at].strip(), line_number=at + 1)]
    return [Explanation(
        "The NPU could not be opened (runtime result 507033 or similar)",
        "CANN's runtime could not open the device. Usual causes: the driver / firmware and "
        "CANN versions do not match, another process holds the NPU, or the user is not in the "
        "HwHiAiUser group.", ("cann", "ascend-driver"), None,
        "guess: a failed device open in an Ascend log", "guess",
        no_fix_reason="Check `npu-smi info` (driver, health, processes on the NPU), that CANN is "
                      "a version this driver supports, and the user's groups; the lines under "
                      "the error in the plog say which one.",
        line=lines[at].strip(), line_number=at + 1)]


def explain_ascend_log(lines: Sequence[str], whole: str) -> List[Explanation]:
    whole_log = _op_info(lines, whole) or _open_device(lines, whole)
    if whole_log:
        return whole_log
    if not CANN_ERROR.search(whole) and "Ascend Error Message" not in whole:
        return []
    first = next((i for i, l in enumerate(lines) if CANN_ERROR.search(l) or
                  "Ascend Error Message" in l), 0)
    if _OPERATOR_BUG.search(whole):
        return []  # an operator's own failure: the model's or framework's, not the install's
    packages = ("cann",) + (("mindspore",) if mentions(whole, ["mindspore"]) else ())
    found = _KERNEL_MISSING.search(whole)
    if found:
        chip = re.search(r"kernel/config/(ascend\w+)/", whole)
        op = re.search(r"Op (\w+) does not has any binary", whole)
        return [Explanation(
            "CANN's operator kernels%s are missing or do not match the toolkit" % (
                " for %s" % chip.group(1) if chip else ""),
            "The toolkit looked for the prebuilt kernel of %s under opp/built-in/op_impl and "
            "found no usable config or binary: the Ascend-cann-kernels package for this chip is "
            "not installed, or is another version than the toolkit." % (
                op.group(1) if op else "an operator"),
            packages, None, _SOURCE, "ascend",
            note="Install the Ascend-cann-kernels package for this chip with the same version "
                 "as the toolkit (e.g. Ascend-cann-kernels-910b_<version>_linux.run), then "
                 "source set_env.sh again.",
            line=lines[first].strip(), line_number=first + 1)]
    if _AICPU.search(whole):
        return [Explanation(
            "An AICPU operator failed on the NPU (possibly a CANN version mismatch)",
            "The device reported an AICPU exception while running an operator. MindSpore's "
            "error analysis and its model-zoo maintainers trace most of these to a CANN that is "
            "not the version this MindSpore release lists; an operator bug looks the same.",
            packages, None, "guess: AICPU exception in an Ascend log "
            "(https://www.mindspore.cn/tutorials/en/master/debug/error_analysis.html)", "guess",
            no_fix_reason="Check that the installed CANN is one this MindSpore release lists "
                          "(`envdoctor check` reports it, ED512); if it is, report the error "
                          "with the model code.",
            line=lines[first].strip(), line_number=first + 1)]
    return []
