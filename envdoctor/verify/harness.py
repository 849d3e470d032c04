"""Run combinations: a fresh venv each, install, ``check --deep``, ``smoke``, evidence.

Every install, import and training run happens in a child process with a timeout
(:func:`envdoctor.subproc.run_child`); whatever a child does (fail, crash, hang) becomes the
combination's verdict, never an exception of the harness. A problem of the harness itself
(no disk, no network, envdoctor exiting 2) gives the verdict ``error``, and the evidence of an
earlier run is left as it was.
"""

import datetime
import json
import os
import re
import shlex
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from envdoctor import __version__
from envdoctor.snapshot import Snapshot, requirement_name, wheel_name
from envdoctor.subproc import ChildResult, run_child
from envdoctor.verify.combos import Combo
from envdoctor.verify.evidence import (Outcome, check_failures, check_signature,
                                       clear_evidence, parse_freeze,
                                       pip_signature, read_outcome, smoke_signature,
                                       trim_check, write_meta)

__all__ = ["Settings", "self_command", "find_python", "find_uv", "preflight", "space_needed",
           "run_combo", "run_all", "describe_plan", "harvest_candidates", "big_pins",
           "recipe_argument"]

MIN_FREE_BYTES = 6 * 1024 ** 3  # a MindSpore venv takes about 2.5 GB, its downloads more
# a combination that can only take named small wheels from a local folder
SMALL_FREE_BYTES = 512 * 1024 ** 2
_SMALL_OPTIONS = {"--no-index", "--no-deps", "--only-binary=:all:", "--no-cache-dir"}
_WHEEL_LINE = re.compile(r"(?:Downloading|Using cached)\s+(?:\S*/)?([^\s/]+\.whl)\s+\(([\d.]+)\s*"
                         r"(kB|MB|GB)\)")
_BIG = re.compile(r"^(mindspore([-_.].*)?|torch|torchvision|torchaudio|triton|nvidia[-_.].*)$",
                  re.IGNORECASE)
# what pip itself downloaded is copied to the wheel folder (a second download, since pip
# keeps no copy) only for MindSpore, which every later venv of that Python needs; pin torch
# in a step instead and it is fetched there once
_KEEP = re.compile(r"^mindspore([-_.].*)?$", re.IGNORECASE)
_NETWORK = re.compile(r"(ConnectionError|NewConnectionError|Read timed out|Temporary failure "
                      r"in name resolution|Could not resolve host|Failed to fetch|"
                      r"Network is unreachable|ProxyError|SSLError)", re.IGNORECASE)

Log = Callable[[str], None]




@dataclass(frozen=True)
class Settings:
    workdir: str
    evidence: str  # verification/: one folder per combination
    root: str  # ${ROOT}
    wheels: Optional[str] = None  # --find-links folder; big downloads are kept here
    pip_cache: Optional[str] = None  # PIP_CACHE_DIR shared by every venv
    variables: Mapping[str, str] = field(default_factory=dict)
    keep: bool = False
    install_timeout: float = 3600.0
    deep_timeout: float = 300.0
    smoke_timeout: float = 900.0
    uv: Optional[str] = None
    envdoctor: Tuple[str, ...] = field(default_factory=lambda: self_command())
    harvest_mb: float = 100.0
    date: Optional[str] = None
    pythons: Optional[str] = None  # PYENV_ROOT/versions to look in
    pip_config: Optional[str] = None  # PIP_CONFIG_FILE for every pip run (/dev/null: none)
    labs: Optional[str] = None  # folder of lab recipes (NAME.yaml) that take precedence

    @property
    def venvs(self) -> str:
        return os.path.join(self.workdir, "venvs")


# Run envdoctor from the folder given as the first argument, whatever else sys.path holds.
_RUN_FROM = ("import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); "
             "runpy.run_module('envdoctor', run_name='__main__', alter_sys=True)")


def self_command() -> Tuple[str, ...]:
    """argv that runs this very envdoctor package: the harness judges with its own code, not
    an installed copy (from a git worktree, ``python -m envdoctor`` in a child started in
    another folder would import the editable install of the main checkout)."""
    import envdoctor

    parent = os.path.dirname(os.path.dirname(os.path.abspath(envdoctor.__file__)))
    return (sys.executable, "-c", _RUN_FROM, parent)


