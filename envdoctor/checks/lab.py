"""The lab read from its own files (``check --lab PATH``): ED801-ED899.

Pure: reads ``context.lab`` (an :class:`envdoctor.lab.Lab`, or None: no findings), the
snapshot and the API index. Nothing is imported or installed: the framework names the lab
imports are looked up in ``api_index.json``, its wheels are judged by their file names, and
its unpinned install lines are resolved against the releases the index knows.
"""

import os
import shlex
import sys
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

from envdoctor.checks.context import CheckContext
from envdoctor.findings import Evidence, Finding, Fix, Severity, pip_install_command
from envdoctor.lab import apicheck
from envdoctor.lab.model import (EnvSetting, ImportStatement, InstallItem, InstallLine, Lab,
                                 Where)
from envdoctor.lab.wheels import target_of, wheel_misfit
from envdoctor.snapshot import Snapshot, canonical_name, requirement_name

__all__ = ["check", "lab_findings", "IMPORT_TO_DISTRIBUTION", "ENVIRONMENT_CODES"]

# The findings about the environment (what it lacks for the lab), as opposed to the lab's own
# lines (ED810-ED821, ED890): what a fix toward the lab can change and must verify.
ENVIRONMENT_CODES = frozenset({"ED801", "ED803"})

# import name -> distribution, where they differ (the common ones of the course's labs)
IMPORT_TO_DISTRIBUTION = {
    "PIL": "pillow", "sklearn": "scikit-learn", "cv2": "opencv-python", "yaml": "pyyaml",
    "bs4": "beautifulsoup4", "google": "protobuf", "attr": "attrs", "dateutil": "python-dateutil",
    "jwt": "pyjwt", "skimage": "scikit-image", "Crypto": "pycryptodome", "IPython": "ipython",
    "mpl_toolkits": "matplotlib", "pkg_resources": "setuptools", "dns": "dnspython",
    "sentencepiece": "sentencepiece", "OpenSSL": "pyopenssl", "zmq": "pyzmq", "tqdm": "tqdm",
}
FALLBACK_STDLIB = frozenset("""
__future__ abc argparse array ast asyncio base64 bisect builtins bz2 calendar collections
concurrent configparser contextlib copy csv ctypes dataclasses datetime decimal difflib dis
email enum errno faulthandler fnmatch fractions functools gc getpass glob gzip hashlib heapq
hmac html http importlib inspect io ipaddress itertools json keyword linecache locale logging
lzma math mimetypes multiprocessing numbers operator os pathlib pickle pkgutil platform pprint
queue random re reprlib resource sched secrets select shelve shlex shutil signal site socket
sqlite3 ssl stat statistics string struct subprocess sys sysconfig tarfile tempfile textwrap
threading time timeit tkinter token tokenize traceback types typing unicodedata unittest urllib
uuid warnings weakref xml zipfile zlib zoneinfo
""".split())
MARKER_SOURCE = "the lab's own files (read by envdoctor, never run)"


def check(context: CheckContext) -> List[Finding]:
    lab = getattr(context, "lab", None)
    if lab is None:
        return []
    found = lab_findings(lab, context.snapshot, context.python)
    return _fixes_toward_the_lab(found, lab, context)


def _fixes_toward_the_lab(findings: List[Finding], lab: Lab,
                          context: CheckContext) -> List[Finding]:
    """A missing name's own fix pins a release that has it, without asking whether that
    release works with the installed framework (mindnlp 0.4 on MindSpore 2.7 does not). With
    the matrix at hand, the fix is the plan toward the whole lab instead (what `fix --lab`
    installs), or, when nothing reachable runs the lab here, why not and what would."""
    if context.matrix is None or not any(_toward_the_lab(f) for f in findings):
        return findings
    from dataclasses import replace

    from envdoctor.lab.plan import lab_requirements

    target = lab_requirements(lab, context.snapshot, apicheck.load_index(), context.matrix)
    plan = "`envdoctor fix --lab %s` plans and applies it safely." % shlex.quote(lab.path)
    if not target.ok:
        fix = Fix(text="%s What would work: %s." % (target.refusal,
                                                   "; ".join(target.would_work)))
    elif not target.changes:
        return findings
    else:
        normal, alone = list(target.requirements()), list(target.no_deps())
        commands = [pip_install_command(normal, context.python)] if normal else []
        if alone:  # MindNLP beside a framework installed under another name
            commands.append(pip_install_command(alone, context.python, ["--no-deps"]))
            plan = ("The --no-deps step leaves out %s's other requirements (pip check then "
                    "names them); `envdoctor fix --lab %s` resolves them with pip and "
                    "installs everything in one safe step." % (
                        ", ".join(requirement_name(r) for r in alone), shlex.quote(lab.path)))
        fix = Fix(command=" && ".join(commands), text=plan,
                  requirements=tuple(normal) if not alone else ())
    return [replace(f, fix=fix) if _toward_the_lab(f) else f for f in findings]


