"""Version handling that never crashes on the versions this field really has.

Package versions are PEP 440 (``packaging``); anything else (``2.2.3.2c7f2141``) parses to
``None`` and the caller reports it. Device software (CANN ``8.0.RC3``, drivers ``24.1.rc1``)
goes through :func:`parse_lenient`, which normalises such strings first.
"""

import re
from typing import Optional, Tuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

__all__ = ["parse_version", "parse_lenient", "parse_spec", "spec_contains", "format_spec"]


def parse_version(text: Optional[str]) -> Optional[Version]:
    if text is None:
        return None
    try:
        return Version(str(text).strip())
    except InvalidVersion:
        return None


_RC = re.compile(r"[.\-_]?(rc|alpha|beta|a|b|t|spc|hotfix)[.\-_]?(\d*)", re.IGNORECASE)


def parse_lenient(text: Optional[str]) -> Optional[Version]:
    """``8.0.RC3`` -> 8.0rc3; ``24.1.rc1`` -> 24.1rc1; ``7.0.T3`` -> 7.0a3; else PEP 440."""
    if not text:
        return None
    found = parse_version(text)
    if found is not None:
        return found
    cleaned = str(text).strip()

    def repl(match: "re.Match[str]") -> str:
        kind = match.group(1).lower()
        num = match.group(2) or "0"
        mapped = {"rc": "rc", "alpha": "a", "a": "a", "beta": "b", "b": "b", "t": "a"}.get(kind)
        if mapped is None:  # SPC / hotfix patches are post-releases
            return ".post" + num
        return mapped + num

    cleaned = _RC.sub(repl, cleaned, count=1)
    return parse_version(cleaned)


def parse_spec(text: Optional[str]) -> Optional[SpecifierSet]:
    if text is None:
        return None
    try:
        return SpecifierSet(str(text).strip())
    except InvalidSpecifier:
        return None


def spec_contains(spec: SpecifierSet, version: Optional[str]) -> Optional[bool]:
    """Whether the installed ``version`` satisfies ``spec``; None when it cannot be parsed."""
    parsed = parse_version(version)
    if parsed is None:
        return None
    return spec.contains(parsed, prereleases=True)


def _spec_order(spec: str) -> Tuple[int, str]:
    # Lower bounds first reads naturally: >=0.14,<0.15
    op = re.match(r"[<>=!~]+", spec)
    rank = {">=": 0, ">": 0, "~=": 1, "==": 1, "===": 1, "!=": 2, "<=": 3, "<": 3}
    return (rank.get(op.group(0) if op else "", 4), spec)


def format_spec(spec: SpecifierSet) -> str:
    return ",".join(sorted((str(s) for s in spec), key=_spec_order))