def find_python(minor: str, versions_dir: Optional[str] = None) -> Optional[str]:
    """The newest pyenv CPython X.Y.Z for ``minor`` ("3.11"), else ``pythonX.Y`` on PATH."""
    root = versions_dir or os.path.join(
        os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv"), "versions")
    found = []
    try:
        names = os.listdir(root)
    except OSError:
        names = []
    for name in names:
        parts = name.split(".")
        if len(parts) == 3 and ".".join(parts[:2]) == minor and parts[2].isdigit():
            python = os.path.join(root, name, "bin", "python")
            if os.path.exists(python):
                found.append((int(parts[2]), python))
    if found:
        return max(found)[1]
    return shutil.which("python" + minor)


def find_uv() -> Optional[str]:
    """uv on PATH or beside this interpreter (``pip install uv`` into envdoctor's venv)."""
    here = os.path.join(os.path.dirname(sys.executable), "uv")
    if os.path.exists(here):
        return here
    return shutil.which("uv")


def preflight(combo: Combo, settings: Settings) -> Tuple[Optional[str], Optional[str]]:
    """(base interpreter, None) when the combination can run here, else (None, why not)."""
    if combo.skip:
        return None, "skipped by combos file: %s" % combo.skip
    python = find_python(combo.python, settings.pythons)
    if python is None:
        return None, "no Python %s here (pyenv install %s)" % (combo.python, combo.python)
    _, missing = combo.expand(_variables(settings))
    if missing:
        return None, "needs %s: pass %s" % (", ".join("${%s}" % m for m in missing),
                                            " ".join("--var %s=..." % m for m in missing))
    if combo.uses_uv and not settings.uv:
        return None, ("uv is not installed, and %s resolves with `uv pip compile`: "
                      "install it beside envdoctor (%s -m pip install uv)"
                      % ("a time-consistent combo" if combo.mode == "time-consistent"
                         else "a combo with 'without'", sys.executable))
    return python, None


def _variables(settings: Settings) -> Dict[str, str]:
    values = dict(os.environ)
    values.update(settings.variables)
    values["ROOT"] = settings.root
    return values


def recipe_argument(recipe: Optional[str], settings: Settings) -> str:
    """What ``--recipe`` gets: the labs folder's ``NAME.yaml`` when there is one (the exact
    imports a lab generation verified with), else the bundled recipe's name."""
    if not recipe:
        return "none"
    if settings.labs:
        path = os.path.join(settings.labs, recipe + ".yaml")
        if os.path.isfile(path):
            return path
    return recipe


def describe_plan(combo: Combo, settings: Settings) -> List[str]:
    """What ``--dry-run`` prints for one combination."""
    python, why = preflight(combo, settings)
    steps, _ = combo.expand(_variables(settings))
    head = "%s: Python %s (%s), mode %s, recipe %s, checks %s" % (
        combo.id, combo.python, python or "not run: " + (why or "?"), combo.mode,
        combo.recipe or "none", "+".join(combo.checks))
    lines = [head]
    for i, step in enumerate(steps, 1):
        how = "pip install"
        if combo.uses_uv and not combo.held_step(step):
            how = "uv pip compile%s%s -> pip install --no-deps" % (
                " --exclude-newer %s" % combo.exclude_newer if combo.exclude_newer else "",
                " (without %s)" % ", ".join(combo.without) if combo.without else "")
        lines.append("  step %d: %s %s" % (i, how, " ".join(shlex.quote(a) for a in step)))
    lines.append("  evidence: %s" % os.path.join(settings.evidence, combo.id))
    return lines


# --- running --------------------------------------------------------------------------------

class _Run:
    """One combination's run: its folders, environment and log."""

    def __init__(self, combo: Combo, settings: Settings, log: Log) -> None:
        self.combo = combo
        self.settings = settings
        self.say = lambda text: log("[%s] %s" % (combo.id, text))
        self.venv = os.path.join(settings.venvs, combo.id)
        self.python = os.path.join(self.venv, "bin", "python")
        self.rundir = os.path.join(settings.workdir, "runs", combo.id)
        self.logfile = os.path.join(settings.workdir, "logs", combo.id + ".log")
        self.final = os.path.join(settings.evidence, combo.id)
        self.evidence = os.path.join(self.rundir, "evidence")  # staged until there is a verdict
        self.commands = []  # type: List[str]
        self.seconds = {}  # type: Dict[str, float]
        self.env = self._env()

    def _env(self) -> Dict[str, str]:
        env = dict(os.environ)
        for key in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "CONDA_PREFIX"):
            env.pop(key, None)
        env["PATH"] = os.path.join(self.venv, "bin") + os.pathsep + env.get("PATH", "")
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        env["PIP_NO_INPUT"] = "1"
        env["PIP_PROGRESS_BAR"] = "off"
        env["PYTHONNOUSERSITE"] = "1"
        if self.settings.pip_config:
            env["PIP_CONFIG_FILE"] = self.settings.pip_config
        if self.settings.pip_cache:
            env["PIP_CACHE_DIR"] = self.settings.pip_cache
            env["UV_CACHE_DIR"] = os.path.join(self.settings.pip_cache, "uv")
        if self.settings.wheels:
            # PIP_FIND_LINKS would replace the configured find-links: keep them, ours first
            links = [self.settings.wheels] + env.get("PIP_FIND_LINKS", "").split()
            env["PIP_FIND_LINKS"] = " ".join(dict.fromkeys(links))
        return env

    def run(self, argv: Sequence[str], timeout: float, what: str) -> ChildResult:
        text = " ".join(shlex.quote(str(a)) for a in argv)
        self.say(what)
        started = time.time()
        result = run_child(argv, timeout=timeout, env=self.env, cwd=self.rundir)
        with open(self.logfile, "a", encoding="utf-8") as handle:
            handle.write("\n$ %s\n%s\n%s\n-> %s in %.0f s\n" % (
                text, result.stdout, result.stderr,
                "timed out" if result.timed_out else result.error or result.returncode,
                time.time() - started))
        return result


