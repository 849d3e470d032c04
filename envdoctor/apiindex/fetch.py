"""Get wheels to read: from a cache or --find-links folder, else ``pip download --no-deps``."""

import os
import subprocess
import sys
from typing import Callable, List, Optional, Sequence

from envdoctor.apiindex.model import ApiIndexError
from envdoctor.snapshot import wheel_name

__all__ = ["default_cache_dir", "find_wheel", "download_wheel", "index_versions",
           "PYTHON_TRIES", "PLATFORM_TRIES"]


def default_cache_dir() -> str:
    return os.environ.get("ENVDOCTOR_WHEEL_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "envdoctor", "wheels")


def _wheel_prefix(dist: str, version: str) -> str:
    return "%s-%s-" % (wheel_name(dist), version)


def find_wheel(dist: str, version: str, folders: Sequence[str]) -> Optional[str]:
    """A wheel of ``dist==version`` for any Python already on disk, if there is one."""
    prefix = _wheel_prefix(dist, version)
    for folder in folders:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if name.lower().startswith(prefix) and name.endswith(".whl"):
                return os.path.join(folder, name)
    return None


PYTHON_TRIES = ("3.11", "3.10", "3.9", "3.12", "3.8", "3.7")
PLATFORM_TRIES = ("manylinux1_x86_64", "manylinux2014_x86_64", "manylinux_2_17_x86_64",
                  "manylinux_2_28_x86_64")


def download_wheel(dist: str, version: str, cache: str, find_links: Sequence[str] = (),
                   python_versions: Sequence[str] = PYTHON_TRIES,
                   platforms: Sequence[str] = PLATFORM_TRIES,
                   runner: Optional[Callable[[List[str]], "subprocess.CompletedProcess"]] = None,
                   log: Callable[[str], None] = lambda s: None) -> str:
    """``pip download --no-deps`` one wheel into ``cache``, trying Pythons in turn (a
    wheel of any Python can be read here)."""
    os.makedirs(cache, exist_ok=True)
    run = runner or (lambda argv: subprocess.run(argv, stdout=subprocess.PIPE,
                                                 stderr=subprocess.PIPE,
                                                 universal_newlines=True))
    errors = []
    for py in list(python_versions) or [None]:
        argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                "--disable-pip-version-check", "-d", cache]
        for link in find_links:
            argv += ["--find-links", link]
        if py:
            argv += ["--python-version", py]
            for plat in platforms:
                argv += ["--platform", plat]
            argv += ["--platform", "any"]
        argv.append("%s==%s" % (dist, version))
        log("pip download %s==%s%s" % (dist, version, " for Python %s" % py if py else ""))
        proc = run(argv)
        found = find_wheel(dist, version, [cache])
        if proc.returncode == 0 and found:
            return found
        tail = [l for l in (proc.stderr or "").splitlines()
                if l.startswith("ERROR") or "No matching distribution" in l]
        errors.append("Python %s: %s" % (py, tail[-1] if tail else "exit %s" % proc.returncode))
    raise ApiIndexError("cannot download %s==%s: %s" % (dist, version, "; ".join(errors[-2:])))


def index_versions(dist: str) -> List[str]:
    """The versions pip sees on the index (``pip index versions``), newest first."""
    argv = [sys.executable, "-m", "pip", "index", "versions", dist,
            "--disable-pip-version-check"]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    for line in proc.stdout.splitlines():
        if line.startswith("Available versions:"):
            return [v.strip() for v in line.split(":", 1)[1].split(",") if v.strip()]
    raise ApiIndexError("pip index versions %s found nothing: %s" % (
        dist, (proc.stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1]))
