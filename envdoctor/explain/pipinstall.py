"""pip's install errors, read by mechanism (the whole output at once, any line format).

- ``X.whl is not a supported wheel on this platform``: the wheel's tags (Python, ABI,
  platform) against what the text says of the interpreter and the machine;
- ``Ignored the following versions that require a different python version`` with
  ``Could not find a version that satisfies the requirement R (from versions: ...)``: the
  Requires-Python windows say which Python the wanted release needs;
- ``ResolutionImpossible`` / ``The conflict is caused by:`` and the legacy resolver's
  ``Could not find a version that matches A,B (from P)``: which requirements contradict.

Sources: the wheel file name and platform tag specifications
(https://packaging.python.org/en/latest/specifications/binary-distribution-format/,
https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/), PEP 600.
"""

import re
from dataclasses import replace
from typing import Dict, List, Optional, Sequence, Tuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from envdoctor.explain.model import Explanation
from envdoctor.explain.textutil import python_version

__all__ = ["explain_pip_install", "explain_invalid_version", "describe_platform",
           "machine_facts"]

_TAGS_SOURCE = "https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/"
_WHEEL = re.compile(r"(?P<file>[\w.+!-]+\.whl) is not a supported wheel on this platform")
_IGNORED = re.compile(r"Ignored the following versions that require a different python "
                      r"version: (?P<list>.*)$")
_NOT_FOUND = re.compile(r"Could not find a version that satisfies the requirement "
                        r"(?P<req>\S+)(?: \(from (?!versions:)(?P<parent>[^)]+)\))?"
                        r"(?: \(from versions: (?P<versions>[^)]*)\))?")
_LEGACY = re.compile(r"Could not find a version that matches (?P<name>[A-Za-z0-9][\w.-]*)"
                     r"(?P<spec>[<>=!~][^ ]*)(?: \(from (?P<parent>[^)]+)\))?")
_DEPENDS = re.compile(r"^\s*(?P<a>[A-Za-z0-9][\w.-]*) (?P<av>\S+) depends on (?P<req>.+?)\s*$")
_USER = re.compile(r"^\s*The user requested (?P<req>.+?)\s*$")
# Distribution releases -> glibc, for "is not a supported wheel" on a named OS.
_OS_GLIBC = (("CentOS Linux 7", "2.17"), ("centos7", "2.17"), ("CentOS 7", "2.17"),
             ("Debian GNU/Linux 10", "2.28"), ("buster", "2.28"), ("Debian GNU/Linux 11", "2.31"),
             ("bullseye", "2.31"), ("Debian GNU/Linux 12", "2.36"), ("Ubuntu 16.04", "2.23"),
             ("Ubuntu 18.04", "2.27"), ("Ubuntu 20.04", "2.31"), ("ubuntu20.04", "2.31"),
             ("Ubuntu 22.04", "2.35"), ("ubuntu-22.04", "2.35"), ("Ubuntu 24.04", "2.39"))


def describe_platform(tag: str) -> str:
    """A platform tag in words: ``manylinux_2_31_x86_64`` -> Linux x86_64 with glibc >= 2.31."""
    legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
    found = re.match(r"^(manylinux1|manylinux2010|manylinux2014|manylinux_(\d+)_(\d+))_(.+)$", tag)
    if found:
        major, minor = legacy.get(found.group(1)) or (int(found.group(2)), int(found.group(3)))
        return "Linux %s with glibc %d.%d or newer" % (found.group(4), major, minor)
    found = re.match(r"^musllinux_(\d+)_(\d+)_(.+)$", tag)
    if found:
        return "Linux %s with musl %s.%s (Alpine)" % (found.group(3), found.group(1),
                                                       found.group(2))
    found = re.match(r"^macosx_(\d+)_(\d+)_(.+)$", tag)
    if found:
        return "macOS %s.%s or newer on %s" % (found.group(1), found.group(2), found.group(3))
    if tag.startswith("linux_"):
        return "Linux %s" % tag[len("linux_"):]
    return {"win_amd64": "Windows x86_64 (64-bit)", "win32": "Windows 32-bit",
            "win_arm64": "Windows on ARM", "any": "any platform"}.get(tag, tag)


def _describe_python(interpreter: str, abi: str) -> str:
    found = re.match(r"^(cp|py|pp)(\d)(\d*)$", interpreter)
    if not found:
        return interpreter
    impl = {"cp": "CPython", "py": "any Python", "pp": "PyPy"}[found.group(1)]
    ver = found.group(2) + ("." + found.group(3) if found.group(3) else "")
    text = "%s %s" % (impl, ver) if impl != "any Python" else "Python %s" % ver
    if abi.endswith("mu"):
        text += " built with UCS-4 unicode (--enable-unicode=ucs4, the ABI tag %s)" % abi
    elif abi == "abi3":
        text += " or newer (stable ABI)"
    return text


