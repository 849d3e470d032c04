"""The signature table (``signatures.yaml``): error texts and what they mean.

The schema is documented in ``docs/signatures-schema.md``. :func:`load_signatures` validates
every entry and raises :class:`~envdoctor.yamlfile.DataFileError` naming the line of a bad
one, as the matrix loader does.
"""

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Pattern, Sequence, Tuple

from packaging.requirements import InvalidRequirement, Requirement

from envdoctor.yamlfile import LINE_KEY, DataFileError, line_of, load_document

__all__ = ["Signature", "SignatureTable", "load_signatures", "fill", "SOURCE_PREFIXES"]

SOURCE_PREFIXES = ("verified", "declared", "reported")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_KEYS = {"id", "match", "context", "examples", "title", "because", "packages", "fix", "source", "ref",
         LINE_KEY}
_FIX_KEYS = {"requirements", "command", "text", LINE_KEY}


@dataclass(frozen=True)
class Signature:
    id: str
    line: Optional[int]
    patterns: Tuple[Pattern, ...]
    context: Tuple[str, ...]  # one of these words must appear in the input
    title: str
    because: str
    packages: Tuple[str, ...]
    fix_requirements: Tuple[str, ...]
    fix_command: Optional[str]
    fix_text: Optional[str]
    source: str
    ref: Optional[str] = None
    examples: Tuple[str, ...] = ()

    def search(self, line: str) -> Optional[Dict[str, str]]:
        """The named groups of the first pattern that matches ``line``; None if none does."""
        for pattern in self.patterns:
            found = pattern.search(line)
            if found:
                return {k: v for k, v in found.groupdict().items() if v is not None}
        return None


@dataclass(frozen=True)
class SignatureTable:
    path: str
    signatures: Tuple[Signature, ...]


def fill(template: Optional[str], groups: Dict[str, str]) -> Optional[str]:
    """Put the named groups into ``{name}`` placeholders; others are left as they are."""
    if template is None:
        return None
    return _PLACEHOLDER.sub(lambda m: groups.get(m.group(1), m.group(0)), template)


def _text(path: str, line: Optional[int], sid: str, entry: Dict[str, Any], key: str,
          required: bool = True) -> Optional[str]:
    value = entry.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DataFileError(path, line, "signature %r: %r is required (text)" % (sid, key))
    return " ".join(value.split())


def _strings(path: str, line: Optional[int], sid: str, value: Any, key: str) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise DataFileError(path, line, "signature %r: %r must be a string or a list of "
                            "strings" % (sid, key))
    return list(value)


def _parse(path: str, entry: Any, seen: Dict[str, Optional[int]]) -> Signature:
    if not isinstance(entry, dict):
        raise DataFileError(path, None, "each signature must be a mapping, got %r" % (entry,))
    line = line_of(entry)
    sid = entry.get("id")
    if not isinstance(sid, str) or not _ID.match(sid):
        raise DataFileError(path, line, "signature id %r: must be lower-case words joined by "
                            "'-'" % (sid,))
    if sid in seen:
        raise DataFileError(path, line, "signature id %r is already used at line %s"
                            % (sid, seen[sid]))
    unknown = set(entry) - _KEYS
    if unknown:
        raise DataFileError(path, line, "signature %r: unknown keys %s (allowed: %s)" % (
            sid, ", ".join(sorted(map(str, unknown))), ", ".join(sorted(_KEYS - {LINE_KEY}))))
    raw_patterns = _strings(path, line, sid, entry.get("match"), "match")
    if not raw_patterns:
        raise DataFileError(path, line, "signature %r: 'match' is required (a regular "
                            "expression or a list of them)" % sid)
    patterns = []
    groups = None  # type: Optional[set]
    for raw in raw_patterns:
        try:
            pattern = re.compile(raw)
        except re.error as exc:
            raise DataFileError(path, line, "signature %r: match %r is not a valid regular "
                                "expression: %s" % (sid, raw, exc))
        patterns.append(pattern)
        names = set(pattern.groupindex)
        groups = names if groups is None else groups & names
    title = _text(path, line, sid, entry, "title")
    because = _text(path, line, sid, entry, "because")
    packages = _strings(path, line, sid, entry.get("packages"), "packages") \
        if entry.get("packages") else []
    fix = entry.get("fix")
    if not isinstance(fix, dict):
        raise DataFileError(path, line, "signature %r: 'fix' is required, a mapping with "
                            "requirements, command and/or text" % sid)
    fix_line = line_of(fix) or line
    bad = set(fix) - _FIX_KEYS
    if bad:
        raise DataFileError(path, fix_line, "signature %r: unknown fix keys %s (allowed: "
                            "requirements, command, text)" % (sid, ", ".join(sorted(bad))))
    reqs = _strings(path, fix_line, sid, fix.get("requirements"), "fix.requirements")
    for req in reqs:
        if _PLACEHOLDER.search(req):
            continue
        try:
            Requirement(req)
        except InvalidRequirement as exc:
            raise DataFileError(path, fix_line, "signature %r: fix requirement %r: %s"
                                % (sid, req, exc))
    command = _text(path, fix_line, sid, fix, "command", required=False)
    text = _text(path, fix_line, sid, fix, "text", required=False)
    if not reqs and not command and not text:
        raise DataFileError(path, fix_line, "signature %r: 'fix' needs requirements, a "
                            "command or text" % sid)
    source = entry.get("source")
    if not isinstance(source, str) or not (
            source.startswith(("https://", "http://")) or
            source.split(":", 1)[0].strip() in SOURCE_PREFIXES):
        raise DataFileError(path, line, "signature %r: 'source' must be a link or start with "
                            "'verified', 'declared' or 'reported', got %r" % (sid, source))
    used = set()
    for value in [title, because, command, text] + reqs + packages:
        used |= set(_PLACEHOLDER.findall(value or ""))
    missing = used - (groups or set())
    if missing:
        raise DataFileError(path, line, "signature %r: {%s} is used but not a named group "
                            "(?P<%s>...) of every pattern" % (sid, sorted(missing)[0],
                                                              sorted(missing)[0]))
    for example in _strings(path, line, sid, entry.get("examples"), "examples"):
        if not any(p.search(example) for p in patterns):
            raise DataFileError(path, line, "signature %r: no pattern matches its example %r"
                                % (sid, example))
    context = _strings(path, line, sid, entry.get("context"), "context")
    ref = entry.get("ref")
    seen[sid] = line
    return Signature(sid, line, tuple(patterns), tuple(context), title or "", because or "",
                     tuple(packages), tuple(reqs), command, text, source.strip(),
                     str(ref) if ref is not None else None,
                     tuple(_strings(path, line, sid, entry.get("examples"), "examples")))


def load_signatures(path: str) -> SignatureTable:
    data = load_document(path, "signatures")
    seen = {}  # type: Dict[str, Optional[int]]
    return SignatureTable(path, tuple(_parse(path, e, seen) for e in data["signatures"]))


def first_match(table: Sequence[Signature], line: str, whole: str
                ) -> Optional[Tuple[Signature, Dict[str, str]]]:
    """The first signature (in file order) that matches ``line``, with its groups."""
    from envdoctor.explain.textutil import mentions

    for sig in table:
        groups = sig.search(line)
        if groups is None:
            continue
        if sig.context and not mentions(whole, sig.context):
            continue
        return sig, groups
    return None
