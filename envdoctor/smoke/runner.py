"""Run the smoke script in the target interpreter and follow it stage by stage.

The script (``envdoctor/probes/lab_smoke.py``) runs in a child process in its own process
group, from an empty temporary folder that also holds the corpus and the checkpoint. Its
stage events arrive line by line on stdout and are passed on as they come (for a live
display). Whatever happens to the child, a crash, a hang, a C++ abort, becomes a failed
stage here, explained; only a target that cannot run Python at all is an envdoctor error
(exit 2).
"""

import collections
import json
import os
import queue
import subprocess
import tempfile
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Tuple

from envdoctor.errors import EnvdoctorError
from envdoctor.probe import probe_script, resolve_python, too_old
from envdoctor.smoke.corpus import DEFAULT_SEED, make_corpus
from envdoctor.smoke.hints import explain, relevant_lines
from envdoctor.smoke.result import Stage, SmokeResult
from envdoctor.subproc import describe_exit, kill_process_group, start_stream

__all__ = ["SmokeError", "run_smoke", "DEFAULT_TIMEOUT", "PREFIX", "SCRIPT", "parse_event"]

DEFAULT_TIMEOUT = 300.0
PREFIX = "@envdoctor-smoke "
SCRIPT = "lab_smoke.py"
_STDERR_KEEP = 400  # lines of the target's stderr kept for explanations

# (kind, payload): kind is "hello", "start", "end" or "done"; payload the event dict.
EventCallback = Callable[[str, Dict[str, Any]], None]


class SmokeError(EnvdoctorError):
    """The smoke script could not run in the target at all (exit 2)."""


def parse_event(line: str) -> Optional[Dict[str, Any]]:
    if not line.startswith(PREFIX):
        return None
    try:
        event = json.loads(line[len(PREFIX):])
    except ValueError:
        return None
    return event if isinstance(event, dict) and "event" in event else None


