"""MindSpore x CANN x Ascend driver x Python: the documented pairings, 2.2 to 2.10.

Each MindSpore release is published for one CANN release and the Ascend HDK (NPU driver and
firmware) of the same "Ascend Training Solution"; MindSpore's install page names them, and
MindSpore Transformers' install page keeps a history of the pairs. :data:`PAIRINGS` holds one
row per release line with its sources; :func:`assess` says whether an installed MindSpore, a
CANN toolkit and a driver (as ``npu-smi`` and the version files report them) fit together.

Pure functions over strings: nothing here probes or imports anything. ``checks/ascend.py``
turns the result into findings (ED531-ED549).
"""

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

__all__ = ["Pairing", "PAIRINGS", "Fit", "pairing_for", "pairings_for_cann", "cann_key",
           "driver_key", "normalize_cann", "release_tuple", "assess", "on_pypi"]

_DOCS = "https://github.com/mindspore-ai/docs/blob/%s/install/mindspore_ascend_install_pip_en.md"
_MINDFORMERS = "https://www.mindspore.cn/mindformers/docs/en/r1.9.0/installation.html"
_PYPI = "https://pypi.org/project/mindspore/#files"


@dataclass(frozen=True)
class Pairing:
    """One MindSpore release line and what it is documented with."""

    releases: Tuple[str, ...]  # version prefixes: "2.4.0" is 2.4.0 only, "2.2" every 2.2.x
    python: str  # the Pythons its install page (or its wheels) list, as a specifier
    cann: Optional[str]  # the CANN release ("8.0.RC3"); None: no public pairing found
    driver: Optional[str]  # the Ascend HDK driver/firmware release ("24.1.RC3")
    solution: Optional[str]  # the commercial bundle both belong to
    sources: Tuple[str, ...]

    @property
    def label(self) -> str:
        return "MindSpore " + "/".join(r if r.count(".") == 2 else r + ".x"
                                       for r in self.releases)


