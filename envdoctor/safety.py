"""Data never becomes a command or an option.

A distribution's name, a requirement or a path comes from a target's metadata, a student's
file or pasted text, and may be hostile: ``Name: --find-links http://host/`` turns a
requirements file into an instruction for pip; ``-r file`` adds packages. This module holds
the gates such data passes before it is written where pip reads it or a command is printed:

- :func:`valid_distribution_name`: PEP 508 names only (no control characters, newlines,
  spaces or a leading ``-``);
- :func:`drop_invalid_distributions`: a snapshot's entries with such names are set aside
  under ``invalid_distributions`` (and reported by :func:`check` as ED950), never used;
- :func:`checked_requirement`: a requirement line written for pip only after
  :class:`packaging.requirements.Requirement` parses it back to the same requirement.
"""

import os
import re
from typing import Any, Dict, List

from packaging.requirements import InvalidRequirement, Requirement

__all__ = ["NAME_PATTERN", "valid_distribution_name", "drop_invalid_distributions",
           "UnsafeRequirement", "checked_requirement", "check", "write_private"]

# PEP 508 (and the core metadata spec): letters, digits, ``.``, ``_``, ``-``, starting and
# ending with a letter or digit.
NAME_PATTERN = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def valid_distribution_name(name: Any) -> bool:
    return isinstance(name, str) and bool(NAME_PATTERN.match(name))


def drop_invalid_distributions(data: Dict[str, Any]) -> Dict[str, Any]:
    """``data`` (a snapshot's dict) without distribution entries whose name is not a PEP 508
    name; those are listed under ``invalid_distributions`` as ``{"path", "name"}``. The
    input is not changed; when every name is valid it is returned as it is."""
    dists = data.get("distributions")
    if not isinstance(dists, list):
        return data
    keep, bad = [], []  # type: List[Any], List[Dict[str, Any]]
    for entry in dists:
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(entry, dict) and not valid_distribution_name(name):
            bad.append({"path": str(entry.get("metadata_path") or entry.get("location") or ""),
                        "name": str(name)[:200]})
        else:
            keep.append(entry)
    if not bad:
        return data
    out = dict(data)
    out["distributions"] = keep
    out["invalid_distributions"] = list(data.get("invalid_distributions") or []) + bad
    return out


def write_private(path: str, text: str) -> None:
    """Write ``text`` to a new 0600 file (never through a symlink planted there)."""
    tmp = path + ".tmp"
    try:
        os.unlink(tmp)
    except OSError:
        pass
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


class UnsafeRequirement(ValueError):
    """A requirement line that pip could read as something else (an option, two lines)."""


def _same(a: Requirement, b: Requirement) -> bool:
    return (a.name == b.name and a.url == b.url and set(a.extras) == set(b.extras)
            and str(a.specifier) == str(b.specifier) and str(a.marker) == str(b.marker))


def checked_requirement(text: str) -> str:
    """The requirement as written for pip's ``-r`` / ``-c`` files: one PEP 508 requirement,
    nothing pip could read as an option, a continuation or an environment variable."""
    line = str(text).strip()
    if not line or line.startswith("-") or _CONTROL.search(line) or "${" in line \
            or line.endswith("\\") or " #" in line:
        raise UnsafeRequirement("refused requirement %r: not a single PEP 508 requirement"
                                % line[:200])
    try:
        req = Requirement(line)
    except InvalidRequirement as exc:
        raise UnsafeRequirement("refused requirement %r: %s" % (line[:200], exc))
    written = str(req)
    try:
        again = Requirement(written)
    except InvalidRequirement as exc:  # pragma: no cover - packaging writes what it reads
        raise UnsafeRequirement("refused requirement %r: %s" % (line[:200], exc))
    if not _same(req, again) or not valid_distribution_name(req.name):
        raise UnsafeRequirement("refused requirement %r: it does not read back the same"
                                % line[:200])
    return written


def check(context: Any) -> List[Any]:
    """ED950: distributions whose metadata name is not a valid name (set aside, never used)."""
    from envdoctor.findings import Evidence, Finding, Severity

    bad = context.snapshot.raw.get("invalid_distributions") or []
    findings = []
    for item in bad[:50]:
        if not isinstance(item, dict):
            continue
        name, path = str(item.get("name", "")), str(item.get("path", ""))
        findings.append(Finding(
            code="ED950", severity=Severity.WARNING,
            title="A distribution with an invalid name: %r" % name[:80],
            because="Its metadata's Name is not a valid distribution name (PEP 508: letters, "
                    "digits, '.', '_', '-'); pip cannot install or uninstall it by that name, "
                    "and a name like '--find-links URL' would be an option to pip. envdoctor "
                    "ignores it and never passes it to pip.",
            evidence=Evidence(installed=repr(name[:200]), needed="a PEP 508 name",
                              details=(("metadata", path),)),
            packages=(),
        ))
    return findings
