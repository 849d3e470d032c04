"""The lab's environment card: what a student needs to run it, each fact with its evidence.

Python, MindSpore, MindNLP, every other package, the device, hub access and mirrors, read from
the lab itself (its install lines and imports), the API index (the releases with every name it
imports) and the compatibility matrix (combinations verified to work). No target needed.
"""

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from envdoctor.lab import apicheck
from envdoctor.lab.model import Lab
from envdoctor.snapshot import canonical_name

__all__ = ["CardRow", "LabCard", "lab_card", "render_markdown"]


@dataclass(frozen=True)
class CardRow:
    topic: str  # Python | MindSpore | MindNLP | a package | Device | Hub | Mirror
    value: str
    evidence: Tuple[str, ...] = ()


@dataclass(frozen=True)
class LabCard:
    path: str
    rows: Tuple[CardRow, ...]
    warnings: Tuple[str, ...] = ()

    def to_dict(self) -> Dict[str, Any]:
        return {"lab": self.path,
                "rows": [{"topic": r.topic, "value": r.value, "evidence": list(r.evidence)}
                         for r in self.rows],
                "warnings": list(self.warnings)}


def _python_rows(lab: Lab, windows: Dict[str, Any]) -> List[CardRow]:
    asked = []
    for line in lab.installs:
        for item in line.items:
            if item.kind == "conda" and item.name == "python":
                asked.append(("Python %s" % item.specifier.lstrip("="), "%s: %s"
                              % (line.where.describe(), line.text)))
            if item.wheel is not None:
                for tag in item.wheel.pythons:
                    m = re.match(r"cp(\d)(\d+)$", tag)
                    if m:
                        asked.append(("Python %s.%s" % m.groups(), "%s: the %s wheel is %s"
                                      % (line.where.describe(), item.wheel.name, tag)))
    from envdoctor.recipes import load_recipes

    for recipe in load_recipes():
        spec = next((p.spec for p in recipe.packages if p.name == "mindnlp"), None)
        if spec is None or not windows.get("mindnlp"):
            continue
        pkg, window = windows["mindnlp"]
        if any(spec.contains(pkg.versions[i].version, prereleases=True) for i in window):
            asked.append(("Python %s" % recipe.python, "recipe %s declares it for mindnlp %s"
                          % (recipe.name, spec)))
    if not asked:
        return [CardRow("Python", "not stated by the lab")]
    values = []
    for value, _ in asked:
        if value not in values:
            values.append(value)
    return [CardRow("Python", "; ".join(values), tuple(e for _, e in asked))]


def _framework_row(family: str, lab: Lab, api_index: Any, matrix: Any,
                   windows: Dict[str, Any]) -> Optional[CardRow]:
    installs = []
    for line, item in lab.install_items():
        name = canonical_name(item.name or "")
        if (family == "mindspore" and name in apicheck.FRAMEWORK_DISTRIBUTIONS) or name == family:
            what = item.wheel and "%s %s (wheel %s)" % (item.wheel.name, item.wheel.version,
                                                         ", ".join(item.wheel.tags)) \
                or ("%s @ %s" % (item.name, item.ref) if item.kind == "git" else
                    "%s%s" % (item.name, item.specifier or " (unpinned)"))
            installs.append((what, "%s: %s" % (line.where.describe(), line.text)))
    imported = [s for s in lab.imports if s.top == family]
    if not installs and not imported:
        return None
    evidence = [e for _, e in installs]
    value = "; ".join(w for w, _ in installs) or "imported; the lab does not install it"
    if family in windows:
        pkg, window = windows[family]
        text = apicheck.describe(pkg, window)
        value += "; releases with every name the lab imports: %s" % text
        evidence.append("api_index.json (generated %s): %s" % (api_index.generated, text))
    for stmt in imported[:3]:
        evidence.append("%s: %s" % (stmt.where.describe(), stmt.statement))
    return CardRow("MindSpore" if family == "mindspore" else "MindNLP", value, tuple(evidence))


def _combinations(windows: Dict[str, Any], matrix: Any) -> List[CardRow]:
    """The matrix's verified combinations whose MindNLP and MindSpore pins are both in the
    lab's windows: environments known to run releases with every name the lab imports."""
    if "mindnlp" not in windows:
        return []
    nlp_pkg, nlp_window = windows["mindnlp"]
    origin = {"git": "vcs", "pypi": "index"}
    nlp_versions = {(nlp_pkg.versions[i].version,
                     origin.get(nlp_pkg.versions[i].source, "")) for i in nlp_window}
    ms = windows.get("mindspore")
    ms_pins = {(canonical_name(ms[0].versions[i].dist), ms[0].versions[i].version)
               for i in ms[1]} if ms else None
    found = []
    for rule in getattr(matrix, "rules", ()):
        if rule.verdict != "works" or rule.source.kind != "verified":
            continue
        pins = {}
        nlp_origin = None
        for p in rule.packages:
            specs = list(p.spec) if p.spec is not None else []
            if len(specs) == 1 and specs[0].operator == "==":
                pins[p.key] = specs[0].version
            if p.key == "mindnlp":
                nlp_origin = p.origin
        if not any(v == pins.get("mindnlp") and (nlp_origin is None or o == nlp_origin)
                   for v, o in nlp_versions):
            continue
        framework = [(k, v) for k, v in pins.items() if k in apicheck.FRAMEWORK_DISTRIBUTIONS]
        if ms_pins is not None and framework and not set(framework) & ms_pins:
            continue
        found.append("matrix rule %s (verified %s): %s" % (rule.id, rule.source.date or "?",
                                                           rule.title))
    if not found:
        return [CardRow("Verified combinations", "none yet in the matrix for these releases "
                        "(declared only)")]
    return [CardRow("Verified combinations", "%d in the matrix" % len(found), tuple(found))]