# Newest first. CANN names are the commercial release; the community edition of the same
# release carries a ".beta1" suffix (8.0.RC3.beta1), which normalize_cann() drops.
PAIRINGS = (
    Pairing(("2.10",), ">=3.10,<3.13", None, None, None, (
        _PYPI + " (wheels: cp310-cp312)",
        "mindspore 2.10.0 wheel: run_check/_check_version.py AscendEnvChecker accepts CANN "
        "compiler 8.2, 8.3, 8.5, 9.0, 9.1 (no public install-page pairing found)")),
    Pairing(("2.9",), ">=3.9,<3.13", "9.0.0", "26.0.RC1", None, (
        _MINDFORMERS + " (MindSpore Transformers 1.9.0: MindSpore 2.9.0, CANN 9.0.0, "
        "firmware & drivers 26.0.RC1)", _PYPI + " (wheels: cp39-cp312)")),
    Pairing(("2.8",), ">=3.9,<3.13", None, None, None, (
        _PYPI + " (wheels: cp39-cp312)",
        "no public install-page pairing for 2.8.0 was found")),
    Pairing(("2.7.2",), ">=3.9,<3.13", "8.5.0", "25.5.0", None, (
        _MINDFORMERS + " (MindSpore Transformers 1.8.0: MindSpore 2.7.2, CANN 8.5.0, "
        "firmware & drivers 25.5.0)", _PYPI + " (wheels: cp39-cp312)")),
    Pairing(("2.7.1",), ">=3.9,<3.12", "8.3.RC1", "25.3.RC1", None, (
        _MINDFORMERS + " (MindSpore Transformers 1.7.0: MindSpore 2.7.1, CANN 8.3.RC1, "
        "firmware & drivers 25.3.RC1)", _PYPI + " (wheels: cp39-cp311)")),
    Pairing(("2.7.0",), ">=3.9,<3.12", "8.2.RC1", "25.2.0", None, (
        _MINDFORMERS + " (MindSpore Transformers 1.6.0: MindSpore 2.7.0, CANN 8.2.RC1, "
        "firmware & drivers 25.2.0)", _PYPI + " (wheels: cp39-cp311)")),
    Pairing(("2.6",), ">=3.9,<3.12", "8.1.RC1", "25.0.RC1", "Ascend Training Solution 25.0.RC1", (
        _DOCS % "r2.6.0" + " (Python 3.9-3.11; CANN community 8.1.RC1.beta1; Ascend Training "
        "Solution 25.0.RC1)", _MINDFORMERS + " (MindSpore 2.6.0-rc1: CANN 8.1.RC1, "
        "firmware & drivers 25.0.RC1)")),
    Pairing(("2.5",), ">=3.9,<3.12", "8.0.0", "24.1.0", "Ascend Training Solution 24.0.0", (
        _DOCS % "r2.5.0" + " (Python 3.9-3.11; CANN community 8.0.0.beta1; Ascend Training "
        "Solution 24.0.0)", _MINDFORMERS + " (the same solution with MindSpore 2.4.10: "
        "CANN 8.0.0, firmware & drivers 24.1.0)")),
    Pairing(("2.4.10",), ">=3.9,<3.12", "8.0.0", "24.1.0", "Ascend Training Solution 24.0.0", (
        _DOCS % "r2.4.10" + " (Python 3.9-3.11; CANN community 8.0.0.beta1; Ascend Training "
        "Solution 24.0.0)", _MINDFORMERS + " (MindSpore 2.4.10: CANN 8.0.0, firmware & "
        "drivers 24.1.0)")),
    Pairing(("2.4.0", "2.4.1"), ">=3.9,<3.12", "8.0.RC3", "24.1.RC3",
            "Ascend Training Solution 24.0.RC3", (
                _DOCS % "r2.4.1" + " (Python 3.9-3.11; CANN community 8.0.RC3.beta1; Ascend "
                "Training Solution 24.0.RC3)", _MINDFORMERS + " (MindSpore 2.4.0: CANN 8.0.RC3, "
                "firmware & drivers 24.1.RC3)")),
    Pairing(("2.3",), ">=3.8,<3.11", "8.0.RC2", "24.1.RC2", "Ascend Training Solution 24.0.RC2", (
        _DOCS % "r2.3.1" + " (Python 3.8-3.10; CANN community 8.0.RC2.beta1; Ascend Training "
        "Solution 24.0.RC2)", _MINDFORMERS + " (MindSpore 2.3.0: CANN 8.0.RC2, firmware & "
        "drivers 24.1.RC2)")),
    Pairing(("2.2",), ">=3.7,<3.10", "7.0.0", "23.0.0", "Ascend Training Solution 23.0.0", (
        _DOCS % "r2.2" + " (Python 3.7-3.9; CANN community 7.0.0.beta1; Ascend Training "
        "Solution 23.0.0, whose driver is 23.0.0)",)),
)


def release_tuple(version: Optional[str]) -> Optional[Tuple[int, ...]]:
    """(2, 5, 0) for "2.5.0", "2.5.0.dev20250202", "2.7.1.post1", "2.6.0rc1"."""
    match = re.match(r"^\s*v?(\d+(?:\.\d+)*)", version or "")
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def pairing_for(mindspore_version: Optional[str]) -> Optional[Pairing]:
    """The documented pairing of an installed MindSpore (any distribution name)."""
    have = release_tuple(mindspore_version)
    if have is None:
        return None
    for row in PAIRINGS:
        for prefix in row.releases:
            want = release_tuple(prefix)
            if want is not None and have[:len(want)] == want:
                return row
    return None


def normalize_cann(text: Optional[str]) -> Optional[str]:
    """"8.0.RC3" for "8.0.RC3", "8.0.rc3", "8.0.RC3.beta1"; "8.0.0" for "8.0.0.beta1"."""
    if not text:
        return None
    value = text.strip()
    value = re.sub(r"[.-]?(alpha|beta)\d*$", "", value, flags=re.IGNORECASE)
    value = re.sub(r"rc", "RC", value, flags=re.IGNORECASE)
    return value or None


