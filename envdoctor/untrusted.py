"""Reading a file someone else wrote (a student's snapshot or check JSON): never a crash.

:func:`read_json_file` refuses what is not a plain file (a symlink, a FIFO that would block,
a device), what is too big, too deeply nested or not UTF-8 JSON (a byte-order mark is fine),
and returns the reason instead of raising; :func:`shape_problem` says whether the parts a
report reads have the types it expects.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any, List, Optional, Tuple

__all__ = ["MAX_BYTES", "MAX_DEPTH", "read_json_file", "nesting_depth", "shape_problem"]

MAX_BYTES = 64 * 1024 * 1024  # a 50,000-distribution snapshot is ~30 MB
MAX_DEPTH = 64  # a snapshot nests 6 deep; a check JSON 8


def nesting_depth(data: Any, limit: int = MAX_DEPTH) -> int:
    """How deep ``data`` nests (iteratively: a hostile file cannot exhaust the stack); stops
    counting past ``limit``."""
    deepest = 0
    stack: List[Tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, (dict, list)):
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def read_json_file(path: str, max_bytes: int = MAX_BYTES,
                   max_depth: int = MAX_DEPTH) -> Tuple[Any, Optional[str]]:
    """``(data, None)``, or ``(None, why it was not read)``."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return None, "cannot read it: %s" % (exc.strerror or exc)
    if stat.S_ISLNK(info.st_mode):
        return None, "a symlink: skipped (give the file it points to)"
    if not stat.S_ISREG(info.st_mode):
        return None, "not a regular file (a FIFO, device or folder): skipped"
    if info.st_size > max_bytes:
        return None, "too big (%d bytes; the limit is %d)" % (info.st_size, max_bytes)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        return None, "cannot read it: %s" % (exc.strerror or exc)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped since lstat
            return None, "not a regular file: skipped"
        raw = handle.read(max_bytes + 1)
    if len(raw) > max_bytes:
        return None, "too big (over %d bytes)" % max_bytes
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, "not UTF-8 text: %s" % exc
    try:
        data = json.loads(text)
    except RecursionError:
        return None, "nested too deeply (more than %d levels)" % max_depth
    except ValueError as exc:
        return None, "not JSON: %s" % exc
    if nesting_depth(data, max_depth) > max_depth:
        return None, "nested too deeply (more than %d levels)" % max_depth
    return data, None


# The parts of a snapshot and of a check JSON that a report reads, and their types.
_SNAPSHOT_SHAPE = (("distributions", list), ("interpreter", dict), ("platform", dict),
                   ("marker_environment", dict), ("environment_variables", dict),
                   ("metadata_problems", list))
_CHECK_SHAPE = (("environment", dict), ("findings", list), ("summary", dict))


def shape_problem(data: Any) -> Optional[str]:
    """Why ``data`` cannot be a snapshot or a check JSON as a report reads it (None: fine)."""
    if not isinstance(data, dict):
        return "not an envdoctor snapshot or check JSON"
    is_check = data.get("kind") == "envdoctor-check" or ("findings" in data and "summary" in data)
    for key, kind in _CHECK_SHAPE if is_check else _SNAPSHOT_SHAPE:
        if key in data and data[key] is not None and not isinstance(data[key], kind):
            return "%r is a %s, not a %s" % (key, type(data[key]).__name__, kind.__name__)
    items = data.get("findings") if is_check else data.get("distributions")
    for n, item in enumerate(items or []):
        if not isinstance(item, dict):
            return "%s entry %d is a %s, not an object" % (
                "findings" if is_check else "distributions", n, type(item).__name__)
    return None