def _package_rows(lab: Lab) -> List[CardRow]:
    from envdoctor.checks.lab import IMPORT_TO_DISTRIBUTION, _stdlib

    rows: Dict[str, CardRow] = {}
    for line, item in lab.install_items():
        name = canonical_name(item.name or item.text)
        if name in apicheck.FRAMEWORK_DISTRIBUTIONS or name == "mindnlp" or item.kind == "conda":
            continue
        if name in ("pip", "install") and "install" in [i.name for i in line.items]:
            continue  # `pip install pip install URL`: a mistake (ED815), not a need
        value = item.specifier or ("git %s" % item.ref if item.kind == "git" else "unpinned")
        if item.marker:
            value += " ; " + item.marker
        rows.setdefault(name, CardRow(name, value, ("%s: %s" % (line.where.describe(),
                                                                  line.text),)))
    stdlib = _stdlib()
    for stmt in lab.imports:
        if stmt.level or stmt.top in stdlib or stmt.top in apicheck.FAMILIES:
            continue
        name = canonical_name(IMPORT_TO_DISTRIBUTION.get(stmt.top, stmt.top))
        if name not in rows:
            rows[name] = CardRow(name, "imported, not installed by the lab (any version)%s"
                                 % (" (optional)" if stmt.optional else ""),
                                 ("%s: %s" % (stmt.where.describe(), stmt.statement),))
    return list(rows.values())


def _device_rows(lab: Lab) -> List[CardRow]:
    if not lab.devices:
        return [CardRow("Device", "CPU (the lab sets no device target)")]
    return [CardRow("Device", ", ".join(sorted({d.target or "(not a literal)" for d in lab.devices})),
                    tuple("%s: %s" % (d.where.describe(), d.text) for d in lab.devices))]


def _hub_rows(lab: Lab) -> List[CardRow]:
    rows = []
    if lab.fetches:
        rows.append(CardRow("Hub downloads", ", ".join(sorted({
            "%s(%s)" % (f.call, f.what or "?") for f in lab.fetches})),
            tuple("%s: %s %s" % (f.where.describe(), f.receiver, f.call) for f in lab.fetches)))
    endpoint = [e for e in lab.env if e.name in ("HF_ENDPOINT", "HF_HUB_OFFLINE",
                                                 "HF_DATASETS_OFFLINE")]
    for e in endpoint:
        rows.append(CardRow("Hub mirror" if e.name == "HF_ENDPOINT" else e.name,
                            "%s=%s%s" % (e.name, e.value, "" if e.persists else
                                         " (by !export: does not persist)"),
                            ("%s (%s)" % (e.where.describe(), e.how),)))
    if lab.fetches and not endpoint:
        rows.append(CardRow("Hub mirror", "none set: huggingface.co must be reachable"))
    mirrors = []
    for line in lab.installs:
        for url in ([line.index_url] if line.index_url else []) + list(line.extra_index_urls):
            mirrors.append(("index %s" % url, line))
        for host in line.trusted_hosts:
            mirrors.append(("trusted host %s" % host, line))
        for key, value in line.config:
            mirrors.append(("pip config %s=%s" % (key, value), line))
    seen: list = []
    for text, line in mirrors:
        if text in [s for s, _ in seen]:
            continue
        seen.append((text, line))
    if seen:
        evidence: List[str] = []
        for _, l in seen:
            text = "%s: %s" % (l.where.describe(), l.text)
            if text not in evidence:
                evidence.append(text)
        rows.append(CardRow("Package mirrors", "; ".join(t for t, _ in seen), tuple(evidence)))
    return rows


def lab_card(lab: Lab, api_index: Any, matrix: Any) -> LabCard:
    windows: Dict[str, Any] = {}
    if api_index is not None:
        statuses = apicheck.symbol_statuses(lab, api_index)
        for family in apicheck.FAMILIES:
            pkg = api_index.packages.get(family)
            if pkg is not None and any(s.family == family for s in statuses):
                windows[family] = (pkg, apicheck.possible(statuses, family, len(pkg.versions)))
    rows = _python_rows(lab, windows)
    for family in apicheck.FAMILIES:
        row = _framework_row(family, lab, api_index, matrix, windows)
        if row is not None:
            rows.append(row)
    rows += _combinations(windows, matrix)
    rows += _package_rows(lab) + _device_rows(lab) + _hub_rows(lab)
    return LabCard(lab.path, tuple(rows), tuple(w.describe() for w in lab.warnings))


def _cell(text: str) -> str:
    """Table-safe Markdown: no pipes, backticks or newlines from the lab's text."""
    return re.sub(r"[\x00-\x1f\x7f]", " ", text).replace("|", "\\|").replace("`", "'")


def render_markdown(card: LabCard) -> str:
    out = ["# Lab environment card: %s" % _cell(card.path), "",
           "Read from the lab's files without running them (envdoctor lab card).", "",
           "| | needs | evidence |", "|---|---|---|"]
    for row in card.rows:
        out.append("| %s | %s | %s |" % (_cell(row.topic), _cell(row.value),
                                         "<br>".join(_cell(e) for e in row.evidence)))
    if card.warnings:
        out += ["", "## Could not be read", ""]
        out += ["- %s" % _cell(w) for w in card.warnings]
    return "\n".join(out) + "\n"
