"""The compatibility matrix: rules about which versions really work together.

The file format is documented in ``docs/matrix-schema.md`` (and at the top of
``compat_matrix.yaml``). :func:`load_matrix` validates every rule and raises
:class:`~envdoctor.yamlfile.DataFileError` naming the line of a bad entry.
"""

import os
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

from envdoctor.findings import Severity
from envdoctor.snapshot import Distribution, Snapshot, canonical_name
from envdoctor.versions import format_spec, parse_spec, spec_contains
from envdoctor.yamlfile import LINE_KEY, DataFileError, line_of, load_document

__all__ = [
    "PackageSpec",
    "Source",
    "Rule",
    "Matrix",
    "load_matrix",
    "parse_package_spec",
    "ORIGINS",
    "VERDICTS",
    "SOURCE_KINDS",
]

ORIGINS = ("index", "vcs", "url", "editable", "local")
VERDICTS = {"works": ("ED203", Severity.INFO), "broken": ("ED201", Severity.ERROR),
            "unsupported": ("ED202", Severity.WARNING)}
SOURCE_KINDS = ("declared", "verified", "reported")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class PackageSpec:
    """A condition on one package: a version range, an origin, or that it is absent."""

    name: str
    spec: Optional[SpecifierSet] = None
    origin: Optional[str] = None  # index, vcs, url, editable, local
    absent: bool = False
    install: Optional[str] = None  # what to pip install to satisfy it (e.g. a git URL)
    note: Optional[str] = None

    @property
    def key(self) -> str:
        return canonical_name(self.name)

    def describe(self) -> str:
        if self.absent:
            return "%s not installed" % self.name
        text = self.name + (format_spec(self.spec) if self.spec else "")
        if self.origin:
            text += " (from %s)" % self.origin
        return text

    def matches(self, dist: Optional[Distribution]) -> Optional[bool]:
        """True/False; None when the installed version cannot be parsed."""
        if self.absent:
            return dist is None
        if dist is None:
            return False
        if self.origin and dist.origin != self.origin:
            return False
        if self.spec is None:
            return True
        return spec_contains(self.spec, dist.version)

    def requirement(self) -> str:
        """A pip requirement that satisfies this spec."""
        if self.install:
            return self.install
        return self.name + (format_spec(self.spec) if self.spec else "")


def parse_package_spec(path: str, line: Optional[int], name: str, value: Any) -> PackageSpec:
    """``"==0.5.1"``, ``"absent"``, ``"*"`` or ``{version, from, install, note}``."""
    if not isinstance(name, str) or not name:
        raise DataFileError(path, line, "package names must be strings, got %r" % (name,))
    line = line_of(value) or line
    if value is None or value == "*":
        return PackageSpec(name)
    if value == "absent":
        return PackageSpec(name, absent=True)
    if isinstance(value, (int, float)):
        value = "==%s" % value
    if isinstance(value, str):
        spec = parse_spec(value)
        if spec is None:
            raise DataFileError(path, line, "%s: %r is not a version specifier (e.g. '>=2.7,<2.8')"
                                % (name, value))
        return PackageSpec(name, spec)
    if isinstance(value, dict):
        unknown = set(value) - {"version", "from", "install", "note", LINE_KEY}
        if unknown:
            raise DataFileError(path, line, "%s: unknown keys %s (allowed: version, from, install, "
                                "note)" % (name, ", ".join(sorted(unknown))))
        spec = None
        if value.get("version") is not None:
            spec = parse_spec(str(value["version"]))
            if spec is None:
                raise DataFileError(path, line, "%s: version %r is not a specifier"
                                    % (name, value["version"]))
        origin = value.get("from")
        if origin is not None and origin not in ORIGINS:
            raise DataFileError(path, line, "%s: 'from' must be one of %s, got %r"
                                % (name, ", ".join(ORIGINS), origin))
        return PackageSpec(name, spec, origin, False, value.get("install"), value.get("note"))
    raise DataFileError(path, line, "%s: expected a specifier string or a mapping, got %r"
                        % (name, value))


