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


def explain_ascend_log(lines: Sequence[str], whole: str) -> List[Explanation]:
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
