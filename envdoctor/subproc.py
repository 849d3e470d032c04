"""Run commands in a target interpreter without ever hanging or crashing envdoctor.

A child gets its own process group so that a timeout kills it together with anything it
started (a hung import can leave grandchildren holding our pipes). On POSIX a child is done
when it exits, not when its pipes close: a daemon it left behind holding stdout cannot turn a
finished child into a hung one. Output can be capped (``limit``), so a flooding child costs
a bounded amount of memory.
"""

import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

__all__ = ["ChildResult", "RunningChild", "run_child", "start_child", "describe_exit"]


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
            return ChildResult(argv, None, out or "", err or "", True)
        finally:
            if proc.poll() is None:
                _kill_group(proc)
        return ChildResult(argv, proc.returncode, out or "", err or "", False)

    def _wait_posix(self, timeout: float, limit: Optional[int]) -> ChildResult:
        proc = self.proc
        assert proc is not None
        deadline = time.monotonic() + timeout
        streams = {proc.stdout: _Capped(limit), proc.stderr: _Capped(limit)}
        pending = (self.input_text or "").encode("utf-8")
        with selectors.DefaultSelector() as selector:
            for stream in streams:
                os.set_blocking(stream.fileno(), False)
                selector.register(stream, selectors.EVENT_READ)
            if proc.stdin is not None:
                if pending:
                    os.set_blocking(proc.stdin.fileno(), False)
                    selector.register(proc.stdin, selectors.EVENT_WRITE)
                else:
                    proc.stdin.close()
            timed_out = False
            try:
                while selector.get_map():
                    if proc.poll() is not None:
                        # Exited: take what is already in the pipes, not what a grandchild
                        # holding them might write one day.
                        _drain(selector, streams, time.monotonic() + 0.5)
                        break
                    left = deadline - time.monotonic()
                    if left <= 0:
                        timed_out = True
                        break
                    for key, _ in selector.select(min(left, 0.05)):
                        if key.fileobj is proc.stdin:
                            pending = _feed(selector, proc.stdin, pending)
                        else:
                            _read_into(selector, key.fileobj, streams[key.fileobj])
                if not timed_out:
                    try:
                        proc.wait(max(0.0, deadline - time.monotonic()))
                    except subprocess.TimeoutExpired:
                        timed_out = True
            finally:
                if timed_out or proc.poll() is None:
                    _kill_group(proc)
                    try:
                        proc.wait(5)
                    except subprocess.TimeoutExpired:
                        pass
                    _drain(selector, streams, time.monotonic() + 0.5)
                for stream in list(streams) + [proc.stdin]:
                    if stream is not None:
                        stream.close()
        out, err = (streams[proc.stdout].text(), streams[proc.stderr].text())
        if timed_out:
            return ChildResult(self.argv, None, out, err, True)
        return ChildResult(self.argv, proc.returncode, out, err, False)


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


def _read_into(selector: "selectors.BaseSelector", stream, sink: _Capped) -> bool:
    """One read from a readable stream; False (and unregistered) at end of file."""
    try:
        data = os.read(stream.fileno(), 65536)
    except BlockingIOError:
        return True
    except OSError:
        data = b""
    if not data:
        selector.unregister(stream)
        return False
    sink.add(data)
    return True


def _drain(selector: "selectors.BaseSelector", streams: Dict, until: float) -> None:
    """Read what the pipes hold now (a flooding grandchild is cut off at ``until``)."""
    while time.monotonic() < until:
        ready = [key.fileobj for key, _ in selector.select(0)
                 if key.fileobj in streams]
        if not ready:
            return
        for stream in ready:
            _read_into(selector, stream, streams[stream])


def _feed(selector: "selectors.BaseSelector", stdin, pending: bytes) -> bytes:
    try:
        written = os.write(stdin.fileno(), pending[:65536])
    except BlockingIOError:
        return pending
    except OSError:  # the child closed its stdin: it does not want the rest
        written = len(pending)
    pending = pending[written:]
    if not pending:
        selector.unregister(stdin)
        stdin.close()
    return pending


def start_child(
    argv: Sequence[str],
    input_text: Optional[str] = None,
    env: Optional[Dict[str, str]] = None,
    cwd: Optional[str] = None,
) -> RunningChild:
    argv = [str(a) for a in argv]
    kwargs = {}
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
