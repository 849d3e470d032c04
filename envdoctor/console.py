"""Where output goes: colour only on a terminal, never a prompt or spinner without one."""

import os
import sys
from typing import Optional, Sequence, TextIO

from envdoctor.render.text import Line, plain

__all__ = ["use_colour", "emit", "is_interactive"]


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
    lines = _ascii_safe(lines, stream)
    if not use_colour(stream):
        stream.write(plain(lines))
        stream.flush()
        return
    from rich.console import Console  # only a terminal pays for importing rich
    from rich.text import Text

    console = Console(file=stream, highlight=False, soft_wrap=True)
    for line in lines:
        text = Text()
        for chunk, style in line:
            text.append(chunk, style=style or None)
        console.print(text)