def harvest_candidates(pip_output: str, min_mb: float) -> List[Tuple[str, str, str]]:
    """(wheel file, name, version) of the big wheels pip downloaded (or took from its cache):
    worth keeping in the wheel folder so no later venv fetches them again."""
    out = []
    for match in _WHEEL_LINE.finditer(pip_output):
        filename, size, unit = match.group(1), float(match.group(2)), match.group(3)
        megabytes = size / 1024 if unit == "kB" else size * (1024 if unit == "GB" else 1)
        if megabytes < min_mb:
            continue
        parts = filename[:-4].split("-")
        if len(parts) >= 5 and _KEEP.match(parts[0]):
            out.append((filename, parts[0], parts[1]))
    return out


def _harvest(run: _Run, output: str) -> None:
    wheels = run.settings.wheels
    if not wheels or not os.access(wheels, os.W_OK):
        return
    for filename, name, version in harvest_candidates(output, run.settings.harvest_mb):
        if os.path.exists(os.path.join(wheels, filename)):
            continue
        result = run.run([run.python, "-m", "pip", "download", "--no-deps", "--only-binary",
                          ":all:", "-d", wheels, "%s==%s" % (name, version)],
                         run.settings.install_timeout, "keeping %s in %s" % (filename, wheels))
        if not result.ok:
            run.say("could not keep %s (pip download failed)" % filename)


def space_needed(combo: Combo, steps: Sequence[Sequence[str]]) -> int:
    """Free bytes to ask for before building ``combo``: a little when every step takes only
    named small wheels from local folders (``--no-index``), else room for a MindSpore venv."""
    if combo.uses_uv or combo.smoke or not steps:
        return MIN_FREE_BYTES
    for step in steps:
        if "--no-index" not in step:
            return MIN_FREE_BYTES  # an index may pull MindSpore or a CUDA torch in
        args = iter(step)
        for arg in args:
            if arg in ("-f", "--find-links"):
                next(args, None)
            elif arg.startswith("-"):
                if arg not in _SMALL_OPTIONS and not arg.startswith("--find-links="):
                    return MIN_FREE_BYTES  # -r, -e, ...: what they bring is unknown here
            else:
                name = requirement_name(arg)
                if name is None or _BIG.match(name) or "/" in arg or "\\" in arg:
                    return MIN_FREE_BYTES  # a big one, or a path or URL of unknown size
    return SMALL_FREE_BYTES


