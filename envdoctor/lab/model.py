"""The lab as data: what its files install, import, set, ask for and fetch.

Every fact carries a :class:`Where` (file, cell, line) so that a finding can point at the line
of the notebook a student would change. Nothing here runs the lab; :mod:`envdoctor.lab.reader`
builds these from the files.
"""

import os
from dataclasses import dataclass
from typing import FrozenSet, Optional, Tuple

__all__ = [
    "Where",
    "WheelFile",
    "InstallItem",
    "InstallLine",
    "EnvSetting",
    "ImportStatement",
    "DeviceRequest",
    "HubFetch",
    "LabWarning",
    "LabFile",
    "Lab",
]


@dataclass(frozen=True)
class Where:
    """A place in the lab: ``cell`` is the 1-based cell of a notebook (None in a script or a
    requirements file), ``line`` the 1-based line in that cell (or file)."""

    file: str
    line: int
    cell: Optional[int] = None

    def describe(self) -> str:
        if self.cell is None:
            return "%s:%d" % (self.file, self.line)
        return "%s cell %d line %d" % (self.file, self.cell, self.line)

    def to_dict(self) -> dict:
        return {"file": self.file, "cell": self.cell, "line": self.line}


@dataclass(frozen=True)
class WheelFile:
    """What a wheel's file name says (``packaging.utils.parse_wheel_filename``)."""

    name: str
    version: str
    tags: Tuple[str, ...]  # "cp39-cp39-linux_aarch64", one per expanded tag

    @property
    def pythons(self) -> Tuple[str, ...]:
        return tuple(sorted({t.split("-")[0] for t in self.tags}))

    @property
    def platforms(self) -> Tuple[str, ...]:
        return tuple(sorted({t.split("-")[2] for t in self.tags}))


@dataclass(frozen=True)
class InstallItem:
    """One thing an install line asks for.

    ``kind``: ``name`` (a PEP 508 requirement), ``wheel`` (a .whl URL or path), ``git``
    (``git+URL@ref``), ``url`` (another archive URL), ``path`` (a local directory or
    archive), ``conda`` (a conda spec, kept as written)."""

    text: str
    kind: str
    name: Optional[str] = None
    specifier: str = ""
    extras: Tuple[str, ...] = ()
    marker: str = ""
    url: Optional[str] = None
    ref: Optional[str] = None  # git: the tag, branch or commit after '@'
    wheel: Optional[WheelFile] = None
    variables: Tuple[str, ...] = ()  # shell variables ($X, ${X}) the text uses

    @property
    def pinned(self) -> bool:
        """Does this item say which release it installs?"""
        if self.kind in ("wheel", "git", "url", "path"):
            return True
        return "==" in self.specifier or "===" in self.specifier

    @property
    def is_local(self) -> bool:
        return self.kind == "path" or (self.kind == "wheel" and not self.url)


@dataclass(frozen=True)
class InstallLine:
    """One installer command of the lab (``!pip install ...``, a requirements file line)."""

    where: Where
    tool: str  # pip | conda | requirements
    action: str  # install | uninstall | download | config | create | ...
    text: str  # the command as written
    items: Tuple[InstallItem, ...] = ()
    index_url: Optional[str] = None
    extra_index_urls: Tuple[str, ...] = ()
    trusted_hosts: Tuple[str, ...] = ()
    find_links: Tuple[str, ...] = ()
    requirement_files: Tuple[str, ...] = ()
    constraint_files: Tuple[str, ...] = ()
    options: Tuple[str, ...] = ()  # the other flags (--upgrade, --no-deps, ...)
    config: Tuple[Tuple[str, str], ...] = ()  # pip config set KEY VALUE


@dataclass(frozen=True)
class EnvSetting:
    """An environment variable the lab sets. ``how``: ``%env``, ``os.environ``, ``export``
    (a ``!export`` line: it dies with its own shell, so the next ``!`` line never sees it)."""

    where: Where
    name: str
    value: Optional[str]  # None when not a literal
    how: str

    @property
    def persists(self) -> bool:
        return self.how != "export"


@dataclass(frozen=True)
class ImportStatement:
    """``import a.b as c`` (module ``a.b``, no names) or ``from m import x, y``."""

    where: Where
    module: str  # absolute dotted name; '' for ``from . import x``
    names: Tuple[str, ...] = ()  # names taken by a from-import ('*' for a star)
    level: int = 0  # relative imports: the number of leading dots
    optional: bool = False  # inside ``try: ... except ImportError``
    function: Optional[str] = None  # the enclosing function, when not at module level
    statement: str = ""  # the statement rebuilt from the syntax tree (what --deep runs)

    @property
    def top(self) -> str:
        return self.module.split(".")[0]

    def symbols(self) -> Tuple[str, ...]:
        """``mindnlp.engine.Trainer`` for each name taken; the module for a plain import."""
        if self.level:
            return ()
        if not self.names:
            return (self.module,)
        return tuple("%s.%s" % (self.module, n) for n in self.names if n != "*")