def _toward_the_lab(finding: Finding) -> bool:
    """A missing name (ED801), or a framework the lab imports that is not installed (ED803
    with no fix of its own): only the releases that run the whole lab fix it."""
    return finding.code == "ED801" or (finding.code == "ED803" and finding.fix is None)


def lab_findings(lab: Lab, snapshot: Snapshot, python: str = "python",
                 index: Optional[object] = None) -> List[Finding]:
    """Every ED8xx finding of ``lab`` on the target of ``snapshot``."""
    index = index if index is not None else apicheck.load_index()
    findings: List[Finding] = []
    findings += _unreadable(lab)
    findings += _api(lab, snapshot, index, python)
    findings += _missing_modules(lab, snapshot, python)
    findings += _installs(lab, snapshot, index, python)
    findings += _exports(lab)
    findings += _devices(lab, snapshot)
    findings += _hub(lab, snapshot)
    return findings


def _at(where: Where) -> str:
    return where.describe()


# --- input envdoctor could not read ---------------------------------------------------------

def _unreadable(lab: Lab) -> List[Finding]:
    return [Finding(
        code="ED890", severity=Severity.WARNING,
        title="Part of the lab could not be read: %s" % w.describe()[:200],
        because="envdoctor reads the lab without running it; this part does not parse, so what "
                "it installs or imports is not judged (the rest of the lab is).",
        evidence=Evidence(installed=w.message, source=_at(w.where)),
    ) for w in lab.warnings]


# --- the framework API the lab imports ------------------------------------------------------

def _fix_for(pkg: object, idx: FrozenSet[int], snapshot: Snapshot, python: str,
             family: str, lab: Lab) -> Optional[Fix]:
    versions = pkg.versions  # type: ignore
    usable = [i for i in sorted(idx) if apicheck.fits_python(
        versions[i].requires_python, snapshot.python_version)]
    if not usable:
        return Fix(text="No indexed %s release with every name the lab imports installs on "
                        "Python %s; use a Python that one of them supports, or change the "
                        "lab's imports." % (family, snapshot.python_version))
    entry = versions[usable[-1]]
    target = shlex.quote(lab.path)
    text = ("`envdoctor fix --lab %s` plans it without laying a second framework "
            "distribution over the installed one." % target)
    installed = apicheck.installed_distribution(snapshot, "mindspore")
    if family == "mindnlp" and installed is not None and installed.key != "mindspore":
        return Fix(text="Install %s without letting pip add the `mindspore` distribution over "
                        "%s %s; %s" % (entry.requirement(), installed.name, installed.version,
                                       text))
    req = entry.requirement()
    return Fix(command=pip_install_command([req], python), text=text, requirements=(req,))


def _window_text(pkg: Any, mine: Sequence[apicheck.SymbolStatus], family: str) -> str:
    """The releases with every name; where the index cannot list some names (a lazy or
    compiled module), the releases not known to lack any, and which of them are proven."""
    n = len(pkg.versions)  # type: ignore
    proven = apicheck.window(mine, family, n)
    maybe = apicheck.possible(mine, family, n)
    text = apicheck.describe(pkg, maybe)
    if maybe != proven:
        text += " (the index cannot list every name there; proven for all: %s)" % (
            apicheck.describe(pkg, proven))
    return text


