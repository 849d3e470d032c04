"""Renamed and removed names of the stack's key packages (``names.yaml``), read by mechanism.

``cannot import name X from M``, ``module M has no attribute X``, ``'Cls' object has no
attribute X`` and ``No module named M`` say which name the installed release lacks. The
small index says in which direction to move: below the release that removed it, or up to
one that has it; and a release is proposed only if it has wheels for the Python in the text.
A name the index does not list, imported from one key package by another, is a guess:
shown with what to check, never with a command.
"""

import os
import re
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple

from packaging.version import InvalidVersion, Version

from envdoctor.explain.model import Explanation
from envdoctor.explain.textutil import frames_before, site_package
from envdoctor.findings import pip_install_command

__all__ = ["NameEntry", "load_names", "explain_name_line", "python_fits", "KEY_MODULES",
           "NAMES_PATH"]

NAMES_PATH = _PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "names.yaml")
# Top-level modules of the stack's key packages -> their distribution.
KEY_MODULES = {"transformers": "transformers", "huggingface_hub": "huggingface-hub",
               "tokenizers": "tokenizers", "datasets": "datasets", "peft": "peft",
               "diffusers": "diffusers", "accelerate": "accelerate", "google": "protobuf",
               "numpy": "numpy", "PIL": "pillow", "pkg_resources": "setuptools",
               "safetensors": "safetensors"}
_CANNOT = re.compile(r"cannot import name '(?P<name>[\w.]+)' from '(?P<module>[\w.]+)'")
_CANNOT_BARE = re.compile(r"cannot import name '(?P<name>[\w.]+)'\s*$")
_MODULE_ATTR = re.compile(r"module '(?P<module>[\w.]+)' has no attribute '(?P<name>\w+)'")
_OBJECT_ATTR = re.compile(r"'(?P<object>\w+)' object has no attribute '(?P<name>\w+)'")
_NO_MODULE = re.compile(r"No module named '?(?P<module>[\w.]+)'?")


@dataclass(frozen=True)
class NameEntry:
    package: str
    modules: Tuple[str, ...]
    names: Tuple[str, ...]  # () for a whole module
    objects: Tuple[str, ...]
    removed: Optional[str]
    last_with: Optional[str]
    added: Optional[str]
    absent_in: Optional[str]
    python_max: Optional[str]
    instead: Optional[str]
    source: str


def _tuple(value: Any) -> Tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


_CACHE = []  # type: List[Tuple[NameEntry, ...]]


def _entry(path: str, e: Any) -> NameEntry:
    from envdoctor.yamlfile import DataFileError, line_of

    line = line_of(e) if isinstance(e, dict) else None
    if not isinstance(e, dict):
        raise DataFileError(path, line, "each name entry must be a mapping")
    for key in ("package", "module", "source"):
        if not isinstance(e.get(key), str) or not e[key].strip():
            raise DataFileError(path, line, "name entry: %r is required (text)" % key)
    if bool(e.get("removed")) == bool(e.get("added")):
        raise DataFileError(path, line, "name entry %s: give 'removed' (with 'last_with') or "
                            "'added' (with 'absent_in'), not both" % e["module"])
    if e.get("removed") and not e.get("last_with") or e.get("added") and not e.get("absent_in"):
        raise DataFileError(path, line, "name entry %s: 'removed' needs 'last_with' and "
                            "'added' needs 'absent_in'" % e["module"])
    return NameEntry(
        str(e["package"]), (str(e["module"]),) + _tuple(e.get("also")), _tuple(e.get("name")),
        _tuple(e.get("object")), e.get("removed"), e.get("last_with"), e.get("added"),
        e.get("absent_in"), e.get("python_max"), e.get("instead"), str(e["source"]))


def load_names(path: Optional[str] = None) -> Tuple[NameEntry, ...]:
    """The bundled index (cached), or the one at ``path``; a bad entry raises
    :class:`~envdoctor.yamlfile.DataFileError` naming its line."""
    if path is None and _CACHE:
        return _CACHE[0]
    from envdoctor.yamlfile import load_document

    data = load_document(path or _PATH, "names")
    entries = tuple(_entry(path or _PATH, e) for e in data["names"])
    if path is None:
        _CACHE.append(entries)
    return entries


def python_fits(python: Optional[str], python_max: Optional[str]) -> bool:
    """Whether a release with wheels up to ``python_max`` installs on ``python``."""
    if not python or not python_max:
        return True
    try:
        return Version(python) <= Version(python_max)
    except InvalidVersion:
        return True


def _importer(lines: Sequence[str], index: int, exclude: str) -> Optional[str]:
    for frame in reversed(frames_before(lines, index)):
        pkg = site_package(frame.path)
        if pkg and pkg != exclude and not pkg.startswith("_"):
            return KEY_MODULES.get(pkg, pkg.replace("_", "-").lower())
    return None


def _lookup(entries: Sequence[NameEntry], module: Optional[str], name: Optional[str],
            obj: Optional[str]) -> Optional[NameEntry]:
    for entry in entries:
        if obj is not None:
            if obj in entry.objects and name in entry.names:
                return entry
            continue
        if name is None:
            if not entry.names and module in entry.modules:
                return entry
            continue
        if name in entry.names and (module is None or module in entry.modules):
            return entry
    return None


