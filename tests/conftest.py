"""Shared fixtures: real venvs, real pip, and small real wheels built on the spot."""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("ENVDOCTOR_TEST_CACHE", str(ROOT / ".cache")))


def run(argv: Sequence[str], check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    kwargs.setdefault("universal_newlines", True)
    proc = subprocess.run([str(a) for a in argv], **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError("%s failed (%s):\n%s\n%s" % (argv, proc.returncode, proc.stdout,
                                                         proc.stderr))
    return proc


# envdoctor's own cache (a pip wheel for targets whose pip is too old), shared by the tests
XDG_CACHE = CACHE / "xdg"


@pytest.fixture(scope="session", autouse=True)
def pip_wheel_for_old_targets():
    """Venvs made from an old Python (3.7) come with pip 22.0, too old for --dry-run
    --report; envdoctor then runs a newer pip from its wheel. Fetch that wheel once per
    machine so that tests which hide the index (PIP_NO_INDEX) still find it."""
    minor = "%d.%d" % sys.version_info[:2]
    folder = XDG_CACHE / "envdoctor" / "pip-wheels" / ("py" + minor)
    if not list(folder.glob("pip-*.whl")):
        run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
             "--python-version", minor, "-d", str(folder), "pip>=22.2"], check=False)


# fix --apply's transactions (a MindSpore backup is GBs) go here, never into the home folder
# of whoever runs the tests; a test that looks at them passes its own ENVDOCTOR_STATE_DIR.
TEST_STATE = Path(tempfile.mkdtemp(prefix="envdoctor-test-state-"))


@pytest.fixture(scope="session", autouse=True)
def _test_state_is_removed():
    yield
    shutil.rmtree(str(TEST_STATE), ignore_errors=True)


def envdoctor(*args: str, env: Optional[Dict[str, str]] = None, input_text: Optional[str] = None,
              python: Optional[str] = None) -> subprocess.CompletedProcess:
    """Run the envdoctor CLI as a user would, in a child process."""
    full_env = dict(os.environ)
    full_env.pop("FORCE_COLOR", None)
    full_env.setdefault("XDG_CACHE_HOME", str(XDG_CACHE))
    full_env["ENVDOCTOR_STATE_DIR"] = str(TEST_STATE)
    full_env.update(env or {})
    return run([python or sys.executable, "-m", "envdoctor"] + list(args), check=False,
               env=full_env, input=input_text, cwd=str(ROOT))


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def build_wheel(folder: Path, name: str, version: str, requires: Iterable[str] = (),
                requires_python: Optional[str] = None, extras: Iterable[str] = (),
                files: Optional[Dict[str, str]] = None, tag: str = "py3-none-any") -> Path:
    """A real, installable wheel: METADATA, WHEEL, RECORD and one module."""
    folder.mkdir(parents=True, exist_ok=True)
    dist = name.replace("-", "_")
    info = "%s-%s.dist-info" % (dist, version)
    meta = ["Metadata-Version: 2.1", "Name: %s" % name, "Version: %s" % version]
    if requires_python:
        meta.append("Requires-Python: %s" % requires_python)
    meta += ["Provides-Extra: %s" % e for e in extras]
    meta += ["Requires-Dist: %s" % r for r in requires]
    contents = {
        "%s/__init__.py" % dist.lower(): "VERSION = %r\n" % version,
        "%s/METADATA" % info: "\n".join(meta) + "\n\n",
        "%s/WHEEL" % info: "Wheel-Version: 1.0\nGenerator: envdoctor-tests\nRoot-Is-Purelib: "
                           "true\nTag: %s\n" % tag,
    }
    contents.update(files or {})
    record = [_record_line(p, c.encode()) for p, c in contents.items()]
    record.append("%s/RECORD,," % info)
    contents["%s/RECORD" % info] = "\n".join(record) + "\n"
    path = folder / ("%s-%s-%s.whl" % (dist, version, tag))
    with zipfile.ZipFile(str(path), "w") as zf:
        for p, c in contents.items():
            zf.writestr(p, c)
    return path


class Venv:
    def __init__(self, path: Path, python: str = sys.executable) -> None:
        self.path = path
        if not (path / "bin" / "python").exists():
            run([python, "-m", "venv", str(path)])
        self.python = str(path / "bin" / "python")

    def pip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
        return run([self.python, "-m", "pip"] + list(args), check=check, env=env)

    def install_wheels(self, *wheels: Path) -> None:
        self.pip("install", "-q", "--no-index", "--no-deps", *[str(w) for w in wheels])

    def pip_check(self) -> List[str]:
        proc = self.pip("check", check=False)
        lines = [l for l in proc.stdout.splitlines() if l.strip()]
        return [] if lines == ["No broken requirements found."] else lines

    def freeze(self) -> str:
        return self.pip("freeze", "--all").stdout


@pytest.fixture(scope="session")
def venv_factory(tmp_path_factory):
    base = tmp_path_factory.mktemp("venvs")

    def make(name: str, python: str = sys.executable) -> Venv:
        return Venv(base / name, python)

    return make


@pytest.fixture
def wheelhouse(tmp_path) -> Path:
    return tmp_path / "wheels"