def _api(lab: Lab, snapshot: Snapshot, index: object, python: str) -> List[Finding]:
    if index is None:
        return []
    statuses = apicheck.symbol_statuses(lab, index)  # type: ignore
    findings: List[Finding] = []
    for family in apicheck.FAMILIES:
        mine = [s for s in statuses if s.family == family]
        pkg = index.packages.get(family)  # type: ignore
        dist = apicheck.installed_distribution(snapshot, family)
        if not mine or pkg is None or dist is None:
            continue
        n = len(pkg.versions)
        have_all = apicheck.possible(mine, family, n)
        window_text = _window_text(pkg, mine, family)
        source = "api_index.json (%s releases indexed, generated %s)" % (n, index.generated)  # type: ignore
        release = apicheck.installed_release(pkg, dist)
        if release is None:
            findings.append(Finding(
                code="ED802", severity=Severity.INFO,
                title="%s %s is not in envdoctor's API index: the lab's %s imports are not "
                      "checked statically" % (dist.name, dist.version, family),
                because="The API index knows %s releases %s. `check --deep --lab` imports "
                        "the lab's statements instead. The releases that have every name the "
                        "lab imports: %s." % (family, apicheck.describe(pkg, frozenset(range(n))),
                                              window_text),
                evidence=Evidence(installed="%s %s" % (dist.name, dist.version),
                                  needed="%s %s" % (family, window_text), source=source),
                packages=(dist.name,)))
            continue
        label = pkg.versions[release].label
        by_statement: Dict[ImportStatement, List[apicheck.SymbolStatus]] = {}
        unknown: List[apicheck.SymbolStatus] = []
        for s in mine:
            if release in s.lacks:
                by_statement.setdefault(s.statement, []).append(s)
            elif release in s.unknown:
                unknown.append(s)
        for stmt, missing in by_statement.items():
            names = ", ".join(s.symbol for s in missing)
            has = frozenset.intersection(*[s.has | s.unknown for s in missing])
            findings.append(Finding(
                code="ED801", severity=Severity.WARNING if stmt.optional else Severity.ERROR,
                title="%s %s lacks %s, which the lab imports (%s)"
                      % (family, label, names, _at(stmt.where)),
                because="`%s` %s; %s %s does not have %s (%s). The releases that have every name "
                        "the lab imports from %s: %s." % (
                            stmt.statement,
                            "is optional (inside try/except ImportError)" if stmt.optional
                            else "will raise ImportError",
                            family, label, names, "the indexed releases with %s: %s"
                            % ("them" if len(missing) > 1 else "it", apicheck.describe(pkg, has)),
                            family, window_text),
                evidence=Evidence(installed="%s %s" % (dist.name, dist.version),
                                  needed="%s %s" % (family, window_text), source=source,
                                  details=(("lab", _at(stmt.where)),
                                           ("statement", stmt.statement))),
                fix=_fix_for(pkg, have_all, snapshot, python, family, lab),
                packages=(dist.name,)))
        if unknown:
            syms = ", ".join(sorted({s.symbol for s in unknown}))
            findings.append(Finding(
                code="ED804", severity=Severity.INFO,
                title="Not checked statically in %s %s: %s" % (family, label, syms[:200]),
                because="These modules are compiled or fill their names at import time, so the "
                        "API index cannot list them; `check --deep --lab` imports them.",
                evidence=Evidence(installed="%s %s" % (dist.name, dist.version), source=source),
                packages=(dist.name,)))
    return findings


# --- modules nothing installed provides -----------------------------------------------------

def _stdlib() -> FrozenSet[str]:
    names = getattr(sys, "stdlib_module_names", None)
    return frozenset(names) | FALLBACK_STDLIB if names else FALLBACK_STDLIB


def _folder_of(lab: Lab, where: Where) -> str:
    """The folder of the lab file ``where`` is in (a folder lab names files relative to it)."""
    if os.path.isdir(lab.path):
        return os.path.dirname(os.path.join(lab.path, where.file)) or "."
    return os.path.dirname(lab.path) or "."