class _Child:
    """The running target: events from stdout on a queue, stderr kept with the stage it
    arrived in."""

    def __init__(self, argv: Sequence[str], cwd: str, env: Optional[Dict[str, str]]) -> None:
        self.proc = start_stream(argv, cwd=cwd, env=env)
        self.python = str(argv[0])  # the target: fixes name it (`<python> -m pip`)
        self.events: queue.Queue = queue.Queue()
        self.current: Optional[str] = None
        self.stderr: Deque[Tuple[Optional[str], str]] = collections.deque(maxlen=_STDERR_KEEP)
        self.stray: Deque[str] = collections.deque(maxlen=50)
        self._threads = [threading.Thread(target=self._read_stdout, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for thread in self._threads:
            thread.start()

    def _read_stdout(self) -> None:
        for line in self.proc.stdout:
            event = parse_event(line.rstrip("\n"))
            if event is None:
                if line.strip():
                    self.stray.append(line.rstrip("\n"))
            else:
                self.events.put(event)
        self.events.put(None)  # end of output

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            self.stderr.append((self.current, line.rstrip("\n")))

    def kill(self) -> None:
        kill_process_group(self.proc)

    def finish(self, wait: float = 5.0) -> Optional[int]:
        try:
            self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for thread in self._threads:
            thread.join(timeout=2)
        return self.proc.returncode

    def stderr_lines(self, stage: Optional[str] = "*") -> List[str]:
        """All of stderr ("*"), or the lines that arrived while ``stage`` ran (None: before
        the first stage)."""
        return [line for tag, line in self.stderr if stage == "*" or tag == stage]


def _argv(target: str, corpus: str, workdir: str, device: Optional[str], level: str,
          seed: int, steps: Optional[int], settings: Sequence[str]) -> List[str]:
    argv = [target, probe_script(SCRIPT), "--corpus", corpus, "--workdir", workdir,
            "--level", level, "--seed", str(seed)]
    if device:
        argv += ["--device", device]
    if steps:
        argv += ["--steps", str(steps)]
    for item in settings:
        argv += ["--set", item]
    return argv


def run_smoke(python: Optional[str] = None, device: Optional[str] = None,
              level: str = "mindspore", timeout: float = DEFAULT_TIMEOUT,
              on_event: Optional[EventCallback] = None, seed: int = DEFAULT_SEED,
              steps: Optional[int] = None, settings: Sequence[str] = (),
              env: Optional[Dict[str, str]] = None) -> SmokeResult:
    """Run every stage in ``python`` (default: this interpreter) and return what happened.

    ``on_event(kind, event)`` sees each event as it arrives. ``timeout`` bounds the whole
    run: past it the child and everything it started are killed, and the stage that was
    running fails as hung.
    """
    target = resolve_python(python)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="envdoctor-smoke-") as workdir:
        corpus_path = os.path.join(workdir, "corpus.json")
        with open(corpus_path, "w", encoding="utf-8") as handle:
            json.dump(make_corpus(seed).to_dict(), handle)
        argv = _argv(target, corpus_path, workdir, device, level, seed, steps, settings)
        try:
            child = _Child(argv, cwd=workdir, env=env)
        except FileNotFoundError:
            raise SmokeError("no such interpreter: %s" % target)
        except PermissionError:
            raise SmokeError("not executable: %s" % target)
        except OSError as exc:
            raise SmokeError("cannot run %s: %s" % (target, exc))
        try:
            return _follow(child, target, level, device, timeout, started, on_event)
        finally:
            child.kill()
            child.finish(wait=0)


def _follow(child: _Child, target: str, level: str, device: Optional[str], timeout: float,
            started: float, on_event: Optional[EventCallback]) -> SmokeResult:
    deadline = started + timeout
    hello: Optional[Dict[str, Any]] = None
    ends: Dict[str, Dict[str, Any]] = {}
    begun: List[str] = []
    done: Optional[Dict[str, Any]] = None
    timed_out = False
    while True:
        remaining = deadline - time.time()
        if remaining <= 0:
            timed_out = True
            break
        try:
            event = child.events.get(timeout=min(remaining, 0.5))
        except queue.Empty:
            continue
        if event is None:
            break
        kind = event.get("event")
        if kind == "hello":
            hello = event
        elif kind == "start":
            child.current = event.get("stage")
            begun.append(str(event.get("stage")))
        elif kind == "end":
            ends[str(event.get("stage"))] = event
        elif kind == "done":
            done = event
        if on_event is not None and kind in ("hello", "start", "end", "done"):
            on_event(kind, event)
    if timed_out:
        child.kill()
    returncode = child.finish(wait=0 if timed_out else 10)
    if hello is None:
        raise SmokeError(_no_hello(target, child, returncode, timed_out, timeout))
    return _assemble(child, target, level, device, hello, ends, begun, done, returncode,
                     timed_out, timeout, time.time() - started, on_event)


def _no_hello(target: str, child: _Child, returncode: Optional[int], timed_out: bool,
              timeout: float) -> str:
    tail = [l for l in child.stderr_lines() if l.strip()][-6:] or list(child.stray)[-6:]
    if timed_out:
        why = "did not start within %.0f s" % timeout
    else:
        old = too_old(target, timeout)
        if old is not None:
            return old
        why = "ended (%s) before the smoke script could start" % describe_exit(returncode)
    message = "the target interpreter %s %s; is it a Python 3.7+ interpreter?" % (target, why)
    if tail:
        message += "\n  " + "\n  ".join(tail)
    return message


def _assemble(child: _Child, target: str, level: str, device: Optional[str],
              hello: Dict[str, Any], ends: Dict[str, Dict[str, Any]], begun: List[str],
              done: Optional[Dict[str, Any]], returncode: Optional[int], timed_out: bool,
              timeout: float, seconds: float, on_event: Optional[EventCallback]) -> SmokeResult:
    plan = [(str(n), str(t)) for n, t in hello.get("stages") or []]
    stages: List[Stage] = []
    broken: Optional[str] = None
    ended = "done" if done is not None else "timeout" if timed_out else "crashed"
    for name, title in plan:
        if name in ends:
            stage = _from_event(title, ends[name], child)
        elif name in begun and broken is None:
            stage = _unfinished(name, title, child, returncode, timed_out, timeout, seconds)
            if on_event is not None:
                on_event("end", _as_event(stage))
        else:
            stage = Stage(name, title, "skip", None,
                          "not run: %s failed" % broken if broken else "not run")
        if stage.failed and broken is None:
            broken = title
        stages.append(stage)
    if ended != "done" and broken is None:
        # It died between stages (or after the last one, before saying done).
        stages.append(_unfinished("exit", "clean exit", child, returncode, timed_out, timeout,
                                  seconds))
    facts = dict((done or {}).get("result") or {})
    return SmokeResult(
        python=target, level=level, stages=tuple(stages), facts=facts, seconds=seconds,
        device_requested=device, python_version=hello.get("python"), ended=ended,
        exit_description=None if done is not None else
        ("timed out" if timed_out else describe_exit(returncode)))


def _from_event(title: str, event: Dict[str, Any], child: _Child) -> Stage:
    name = str(event.get("stage"))
    status = str(event.get("status") or "fail")
    detail = str(event.get("detail") or "")
    error = event.get("error") if isinstance(event.get("error"), dict) else None
    log: Tuple[str, ...] = ()
    hint = None
    if status == "fail":
        lines = child.stderr_lines(name)
        log = tuple(relevant_lines(lines))
        hint = explain(name, detail, error, lines, python=child.python)
    return Stage(name, title, status, _float(event.get("seconds")), detail,
                 event.get("data") if isinstance(event.get("data"), dict) else {}, error, hint,
                 log)


def _unfinished(name: str, title: str, child: _Child, returncode: Optional[int],
                timed_out: bool, timeout: float, seconds: float) -> Stage:
    lines = child.stderr_lines(name) or child.stderr_lines(None)
    if timed_out:
        detail = ("no answer within the %.0f s timeout: it hung here (or is very slow; raise "
                  "--timeout to wait longer)" % timeout)
    else:
        detail = "the target process died here: %s" % describe_exit(returncode)
    crash = relevant_lines(lines, crash=True)
    return Stage(name, title, "fail", None, detail, {"returncode": returncode},
                 None, explain(name, detail, None, lines, crashed=not timed_out,
                               timed_out=timed_out, python=child.python), tuple(crash))


def _as_event(stage: Stage) -> Dict[str, Any]:
    return {"event": "end", "stage": stage.name, "status": stage.status,
            "seconds": stage.seconds, "detail": stage.detail}


def _float(value: Any) -> Optional[float]:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
