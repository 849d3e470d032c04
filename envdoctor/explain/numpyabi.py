"""NumPy's C-API errors, read in the direction they point.

``module compiled against API version 0x10 but this version of numpy is 0xf`` means the
installed NumPy is *older* than the one the module was built with (upgrade NumPy);
``A module that was compiled using NumPy 1.x cannot be run in NumPy 2`` means it is
*newer* (the signature table's ``numpy2-abi``). ``numpy.core.multiarray failed to import``
alone says neither, so it is not read as either.

C-API versions: numpy's ``numpy/_core/code_generators/cversions.txt``
(https://github.com/numpy/numpy/blob/main/numpy/_core/code_generators/cversions.txt).
"""

import re
from typing import List, Optional, Sequence

from envdoctor.explain.model import Explanation
from envdoctor.findings import pip_install_command

__all__ = ["explain_numpy_api", "FIRST_RELEASE"]

_SOURCE = "https://github.com/numpy/numpy/blob/main/numpy/_core/code_generators/cversions.txt"
_API = re.compile(r"module compiled against (?:ABI|API) version (?P<built>0x[0-9a-fA-F]+) but "
                  r"this version of numpy is (?P<have>0x[0-9a-fA-F]+)")
# C-API version -> the first NumPy release with it.
FIRST_RELEASE = {0x8: "1.7", 0x9: "1.8", 0xA: "1.10", 0xB: "1.13", 0xC: "1.14", 0xD: "1.16",
                 0xE: "1.20", 0xF: "1.22", 0x10: "1.23", 0x11: "1.25", 0x12: "2.0",
                 0x13: "2.1", 0x14: "2.2", 0x15: "2.3"}


def _release(api: int) -> Optional[str]:
    return FIRST_RELEASE.get(api)


def explain_numpy_api(lines: Sequence[str], index: int) -> List[Explanation]:
    found = _API.search(lines[index])
    if not found:
        return []
    built, have = int(found.group("built"), 16), int(found.group("have"), 16)
    if built <= have:
        return []
    first = _release(built)
    installed = _release(have)
    if first is None:
        return []
    upper = ",<2" if built < 0x12 else ""
    req = "numpy>=%s%s" % (first, upper)
    because = ("A compiled module was built against NumPy's C-API %s (NumPy %s or newer), and "
               "the installed NumPy has C-API %s%s: NumPy is older than the module needs, not "
               "newer." % (found.group("built"), first, found.group("have"),
                           " (NumPy %s-era)" % installed if installed else ""))
    return [Explanation("The installed NumPy is too old for a compiled module (needs NumPy %s+)"
                        % first, because, ("numpy",), pip_install_command([req]),
                        "mechanism: NumPy C-API versions (%s)" % _SOURCE, "names",
                        note="Or reinstall the module built for this NumPy." if upper else None,
                        requirements=(req,))]
