"""Reading pasted output: clean it, split it into lines, find the traceback frames in it.

Students paste tracebacks from notebooks, chat apps and forums: ANSI colours, Windows line
ends, typographic quotes (``‘GPTTokenizer’``), pip's box-drawing margins. Everything here is
a pure function of the text.
"""

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

__all__ = ["Frame", "normalise", "split_lines", "frames_before", "python_version",
           "site_package", "imported_names", "looks_like_error", "mentions", "strip_controls",
           "strip_log_prefix", "DIST_ALIASES"]

# Every ECMA-48 escape sequence (CSI with any parameters and intermediates, OSC / DCS / SOS /
# PM / APC strings up to BEL or ST, two-byte ESC sequences, their 8-bit C1 forms) and the
# other C0/C1 controls: pasted text must not move a cursor, retitle a terminal or hide text.
_ANSI = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"            # CSI ... final byte
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\\\|\x9c)?"  # OSC/DCS/..
    r"|\x1b[ -/]*[0-~]"                               # other ESC sequences
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")   # remaining controls (not \t \n \r)
# What CI systems and chat apps put in front of each line: GitHub Actions timestamps,
# Airflow/log4j prefixes, markdown quotes, pytest's "E   " margin.
_LOG_PREFIX = re.compile(
    r"^(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?\s+"
    r"|\[\d{4}-\d\d-\d\d[ ,T][^\]]*\]\s+(?:\{[^}]*\}\s+)?(?:[A-Z]+\s+-\s+)?"
    r"|##\[(?:error|warning)\]"
    r"|>\s?(?=\S)"
    r"|E\s{2,}(?=\S))")
_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2032": "'",
           "\uff1a": ":", "\u00a0": " ", "\uff08": "(", "\uff09": ")"}
_MARGIN = re.compile(r"^\s*(?:[\u2502\u2570\u256d\u2500\u2514\u251c|]+[\u2500>\s-]*)+")
_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+))?$')
_SITE = re.compile(r"[\\/](?:site|dist)-packages[\\/](?P<pkg>[A-Za-z0-9_]+)")
_PYVER = re.compile(
    r"[\\/]python(?P<ver>[23]\.\d{1,2})[\\/](?:site|dist)-packages"
    r"|[\\/]Python(?P<win>[23]\d{1,2})[\\/]"
    r"|\bpython(?:\s+(?:version|is|==?))*\s*(?P<said>[23]\.\d{1,2})(?:\.\d+)?\b"
    r"|\(python (?P<pip>[23]\.\d{1,2})\)"
    r"|\bPython (?P<banner>[23]\.\d{1,2})\.\d+", re.IGNORECASE)
_ERROR = re.compile(r"^\s*(?:[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit)|KeyError|"
                    r"ERROR|error|Traceback|RuntimeError)\b.*")


@dataclass(frozen=True)
class Frame:
    path: str
    line: int
    function: Optional[str]
    source: Optional[str]  # the code line Python printed under it, if any
    index: int  # the input line it is on (0-based)


def strip_controls(text: str) -> str:
    """``text`` without any ECMA-48 escape sequence or control character (tab and line ends
    kept)."""
    return _ANSI.sub("", text)


def strip_log_prefix(line: str) -> str:
    """The line without a CI timestamp, a log prefix, a markdown quote or pytest's ``E``."""
    previous = None
    while previous != line:
        previous = line
        line = _LOG_PREFIX.sub("", line, count=1)
    return line


def normalise(text: str) -> str:
    """One clean string: no escape sequences or controls, ``\\n`` line ends, ASCII quotes."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = strip_controls(text)
    for fancy, plain in _QUOTES.items():
        text = text.replace(fancy, plain)
    return text


def split_lines(text: str) -> List[str]:
    """Lines without pip's box-drawing margin (``│``, ``╰─>``) or trailing blanks."""
    return [strip_log_prefix(_MARGIN.sub("", line)).rstrip()
            for line in normalise(text).split("\n")]


def frames_before(lines: Sequence[str], index: int) -> List[Frame]:
    """The traceback frames printed above ``lines[index]`` (the innermost last)."""
    out = []  # type: List[Frame]
    i = index - 1
    while i >= 0:
        line = lines[i]
        match = _FRAME.match(line)
        if match:
            source = None
            nxt = lines[i + 1] if i + 1 < index else ""
            if nxt.strip() and not _FRAME.match(nxt) and not set(nxt.strip()) <= set("^~ "):
                source = nxt.strip()
            out.append(Frame(match.group("path"), int(match.group("line")),
                             match.group("func"), source, i))
        elif line.startswith("Traceback (most recent call last)"):
            break
        elif line.strip() == "" and out:
            break
        i -= 1
    out.reverse()
    return out


def python_version(text: str) -> Optional[str]:
    """``3.7`` from a path like ``.../lib/python3.7/site-packages/...``, if any."""
    for found in _PYVER.finditer(text):
        ver = found.group("ver") or found.group("pip") or found.group("said") or \
            found.group("banner")
        if ver:
            return ver
        win = found.group("win")
        if win:
            return "%s.%s" % (win[0], win[1:])
    return None


def site_package(path: str) -> Optional[str]:
    """The top-level package a file in site-packages belongs to."""
    found = _SITE.search(path)
    return found.group("pkg") if found else None


_FROM_IMPORT = re.compile(r"^\s*from\s+(?P<module>[\w.]+)\s+import\s+\(?(?P<names>[\w\s,]+)\)?")


def imported_names(source: Optional[str], module: str) -> Tuple[str, ...]:
    """The names a ``from module import a, b`` line asks for; () when it is another line."""
    if not source:
        return ()
    match = _FROM_IMPORT.match(source)
    if not match or match.group("module") != module:
        return ()
    names = []
    for part in match.group("names").split(","):
        words = part.split()
        if words and re.match(r"^[A-Za-z_]\w*$", words[0]):
            names.append(words[0])
    return tuple(names)


def looks_like_error(line: str) -> bool:
    """An exception line or pip error line (what was seen, even when not explained)."""
    stripped = line.strip()
    if not stripped or stripped.startswith(("File ", "Traceback (most recent")):
        return False
    return bool(_ERROR.match(stripped)) or " requires " in stripped and \
        "but you have" in stripped


# How a distribution shows in a traceback when its import name differs from its name.
DIST_ALIASES = {
    "pillow": ("PIL",), "protobuf": ("google.protobuf", "google/protobuf", "google\\protobuf",
                                     "_pb2"),
    "huggingface-hub": ("huggingface_hub",), "opencv-python": ("cv2",),
    "mindnlp": ("mindtorch",), "setuptools": ("pkg_resources",), "scikit-learn": ("sklearn",),
    "pyyaml": ("yaml",), "cann": ("Ascend", "ascend-toolkit", "libascendcl", "libge_runner"),
}


def mentions(text: str, words: Sequence[str], aliases: bool = True) -> bool:
    """Whether any of ``words`` (or, with ``aliases``, the import name of such a
    distribution) appears in ``text`` (case-insensitive; '-' and '_' alike)."""
    folded = text.lower().replace("-", "_")
    for word in words:
        forms = (word,) + (DIST_ALIASES.get(word.lower(), ()) if aliases else ())
        if any(f.lower().replace("-", "_") in folded for f in forms):
            return True
    return False