def _local_module(lab: Lab, stmt: ImportStatement) -> bool:
    """A module that sits next to the lab's file (``import utils`` with utils.py)."""
    folder = _folder_of(lab, stmt.where)
    return any(lab.exists(os.path.join(folder or ".", stmt.top + suffix))
               for suffix in (".py", "", ".so"))


def _provided(top: str, snapshot: Snapshot) -> bool:
    if top in apicheck.FAMILIES and apicheck.installed_distribution(snapshot, top):
        return True
    candidates = {canonical_name(top), canonical_name(IMPORT_TO_DISTRIBUTION.get(top, top))}
    if top.startswith("py"):
        candidates.add(canonical_name(top[2:]))
    candidates.add(canonical_name("py" + top))
    candidates.add(canonical_name("python-" + top))
    return any(snapshot.get(c) is not None for c in candidates)


def _missing_modules(lab: Lab, snapshot: Snapshot, python: str) -> List[Finding]:
    stdlib = _stdlib()
    findings = []
    seen = set()
    for stmt in lab.imports:
        top = stmt.top
        if stmt.level or not top or top in seen or top in stdlib or stmt.optional:
            continue
        seen.add(top)
        if _provided(top, snapshot) or _local_module(lab, stmt):
            continue
        framework = top in apicheck.FAMILIES
        dist = IMPORT_TO_DISTRIBUTION.get(top, top)
        findings.append(Finding(
            code="ED803", severity=Severity.ERROR if framework else Severity.WARNING,
            title="The lab imports %s, and no installed distribution provides it (%s)"
                  % (top, _at(stmt.where)),
            because="`%s` will raise ModuleNotFoundError%s." % (
                stmt.statement, "" if framework else
                " unless a distribution with another name provides the module (envdoctor "
                "matched distribution names; --deep imports it to be sure)"),
            evidence=Evidence(installed="not installed", needed=dist,
                              details=(("lab", _at(stmt.where)),)),
            fix=None if framework else Fix(command=pip_install_command([dist], python),
                                           requirements=(dist,)),
            packages=(dist,)))
    return findings


# --- install lines --------------------------------------------------------------------------

def _target(snapshot: Snapshot) -> Tuple[str, Tuple[int, int], str, str]:
    interp = snapshot.interpreter
    return target_of(snapshot.python_version, str(interp.implementation or "CPython"),
                     str(snapshot.platform.system or ""),
                     str(snapshot.platform.machine or ""))


def _describe_target(snapshot: Snapshot) -> str:
    return "Python %s on %s-%s" % (".".join(snapshot.python_version.split(".")[:2]),
                                   str(snapshot.platform.system or "?").lower(),
                                   str(snapshot.platform.machine or "?").lower())


def _exported_names(lab: Lab) -> Dict[str, EnvSetting]:
    return {e.name: e for e in lab.env if e.how == "export"}


def _installs(lab: Lab, snapshot: Snapshot, index: object, python: str) -> List[Finding]:
    findings: List[Finding] = []
    exported = _exported_names(lab)
    persisted = {e.name for e in lab.env if e.persists}
    statuses = apicheck.symbol_statuses(lab, index) if index is not None else []  # type: ignore
    target = _target(snapshot)
    for line in lab.installs:
        if line.tool == "pip" and line.config:
            for key, value in line.config:
                findings.append(Finding(
                    code="ED816", severity=Severity.INFO,
                    title="The lab changes pip's configuration: %s=%s (%s)"
                          % (key, value, _at(line.where)),
                    because="`pip config set` writes the user's pip.conf: every later pip run "
                            "of this user, in every environment, uses it.",
                    evidence=Evidence(installed=line.text, details=(("lab", _at(line.where)),)),
                    fix=Fix(text="Pass the mirror on the install line instead (-i URL), or "
                                 "undo it: pip config unset %s" % key)))
        if line.action != "install":
            continue
        names = [i.name for i in line.items if i.kind == "name"]
        if "install" in names:
            findings.append(_pip_install_pip_install(line))
        for item in line.items:
            findings += _item(lab, line, item, snapshot, index, statuses, target, exported,
                              persisted, python)
    return findings