@dataclass(frozen=True)
class Source:
    kind: str  # declared | verified | reported
    link: Optional[str] = None
    date: Optional[str] = None
    versions: Tuple[Tuple[str, str], ...] = ()
    platform: Optional[str] = None
    freeze: Optional[str] = None
    note: Optional[str] = None

    def describe(self) -> str:
        if self.kind == "verified":
            pins = ", ".join("%s %s" % kv for kv in self.versions)
            return "verified by envdoctor on %s (%s%s)" % (
                self.date, pins, ", " + self.platform if self.platform else "")
        if self.kind == "reported":
            return "reported: %s" % self.link
        return "declared: %s" % (self.note or self.link or "package metadata")

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "link": self.link, "date": self.date,
                "versions": dict(self.versions), "platform": self.platform,
                "freeze": self.freeze, "note": self.note}


@dataclass(frozen=True)
class Rule:
    id: str
    line: Optional[int]
    packages: Tuple[PackageSpec, ...]
    python: Optional[SpecifierSet]
    platforms: Tuple[str, ...]
    verdict: str
    code: str
    severity: Severity
    title: str
    because: str
    fix_requirements: Tuple[str, ...]
    fix_text: Optional[str]
    error: Optional[str]
    source: Source

    def applies(self, snapshot: Snapshot) -> bool:
        if self.python is not None and not spec_contains(self.python, snapshot.python_version):
            return False
        if self.platforms and snapshot.platform_tag not in self.platforms and \
                snapshot.platform_tag.split("-")[0] not in self.platforms:
            return False
        for pkg in self.packages:
            if pkg.matches(snapshot.get(pkg.name)) is not True:
                return False
        return True


def platform_tag(snapshot: Snapshot) -> str:
    """``linux-x86_64``, ``darwin-arm64``, ``windows-amd64``: kept for callers; the fact is
    the snapshot's (:attr:`Snapshot.platform_tag`)."""
    return snapshot.platform_tag


@dataclass(frozen=True)
class Matrix:
    path: str
    rules: Tuple[Rule, ...]

    def matching(self, snapshot: Snapshot) -> List[Rule]:
        return [r for r in self.rules if r.applies(snapshot)]


def _require(path: str, entry: Dict[str, Any], key: str, kind: type) -> Any:
    value = entry.get(key)
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise DataFileError(path, line_of(entry), "rule %r: %r is required (%s)"
                            % (entry.get("id", "?"), key, kind.__name__))
    return value


def _parse_source(path: str, rule_id: str, line: Optional[int], raw: Any) -> Source:
    if not isinstance(raw, dict):
        raise DataFileError(path, line, "rule %r: 'source' is required, a mapping with 'kind'"
                            % rule_id)
    line = line_of(raw) or line
    kind = raw.get("kind")
    if kind not in SOURCE_KINDS:
        raise DataFileError(path, line, "rule %r: source kind must be one of %s, got %r"
                            % (rule_id, ", ".join(SOURCE_KINDS), kind))
    versions = raw.get("versions") or {}
    if not isinstance(versions, dict):
        raise DataFileError(path, line, "rule %r: source versions must be a mapping" % rule_id)
    pairs = tuple((str(k), str(v)) for k, v in versions.items() if k != LINE_KEY)
    date = raw.get("date")
    if date is not None:
        date = str(date)
    if kind == "reported" and not raw.get("link"):
        raise DataFileError(path, line, "rule %r: a reported source needs a 'link'" % rule_id)
    if kind == "verified":
        if not date or not _DATE.match(date):
            raise DataFileError(path, line, "rule %r: a verified source needs 'date: YYYY-MM-DD'"
                                % rule_id)
        if not pairs:
            raise DataFileError(path, line, "rule %r: a verified source needs the exact "
                                "'versions' it ran" % rule_id)
    return Source(kind, raw.get("link"), date, pairs, raw.get("platform"), raw.get("freeze"),
                  raw.get("note"))


