"""Run commands in a target interpreter without ever hanging or crashing envdoctor.

A child gets its own process group so that a timeout kills it together with anything it
started (a hung import can leave grandchildren holding our pipes).
"""

import os
import signal
import subprocess
import sys
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

    def wait(self, timeout: float) -> ChildResult:
        argv, proc = self.argv, self.proc
        if proc is None:
            return ChildResult(argv, None, "", "", False, self.error)
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
