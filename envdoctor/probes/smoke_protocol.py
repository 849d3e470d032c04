"""The smoke script's event protocol and stage runner (stdlib only, run by the target).

Every event is one line, ``@envdoctor-smoke {json}``, on a channel of its own: the original
stdout, duplicated before fd 1 is pointed at stderr, so whatever the libraries print (Python
or C++) cannot corrupt it. :mod:`envdoctor.smoke.runner` reads it.

    {"event": "hello", "protocol": 1, "stages": [[name, title], ...], ...}
    {"event": "start", "stage": name}
    {"event": "end", "stage": name, "status": "pass|warn|fail|skip", "seconds": s,
     "detail": "...", "data": {...}, "error": {"type", "message", "traceback"} or null}
    {"event": "done", "result": {...}}

A stage that starts and never ends was where the process crashed or hung.
"""

import json
import math
import os
import re
import sys
import time
import traceback

__all__ = ["PROTOCOL", "PREFIX", "Channel", "Failed", "Outcome", "run_stage", "inner_cause",
           "first_line", "json_safe"]

PROTOCOL = 1
PREFIX = "@envdoctor-smoke "


def json_safe(value):
    """JSON-safe: NaN and infinities become strings (json.loads elsewhere may reject them)."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return repr(value)
    if isinstance(value, dict):
        return dict((str(k), json_safe(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


class Channel(object):
    """Where events go: one JSON line each, flushed at once (the parent follows live)."""

    def __init__(self, stream):
        self.stream = stream

    @classmethod
    def take_stdout(cls):
        """The process's stdout becomes the channel; fd 1 then points at stderr, so stray
        prints from the libraries (and their C++ code) cannot reach the channel."""
        sys.stdout.flush()
        stream = os.fdopen(os.dup(1), "w", encoding="utf-8")
        os.dup2(2, 1)
        return cls(stream)

    def emit(self, event, **fields):
        fields["event"] = event
        self.stream.write(PREFIX + json.dumps(json_safe(fields), sort_keys=True) + "\n")
        self.stream.flush()

    def close(self):
        self.stream.close()


class Failed(Exception):
    """A stage's check did not hold: ``detail`` says what was seen against what was needed."""

    def __init__(self, detail, data=None):
        Exception.__init__(self, detail)
        self.detail = detail
        self.data = data or {}


class Outcome(object):
    """What a stage that held reports: its detail line, data, and status (pass, warn, skip)."""

    def __init__(self, detail, data=None, status="pass"):
        self.detail = detail
        self.data = data or {}
        self.status = status


def run_stage(channel, name, fn, state):
    """Run one stage, ``fn(state) -> Outcome``, between its start and end events. Any
    exception is the stage's failure, told in the end event; returns whether it passed."""
    channel.emit("start", stage=name)
    started = time.time()
    error = None
    try:
        out = fn(state)
        status, detail, data = out.status, out.detail, out.data
    except Failed as exc:
        status, detail, data = "fail", exc.detail, exc.data
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SystemExit from a library counts too
        status, data = "fail", {}
        message = str(exc).strip()
        detail = "%s: %s" % (type(exc).__name__, first_line(message)) if message \
            else type(exc).__name__
        cause = inner_cause(message)
        if cause and cause not in detail:
            detail += " (cause: %s)" % cause
        error = {
            "type": type(exc).__name__,
            "message": message[:4000],
            "traceback": "".join(traceback.format_exc()).strip()[-6000:],
        }
    seconds = time.time() - started
    channel.emit("end", stage=name, status=status, seconds=round(seconds, 3), detail=detail,
                 data=data, error=error)
    return status != "fail"


def inner_cause(message):
    """MindSpore wraps errors from Python code it calls (dataset sources, jit) in a
    RuntimeError whose message holds the original traceback: its last ``XxxError: ...``."""
    found = None
    for line in message.splitlines():
        m = re.match(r"^(\w+(?:Error|Exception|Warning)): (.+)$", line.strip())
        if m:
            found = "%s: %s" % (m.group(1), m.group(2)[:300])
    return found


def first_line(text):
    """The first line that says something (not a ---- or ==== rule), at most 500 characters."""
    for line in text.splitlines():
        line = line.strip()
        if line and not set(line) <= set("-="):
            return line[:500]
    return text[:500]