def machine_facts(text: str) -> Dict[str, str]:
    """What the text says of the machine pip ran on: arch, OS, glibc, Python."""
    facts = {}  # type: Dict[str, str]
    low = text.lower()
    if re.search(r"\b(?:arm64|aarch64|orangepi|raspberry|jetson)\b", low):
        facts["arch"] = "aarch64 (ARM)"
    if re.search(r"\bwsl\b|windows subsystem", low):
        facts["os"] = "WSL"
    elif re.search(r"[a-z]:\\|\bps [a-z]:\\|\\appdata\\", low):
        facts["os"] = "Windows"
    for name, glibc in _OS_GLIBC:
        if name.lower() in low:
            facts["glibc"] = glibc
            facts["os"] = name
            break
    python = python_version(text)
    if python:
        facts["python"] = python
    return facts


def _wheel(found: "re.Match", whole: str) -> Optional[Explanation]:
    file = found.group("file")
    try:
        name, version, _, tags = parse_wheel_filename(file)
    except (InvalidWheelFilename, InvalidVersion):
        return None
    tag = sorted(tags, key=str)[0]
    platforms = sorted(set(t.platform for t in tags))
    described = []  # type: List[str]
    for p in platforms:
        if describe_platform(p) not in described:
            described.append(describe_platform(p))
    needs = "%s, %s" % (_describe_python(tag.interpreter, tag.abi), " or ".join(described))
    facts = machine_facts(whole)
    mismatch = []
    py = facts.get("python")
    wheel_py = re.match(r"^cp(\d)(\d+)$", tag.interpreter)
    if py and wheel_py and tag.abi != "abi3" and "%s.%s" % wheel_py.groups() != py:
        mismatch.append("the Python is %s, the wheel is for %s.%s" % ((py,) + wheel_py.groups()))
    plat = " ".join(platforms)
    if facts.get("arch") and "x86_64" in plat or facts.get("arch") and "amd64" in plat:
        mismatch.append("the machine is %s, the wheel is for x86_64" % facts["arch"])
    if facts.get("os") in ("Windows",) and "win" not in plat and plat != "any":
        mismatch.append("pip runs on Windows, the wheel is for %s"
                        % describe_platform(platforms[0]))
    glibc = facts.get("glibc")
    for p in platforms:
        m = re.match(r"^manylinux_(\d+)_(\d+)_", p)
        if glibc and m and tuple(map(int, m.groups())) > tuple(map(int, glibc.split("."))):
            mismatch.append("%s has glibc %s, the wheel needs %s.%s" % (
                facts["os"], glibc, m.group(1), m.group(2)))
    if facts.get("os") == "WSL":
        mismatch.append("pip runs in WSL, which this release does not support")
    because = ("pip only installs a wheel whose tags match the interpreter running pip; %s is "
               "built for %s." % (file, needs))
    if mismatch:
        because += " Here " + "; ".join(mismatch) + "."
    else:
        because += (" Something about the interpreter that ran pip differs (its Python, ABI, "
                    "architecture or OS); `python -m pip debug --verbose` lists the tags it "
                    "accepts.")
    glibc_need = [re.match(r"^manylinux_(\d+)_(\d+)_", p) for p in platforms]
    advice = "Use the %s wheel built for this platform and Python (or a machine that matches: " \
             "%s)" % (name, needs)
    if any(glibc_need):
        m = [g for g in glibc_need if g][0]
        advice += "; for a manylinux_%s_%s wheel the system needs glibc %s.%s or newer " \
                  "(`ldd --version`), else build it from source" % (m.group(1), m.group(2),
                                                                   m.group(1), m.group(2))
    return Explanation("%s %s is not built for this interpreter or machine" % (name, version),
                       because, (str(name),), None, "mechanism: wheel tags (%s)" % _TAGS_SOURCE,
                       "pip-install", note=advice + ".")


def _windows(listing: str) -> List[Tuple[str, SpecifierSet]]:
    out = []
    for part in listing.split(";"):
        found = re.match(r"^\s*(?P<v>\S+) Requires-Python (?P<spec>.+?)\s*$", part)
        if found:
            try:
                out.append((found.group("v"), SpecifierSet(found.group("spec").replace(" ", ""))))
            except InvalidSpecifier:
                continue
    return out