def _pip_install_pip_install(line: InstallLine) -> Finding:
    fixed = line.text.replace("install pip install", "install", 1)
    return Finding(
        code="ED815", severity=Severity.ERROR,
        title="`pip install pip install ...` installs a package named `install` (%s)"
              % _at(line.where),
        because="pip reads the second `pip` and `install` as two more packages to install: it "
                "reinstalls pip and installs the unrelated PyPI project `install`, besides the "
                "line's real target.",
        evidence=Evidence(installed=line.text, details=(("lab", _at(line.where)),)),
        fix=Fix(text="Write the line as: !%s" % fixed),
        packages=("install",))


def _item(lab: Lab, line: InstallLine, item: InstallItem, snapshot: Snapshot, index: object,
          statuses: Sequence[apicheck.SymbolStatus], target: Tuple[str, Tuple[int, int], str, str],
          exported: Dict[str, EnvSetting], persisted: set, python: str) -> List[Finding]:
    findings: List[Finding] = []
    at = _at(line.where)
    lost = [v for v in item.variables if v in exported and v not in persisted]
    if lost:
        setting = exported[lost[0]]
        findings.append(Finding(
            code="ED813", severity=Severity.ERROR,
            title="$%s is empty on this install line: it was set by `!export` (%s)"
                  % (lost[0], _at(setting.where)),
            because="Each `!` line runs in its own shell, so `!export %s=%s` ends with that "
                    "line; here the URL becomes %r." % (
                        lost[0], setting.value, _expand(item.text, {v: "" for v in lost})),
            evidence=Evidence(installed=line.text, details=(("lab", at),
                                                            ("export", _at(setting.where)))),
            fix=Fix(text="Use `%%env %s=%s` (it sets the kernel's environment, which every "
                         "later `!` line inherits), or write the value into the line."
                         % (lost[0], setting.value))))
    wheel = item.wheel
    if wheel is None and item.kind == "wheel" and item.variables:
        values = {e.name: e.value or "" for e in lab.env}
        from envdoctor.lab.installs import parse_item

        expanded, _ = parse_item(_expand(item.text, values))
        wheel = expanded.wheel if expanded is not None else None
    if wheel is not None:
        misfit = wheel_misfit(wheel, target)
        if misfit:
            findings.append(Finding(
                code="ED810", severity=Severity.ERROR,
                title="The lab's %s %s wheel is %s; this target is %s (%s)"
                      % (wheel.name, wheel.version, misfit, _describe_target(snapshot), at),
                because="pip refuses a wheel whose tags do not match the interpreter: "
                        "\"%s is not a supported wheel on this platform\"." % (
                            item.text.rsplit("/", 1)[-1]),
                evidence=Evidence(installed=_describe_target(snapshot),
                                  needed="%s (%s)" % (", ".join(wheel.tags), misfit),
                                  details=(("lab", at),)),
                fix=Fix(text="Use the %s %s wheel built for %s (the same download host has "
                             "one per Python and platform), or run the lab on the machine "
                             "this wheel is for (%s)." % (
                                 wheel.name, wheel.version, _describe_target(snapshot),
                                 misfit[len("built for "):])),
                packages=(wheel.name,)))
    if item.is_local and not item.variables:
        folder = _folder_of(lab, line.where)
        path = item.text if os.path.isabs(item.text) else os.path.join(folder, item.text)
        if not lab.exists(path):
            findings.append(Finding(
                code="ED812", severity=Severity.WARNING,
                title="The lab installs a local file that is not there: %s (%s)"
                      % (item.text, at),
                because="Nothing in the lab downloads it; pip will fail with \"No such file or "
                        "directory\" unless the student has it from elsewhere.",
                evidence=Evidence(installed="missing", needed=item.text,
                                  details=(("lab", at),)),
                fix=Fix(text="Install it by name from an index, or ship the file with the lab."),
                packages=(item.name or item.text,)))
    findings += _framework_item(lab, line, item, wheel, snapshot, index, statuses, python)
    return findings


def _expand(text: str, values: Dict[str, str]) -> str:
    import re

    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: values.get(m.group(1), ""), text)


