"""Run commands in a target interpreter without ever hanging or crashing envdoctor.

A child gets its own process group so that a timeout kills it together with anything it
started (a hung import can leave grandchildren holding our pipes). On POSIX a child is done
when it exits, not when its pipes close: a daemon it left behind holding stdout cannot turn a
finished child into a hung one. Output can be capped (``limit``), so a flooding child costs
a bounded amount of memory.
"""

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

__all__ = ["ChildResult", "RunningChild", "run_child", "start_child", "describe_exit", "capped"]


@dataclass(frozen=True)
class ChildResult:
    argv: List[str]
    returncode: Optional[int]  # None: it timed out and was killed
    stdout: str
    stderr: str
    timed_out: bool
    error: Optional[str] = None  # could not start at all (missing, not executable)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.timed_out and self.returncode == 0


def describe_exit(returncode: Optional[int]) -> str:
    """Say how a child ended: 'exit status 3' or 'killed by SIGSEGV (segmentation fault)'."""
    if returncode is None:
        return "did not finish"
    if returncode < 0:
        try:
            sig = signal.Signals(-returncode)
            desc = signal.strsignal(sig) if hasattr(signal, "strsignal") else None  # novm
            return "killed by %s%s" % (sig.name, " (%s)" % desc.lower() if desc else "")
        except ValueError:
            return "killed by signal %d" % -returncode
    if returncode > 128 and returncode - 128 in (6, 9, 11):  # a shell-reported signal
        return "exit status %d (signal %d)" % (returncode, returncode - 128)
    return "exit status %d" % returncode


def _kill_group(proc: "subprocess.Popen[str]") -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError, OSError):
        pass