def big_pins(requirements: Sequence[str]) -> List[str]:
    """``name==version`` pins of the distributions whose wheels are hundreds of MB."""
    from packaging.requirements import InvalidRequirement, Requirement

    out = []
    for arg in requirements:
        try:
            req = Requirement(arg)
        except InvalidRequirement:
            continue
        specs = list(req.specifier)
        if req.url or len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
            continue
        if _BIG.match(req.name):
            out.append("%s==%s" % (req.name, specs[0].version))
    return out


def _wheel_fits(filename: str, cpython: str) -> bool:
    """Whether a wheel's Python tag takes this CPython (``cp310``): cp310 or py3."""
    parts = filename[:-4].split("-")
    tags = parts[-3].split(".") if len(parts) >= 5 else []
    return any(t == cpython or t in ("py3", "py2.py3") for t in tags)


def _prefetch(run: _Run, requirements: Sequence[str]) -> None:
    """Download exactly pinned big wheels into the wheel folder before pip installs them, so
    the install takes them from there and the next venv too: one download each. (pip keeps
    no copy of what it downloads; its HTTP cache only holds what the server lets it.)"""
    wheels = run.settings.wheels
    if not wheels or not os.access(wheels, os.W_OK):
        return
    folders = [wheels] + [d for d in run.env.get("PIP_FIND_LINKS", "").split() if os.path.isdir(d)]
    present = [f.lower() for d in dict.fromkeys(folders) for f in os.listdir(d)
               if f.endswith(".whl")]
    tag = "cp" + run.combo.python.replace(".", "")
    for pin in big_pins(requirements):
        name, _, version = pin.partition("==")
        prefix = "%s-%s" % (wheel_name(name), version.lower())
        if any((f.startswith(prefix + "-") or f.startswith(prefix + "+")) and
               _wheel_fits(f, tag) for f in present):
            continue  # already on this machine (2.13.0 also takes 2.13.0+cpu, as pip does)
        result = run.run([run.python, "-m", "pip", "download", "--no-deps", "--only-binary",
                          ":all:", "-d", wheels, pin], run.settings.install_timeout,
                         "fetching %s into %s" % (pin, wheels))
        if not result.ok:
            run.say("could not fetch %s ahead; pip install will download it" % pin)


def _install_failure(run: _Run, step_text: str, result: ChildResult) -> Dict[str, Any]:
    output = (result.stdout or "") + "\n" + (result.stderr or "")
    os.makedirs(run.evidence, exist_ok=True)
    with open(os.path.join(run.evidence, "install.txt"), "w", encoding="utf-8") as handle:
        handle.write("$ %s\n" % step_text)
        handle.write("\n".join(l for l in output.splitlines()[-80:]
                               if not l.startswith("WARNING: Location ")) + "\n")
        handle.write("-> %s\n" % ("timed out" if result.timed_out else result.returncode))
    if result.timed_out:
        return {"verdict": "broken", "stage": "install",
                "error": "pip install did not finish within %.0f s" % run.settings.install_timeout}
    if result.error:
        return {"verdict": "error", "stage": "install", "error": result.error}
    signature = pip_signature(output)
    if _NETWORK.search(output) and "No solution found" not in output:
        return {"verdict": "error", "stage": "install",
                "error": "network problem: %s" % signature}
    return {"verdict": "broken", "stage": "install", "error": "pip install: %s" % signature}