def _staged_key(text: Optional[str], parts: int) -> Optional[Tuple[int, ...]]:
    """Order "24.1.RC3" < "24.1.rc3.3" < "24.1.0" < "24.1.0.3" < "25.0.RC1": the first
    ``parts`` numbers, then an RC stage below any final release."""
    value = normalize_cann(text)
    if not value:
        return None
    pieces = value.split(".")
    try:
        head = [int(p) for p in pieces[:parts]]
    except ValueError:
        return None
    rest = pieces[parts:]
    stage = (1, 0)  # a final release
    if rest and rest[0].upper().startswith("RC"):
        try:
            stage = (0, int(rest[0][2:] or 0))
        except ValueError:
            return None
        rest = rest[1:]
    elif rest:
        try:
            stage = (1, int(rest[0]))
        except ValueError:
            return None
        rest = rest[1:]
    tail = []
    for piece in rest:
        if not piece.isdigit():
            break
        tail.append(int(piece))
    return tuple(head) + stage + tuple(tail)


def cann_key(text: Optional[str]) -> Optional[Tuple[int, ...]]:
    return _staged_key(text, 2)


def driver_key(text: Optional[str]) -> Optional[Tuple[int, ...]]:
    return _staged_key(text, 2)


def _same_cann(a: Optional[str], b: Optional[str]) -> bool:
    ka, kb = cann_key(a), cann_key(b)
    return ka is not None and kb is not None and ka[:4] == kb[:4]


def pairings_for_cann(cann: Optional[str]) -> List[Pairing]:
    """The MindSpore release lines documented with this CANN release."""
    return [row for row in PAIRINGS if row.cann and _same_cann(row.cann, cann)]


def on_pypi(row: Pairing) -> bool:
    """Whether pip can install the release line from PyPI (2.7 and later; 2.2-2.6 only come
    from MindSpore's download host)."""
    first = release_tuple(row.releases[0]) or ()
    return first >= (2, 7)


@dataclass(frozen=True)
class Fit:
    """How an installed set compares with the documented pairing."""

    pairing: Optional[Pairing]
    cann: Optional[str]  # normalised installed CANN release
    driver: Optional[str]
    python_fits: Optional[bool]
    cann_fits: Optional[bool]  # None: unknown (no pairing, or no CANN release read)
    driver_fits: Optional[bool]  # None: unknown; the driver must not be older than the pair's
    driver_needed: Optional[str]  # the driver the installed CANN (or the pairing) needs
    alternatives: Tuple[Pairing, ...]  # release lines documented with the installed CANN


def assess(mindspore_version: Optional[str], python_version: Optional[str],
           cann: Optional[str], driver: Optional[str]) -> Fit:
    """Compare an installed MindSpore, Python, CANN release and NPU driver with the table."""
    from envdoctor.versions import parse_spec, spec_contains

    row = pairing_for(mindspore_version)
    installed_cann = normalize_cann(cann)
    python_fits = None
    if row is not None and python_version:
        spec = parse_spec(row.python)
        python_fits = spec_contains(spec, python_version) if spec is not None else None
    cann_fits = None
    if row is not None and row.cann and installed_cann:
        cann_fits = _same_cann(row.cann, installed_cann)
    alternatives = tuple(pairings_for_cann(installed_cann)) if installed_cann else ()
    # the driver a CANN needs is the one of its own solution: read it from any row with that
    # CANN, else from the MindSpore's row
    needed = None
    for candidate in alternatives + ((row,) if row is not None else ()):
        if candidate.driver:
            needed = candidate.driver
            break
    driver_fits = None
    have, want = driver_key(driver), driver_key(needed)
    if have is not None and want is not None:
        driver_fits = have >= want
    return Fit(row, installed_cann, normalize_cann(driver), python_fits, cann_fits,
               driver_fits, needed, alternatives)