def _parse_rule(path: str, entry: Any) -> Rule:
    if not isinstance(entry, dict):
        raise DataFileError(path, None, "each rule must be a mapping, got %r" % (entry,))
    line = line_of(entry)
    allowed = {"id", "when", "verdict", "code", "title", "because", "fix", "error", "source",
               LINE_KEY}
    unknown = set(entry) - allowed
    if unknown:
        raise DataFileError(path, line, "rule %r: unknown keys %s" % (
            entry.get("id", "?"), ", ".join(sorted(map(str, unknown)))))
    rule_id = _require(path, entry, "id", str)
    when = entry.get("when")
    if not isinstance(when, dict):
        raise DataFileError(path, line, "rule %r: 'when' is required (packages/python/platforms)"
                            % rule_id)
    bad = set(when) - {"packages", "python", "platforms", LINE_KEY}
    if bad:
        raise DataFileError(path, line_of(when) or line, "rule %r: unknown 'when' keys %s"
                            % (rule_id, ", ".join(sorted(bad))))
    packages_raw = when.get("packages") or {}
    if not isinstance(packages_raw, dict):
        raise DataFileError(path, line_of(when) or line, "rule %r: 'packages' must map names to "
                            "specifiers" % rule_id)
    packages = tuple(parse_package_spec(path, line_of(packages_raw) or line, k, v)
                     for k, v in packages_raw.items() if k != LINE_KEY)
    python = None
    if when.get("python") is not None:
        python = parse_spec(str(when["python"]))
        if python is None:
            raise DataFileError(path, line_of(when) or line, "rule %r: python %r is not a "
                                "specifier" % (rule_id, when["python"]))
    platforms = when.get("platforms") or []
    if isinstance(platforms, str):
        platforms = [platforms]
    if not packages and python is None:
        raise DataFileError(path, line, "rule %r: 'when' names no packages and no python" % rule_id)
    verdict = entry.get("verdict")
    if verdict not in VERDICTS:
        raise DataFileError(path, line, "rule %r: verdict must be one of %s, got %r"
                            % (rule_id, ", ".join(VERDICTS), verdict))
    default_code, severity = VERDICTS[verdict]
    code = entry.get("code") or default_code
    title = _require(path, entry, "title", str)
    because = _require(path, entry, "because", str)
    fix = entry.get("fix") or {}
    if not isinstance(fix, dict):
        raise DataFileError(path, line, "rule %r: 'fix' must be a mapping (requirements, text)"
                            % rule_id)
    fix_reqs = fix.get("requirements") or []
    if isinstance(fix_reqs, str):
        fix_reqs = [fix_reqs]
    for req in fix_reqs:
        try:
            Requirement(str(req))
        except InvalidRequirement as exc:
            raise DataFileError(path, line_of(fix) or line, "rule %r: fix requirement %r: %s"
                                % (rule_id, req, exc))
    if verdict != "works" and not fix_reqs and not fix.get("text"):
        raise DataFileError(path, line, "rule %r: a %s rule needs a fix (requirements or text)"
                            % (rule_id, verdict))
    source = _parse_source(path, rule_id, line, entry.get("source"))
    return Rule(rule_id, line, packages, python, tuple(str(p).lower() for p in platforms),
                verdict, str(code), severity, title.strip(), " ".join(because.split()),
                tuple(str(r) for r in fix_reqs), fix.get("text"), entry.get("error"), source)


_CACHE: Dict[Tuple[str, float], Matrix] = {}


def load_matrix(path: str) -> Matrix:
    """The validated matrix; loaded once per process (per file version)."""
    try:
        key = (os.path.abspath(path), os.path.getmtime(path))
    except OSError:
        key = None
    if key is not None and key in _CACHE:
        return _CACHE[key]
    matrix = _load_matrix(path)
    if key is not None:
        _CACHE[key] = matrix
    return matrix


def _load_matrix(path: str) -> Matrix:
    data = load_document(path, "rules")
    rules = []
    seen: Dict[str, Optional[int]] = {}
    for entry in data["rules"]:
        rule = _parse_rule(path, entry)
        if rule.id in seen:
            raise DataFileError(path, rule.line, "rule id %r is already used at line %s"
                                % (rule.id, seen[rule.id]))
        seen[rule.id] = rule.line
        rules.append(rule)
    return Matrix(path, tuple(rules))