def _framework_item(lab: Lab, line: InstallLine, item: InstallItem, wheel: object,
                    snapshot: Snapshot, index: object,
                    statuses: Sequence[apicheck.SymbolStatus], python: str) -> List[Finding]:
    """What installing ``item`` does to the lab's framework imports, and to the framework
    already installed."""
    name = canonical_name(item.name or "")
    family = "mindspore" if name in apicheck.FRAMEWORK_DISTRIBUTIONS else (
        "mindnlp" if name == "mindnlp" else None)
    if family is None:
        return []
    at = _at(line.where)
    findings: List[Finding] = []
    installed = apicheck.installed_distribution(snapshot, family)
    if family == "mindspore" and installed is not None and installed.key != name:
        findings.append(Finding(
            code="ED817", severity=Severity.ERROR,
            title="The lab installs %s over %s %s: two distributions in one mindspore/ "
                  "folder (%s)" % (item.name, installed.name, installed.version, at),
            because="pip treats %s and %s as unrelated projects: it unpacks the second into "
                    "the same mindspore/ package, the files mix, and `import mindspore` "
                    "fails or runs a blend of both." % (item.name, installed.name),
            evidence=Evidence(installed="%s %s" % (installed.name, installed.version),
                              needed=item.text, details=(("lab", at),)),
            fix=Fix(text="Skip that cell in this environment, or uninstall %s first "
                         "(%s -m pip uninstall -y %s)." % (installed.name, shlex.quote(python),
                                                           installed.name)),
            packages=(installed.name, item.name or name)))
    pkg = index.packages.get(family) if index is not None else None  # type: ignore
    if pkg is None:
        return findings
    mine = [s for s in statuses if s.family == family and not s.statement.optional]
    gets: Optional[int] = None
    how = ""
    if item.kind == "name" and not item.url:
        gets = apicheck.resolve_today(pkg, name, item.specifier, snapshot.python_version)
        how = "resolves today to" if not item.pinned else "installs"
    elif wheel is not None:
        gets = next((i for i, e in enumerate(pkg.versions) if e.version == wheel.version  # type: ignore
                     and canonical_name(e.dist) == name), None)
        how = "installs"
    elif item.kind == "git" and item.ref:
        gets = next((i for i, e in enumerate(pkg.versions)
                     if e.source == "git" and e.ref == item.ref), None)
        how = "installs"
    if gets is None or not mine:
        return findings
    lacking = [s for s in mine if gets in s.lacks]
    if not lacking:
        return findings
    entry = pkg.versions[gets]
    have_all = apicheck.possible(mine, family, len(pkg.versions))
    window_text = _window_text(pkg, mine, family)
    names = ", ".join(sorted({s.symbol for s in lacking}))
    pin = [pkg.versions[i] for i in sorted(have_all)
           if pkg.versions[i].source == "pypi" and canonical_name(pkg.versions[i].dist) == name
           and apicheck.fits_python(pkg.versions[i].requires_python, snapshot.python_version)]
    findings.append(Finding(
        code="ED811", severity=Severity.ERROR,
        title="`%s` %s %s %s, which lacks %s (%s)" % (
            line.text[:80], how, family, entry.label, names[:160], at),
        because="The lab imports %s (first at %s); %s %s does not have %s. The releases that "
                "have every name the lab imports from %s: %s%s." % (
                    names, _at(lacking[0].statement.where), family, entry.label,
                    "them" if len(lacking) > 1 else "it", family, window_text,
                    "" if item.pinned else " (an unpinned line gets the newest release pip "
                    "finds, so the lab broke when a newer one came out)"),
        evidence=Evidence(installed="%s %s" % (family, entry.label),
                          needed="%s %s" % (family, window_text),
                          source="api_index.json (generated %s)" % index.generated,  # type: ignore
                          details=(("lab", at),)),
        fix=Fix(text="Pin the line: !pip install %s" % pin[-1].requirement()) if pin else
        Fix(text="No indexed %s release has every name the lab imports: change the lab's "
                 "imports." % family),
        packages=(family,)))
    return findings


