"""pip's conflict lines, as structured conflicts with a fix.

- the resolver, after ``pip install``:
  ``transformers 4.35.0 requires tokenizers<0.15,>=0.14, but you have tokenizers 0.15.0 which
  is incompatible.``
- ``pip check``: ``transformers 4.35.0 has requirement tokenizers<0.15,>=0.14, but you have
  tokenizers 0.15.0.`` and ``mindnlp 0.1.1 requires regex, which is not installed.``
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

from envdoctor.explain.model import Explanation
from envdoctor.findings import pip_install_command
from envdoctor.versions import format_spec

__all__ = ["Conflict", "parse_conflict", "conflict_explanations", "tighten"]

_RESOLVER = re.compile(r"^(?:ERROR: )?(?P<a>[A-Za-z0-9][\w.\-]*) (?P<av>\S+) requires "
                       r"(?P<req>.+?), but you have (?P<b>[A-Za-z0-9][\w.\-]*) (?P<bv>\S+?) "
                       r"which is incompatible\.?$")
_CHECK = re.compile(r"^(?P<a>[A-Za-z0-9][\w.\-]*) (?P<av>\S+) has requirement (?P<req>.+?), "
                    r"but you have (?P<b>[A-Za-z0-9][\w.\-]*) (?P<bv>\S+?)\.?$")
# pip 10 to 20.2 after an install: "... has requirement X, but you'll have X v which is
# incompatible."
_LEGACY = re.compile(r"^(?:ERROR: )?(?P<a>[A-Za-z0-9][\w.\-]*) (?P<av>\S+) has requirement "
                     r"(?P<req>.+?), but you'll have (?P<b>[A-Za-z0-9][\w.\-]*) (?P<bv>\S+?) "
                     r"which is incompatible\.?$")
_MISSING = re.compile(r"^(?:ERROR: )?(?P<a>[A-Za-z0-9][\w.\-]*) (?P<av>\S+) requires "
                      r"(?P<req>[^,]+?), which is not installed\.?$")


@dataclass(frozen=True)
class Conflict:
    """``a av`` declares ``requirement``; ``b`` is installed at ``bv`` (None: not at all)."""

    a: str
    av: str
    requirement: str
    b: str
    bv: Optional[str]
    tool: str  # resolver | pip-check
    line: str
    line_number: int

    @property
    def spec(self) -> Optional[SpecifierSet]:
        try:
            return Requirement(self.requirement).specifier
        except InvalidRequirement:
            return None


def parse_conflict(line: str, number: int) -> Optional[Conflict]:
    text = line.strip()
    for pattern, tool in ((_RESOLVER, "resolver"), (_LEGACY, "resolver"), (_CHECK, "pip-check")):
        found = pattern.match(text)
        if found:
            return Conflict(found.group("a"), found.group("av"), found.group("req").strip(),
                            found.group("b"), found.group("bv"), tool, text, number)
    found = _MISSING.match(text)
    if found:
        req = found.group("req").strip()
        try:
            name = Requirement(req).name
        except InvalidRequirement:
            return None
        return Conflict(found.group("a"), found.group("av"), req, name, None,
                        "resolver" if text.startswith("ERROR") else "pip-check", text, number)
    return None


def tighten(spec: SpecifierSet) -> SpecifierSet:
    """Keep the highest lower bound and the lowest upper bound of a combined specifier:
    ``>=1.15.0,>=1.20.0,<2.0.0`` -> ``>=1.20.0,<2.0.0``."""
    from packaging.version import InvalidVersion, Version

    lowers, uppers, rest = [], [], []  # type: List[Tuple], List[Tuple], List[str]
    for item in spec:
        try:
            version = Version(item.version)
        except InvalidVersion:
            rest.append(str(item))
            continue
        if item.operator in (">=", ">"):
            lowers.append((version, item.operator == ">", str(item)))
        elif item.operator in ("<", "<="):
            uppers.append((version, item.operator == "<=", str(item)))
        else:
            rest.append(str(item))
    if lowers:
        rest.append(max(lowers)[2])
    if uppers:
        rest.append(min(uppers)[2])
    return SpecifierSet(",".join(rest))


def _requirement(name: str, specs: Sequence[SpecifierSet]) -> str:
    combined = SpecifierSet("")
    for spec in specs:
        combined &= spec
    combined = tighten(combined)
    return name + (format_spec(combined) if str(combined) else "")


def conflict_explanations(conflicts: Sequence[Conflict]) -> List[Explanation]:
    """One explanation per distribution that is wrong or missing: all the packages that
    need it, the one requirement that satisfies them all, the pip command."""
    groups: Dict[Tuple[str, Optional[str]], List[Conflict]] = {}
    order: List[Tuple[str, Optional[str]]] = []
    for c in conflicts:
        key = (c.b.lower().replace("_", "-"), c.bv)
        if key not in groups:
            groups[key] = []
            order.append(key)
        if all(g.a.lower() != c.a.lower() for g in groups[key]):
            groups[key].append(c)
    out = []
    for key in order:
        group = groups[key]
        first = group[0]
        needers = ["%s %s" % (c.a, c.av) for c in group]
        specs = [c.spec for c in group if c.spec is not None]
        wanted = _requirement(first.b, specs)
        shown = ", ".join("%s (%s)" % (n, c.requirement) for n, c in zip(needers, group))
        tool = "pip check" if first.tool == "pip-check" else "pip's resolver"
        if first.bv is None:
            title = "%s is not installed, but %s requires it" % (first.b, " and ".join(needers))
            because = ("%s declare%s %s as a dependency (Requires-Dist), and it is not "
                       "installed, so importing %s will fail where it uses it." % (
                           " and ".join(needers), "" if len(group) > 1 else "s",
                           first.requirement, group[0].a))
            kind = "pip-missing"
        else:
            title = "%s %s is outside what %s need%s" % (
                first.b, first.bv, " and ".join(needers), "" if len(group) > 1 else "s")
            because = ("%s declare%s %s (Requires-Dist), but %s %s is installed; %s" % (
                " and ".join(needers), "" if len(group) > 1 else "s",
                " and ".join(c.requirement for c in group), first.b, first.bv,
                "pip installed it for another package without re-checking the ones already "
                "there." if first.tool == "resolver" else
                "pip check reports what the installed metadata declares."))
            kind = "pip-conflict"
        evidence = tuple("line %d: %s" % (c.line_number, c.line) for c in group[1:])
        out.append(Explanation(
            title=title, because=because,
            packages=tuple([first.b] + [c.a for c in group]),
            fix=pip_install_command([wanted]), source="declared: %s metadata (%s)" % (
                ", ".join(needers), tool),
            kind=kind, id=None,
            note="Moving %s can break whatever needed %s; run `python -m pip check` "
                 "afterwards." % (first.b, first.bv) if first.bv else None,
            evidence=evidence + (("needed: " + shown,) if len(group) > 1 else ()),
            line=first.line, line_number=first.line_number, requirements=(wanted,)))
    return out
