"""pip, run by the target interpreter: dry-run reports, installs, uninstalls, freezes.

envdoctor never installs anything with its own pip; it always runs ``TARGET -m pip`` so the
user's pip configuration (mirrors, constraints, --user) and the target's own Python apply.
"""

import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from envdoctor.errors import EnvdoctorError
from envdoctor.snapshot import canonical_name, requirement_name
from envdoctor.subproc import ChildResult, describe_exit, run_child

__all__ = ["PipOptions", "PipError", "choose_pip", "dry_run", "install", "uninstall", "freeze"]

INSTALL_TIMEOUT = 3600.0


class PipError(EnvdoctorError):
    def __init__(self, message: str, result: Optional[ChildResult] = None) -> None:
        super().__init__(message)
        self.result = result

    @property
    def output_tail(self) -> str:
        if self.result is None:
            return ""
        text = (self.result.stderr or "") + (self.result.stdout or "")
        lines = [l for l in text.splitlines() if l.strip() and "WARNING: Location" not in l]
        return "\n".join(lines[-15:])


@dataclass(frozen=True)
class PipOptions:
    """Index options passed straight through to pip (the user's pip config applies too)."""

    index_url: Optional[str] = None
    extra_index_urls: Tuple[str, ...] = ()
    find_links: Tuple[str, ...] = ()
    trusted_hosts: Tuple[str, ...] = ()
    no_index: bool = False
    timeout: float = INSTALL_TIMEOUT
    extra_env: Dict[str, str] = field(default_factory=dict)
    # When the target's own pip is too old for --dry-run --report (pip < 22.2, as on Python
    # 3.7 images), the target interpreter runs a newer pip straight from its wheel
    # (`python pip-24.0-py3-none-any.whl/pip ...`): nothing is installed to upgrade pip.
    pip_wheel: Optional[str] = None

    def args(self) -> List[str]:
        out = []  # type: List[str]
        if self.index_url:
            out += ["--index-url", self.index_url]
        for url in self.extra_index_urls:
            out += ["--extra-index-url", url]
        for link in self.find_links:
            out += ["--find-links", link]
        for host in self.trusted_hosts:
            out += ["--trusted-host", host]
        if self.no_index:
            out.append("--no-index")
        return out

    def env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.update({"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"})
        env.update(self.extra_env)
        return env


def _pip(python: str, args: Sequence[str], options: PipOptions,
         timeout: Optional[float] = None) -> ChildResult:
    if options.pip_wheel:
        argv = [python, os.path.join(options.pip_wheel, "pip")] + list(args)
    else:
        argv = [python, "-m", "pip"] + list(args)
    return run_child(argv, timeout=timeout or options.timeout, env=options.env())


MIN_REPORT_PIP = (22, 2)  # pip install --dry-run --report


def _version_tuple(text: Optional[str]) -> Tuple[int, ...]:
    out = []
    for part in str(text or "0").split(".")[:2]:
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits or 0))
    return tuple(out)


def pip_wheel_cache() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "envdoctor", "pip-wheels")


def _pip_wheel_for(python_version: str, options: PipOptions) -> str:
    """A pip wheel (>= 22.2) that runs on ``python_version``, downloaded once and cached."""
    import glob
    import sys

    minor = ".".join(python_version.split(".")[:2])
    folder = os.path.join(pip_wheel_cache(), "py" + minor)
    found = sorted(glob.glob(os.path.join(folder, "pip-*.whl")))
    if not found:
        os.makedirs(folder, exist_ok=True)
        result = run_child([sys.executable, "-m", "pip", "download", "--no-deps",
                            "--only-binary=:all:", "--python-version", minor, "-d", folder,
                            "pip>=22.2"] + options.args(), timeout=300, env=options.env())
        found = sorted(glob.glob(os.path.join(folder, "pip-*.whl")))
        if not found:
            raise _fail("could not fetch a pip wheel for Python %s" % minor, result)
    return found[-1]


def choose_pip(target_pip_version: Optional[str], python_version: str,
               options: PipOptions) -> Tuple[PipOptions, str]:
    """Use the target's pip when it can report a dry run; else a newer pip run from its wheel
    by the target interpreter. Returns the options and a note for the user ('' if none)."""
    if target_pip_version and _version_tuple(target_pip_version) >= MIN_REPORT_PIP:
        return options, ""
    try:
        wheel = _pip_wheel_for(python_version, options)
    except PipError as exc:
        raise PipError("the target's pip (%s) cannot report a dry run (pip 22.2 or newer is "
                       "needed) and %s; upgrade pip in the target first: "
                       "TARGET -m pip install -U 'pip>=22.2'"
                       % (target_pip_version or "missing", exc), exc.result)
    from dataclasses import replace

    note = ("the target's pip %s is too old for --dry-run --report; envdoctor runs %s from its "
            "wheel in the target instead (the target's pip is left as it is)"
            % (target_pip_version or "(none)", os.path.basename(wheel).split("-py3")[0]))
    return replace(options, pip_wheel=wheel), note