def _exports(lab: Lab) -> List[Finding]:
    used = {v for line in lab.installs for item in line.items for v in item.variables}
    persisted = {e.name for e in lab.env if e.persists}
    out = []
    for setting in lab.env:
        if setting.how != "export" or (setting.name in used and setting.name not in persisted):
            continue  # an install line using it is an ED813 error already
        out.append(Finding(
            code="ED814", severity=Severity.WARNING,
            title="`!export %s=...` does not reach the next cell (%s)"
                  % (setting.name, _at(setting.where)),
            because="A `!` line runs in a shell of its own that ends with the line; the "
                    "variable is gone for every later `!` line and for the kernel.",
            evidence=Evidence(installed="!export %s=%s" % (setting.name, setting.value),
                              details=(("lab", _at(setting.where)),)),
            fix=Fix(text="Use `%%env %s=%s` (or os.environ[%r] = %r)." % (
                setting.name, setting.value, setting.name, setting.value))))
    return out


# --- the device the lab asks for ------------------------------------------------------------

def _devices(lab: Lab, snapshot: Snapshot) -> List[Finding]:
    from envdoctor.devices import analyze, device_data

    asked = [d for d in lab.devices if d.target and d.target.upper() != "CPU"]
    if not asked:
        return []
    known = device_data(snapshot) is not None
    backends = {b.name.lower(): b for b in analyze(snapshot).backends} if known else {}
    out = []
    seen = set()
    for request in asked:
        name = request.target or ""
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        backend = backends.get(name.lower())
        if backend is not None and backend.usable:
            continue
        cpu_line = request.text.replace(repr(name), "'CPU'").replace('"%s"' % name, '"CPU"')
        reason = backend.reason if backend is not None else (
            "envdoctor has no device data for this target (a saved snapshot without it)"
            if not known else "MindSpore knows no device target %r" % name)
        out.append(Finding(
            code="ED820", severity=Severity.ERROR if known else Severity.WARNING,
            title="The lab asks for device_target=%r, which %s (%s)" % (
                name, "this machine cannot give" if known else "envdoctor cannot confirm here",
                _at(request.where)),
            because="%s. MindSpore raises at `%s` (or at the first operation) when the "
                    "backend is missing." % (reason, request.call),
            evidence=Evidence(installed=reason, needed=name,
                              details=(("lab", _at(request.where)), ("line", request.text))),
            fix=Fix(text="To run on this machine's CPU, change %s to: %s. Otherwise run the "
                         "lab where %s works (%s)." % (
                             _at(request.where), cpu_line, name,
                             "an Ascend NPU with a CANN the MindSpore release accepts"
                             if name.lower() == "ascend" else
                             "an NVIDIA GPU with the CUDA the MindSpore GPU build needs"))))
    return out


# --- what the lab downloads -----------------------------------------------------------------

def _hub(lab: Lab, snapshot: Snapshot) -> List[Finding]:
    if not lab.fetches:
        return []
    what = []
    for fetch in lab.fetches:
        label = "%s(%r)" % (fetch.call, fetch.what) if fetch.what else fetch.call
        if label not in what:
            what.append(label)
    endpoint = lab.env_value("HF_ENDPOINT")
    offline = snapshot.environment_variables.get("HF_HUB_OFFLINE") in ("1", "true", "ON")
    return [Finding(
        code="ED821", severity=Severity.WARNING if offline else Severity.INFO,
        title="The lab downloads from a hub: %s" % ", ".join(what)[:200],
        because="These calls fetch models, datasets or metrics at run time%s%s." % (
            "; the lab sets HF_ENDPOINT=%s (a mirror)" % endpoint if endpoint else
            "; the lab sets no mirror (HF_ENDPOINT), so huggingface.co must be reachable",
            "; HF_HUB_OFFLINE is set in this environment, so they will fail unless cached"
            if offline else ""),
        evidence=Evidence(installed=", ".join(what), source=_at(lab.fetches[0].where),
                          details=tuple(("lab", "%s: %s" % (_at(f.where), f.call))
                                        for f in lab.fetches[:6])))]