def _uv_resolve(run: _Run, steps: Sequence[Sequence[str]]) -> Tuple[Optional[str], Optional[Dict[str, Any]]]:
    """``uv pip compile`` of the non-held steps: (resolved.txt, None) or (None, failure)."""
    combo = run.combo
    requirements, extra = [], []  # type: List[str], List[str]
    for step in steps:
        if combo.held_step(step):
            continue
        args = iter(step)
        for arg in args:
            if arg in ("-c", "--constraint"):
                extra += ["--constraint", next(args)]
            elif arg in ("-r", "--requirement"):
                extra += ["--requirement", next(args)]
            else:
                requirements.append(arg)
    req_in = os.path.join(run.rundir, "requirements.in")
    with open(req_in, "w", encoding="utf-8") as handle:
        handle.write("\n".join(requirements) + "\n")
    argv = [run.settings.uv, "pip", "compile", req_in, "--python", run.python,
            "-o", os.path.join(run.rundir, "resolved.txt"), "--no-header",
            "--annotation-style", "line"] + extra
    if combo.exclude_newer:
        argv += ["--exclude-newer", combo.exclude_newer]
    if combo.without:
        overrides = os.path.join(run.rundir, "overrides.txt")
        with open(overrides, "w", encoding="utf-8") as handle:
            # a marker that is never true takes the package out of the resolution
            handle.write("".join("%s; sys_platform == 'never'\n" % w for w in combo.without))
        argv += ["--override", overrides]
    run.commands.append(" ".join(shlex.quote(a) for a in argv))
    result = run.run(argv, run.settings.install_timeout, "resolving with uv%s" % (
        " as of %s" % combo.exclude_newer if combo.exclude_newer else ""))
    if not result.ok:
        return None, _install_failure(run, run.commands[-1], result)
    return os.path.join(run.rundir, "resolved.txt"), None


def _install(run: _Run, steps: Sequence[Sequence[str]]) -> Optional[Dict[str, Any]]:
    """Run the steps; a failure as {verdict, stage, error}, else None."""
    combo = run.combo
    pip = [run.python, "-m", "pip", "install"]
    plan = []  # type: List[List[str]]
    if combo.uses_uv:
        plan = [pip + list(s) for s in steps if combo.held_step(s)]
    else:
        plan = [pip + list(s) for s in steps]
    for i, argv in enumerate(plan, 1):
        text = " ".join(shlex.quote(a) for a in ["pip", "install"] + argv[4:])
        run.commands.append(text)
        _prefetch(run, argv[4:])
        result = run.run(argv, run.settings.install_timeout,
                         "step %d/%d: %s" % (i, len(plan), text))
        if not result.ok:
            return _install_failure(run, text, result)
        _harvest(run, result.stdout + result.stderr)
    if combo.uses_uv:
        resolved, failure = _uv_resolve(run, steps)
        if failure:
            return failure
        os.makedirs(run.evidence, exist_ok=True)
        shutil.copyfile(resolved, os.path.join(run.evidence, "resolved.txt"))
        with open(resolved, encoding="utf-8") as handle:
            _prefetch(run, [l.split("#", 1)[0].strip() for l in handle])
        argv = pip + ["--no-deps", "-r", resolved]
        text = "pip install --no-deps -r resolved.txt"
        run.commands.append(text)
        result = run.run(argv, run.settings.install_timeout, text)
        if not result.ok:
            return _install_failure(run, text, result)
        _harvest(run, result.stdout + result.stderr)
    return None


def _json_child(result: ChildResult) -> Optional[Dict[str, Any]]:
    if result.error or result.timed_out or result.returncode not in (0, 1):
        return None
    try:
        data = json.loads(result.stdout)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _child_failure(name: str, result: ChildResult, timeout: float) -> Dict[str, Any]:
    if result.timed_out:  # the target hung past every inner timeout: a verdict
        return {"verdict": "broken", "error": "%s did not finish within %.0f s" % (name, timeout)}
    tail = [l for l in (result.stderr or "").splitlines() if l.strip()][-1:] or \
        [result.error or "exit status %s" % result.returncode]
    return {"verdict": "error", "error": "%s could not run: %s" % (name, tail[0][:300])}


def _versions(combo: Combo, snapshot: Optional[Snapshot], freeze: str
              ) -> Tuple[Dict[str, str], Dict[str, Dict[str, Any]]]:
    """Exact versions of the key packages, and where the non-index ones came from."""
    versions, origins = {}, {}  # type: Dict[str, str], Dict[str, Dict[str, Any]]
    frozen = dict(parse_freeze(freeze))
    for name in combo.key:
        dist = snapshot.get(name) if snapshot is not None else None
        if dist is not None:
            versions[name] = dist.version
            if dist.origin != "index":
                direct = dist.direct_url or {}
                vcs = direct.get("vcs_info") or {}
                origins[name] = {"origin": dist.origin, "url": direct.get("url"),
                                 "requested_revision": vcs.get("requested_revision"),
                                 "commit_id": vcs.get("commit_id")}
        elif name in frozen:
            versions[name] = frozen[name]
    return versions, origins