@dataclass(frozen=True)
class DeviceRequest:
    """``set_context(device_target='Ascend')``, ``set_device('GPU')``."""

    where: Where
    target: Optional[str]  # None when not a literal
    call: str  # the call as the lab spells it: "mindspore.set_context"
    text: str  # the source line, to say what to change


@dataclass(frozen=True)
class HubFetch:
    """What the lab downloads from a model or dataset hub."""

    where: Where
    call: str  # from_pretrained | load_dataset | evaluate.load | ...
    what: Optional[str]  # "openai-gpt", "imdb"; None when not a literal
    receiver: str = ""  # OpenAIGPTTokenizer, mindnlp.dataset.load_dataset, ...


@dataclass(frozen=True)
class LabWarning:
    """Input envdoctor could not read (a cell that does not parse, a bad install line)."""

    where: Where
    message: str

    def describe(self) -> str:
        return "%s: %s" % (self.where.describe(), self.message)


@dataclass(frozen=True)
class LabFile:
    path: str
    kind: str  # notebook | script | requirements
    cells: int = 0  # code cells read (notebooks)


@dataclass(frozen=True)
class Lab:
    """Everything read from a lab's files, in the order a student runs them."""

    path: str
    files: Tuple[LabFile, ...] = ()
    installs: Tuple[InstallLine, ...] = ()
    imports: Tuple[ImportStatement, ...] = ()
    env: Tuple[EnvSetting, ...] = ()
    devices: Tuple[DeviceRequest, ...] = ()
    fetches: Tuple[HubFetch, ...] = ()
    warnings: Tuple[LabWarning, ...] = ()
    # The files and folders beside the lab when it was read from somewhere other than the
    # disk (a commit, for `lab scan --history`): paths relative to the folder ``path`` is
    # relative to. None: the disk is asked.
    tree: Optional[FrozenSet[str]] = None

    def exists(self, path: str) -> bool:
        """Whether a file the lab names (a local wheel, a module beside it) is there: in
        ``tree`` for a lab read from a commit, else on disk."""
        path = os.path.expanduser(path)
        if self.tree is None or os.path.isabs(path):
            return os.path.exists(path)
        return os.path.normpath(path) in self.tree

    def symbols(self, tops: Tuple[str, ...] = ()) -> Tuple[str, ...]:
        """Every dotted name the lab imports (recipe ``symbols`` form), in order, once."""
        seen: list = []
        for stmt in self.imports:
            if tops and stmt.top not in tops:
                continue
            for sym in stmt.symbols():
                if sym not in seen:
                    seen.append(sym)
        return tuple(seen)

    def imported_tops(self) -> Tuple[str, ...]:
        out: list = []
        for stmt in self.imports:
            if not stmt.level and stmt.top and stmt.top not in out:
                out.append(stmt.top)
        return tuple(out)

    def install_items(self) -> Tuple[Tuple[InstallLine, InstallItem], ...]:
        return tuple((line, item) for line in self.installs if line.action == "install"
                     for item in line.items)

    def env_value(self, name: str) -> Optional[str]:
        """The last persisting value the lab gives ``name``."""
        value = None
        for setting in self.env:
            if setting.name == name and setting.persists:
                value = setting.value
        return value

    def to_dict(self) -> dict:
        def item(i: InstallItem) -> dict:
            out: dict = {"text": i.text, "kind": i.kind, "name": i.name, "specifier": i.specifier,
                   "extras": list(i.extras), "marker": i.marker, "url": i.url, "ref": i.ref,
                   "variables": list(i.variables)}
            if i.wheel:
                out["wheel"] = {"name": i.wheel.name, "version": i.wheel.version,
                                "tags": list(i.wheel.tags)}
            return out

        return {
            "path": self.path,
            "files": [{"path": f.path, "kind": f.kind, "cells": f.cells} for f in self.files],
            "installs": [{"where": l.where.to_dict(), "tool": l.tool, "action": l.action,
                          "text": l.text, "items": [item(i) for i in l.items],
                          "index_url": l.index_url, "extra_index_urls": list(l.extra_index_urls),
                          "trusted_hosts": list(l.trusted_hosts), "find_links": list(l.find_links),
                          "requirement_files": list(l.requirement_files),
                          "options": list(l.options), "config": [list(c) for c in l.config]}
                         for l in self.installs],
            "imports": [{"where": s.where.to_dict(), "module": s.module, "names": list(s.names),
                         "level": s.level, "optional": s.optional, "function": s.function,
                         "statement": s.statement} for s in self.imports],
            "env": [{"where": e.where.to_dict(), "name": e.name, "value": e.value, "how": e.how}
                    for e in self.env],
            "devices": [{"where": d.where.to_dict(), "target": d.target, "call": d.call}
                        for d in self.devices],
            "fetches": [{"where": h.where.to_dict(), "call": h.call, "what": h.what,
                         "receiver": h.receiver} for h in self.fetches],
            "warnings": [{"where": w.where.to_dict(), "message": w.message}
                         for w in self.warnings],
        }