def _fail(what: str, result: ChildResult) -> PipError:
    if result.error:
        return PipError("%s: %s" % (what, result.error), result)
    if result.timed_out:
        return PipError("%s: pip did not finish in time" % what, result)
    err = PipError("%s: pip failed (%s)" % (what, describe_exit(result.returncode)), result)
    return err


def _write_lines(folder: str, name: str, lines: Sequence[str]) -> str:
    """A requirements or constraints file: only lines that read back as the same single
    requirement (never an option, a second line or a variable for pip to expand)."""
    from envdoctor.safety import UnsafeRequirement, checked_requirement

    try:
        checked = [checked_requirement(line) for line in lines]
    except UnsafeRequirement as exc:
        raise PipError("%s; nothing was run" % exc)
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(checked) + "\n")
    return path


def _request_args(folder: str, requirements: Sequence[str], constraints: Sequence[str]) -> List[str]:
    args = ["-r", _write_lines(folder, "requirements.txt", requirements)]
    if constraints:
        args += ["-c", _write_lines(folder, "constraints.txt", constraints)]
    return args


def dry_run(python: str, requirements: Sequence[str], constraints: Sequence[str],
            options: PipOptions, alone: bool = False) -> Dict[str, Any]:
    """pip's own resolver on the plan: ``pip install --dry-run --report`` (pip >= 22.2).
    ``alone``: as if nothing were installed and without dependencies (a framework installed
    again after its removal: pip is only asked whether it can fetch it)."""
    with tempfile.TemporaryDirectory(prefix="envdoctor-plan-") as folder:
        report = os.path.join(folder, "report.json")
        args = ["install", "--dry-run", "--quiet", "--report", report,
                "--upgrade-strategy", "only-if-needed"]
        if alone:
            args += ["--no-deps", "--ignore-installed"]
        args += options.args() + _request_args(folder, requirements, constraints)
        result = _pip(python, args, options)
        if not result.ok:
            raise _fail("pip could not resolve the plan", result)
        try:
            with open(report, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError) as exc:
            raise PipError("pip wrote no usable --report (%s); pip 22.2 or newer is needed"
                           % exc, result)


def _joined(first: ChildResult, second: ChildResult) -> ChildResult:
    return ChildResult(second.argv, second.returncode, first.stdout + second.stdout,
                       first.stderr + second.stderr, second.timed_out, second.error)


def install(python: str, requirements: Sequence[str], constraints: Sequence[str],
            options: PipOptions, no_deps: Sequence[str] = (),
            remove: Sequence[str] = ()) -> ChildResult:
    """Install the plan; then uninstall ``remove``; then install ``no_deps`` (exact pins)
    without their dependencies (constraints on the removed names no longer apply)."""
    with tempfile.TemporaryDirectory(prefix="envdoctor-apply-") as folder:
        args = ["install", "--upgrade-strategy", "only-if-needed"]
        args += options.args() + _request_args(folder, requirements, constraints)
        result = _pip(python, args, options)
        if result.ok and remove:
            # names after `--`: even a name pip would read as an option stays a name
            result = _joined(result, _pip(python, ["uninstall", "-y", "--"] + list(remove),
                                          options, timeout=900))
        if result.ok and no_deps:
            gone = {canonical_name(n) for n in remove}
            held = [c for c in constraints if requirement_name(c) not in gone]
            args = ["install", "--no-deps"] + options.args() + _request_args(
                folder, no_deps, held)
            result = _joined(result, _pip(python, args, options))
    if not result.ok:
        raise _fail("pip install failed", result)
    return result


def uninstall(python: str, names: Sequence[str], options: PipOptions) -> ChildResult:
    if not names:
        return ChildResult([], 0, "", "", False)
    result = _pip(python, ["uninstall", "-y", "--"] + list(names), options, timeout=900)
    if not result.ok:
        raise _fail("pip uninstall failed", result)
    return result


def freeze(python: str, options: Optional[PipOptions] = None) -> str:
    options = options or PipOptions()
    result = _pip(python, ["freeze", "--all"], options, timeout=300)
    if not result.ok:
        raise _fail("pip freeze failed", result)
    return result.stdout