def run_combo(combo: Combo, settings: Settings, log: Log = lambda text: None) -> Outcome:
    """Build, check and record one combination; never raises for what the target does."""
    base, why = preflight(combo, settings)
    if base is None:
        log("[%s] skipped: %s" % (combo.id, why))
        return Outcome(combo.id, "skipped", error=why)
    try:
        return _run_combo(combo, settings, base, log)
    except Exception as exc:  # a harness bug or a full disk: say so, keep earlier evidence
        log("[%s] harness error: %s: %s" % (combo.id, type(exc).__name__, exc))
        return Outcome(combo.id, "error", error="harness: %s: %s" % (type(exc).__name__, exc))
    finally:
        if not settings.keep:
            shutil.rmtree(os.path.join(settings.venvs, combo.id), ignore_errors=True)
        shutil.rmtree(os.path.join(settings.workdir, "runs", combo.id), ignore_errors=True)


def _run_combo(combo: Combo, settings: Settings, base: str, log: Log) -> Outcome:
    run = _Run(combo, settings, log)
    for folder in (settings.venvs, run.rundir, os.path.dirname(run.logfile)):
        os.makedirs(folder, exist_ok=True)
    with open(run.logfile, "w", encoding="utf-8") as handle:  # this run's log only
        handle.write("envdoctor %s: matrix verify, combo %s\n" % (__version__, combo.id))
    steps, _ = combo.expand(_variables(settings))
    free, needed = shutil.disk_usage(settings.workdir).free, space_needed(combo, steps)
    if free < needed:
        return Outcome(combo.id, "error", error="only %.1f GB free in %s; this combination "
                       "needs %.1f GB" % (free / 1024 ** 3, settings.workdir, needed / 1024 ** 3))
    started = time.time()
    date = settings.date or datetime.datetime.utcnow().strftime("%Y-%m-%d")
    if os.path.exists(run.venv):
        shutil.rmtree(run.venv)
    made = run.run([base, "-m", "venv", run.venv], 600, "creating a venv from %s" % base)
    if not made.ok:
        return Outcome(combo.id, "error", error="venv: %s" % (
            made.error or (made.stderr or "").strip()[-300:] or made.returncode))
    outcome = {"verdict": "works", "stage": None, "error": None}  # type: Dict[str, Any]
    os.makedirs(run.evidence, exist_ok=True)
    failure = _install(run, steps)
    run.seconds["install"] = round(time.time() - started, 1)
    if failure and failure["verdict"] == "error":
        log("[%s] harness error: %s" % (combo.id, failure["error"]))
        return Outcome(combo.id, "error", error=failure["error"])
    if failure:
        outcome = failure
    freeze = run.run([run.python, "-m", "pip", "freeze", "--all"], 300, "pip freeze").stdout
    with open(os.path.join(run.evidence, "freeze.txt"), "w", encoding="utf-8") as handle:
        handle.write(freeze)
    checked = run.run([run.python, "-m", "pip", "check"], 300, "pip check")
    pip_check = [l for l in checked.stdout.splitlines()
                 if l.strip() and l.strip() != "No broken requirements found."]
    pip_version = run.run([run.python, "-m", "pip", "--version"], 120, "pip --version").stdout
    snapshot = None
    checks = []  # type: List[str]
    failures = []  # type: List[str]
    if not failure:
        checks.append("imports")
        t0 = time.time()
        budget = settings.deep_timeout * 6 + 180
        result = run.run(list(settings.envdoctor) + [
            "check", "--deep", "--json", "--python", run.python,
            "--recipe", recipe_argument(combo.recipe, settings), "--deep-timeout", str(settings.deep_timeout)],
            budget, "envdoctor check --deep (recipe %s)" % (combo.recipe or "none"))
        run.seconds["check"] = round(time.time() - t0, 1)
        report = _json_child(result)
        if report is None:
            outcome = dict(_child_failure("envdoctor check --deep", result, budget),
                           stage="imports")
        else:
            if isinstance(report.get("snapshot"), dict):
                try:
                    snapshot = Snapshot.from_dict(report["snapshot"])
                except Exception:
                    snapshot = None
            with open(os.path.join(run.evidence, "check.json"), "w", encoding="utf-8") as handle:
                json.dump(trim_check(report), handle, indent=2)
                handle.write("\n")
            signature = check_signature(report)
            failures = check_failures(report)
            if signature:
                outcome = {"verdict": "broken", "stage": "imports", "error": signature}
        if outcome["verdict"] == "works" and combo.smoke:
            checks.append("smoke")
            t0 = time.time()
            budget = settings.smoke_timeout + 120
            result = run.run(list(settings.envdoctor) + [
                "smoke", "--json", "--python", run.python, "--level", combo.smoke,
                "--timeout", str(settings.smoke_timeout)], budget,
                "envdoctor smoke --level %s" % combo.smoke)
            run.seconds["smoke"] = round(time.time() - t0, 1)
            smoke = _json_child(result)
            if smoke is None:
                outcome = dict(_child_failure("envdoctor smoke", result, budget), stage="smoke")
            else:
                with open(os.path.join(run.evidence, "smoke.json"), "w",
                          encoding="utf-8") as handle:
                    json.dump(smoke, handle, indent=2)
                    handle.write("\n")
                signature = smoke_signature(smoke)
                if signature:
                    outcome = {"verdict": "broken", "stage": "smoke", "error": signature}
    if outcome["verdict"] == "error":  # keep the evidence of an earlier run
        log("[%s] harness error: %s" % (combo.id, outcome["error"]))
        return Outcome(combo.id, "error", error=outcome["error"], stage=outcome.get("stage"))
    versions, origins = _versions(combo, snapshot, freeze)
    python_version = (snapshot.python_version if snapshot is not None else None) or \
        run.run([run.python, "-c", "import platform; print(platform.python_version())"],
                60, "python version").stdout.strip()
    meta = {
        "kind": "envdoctor-verification",
        "id": combo.id,
        "date": date,
        "platform": _platform(snapshot),
        "python": python_version,
        "mode": combo.mode,
        "exclude_newer": combo.exclude_newer,
        "without": list(combo.without),
        "steps": [list(s) for s in combo.steps],
        "commands": run.commands,
        "recipe": combo.recipe,
        "checks": checks,
        "verdict": outcome["verdict"],
        "stage": outcome.get("stage"),
        "error": outcome.get("error"),
        "failures": failures,
        "versions": versions,
        "origins": origins,
        "pip": pip_version.split(" from ")[0].replace("pip ", "").strip() or None,
        "pip_config": settings.pip_config,
        "pip_check": pip_check,
        "install_as": dict(combo.install_as),
        "note": combo.note,
        "seconds": dict(run.seconds, total=round(time.time() - started, 1)),
        "envdoctor": __version__,
    }
    write_meta(run.evidence, meta)
    # the new evidence replaces the earlier run's files (and only those)
    os.makedirs(run.final, exist_ok=True)
    clear_evidence(run.final)
    for name in sorted(os.listdir(run.evidence)):
        shutil.copyfile(os.path.join(run.evidence, name), os.path.join(run.final, name))
    done = read_outcome(run.final, settings.root) or Outcome(combo.id, outcome["verdict"])
    log("[%s] %s%s" % (combo.id, done.verdict, ": %s" % done.error if done.error else ""))
    return done


def _platform(snapshot: Optional[Snapshot]) -> str:
    if snapshot is not None:
        from envdoctor.matrix import platform_tag

        return platform_tag(snapshot)
    import platform

    return "%s-%s" % (platform.system().lower(), platform.machine().lower())


def run_all(combos: Sequence[Combo], settings: Settings, workers: int = 1,
            log: Log = lambda text: None) -> List[Outcome]:
    """Run the combinations, ``workers`` at a time; outcomes in the order given."""
    lock = threading.Lock()

    def locked_log(text: str) -> None:
        with lock:
            log(text)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda c: run_combo(c, settings, locked_log), combos))
