"""Probe a target interpreter: run a stdlib-only script in it and read back a snapshot."""

import json
import os
import shutil
import sys
import tempfile
from typing import Optional

from envdoctor.snapshot import Snapshot, SnapshotError
from envdoctor.subproc import describe_exit, start_child

from envdoctor.errors import EnvdoctorError

__all__ = ["ProbeError", "probe_script", "probe", "start_probe", "PendingProbe", "too_old",
           "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 30.0
OUTPUT_LIMIT = 64 * 1024  # bytes of the target's stdout and of its stderr kept, each
SNAPSHOT_FILE = "snapshot.json"
SNAPSHOT_LIMIT = 512 << 20  # a 50,000-distribution snapshot is ~50 MB
_PROBES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "probes")


class ProbeError(EnvdoctorError):
    """envdoctor could not learn anything about the target: exit 2, with this message."""


def probe_script(name: str) -> str:
    return os.path.join(_PROBES, name)


def resolve_python(python: Optional[str]) -> str:
    """The interpreter to probe: ours by default; a venv/conda folder means its python.

    A relative path (``lab/bin/python``) is taken from the caller's folder, as a shell would:
    the probe itself runs from a temporary one. A bare name (``python3``) is looked up on PATH.
    """
    if not python:
        return sys.executable
    python = os.path.expanduser(python)
    if os.sep in python or (os.altsep and os.altsep in python) or os.path.isdir(python):
        python = os.path.abspath(python)
    if os.path.isdir(python):
        for candidate in ("bin/python", "bin/python3", "Scripts/python.exe", "python.exe"):
            path = os.path.join(python, candidate)
            if os.path.exists(path):
                return path
        raise ProbeError("%s is a folder with no bin/python in it; pass the interpreter" % python)
    return python


class PendingProbe:
    """A probe running in the target; :meth:`snapshot` waits for it. Starting it first lets
    envdoctor load its matrix and recipes while the target reads its metadata.

    The snapshot comes back as a file in a private temporary folder, not on stdout: whatever
    the target prints (a sitecustomize banner, a .pth, a wrapper script) or a daemon it leaves
    holding stdout cannot corrupt or delay it. Its stdout and stderr are kept only to explain
    a failure, capped at :data:`OUTPUT_LIMIT` bytes each.
    """

    def __init__(self, python: Optional[str], timeout: float) -> None:
        self.target = resolve_python(python)
        self.timeout = timeout
        # Run from an empty folder so a stray json.py or platform.py in the cwd cannot shadow
        # the stdlib modules the probe uses; mkdtemp makes it private (0700).
        self._cwd = tempfile.mkdtemp(prefix="envdoctor-")
        self._output = os.path.join(self._cwd, SNAPSHOT_FILE)
        self._child = start_child(
            [self.target, probe_script("snapshot_probe.py"), "--output", self._output],
            cwd=self._cwd)

    def snapshot(self) -> Snapshot:
        try:
            result = self._child.wait(self.timeout, limit=OUTPUT_LIMIT)
            text = _read_snapshot_file(self._output) if result.ok else None
        finally:
            shutil.rmtree(self._cwd, ignore_errors=True)
        target, timeout = self.target, self.timeout
        if result.error:
            raise ProbeError("cannot run the target interpreter: %s" % result.error)
        if result.timed_out:
            raise ProbeError(
                "the target interpreter %s did not answer within %.0f s (hung at start-up?); "
                "raise --timeout if it is just slow" % (target, timeout)
            )
        if result.returncode != 0:
            old = too_old(target, timeout)
            if old is not None:
                raise ProbeError(old)
            tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
            raise ProbeError(
                "the target interpreter %s failed to run the probe (%s)%s"
                % (target, describe_exit(result.returncode),
                   ":\n  " + "\n  ".join(tail) if tail else "")
            )
        try:
            if text is None:
                raise ValueError("no snapshot file")
            data = json.loads(text)
        except ValueError:
            raise ProbeError(
                "%s answered, but not with a snapshot: is it a Python 3.7+ interpreter? "
                "(first output: %r)" % (target, (result.stdout or result.stderr)[:200])
            ) from None
        try:
            return Snapshot.from_dict(data)
        except SnapshotError as exc:
            raise ProbeError(str(exc)) from exc


def too_old(target: str, timeout: float) -> Optional[str]:
    """What to say when a probe failed because the target is a Python older than the probes
    run on (Python 2.7: old images' ``python``); None when it is not. Asked only after a
    failure, so a check that works pays nothing for it."""
    from envdoctor.subproc import run_child

    asked = run_child([target, "-c", "import sys; sys.stdout.write('%d.%d' % "
                                     "sys.version_info[:2])"], timeout=min(timeout, 30.0))
    text = (asked.stdout or "").strip() if asked.ok else ""
    parts = text.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    if (int(parts[0]), int(parts[1])) >= (3, 6):
        return None
    return ("the target interpreter %s is Python %s; envdoctor checks Python 3 lab "
            "environments (MindSpore needs Python 3.7 or newer). Point --python at the lab's "
            "Python 3 (its venv's bin/python, or python3)" % (target, text))


def _read_snapshot_file(path: str) -> Optional[str]:
    """The probe's answer, or None when it wrote none (or one too big to be ours)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(SNAPSHOT_LIMIT + 1)
    except OSError:
        return None
    if len(raw) > SNAPSHOT_LIMIT:
        raise ProbeError("the target's snapshot is over %d MB: refusing to read it"
                         % (SNAPSHOT_LIMIT >> 20))
    return raw.decode("utf-8", "replace")


def start_probe(python: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT) -> PendingProbe:
    return PendingProbe(python, timeout)


def probe(python: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT) -> Snapshot:
    return PendingProbe(python, timeout).snapshot()
