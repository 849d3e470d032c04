"""Where output goes: colour only on a terminal, never a prompt or spinner without one.

Every string printed here may come from a snapshot, a student's file or pasted text, so
control characters (C0, DEL, C1) and bidirectional overrides are made visible first: no
terminal title, clipboard write, cursor move or hidden line can travel through envdoctor.
"""

import os
import re
import sys
from typing import Optional, Sequence, TextIO

from envdoctor.render.text import Line, plain

__all__ = ["use_colour", "emit", "is_interactive", "safe_text", "write_safe"]

# C0 except tab and newline, DEL, C1, and the bidi controls that reorder what is shown.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f"
                     "\u202a-\u202e\u2066-\u2069]")


def _visible(match: "re.Match[str]") -> str:
    code = ord(match.group(0))
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


def safe_text(text: str, keep_newlines: bool = True) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``); newlines and
    tabs stay when ``keep_newlines`` (envdoctor's own layout), else they are shown too."""
    text = str(text)
    out = _UNSAFE.sub(_visible, text)
    if not keep_newlines:
        out = out.replace("\n", "\\n").replace("\t", "\\t")
    return out


def write_safe(text: str, stream: Optional[TextIO] = None) -> None:
    """Write ``text`` with its control characters made visible."""
    (stream or sys.stdout).write(safe_text(text))


def use_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def is_interactive() -> bool:
    """A person is there to answer: stdin and stdout are terminals and this is not CI."""
    return sys.stdin.isatty() and sys.stdout.isatty() and not os.environ.get("CI")


def _ascii_safe(lines: Sequence[Line], stream: TextIO) -> Sequence[Line]:
    encoding = (getattr(stream, "encoding", None) or "ascii").lower()
    if "utf" in encoding:
        return lines
    return [[(t.encode(encoding, "replace").decode(encoding), s) for t, s in line]
            for line in lines]


def emit(lines: Sequence[Line], stream: Optional[TextIO] = None) -> None:
    stream = stream or sys.stdout
    lines = [[(safe_text(t), s) for t, s in line] for line in lines]
    lines = _ascii_safe(lines, stream)
    if not use_colour(stream):
        stream.write(plain(lines))
        stream.flush()
        return
    try:
        from rich.console import Console  # only a terminal pays for importing rich
        from rich.text import Text
    except ImportError:  # the zipapp carries no rich: plain text, same content
        stream.write(plain(lines))
        stream.flush()
        return

    # colour is decided above (FORCE_COLOR, NO_COLOR, a terminal); rich before 12 would
    # decide again and drop it under FORCE_COLOR
    console = Console(file=stream, highlight=False, soft_wrap=True, force_terminal=True)
    for line in lines:
        text = Text()
        for chunk, style in line:
            text.append(chunk, style=style or None)
        console.print(text)