def pyenv_python(version: str) -> Optional[str]:
    """A pyenv CPython, e.g. '3.7' -> /root/.pyenv/versions/3.7.16/bin/python, if present."""
    root = Path(os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))) / "versions"
    if root.is_dir():
        for entry in sorted(root.iterdir(), reverse=True):
            if entry.name.startswith(version + ".") and (entry / "bin" / "python").exists():
                return str(entry / "bin" / "python")
    found = shutil.which("python" + version)
    return found


def check_json(*args: str, **kwargs) -> dict:
    proc = envdoctor("check", "--json", *args, **kwargs)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def make_snapshot(python="3.11.7", system="Linux", machine="x86_64", **dists):
    data = {"schema": 1, "interpreter": {"version": python, "executable": "/x/python"},
            "platform": {"system": system, "machine": machine},
            "marker_environment": {}, "distributions": []}
    for name, version in dists.items():
        entry = {"name": name, "version": version}
        if isinstance(version, tuple):
            entry = {"name": name, "version": version[0], "direct_url": version[1]}
        data["distributions"].append(entry)
    from envdoctor.snapshot import Snapshot

    return Snapshot.from_dict(data)


# --- the real MindSpore stack (built once per machine under ENVDOCTOR_TEST_CACHE, shared) ---

LAB_PYTHON_VERSION = "3.11"


# Big framework wheels (mindspore-dev is ~950 MB each) are fetched once per machine into this
# folder and installed from it with --find-links (the verify sweep shares it).
WHEELS = Path(os.environ.get("ENVDOCTOR_WHEELS",
                             str(Path.home() / ".cache" / "envdoctor" / "wheels")))


def fetch_wheel(requirement: str, python_version: str) -> Path:
    """The folder holding the wheel of an exact ``name==version`` for CPython
    ``python_version`` on this platform, downloaded there once (not again while it is there)."""
    name, version = requirement.split("==")
    tag = "cp" + python_version.replace(".", "")
    pattern = "%s-%s-%s-*.whl" % (name.replace("-", "_"), version, tag)
    WHEELS.mkdir(parents=True, exist_ok=True)
    if not list(WHEELS.glob(pattern)):
        run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
             "--python-version", python_version, "-d", str(WHEELS), requirement])
    return WHEELS


def stack_venv(name: str, steps: Sequence[Sequence[str]],
               python_version: Optional[str] = None) -> str:
    """A venv at CACHE/name built by the pip ``steps``; reused while the steps are the same.

    The steps are recorded in the venv, so a changed recipe rebuilds it; pip's own cache keeps
    the 800 MB mindspore wheel between builds."""
    folder = CACHE / name
    ready = folder / ".envdoctor-steps.json"
    wanted = json.dumps([list(s) for s in steps])
    if ready.exists() and ready.read_text() == wanted and (folder / "bin" / "python").exists():
        return str(folder / "bin" / "python")
    version = python_version or LAB_PYTHON_VERSION
    base = pyenv_python(version)
    if base is None:
        pytest.skip("no Python %s for the MindSpore stack" % version)
    if folder.exists():
        shutil.rmtree(str(folder))
    CACHE.mkdir(parents=True, exist_ok=True)
    venv = Venv(folder, base)
    for step in steps:
        venv.pip(*step)
    ready.write_text(wanted)
    return venv.python


def lab_install_steps() -> List[List[str]]:
    """The gpt-imdb recipe, installed as `envdoctor fix` would: constrained by its lock."""
    lock = ROOT / "recipes" / "locks" / "gpt-imdb-py3.11-linux-x86_64.txt"
    from envdoctor.recipes import find_recipe

    recipe = find_recipe("gpt-imdb")
    reqs = [p.requirement() for p in recipe.packages]
    # a CPU torch first, or mindnlp's dependencies pull GBs of CUDA wheels
    return [["install", "-q", "torch==2.13.0"],
            ["install", "-q", "-c", str(lock)] + reqs]


@pytest.fixture(scope="session")
def mindspore_python() -> str:
    """A working gpt-imdb environment (mindspore 2.7.0 + mindnlp 0.5.1, the verified lock).
    ENVDOCTOR_MS_PYTHON points at an existing one instead."""
    given = os.environ.get("ENVDOCTOR_MS_PYTHON")
    if given:
        if not os.path.exists(given):
            pytest.fail("ENVDOCTOR_MS_PYTHON=%s does not exist" % given)
        return given
    return stack_venv("ms27-py311", lab_install_steps())


BROKEN_STACK_STEPS = [
    ["install", "-q", "torch==2.13.0"],
    # What `pip install mindspore mindnlp` gave on Python 3.11 on 2026-11-28, pinned so the
    # test stays the same as PyPI moves on: pip check is clean, `import mindnlp` fails.
    ["install", "-q", "mindspore==2.7.0", "mindnlp==0.5.1", "transformers==5.24.0",
     "peft==0.21.2", "diffusers==0.42.1", "pyarrow==26.0.1"],
]


@pytest.fixture(scope="session")
def broken_stack_python() -> str:
    return stack_venv("ms27-broken-py311", BROKEN_STACK_STEPS)