class RunningChild:
    """A child started by :func:`start_child`; :meth:`wait` collects it (the work envdoctor
    does in between overlaps with the child's)."""

    def __init__(self, argv: List[str], proc: "Optional[subprocess.Popen[str]]",
                 input_text: Optional[str], error: Optional[str] = None) -> None:
        self.argv, self.proc, self.input_text, self.error = argv, proc, input_text, error

    def wait(self, timeout: float, limit: Optional[int] = None) -> ChildResult:
        """Wait up to ``timeout`` seconds; keep at most ``limit`` bytes of each stream (its
        start and its end, the middle cut out), or all of it when ``limit`` is None."""
        argv, proc = self.argv, self.proc
        if proc is None:
            return ChildResult(argv, None, "", "", False, self.error)
        if os.name == "posix":
            return self._wait_posix(timeout, limit)
        try:
            out, err = proc.communicate(self.input_text, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            try:
                out, err = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                out, err = "", ""
            return ChildResult(argv, None, capped(out, limit), capped(err, limit), True)
        finally:
            if proc.poll() is None:
                _kill_group(proc)
        return ChildResult(argv, proc.returncode, capped(out, limit), capped(err, limit), False)

    def _wait_posix(self, timeout: float, limit: Optional[int]) -> ChildResult:
        proc = self.proc
        assert proc is not None
        deadline = time.monotonic() + timeout
        pipes = _Pipes(proc, limit, (self.input_text or "").encode("utf-8"))
        exited = False
        try:
            exited = pipes.pump(deadline)
            if exited:
                # Take what is already in the pipes, not what a grandchild holding them
                # might write one day.
                pipes.drain(0.5)
        finally:
            if not exited:
                _kill_group(proc)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    pass
                pipes.drain(0.5)
            pipes.close()
        out, err = pipes.texts()
        if not exited:
            return ChildResult(self.argv, None, out, err, True)
        return ChildResult(self.argv, proc.returncode, out, err, False)


def capped(text: Optional[str], limit: Optional[int]) -> str:
    """``text`` cut as the POSIX reader cuts a stream (its start and end kept): where the
    output was read whole (Windows' communicate), what is returned is still bounded."""
    if not text or limit is None or len(text.encode("utf-8", "replace")) <= limit:
        return text or ""
    sink = _Capped(limit)
    sink.add(text.encode("utf-8", "replace"))
    return sink.text()


class _Capped:
    """Bytes read from a stream: all of them, or the first and last ``limit // 2`` with a
    note of how much was cut between."""

    def __init__(self, limit: Optional[int]) -> None:
        self.limit = limit
        self.head = bytearray()
        self.tail = bytearray()
        self.cut = 0

    def add(self, data: bytes) -> None:
        if self.limit is None:
            self.head += data
            return
        room = self.limit // 2 - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        self.tail += data
        extra = len(self.tail) - (self.limit - self.limit // 2)
        if extra > 0:
            del self.tail[:extra]
            self.cut += extra

    def text(self) -> str:
        middle = b"\n[... %d bytes cut ...]\n" % self.cut if self.cut else b""
        raw = bytes(self.head) + middle + bytes(self.tail)
        # What text mode (universal newlines) gave before: \r\n and \r read as \n.
        return raw.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")


class _Pipes:
    """A child's stdin, stdout and stderr served by one select loop (POSIX)."""

    def __init__(self, proc: "subprocess.Popen[str]", limit: Optional[int],
                 pending: bytes) -> None:
        assert proc.stdout is not None and proc.stderr is not None  # start_child pipes both
        self.proc = proc
        self.sinks = {
            proc.stdout: _Capped(limit), proc.stderr: _Capped(limit)}  # type: Dict[Any, _Capped]
        self.pending = pending
        self.selector = selectors.DefaultSelector()
        for stream in (proc.stdout, proc.stderr):
            os.set_blocking(stream.fileno(), False)
            self.selector.register(stream, selectors.EVENT_READ)
        if proc.stdin is not None:
            if pending:
                os.set_blocking(proc.stdin.fileno(), False)
                self.selector.register(proc.stdin, selectors.EVENT_WRITE)
            else:
                proc.stdin.close()

    def pump(self, deadline: float) -> bool:
        """Serve the pipes until the child exits (True) or the deadline passes (False)."""
        while self.selector.get_map():
            if self.proc.poll() is not None:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            for key, _ in self.selector.select(min(left, 0.05)):
                if key.fileobj is self.proc.stdin:
                    self._feed()
                else:
                    self._read(key.fileobj)
        try:  # every pipe is closed: now the exit itself
            self.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return False
        return True

    def drain(self, seconds: float) -> None:
        """Read what the pipes hold now (a flooding grandchild is cut off after ``seconds``)."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            ready = [key.fileobj for key, _ in self.selector.select(0)
                     if key.fileobj in self.sinks]
            if not ready:
                return
            for stream in ready:
                self._read(stream)

    def texts(self) -> Tuple[str, str]:
        return self.sinks[self.proc.stdout].text(), self.sinks[self.proc.stderr].text()

    def close(self) -> None:
        self.selector.close()
        for stream in list(self.sinks) + [self.proc.stdin]:
            if stream is not None:
                stream.close()

    def _read(self, stream: Any) -> None:
        try:
            data = os.read(stream.fileno(), 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self.sinks[stream].add(data)
        else:  # end of file
            self.selector.unregister(stream)

    def _feed(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None  # registered only when there is input to write
        try:
            written = os.write(stdin.fileno(), self.pending[:65536])
        except BlockingIOError:
            return
        except OSError:  # the child closed its stdin: it does not want the rest
            written = len(self.pending)
        self.pending = self.pending[written:]
        if not self.pending:
            self.selector.unregister(stdin)
            stdin.close()


def start_child(
    argv: Sequence[str],
    input_text: Optional[str] = None,
    env: Optional[Dict[str, str]] = None,
    cwd: Optional[str] = None,
) -> RunningChild:
    argv = [str(a) for a in argv]
    kwargs = {}  # type: Dict[str, Any]
    if os.name == "posix":
        kwargs["start_new_session"] = True
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            universal_newlines=True,
            encoding="utf-8",
            errors="replace",
            **kwargs
        )
    except FileNotFoundError:
        return RunningChild(argv, None, None, "no such file: %s" % argv[0])
    except PermissionError:
        return RunningChild(argv, None, None, "not executable: %s" % argv[0])
    except OSError as exc:  # e.g. exec format error: not a program at all
        return RunningChild(argv, None, None, "cannot run %s: %s" % (argv[0], exc))
    return RunningChild(argv, proc, input_text)


def run_child(
    argv: Sequence[str],
    timeout: float,
    input_text: Optional[str] = None,
    env: Optional[Dict[str, str]] = None,
    cwd: Optional[str] = None,
) -> ChildResult:
    return start_child(argv, input_text, env, cwd).wait(timeout)


def current_python() -> str:
    return sys.executable


# -- streaming children (added for the smoke runner and the notebook's CLI child) ---------------

def start_stream(argv: Sequence[str], cwd: Optional[str] = None,
                 env: Optional[Dict[str, str]] = None,
                 merge_stderr: bool = False) -> "subprocess.Popen[str]":
    """A child whose output is read line by line while it runs (``proc.stdout``; stderr too,
    or merged into stdout), with no stdin, in its own process group so
    :func:`kill_process_group` ends it with everything it started. Raises ``OSError`` (e.g.
    ``FileNotFoundError``) when it cannot start."""
    kwargs = {}  # type: Dict[str, object]
    if os.name == "posix":
        kwargs["start_new_session"] = True
    return subprocess.Popen(  # type: ignore[call-overload]
        [str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE, cwd=cwd, env=env,
        universal_newlines=True, encoding="utf-8", errors="replace", **kwargs)


def kill_process_group(proc: "subprocess.Popen[str]") -> None:
    """Kill a child started here and everything it started, if it is still running."""
    if proc.poll() is None:
        _kill_group(proc)


RESULT_MARKER = "@@ENVDOCTOR-RESULT@@"


def marked_result(stdout: Optional[str]) -> Optional[Dict[str, Any]]:
    """The JSON a probe printed after :data:`RESULT_MARKER` (the last such line), or None.
    Anything else on stdout (a banner from sitecustomize, a library's chatter) is ignored."""
    for line in reversed((stdout or "").splitlines()):
        if line.startswith(RESULT_MARKER):
            try:
                data = json.loads(line[len(RESULT_MARKER):])
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
    return None