def _from_entry(entry: NameEntry, what: str, importer: Optional[str],
                python: Optional[str]) -> Explanation:
    packages = tuple(p for p in (entry.package, importer) if p)
    if entry.package == "python" and entry.removed:
        return Explanation(
            "%s was removed in Python %s" % (what, entry.removed),
            "Python %s removed %s; %s was written for Python %s or older." % (
                entry.removed, what, importer or "the code that uses it", entry.last_with),
            packages, None, entry.source, "names",
            no_fix_reason="No pin brings a removed standard-library name back: %s%s, or run "
                          "Python %s or older." % (
                              "update %s to a release made for Python %s, or " % (
                                  importer, entry.removed) if importer else "",
                              "change the code to use %s" % entry.instead if entry.instead
                              else "change the code", entry.last_with))
    if entry.removed:
        req = "%s<%s" % (entry.package, entry.removed)
        fits = python_fits(python, entry.python_max)
        title = "%s was removed in %s %s" % (what, entry.package, entry.removed)
        because = ("%s %s removed %s (the last release with it is %s); the code that uses it "
                   "was written for an older %s." % (entry.package, entry.removed, what,
                                                     entry.last_with, entry.package))
        note = "Or change the code to use %s." % entry.instead if entry.instead else None
        if importer and importer != entry.package:
            note = ("Or update %s to a release written for %s %s+%s." % (
                importer, entry.package, entry.removed, "" if not entry.instead else
                " (it uses %s)" % entry.instead))
        if fits:
            return Explanation(title, because, packages, pip_install_command([req]),
                               entry.source, "names", note=note, requirements=(req,))
        reason = ("%s %s, the last release with %s, has no wheel for Python %s: no pin fixes "
                  "this here; change the calling code%s%s." % (
                      entry.package, entry.last_with, what, python,
                      " to use %s" % entry.instead if entry.instead else "",
                      " or update %s" % importer if importer else ""))
        return Explanation(title, because, packages, None, entry.source, "names",
                           note=None, no_fix_reason=reason)
    req = "%s>=%s" % (entry.package, entry.added)
    title = "%s needs %s %s or newer" % (what, entry.package, entry.added)
    because = ("%s is not in %s %s and older releases (%s has it), so the installed %s is too "
               "old for the code that imports it%s." % (
                   what, entry.package, entry.absent_in, entry.added, entry.package,
                   " (%s)" % importer if importer else ""))
    return Explanation(title, because, packages, pip_install_command([req]), entry.source,
                       "names", requirements=(req,))


def _guess(module: str, name: str, importer: Optional[str], line: str = ""
           ) -> Optional[Explanation]:
    top = module.split(".")[0]
    dist = KEY_MODULES.get(top)
    if dist is None and site_package(line) == top:
        dist = top.replace("_", "-").lower()  # an installed package (its path is shown)
    if dist is None:
        return None
    packages = tuple(p for p in (dist, importer) if p)
    if importer and importer != dist:
        reason = ("envdoctor's name index does not list %s.%s. %s imports it, so the installed "
                  "%s is probably older than that %s expects (or %s newer than this %s): "
                  "compare them with `python -m pip check` and the %s release notes, then "
                  "upgrade %s or install the %s release made for this %s." % (
                      module, name, importer, dist, importer, importer, dist, dist, dist,
                      importer, dist))
    else:
        reason = ("envdoctor's name index does not list %s.%s: the installed %s is older than "
                  "the code expects, or the name was removed; see the %s release notes for "
                  "when %s came or went." % (module, name, dist, dist, name))
    return Explanation("Possibly a version mismatch: %s lacks %s" % (module, name),
                       "The installed %s has no %s.%s, which %s imports." % (
                           dist, module, name, importer or "the code"),
                       packages, None, "guess: the error names %s, a key package" % module,
                       "guess", no_fix_reason=reason)


def explain_name_line(lines: Sequence[str], index: int, python: Optional[str],
                      entries: Optional[Sequence[NameEntry]] = None) -> List[Explanation]:
    """Explanations of a renamed or removed name on ``lines[index]`` (empty when none)."""
    line = lines[index]
    entries = load_names() if entries is None else entries
    found = _CANNOT.search(line) or _MODULE_ATTR.search(line)
    if found:
        module, name = found.group("module"), found.group("name")
        importer = _importer(lines, index, module.split(".")[0])
        entry = _lookup(entries, module, name, None)
        if entry is not None:
            return [_from_entry(entry, "%s.%s" % (module, name), importer, python)]
        if _CANNOT.search(line) and "partially initialized" not in line:
            guess = _guess(module, name, importer, line)
            return [guess] if guess else []
        return []
    found = _CANNOT_BARE.search(line)
    if found:
        # old Pythons print no module: the import statement under the last frame names it
        frames = frames_before(lines, index)
        source = frames[-1].source if frames else None
        match = re.match(r"^\s*from\s+([\w.]+)\s+import", source or "")
        if match:
            module, name = match.group(1), found.group("name")
            importer = _importer(lines, index, module.split(".")[0])
            entry = _lookup(entries, module, name, None)
            if entry is not None:
                return [_from_entry(entry, "%s.%s" % (module, name), importer, python)]
            guess = _guess(module, name, importer, frames[-1].path)
            return [guess] if guess else []
        return []
    found = _OBJECT_ATTR.search(line)
    if found:
        entry = _lookup(entries, None, found.group("name"), found.group("object"))
        if entry is not None:
            importer = _importer(lines, index, entry.modules[0].split(".")[0])
            return [_from_entry(entry, "%s.%s" % (found.group("object"), found.group("name")),
                                importer, python)]
        return []
    found = _NO_MODULE.search(line)
    if found:
        entry = _lookup(entries, found.group("module"), None, None)
        if entry is not None:
            importer = _importer(lines, index, found.group("module").split(".")[0])
            return [_from_entry(entry, "the module %s" % found.group("module"), importer,
                                python)]
    return []