def _python_verdict(specs: Sequence[SpecifierSet], python: Optional[str]) -> str:
    lowers, uppers = set(), set()
    for spec in specs:
        for item in spec:
            if item.operator in (">=", ">"):
                lowers.add(item.version)
            elif item.operator in ("<", "<="):
                uppers.add(item.version)
    words = []
    if lowers and not uppers:
        need = min(lowers, key=Version)
        words.append("they need Python %s or newer" % need)
    elif uppers and not lowers or uppers and python:
        stop = max(uppers, key=Version)
        words.append("they stop below Python %s" % stop)
    elif lowers:
        words.append("they need Python %s" % " or ".join(sorted(set(str(s) for s in specs))))
    if python:
        words.append("this Python is %s" % python)
    return ", ".join(words)


def _requires_python(lines: Sequence[str], whole: str) -> List[Explanation]:
    out = []
    python = python_version(whole)
    windows = []  # type: List[Tuple[str, SpecifierSet]]
    ignored_line = None
    for number, line in enumerate(lines, 1):
        found = _IGNORED.search(line)
        if found:
            windows += _windows(found.group("list"))
            ignored_line = ignored_line or number
    for number, line in enumerate(lines, 1):
        found = _NOT_FOUND.search(line)
        if not found:
            continue
        req = found.group("req")
        try:
            name = Requirement(req).name
        except InvalidRequirement:
            continue
        if name.lower().startswith("mindspore"):
            continue  # the signature table knows MindSpore's own index story
        parent = (found.group("parent") or "").strip()
        parent_name = re.split(r"[<>=!~ \[]", parent)[0] if parent else ""
        versions = (found.group("versions") or "").strip()
        packages = tuple(p for p in (name, parent_name) if p)
        if windows:
            verdict = _python_verdict([s for _, s in windows], python)
            because = ("pip skipped the releases that declare a Requires-Python this "
                       "interpreter is outside (%s: %s), and none of the others satisfies %s%s." %
                       (", ".join(v for v, _ in windows[:4]) + (", ..." if len(windows) > 4
                                                                else ""), verdict, req,
                        " (those it could use: %s)" % versions if versions and
                        versions != "none" else ""))
            advice = ("Use a Python that the wanted release supports (%s), or require a release "
                      "that supports this Python%s." % (verdict, " (the newest here: %s)" %
                                                        versions.split(",")[-1].strip()
                                                        if versions and versions != "none"
                                                        else ""))
            title = "No release of %s that satisfies %s supports this Python" % (name, req)
        elif versions == "none":
            because = ("The index pip used lists no release of %s that this interpreter and "
                       "platform can install (no wheel for this Python / platform and no source "
                       "distribution, or an index or mirror without it, or no network)." % name)
            advice = ("Check the index and the wheels: `python -m pip index versions %s` and "
                      "the package's files on PyPI; use a Python / platform it ships wheels "
                      "for." % name)
            title = "pip finds no installable release of %s here" % name
        else:
            because = ("The index has %s releases %s, and none satisfies %s." % (
                name, versions, req))
            advice = "Require one of the releases the index has (%s)." % versions
            title = "No release of %s satisfies %s" % (name, req)
        out.append(Explanation(title, because, packages, None,
                               "mechanism: pip's Requires-Python and index listing (%s)" %
                               "https://packaging.python.org/en/latest/specifications/"
                               "core-metadata/#requires-python", "pip-install", note=advice,
                               line=line.strip(), line_number=number))
    return out


def _resolution_impossible(lines: Sequence[str]) -> List[Explanation]:
    out = []
    for start, line in enumerate(lines):
        if not line.strip().startswith("The conflict is caused by"):
            continue
        depends = {}  # type: Dict[str, List[str]]
        requested = {}  # type: Dict[str, List[str]]
        for follow in lines[start + 1:start + 40]:
            dep, user = _DEPENDS.match(follow), _USER.match(follow)
            if dep:
                try:
                    name = Requirement(dep.group("req").split(" and ")[0]).name
                except InvalidRequirement:
                    continue
                depends.setdefault(name, []).append("%s %s needs %s" % (
                    dep.group("a"), dep.group("av"), dep.group("req")))
            elif user:
                try:
                    name = Requirement(user.group("req").split(" and ")[0]).name
                except InvalidRequirement:
                    continue
                requested.setdefault(name, []).append(user.group("req"))
            elif follow.strip() and not follow.startswith(" "):
                break
        for name, reqs in requested.items():
            if len(reqs) > 1:
                out.append(Explanation(
                    "The requirements ask for %s twice, with pins that exclude each other" % name,
                    "%s: no release satisfies both." % " and ".join(reqs), (name,), None,
                    "mechanism: pip's ResolutionImpossible report", "pip-install",
                    note="Keep one requirement for %s (requirements files, -r includes and the "
                         "command line are all read)." % name,
                    line=lines[start].strip(), line_number=start + 1))
        for name, needs in depends.items():
            parents = sorted(set(n.split(" ")[0] for n in needs))
            out.append(Explanation(
                "No installable %s fits what %s need%s" % (name, " and ".join(parents),
                                                         "" if len(parents) > 1 else "s"),
                "%s; pip found no release of %s that satisfies them together (often none has a "
                "wheel for this Python / platform)." % ("; ".join(needs[:4]), name),
                tuple([name] + parents), None, "mechanism: pip's ResolutionImpossible report",
                "pip-install",
                note="See which releases of %s exist for this Python and platform (`python -m "
                     "pip index versions %s`) and require a %s release that fits them." % (
                         name, name, " / ".join(parents)),
                line=lines[start].strip(), line_number=start + 1))
    for number, line in enumerate(lines, 1):
        found = _LEGACY.search(line)
        if not found:
            continue
        name, spec = found.group("name"), found.group("spec")
        parent = re.split(r"[<>=!~ \[]", (found.group("parent") or "").strip())[0]
        out.append(Explanation(
            "Requirements on %s contradict each other: %s" % (name, spec),
            "The requirements collected for %s (%s%s) leave no version: its lower and upper "
            "bounds do not overlap." % (name, spec, ", one of them from %s" % found.group(
                "parent") if found.group("parent") else ""),
            tuple(p for p in (name, parent) if p), None,
            "mechanism: the specifiers in pip's message", "pip-install",
            note="Relax or move the requirement that sets the higher bound on %s (or the one "
                 "from %s)." % (name, parent or "the parent"),
            line=line.strip(), line_number=number))
    return out


_INVALID = re.compile(r"Invalid version: '(?P<version>[^']+)'(?: \(package: (?P<package>[\w.-]+)\))?")
_PROJECT = re.compile(r"Obtaining file://(?P<path>\S+)|Processing (?P<local>[./~]\S*)"
                      r"|pip install (?:-e )?(?P<dot>\.)(?:\s|\[|$)")


def explain_invalid_version(lines: Sequence[str], index: int, whole: str
                            ) -> List[Explanation]:
    """``Invalid version: 'X'``: whose version it is. pip names an installed distribution
    (``(package: X)``); a local project being installed has it in its own setup.py; only
    otherwise is it some installed distribution that ``envdoctor check`` finds (ED104)."""
    found = _INVALID.search(lines[index])
    if not found:
        return []
    version, package = found.group("version"), found.group("package")
    source = ("https://packaging.python.org/en/latest/specifications/version-specifiers/; "
              "setuptools 66 made pkg_resources reject such versions "
              "(https://setuptools.pypa.io/en/stable/history.html#v66-0-0)")
    if package:
        return [Explanation(
            "The installed %s has a version pip and setuptools reject (%s)" % (package, version),
            "%s reports its version as %s, which is not PEP 440; pip and setuptools 66 or newer "
            "stop when they meet it (often a distribution installed by the OS package manager)."
            % (package, version), (package.lower(), "setuptools"), None, source, "pip-install",
            note="Upgrade or remove %s (if the OS installed it, use a venv without "
                 "--system-site-packages), or keep setuptools below 66 for this install."
                 % package)]
    project = _PROJECT.search(whole)
    if project:
        path = project.group("path") or project.group("local") or ""
        name = path.rstrip("/").rsplit("/", 1)[-1] if path else None
        return [Explanation(
            "The project being installed%s declares an invalid version (%s)" % (
                " (%s)" % name if name else "", version),
            "pip is installing a local project, and the version its setup.py / pyproject.toml "
            "declares (%s) is not PEP 440; no installed package is at fault." % version,
            ((name.lower(),) if name else ()), None, source, "pip-install",
            note="Give the project a PEP 440 version in setup.py / pyproject.toml (e.g. "
                 "4.4.4-main -> 4.4.4.dev0, a name -> 0.1.0), then install it again.")]
    return [Explanation(
        "A version pip cannot parse (%s)" % version,
        "Recent pip and packaging reject versions that are not PEP 440: an installed "
        "distribution or a requirement declares %s." % version, (), None, source,
        "pip-install",
        no_fix_reason="The text does not say whose version it is: run `envdoctor check`, which "
                      "names an installed distribution with such a version (ED104); otherwise "
                      "look at the project's own version string.")]


def explain_pip_install(lines: Sequence[str], whole: str) -> List[Explanation]:
    """Explanations of pip's install errors anywhere in ``lines``."""
    out = []
    for number, line in enumerate(lines, 1):
        found = _WHEEL.search(line)
        if found:
            exp = _wheel(found, whole)
            if exp is not None:
                out.append(replace(exp, line=line.strip(), line_number=number))
    out += _requires_python(lines, whole)
    out += _resolution_impossible(lines)
    return out
