"""What environment the lab needs on this target: the input of ``fix --lab``.

:func:`lab_requirements` intersects (1) the MindNLP and MindSpore releases whose API has every
name the lab imports (the API index), (2) what runs on the target's Python, and (3) what the
compatibility matrix says works, verified combinations first. It keeps the installed framework
when it fits, never picks a release that lacks a name the lab imports, never adds a second
framework distribution, and asks for a CPU torch where the chosen MindNLP needs torch. When
nothing fits it refuses and says what would: a wheel for this platform, another Python,
another machine. Pure: no network, nothing installed.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from envdoctor.lab import apicheck
from envdoctor.lab.model import Lab
from envdoctor.snapshot import Snapshot, canonical_name
from envdoctor.versions import spec_contains

__all__ = ["LabTarget", "Choice", "lab_requirements", "lab_violations", "lab_pins"]


@dataclass(frozen=True)
class Choice:
    """One release chosen for the lab, and why."""

    family: str  # mindspore | mindnlp
    label: str  # the API index label
    requirement: str  # what pip gets: "mindnlp==0.4.0"
    version: str  # the PEP 440 version it installs
    keep: bool  # already installed: nothing to do
    verified_by: Tuple[str, ...] = ()  # matrix rule ids with verdict works
    no_deps: bool = False  # install without letting pip add `mindspore` over another name


@dataclass(frozen=True)
class LabTarget:
    """The plan's input. ``refusal`` set: nothing reachable runs the lab here."""

    choices: Tuple[Choice, ...] = ()
    torch: Optional[str] = None  # a CPU torch pin to install first
    windows: Dict[str, str] = field(default_factory=dict)  # family -> the releases with every name
    evidence: Tuple[str, ...] = ()
    refusal: Optional[str] = None
    would_work: Tuple[str, ...] = ()  # with a refusal: what would

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def changes(self) -> bool:
        return any(not c.keep for c in self.choices) or self.torch is not None

    def requirements(self) -> Tuple[str, ...]:
        """Pins pip installs normally (the framework, torch); see :meth:`no_deps`."""
        out = [self.torch] if self.torch else []
        out += [c.requirement for c in self.choices if not c.keep and not c.no_deps]
        return tuple(out)

    def no_deps(self) -> Tuple[str, ...]:
        return tuple(c.requirement for c in self.choices if not c.keep and c.no_deps)

    def to_dict(self) -> Dict[str, Any]:
        return {"ok": self.ok, "refusal": self.refusal, "would_work": list(self.would_work),
                "choices": [{"family": c.family, "label": c.label, "requirement": c.requirement,
                             "version": c.version, "keep": c.keep, "verified_by": list(c.verified_by),
                             "no_deps": c.no_deps} for c in self.choices],
                "torch": self.torch, "windows": dict(self.windows),
                "evidence": list(self.evidence)}


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _rule_fits_target(rule: Any, snapshot: Snapshot) -> bool:
    from envdoctor.matrix import platform_tag

    if rule.python is not None and spec_contains(rule.python, snapshot.python_version) is not True:
        return False
    tag = platform_tag(snapshot)
    return not rule.platforms or tag in rule.platforms or tag.split("-")[0] in rule.platforms


def _pins(rule: Any) -> Dict[str, str]:
    """{distribution: version} for the rule's exact pins."""
    out = {}
    for pkg in rule.packages:
        if pkg.spec is None:
            continue
        specs = list(pkg.spec)
        if len(specs) == 1 and specs[0].operator in ("==", "==="):
            out[canonical_name(pkg.name)] = specs[0].version
    return out


def _verified_works(matrix: Any) -> List[Any]:
    """The matrix's rules that say a set works because envdoctor ran it."""
    if matrix is None:
        return []
    return [r for r in matrix.rules if r.verdict == "works" and r.source.kind == "verified"]


def _verified_pairs(matrix: Any, snapshot: Snapshot) -> List[Tuple[str, Dict[str, str]]]:
    """(rule id, pins) of the matrix's verified 'works' rules that fit this Python and platform."""
    return [(r.id, _pins(r)) for r in _verified_works(matrix) if _rule_fits_target(r, snapshot)]


def _origin(entry: Any) -> str:
    return {"git": "vcs", "pypi": "index"}.get(entry.source, entry.source)


def _broken(matrix: Any, snapshot: Snapshot, pins: Dict[str, Tuple[str, str]]) -> Optional[str]:
    """A matrix rule that says these pins ({name: (version, origin)}) break."""
    if matrix is None:
        return None
    for rule in matrix.rules:
        if rule.verdict == "works" or not _rule_fits_target(rule, snapshot):
            continue
        names = {canonical_name(p.name): p for p in rule.packages}
        if not names or not set(names) <= set(pins):
            continue
        if all((p.spec is None or spec_contains(p.spec, pins[k][0]) is True)
               and (not p.origin or p.origin == pins[k][1]) for k, p in names.items()):
            return rule.id
    return None


def _declared_by(entry: Any) -> Optional[Any]:
    """The bundled recipe that declares this mindnlp release (its range and origin)."""
    from envdoctor.recipes import load_recipes

    for recipe in load_recipes():
        spec = next((p for p in recipe.packages if p.name == "mindnlp"), None)
        if spec is None or spec.spec is None or spec_contains(spec.spec, entry.version) is not True:
            continue
        if spec.origin and spec.origin != _origin(entry):
            continue
        return recipe
    return None


def _install_pin(recipe: Any, name: str) -> Optional[str]:
    """The ``name==version`` a recipe's install line pins, if it pins one."""
    for line in recipe.install:
        for word in line.split():
            word = word.strip("'\"")
            if canonical_name(word.split("==")[0]) == name and "==" in word:
                return word
    return None


def _torch_for(mindnlp_version: str) -> Optional[str]:
    """The CPU torch pin of the recipe that installs this mindnlp, when it installs torch."""
    from envdoctor.recipes import load_recipes

    for recipe in load_recipes():
        spec = next((p.spec for p in recipe.packages if p.name == "mindnlp"), None)
        if spec is None or spec_contains(spec, mindnlp_version) is not True:
            continue
        pin = _install_pin(recipe, "torch")
        if pin:
            return pin
    return None


def _window(statuses: Sequence[apicheck.SymbolStatus], family: str, pkg: Any
            ) -> FrozenSet[int]:
    if not any(s.family == family for s in statuses):
        return frozenset(range(len(pkg.versions)))
    return apicheck.possible(statuses, family, len(pkg.versions))


def _candidates(pkg: Any, window: FrozenSet[int], snapshot: Snapshot) -> List[int]:
    """Releases in the window pip can install here (Requires-Python), newest first."""
    from envdoctor.apiindex.model import version_key

    out = [i for i in window if apicheck.fits_python(pkg.versions[i].requires_python,
                                                      snapshot.python_version)]
    return sorted(out, key=lambda i: version_key(pkg.versions[i].label), reverse=True)


def _refuse(why: str, would: List[str], windows: Dict[str, str],
            evidence: List[str]) -> LabTarget:
    return LabTarget(windows=windows, evidence=tuple(evidence), refusal=why,
                     would_work=tuple(would))


def _framework_spec(recipe: Any) -> Optional[Any]:
    return next((p.spec for p in recipe.packages if p.name == "mindspore"), None) \
        if recipe is not None else None


def _framework_for(entry: Any, ms_pkg: Any, window: FrozenSet[int], snapshot: Snapshot,
                   verified: List[Tuple[str, Dict[str, str]]]
                   ) -> Optional[Tuple[int, Tuple[str, ...]]]:
    """For a bare target: the MindSpore release to pair with mindnlp ``entry``: one a verified
    rule pairs it with, else the newest in the lab's window that its recipe declares."""
    candidates = [i for i in _candidates(ms_pkg, window, snapshot)]
    for i in candidates:
        ms = ms_pkg.versions[i]
        rules = tuple(rid for rid, p in verified if p.get("mindnlp") == entry.version
                      and p.get(canonical_name(ms.dist)) == ms.version)
        if rules:
            return i, rules
    recipe = _declared_by(entry)
    spec = _framework_spec(recipe)
    if spec is None or not recipe.supports_python(snapshot.python_version):
        return None
    # the release the recipe installs first (its range may admit newer ones that the mindnlp
    # release's own metadata refuses, so pip could not install the pair), else the newest
    pin = _install_pin(recipe, "mindspore")
    pinned = pin.split("==", 1)[1] if pin else None
    fitting = [i for i in candidates if ms_pkg.versions[i].source == "pypi"
               and spec_contains(spec, ms_pkg.versions[i].version) is True]
    fitting.sort(key=lambda i: ms_pkg.versions[i].version != pinned)
    return (fitting[0], ()) if fitting else None


def _python_words(spec: Any) -> str:
    """``==3.9.*`` -> ``3.9``; any other specifier as written."""
    specs = list(spec) if spec is not None else []
    if len(specs) == 1 and specs[0].operator == "==":
        return specs[0].version.rstrip("*").rstrip(".")
    return str(spec) if spec is not None else "any Python"


def _verified_sets(matrix: Any, entries: List[Any], snapshot: Snapshot,
                   most: int = 3) -> List[str]:
    """The verified sets with these mindnlp releases, for a fresh venv: those on this Python
    and platform first, then one per other Python; at most ``most`` of them."""
    fits, other = [], []  # type: List[Tuple[int, str]], List[Tuple[int, str]]
    seen = set()  # type: Set[Tuple[str, Any]]
    wanted = {entry.version: (order, entry.label) for order, entry in
              reversed(list(enumerate(entries)))}
    for rule in _verified_works(matrix):
        pins = _pins(rule)
        if pins.get("mindnlp") not in wanted:
            continue
        here = _rule_fits_target(rule, snapshot)
        key = (pins["mindnlp"], here or (_python_words(rule.python), rule.platforms))
        if key in seen:
            continue
        seen.add(key)
        order, label = wanted[pins["mindnlp"]]
        framework = " and ".join(sorted("%s %s" % kv for kv in pins.items()
                                        if kv[0] in apicheck.FRAMEWORK_DISTRIBUTIONS))
        where = ("on this Python" if here else "on Python %s on %s" % (
            _python_words(rule.python), ", ".join(rule.platforms) or "any platform"))
        text = "mindnlp %s with %s, %s (verified: matrix rule %s), in a fresh venv" % (
            label, framework or "its MindSpore", where, rule.id)
        (fits if here else other).append((order, text))
    return [text for _, text in sorted(fits) + sorted(other)][:most]


def _what_would(windows: Dict[str, str], entries: List[Any], snapshot: Snapshot,
                matrix: Any = None) -> List[str]:
    """With a refusal: the verified sets of these releases (for a fresh venv), and the Pythons
    and platforms their recipes declare."""
    out = _verified_sets(matrix, entries, snapshot)
    for entry in entries:
        recipe = _declared_by(entry)
        if recipe is None:
            continue
        ms = _framework_spec(recipe)
        text = "mindnlp %s with mindspore %s, on Python %s on %s (recipe %s), in a fresh venv" % (
            entry.label, ms if ms is not None else "(any)", recipe.python,
            ", ".join(recipe.platforms) or "any platform", recipe.name)
        if text not in out:
            out.append(text)
    out.append("a MindSpore wheel for this platform and Python from MindSpore's download host, "
               "or another machine (the course's notebooks target Ascend on linux-aarch64)")
    return out


def lab_pins(lab: Lab, name: str) -> Set[str]:
    """The versions of ``name`` the lab's own install lines pin (``==`` or a wheel's file
    name): among releases that equally work, the one the lab was written for."""
    out = set()  # type: Set[str]
    for _, item in lab.install_items():
        if item.wheel is not None and canonical_name(item.wheel.name) == canonical_name(name):
            out.add(item.wheel.version)
        elif item.kind == "name" and item.name and canonical_name(item.name) == \
                canonical_name(name) and item.specifier.startswith("==") \
                and "," not in item.specifier and "*" not in item.specifier:
            out.add(item.specifier.lstrip("=").strip())
    return out


def lab_requirements(lab: Lab, snapshot: Snapshot, api_index: Any, matrix: Any) -> LabTarget:
    """The MindSpore / MindNLP releases to run ``lab`` on ``snapshot``'s target."""
    if api_index is None:
        return _refuse("envdoctor's API index is not available, so it cannot tell which "
                       "releases have the lab's names.", [], {}, [])
    statuses = apicheck.symbol_statuses(lab, api_index)
    windows: Dict[str, str] = {}
    evidence: List[str] = []
    win: Dict[str, FrozenSet[int]] = {}
    for family in apicheck.FAMILIES:
        pkg = api_index.packages.get(family)
        if pkg is None:
            continue
        win[family] = _window(statuses, family, pkg)
        windows[family] = apicheck.describe(pkg, win[family])
        evidence.append("api_index.json: %s releases with every name the lab imports: %s"
                        % (family, windows[family]))
    ms_pkg = api_index.packages.get("mindspore")
    nlp_pkg = api_index.packages.get("mindnlp")
    if ms_pkg is None:
        return _refuse("envdoctor's API index has no MindSpore releases.", [], windows, evidence)
    python = _minor(snapshot.python_version)
    verified = _verified_pairs(matrix, snapshot)

    # the installed framework: kept when the lab's mindspore names fit it, else a refusal
    # (never a second framework distribution over it)
    installed_ms = apicheck.installed_distribution(snapshot, "mindspore")
    ms_keep: Optional[Choice] = None
    if installed_ms is not None:
        release = apicheck.installed_release(ms_pkg, installed_ms)
        if release is not None and release not in win["mindspore"]:
            return _refuse(
                "The installed %s %s lacks MindSpore names the lab imports (the releases with "
                "all of them: %s), and envdoctor never lays a second framework distribution "
                "over an installed one." % (installed_ms.name, installed_ms.version,
                                            windows["mindspore"]),
                ["a fresh venv for the lab (then `envdoctor fix --lab` there)"],
                windows, evidence)
        ms_keep = Choice("mindspore", "%s %s" % (installed_ms.name, installed_ms.version),
                         "%s==%s" % (installed_ms.name, installed_ms.version),
                         installed_ms.version, keep=True)
    imports_mindnlp = nlp_pkg is not None and any(s.family == "mindnlp" for s in statuses)
    if not imports_mindnlp:
        if ms_keep is not None:
            return LabTarget((ms_keep,), None, windows, tuple(evidence))
        candidates = [i for i in _candidates(ms_pkg, win["mindspore"], snapshot)
                      if ms_pkg.versions[i].source == "pypi"]
        if not candidates:
            return _refuse("No indexed MindSpore release with the lab's names (%s) installs on "
                           "Python %s." % (windows["mindspore"], python),
                           _what_would(windows, [], snapshot), windows, evidence)
        entry = ms_pkg.versions[candidates[0]]
        return LabTarget((Choice("mindspore", entry.label, entry.requirement(), entry.version,
                                 keep=False),), None, windows, tuple(evidence))
    if not win["mindnlp"]:
        return _refuse("No indexed mindnlp release has every name the lab imports.",
                       ["change the lab's imports to one release's API"], windows, evidence)

    installed_nlp = snapshot.get("mindnlp")
    release = apicheck.installed_release(nlp_pkg, installed_nlp) if installed_nlp else None
    kept_broken: Optional[str] = None
    if ms_keep is not None and release is not None and release in win["mindnlp"]:
        entry = nlp_pkg.versions[release]
        kept_broken = _broken(matrix, snapshot, {
            canonical_name(installed_ms.name): (installed_ms.version, "index"),
            "mindnlp": (entry.version, _origin(entry))})
        if kept_broken:
            evidence.append("matrix rule %s: the installed mindnlp %s does not work with %s"
                            % (kept_broken, entry.label, ms_keep.label))
    if ms_keep is not None and release is not None and release in win["mindnlp"] \
            and not kept_broken:
        entry = nlp_pkg.versions[release]
        evidence.append("keeps the installed %s and mindnlp %s: they have every name the lab "
                        "imports" % (ms_keep.label, entry.label))
        return LabTarget((ms_keep, Choice("mindnlp", entry.label, entry.requirement(),
                                          entry.version, keep=True)), None, windows,
                         tuple(evidence))

    entries = [nlp_pkg.versions[i] for i in _candidates(nlp_pkg, win["mindnlp"], snapshot)]
    pinned = lab_pins(lab, "mindnlp")
    scored: List[Tuple[Tuple[int, int, int], int, Choice, Optional[Choice]]] = []
    for order, entry in enumerate(entries):
        if ms_keep is not None:
            pins = {canonical_name(installed_ms.name): (installed_ms.version, "index"),
                    "mindnlp": (entry.version, _origin(entry))}
            broken = _broken(matrix, snapshot, pins)
            if broken:
                evidence.append("matrix rule %s: mindnlp %s does not work with %s"
                                % (broken, entry.label, ms_keep.label))
                continue
            rules = tuple(rid for rid, p in verified if p.get("mindnlp") == entry.version
                          and p.get(canonical_name(installed_ms.name)) == installed_ms.version)
            spec = _framework_spec(_declared_by(entry))
            declared = spec is not None and spec_contains(spec, installed_ms.version) is True
            if not rules and not declared:
                continue
            framework = ms_keep
        else:
            paired = _framework_for(entry, ms_pkg, win["mindspore"], snapshot, verified)
            if paired is None:
                continue
            i, rules = paired
            ms = ms_pkg.versions[i]
            if _broken(matrix, snapshot, {canonical_name(ms.dist): (ms.version, "index"),
                                          "mindnlp": (entry.version, _origin(entry))}):
                continue
            framework = Choice("mindspore", ms.label, ms.requirement(), ms.version, keep=False)
        other_name = canonical_name(framework.requirement.split("==")[0]) != "mindspore"
        choice = Choice("mindnlp", entry.label, entry.requirement(), entry.version, keep=False,
                        verified_by=rules, no_deps=other_name)
        scored.append(((int(bool(rules)), int(entry.version in pinned), -order), order, choice,
                       framework))
    if not scored:
        why = ("No mindnlp release with the lab's names (%s) is known to work with the "
               "installed %s on Python %s (matrix and recipes)." % (
                   windows["mindnlp"], ms_keep.label, python) if ms_keep is not None else
               "No mindnlp release with the lab's names (%s) has a MindSpore release that "
               "envdoctor knows works with it and installs on Python %s here." % (
                   windows["mindnlp"], python))
        return _refuse(why, _what_would(windows, entries or [nlp_pkg.versions[i] for i in
                                                             sorted(win["mindnlp"])], snapshot,
                                        matrix),
                       windows, evidence)
    # verified first, then the release the lab's own install line pins, then the newest
    scored.sort(key=lambda s: s[0], reverse=True)
    _, _, nlp_choice, framework = scored[0]
    evidence.append("mindnlp %s with %s: %s" % (
        nlp_choice.label, framework.label, "verified by matrix rule %s"
        % ", ".join(nlp_choice.verified_by) if nlp_choice.verified_by else
        "declared by recipe %s (not verified here)" % getattr(
            _declared_by(nlp_pkg.versions[[v.label for v in nlp_pkg.versions].index(
                nlp_choice.label)]), "name", "?")))
    torch = None
    if snapshot.get("torch") is None:
        torch = _torch_for(nlp_choice.version)
        if torch:
            evidence.append("mindnlp %s needs torch: a CPU torch first (%s), or pip fetches "
                            "CUDA wheels" % (nlp_choice.label, torch))
    return LabTarget((framework, nlp_choice), torch, windows, tuple(evidence))


def lab_violations(lab: Lab, requirements: Sequence[str], api_index: Any) -> List[str]:
    """For a plan made without the lab (a matrix rule's fix, a recipe's pins): each pinned
    mindnlp / MindSpore release in ``requirements`` that lacks names the lab imports, said in
    words. ``fix --lab`` drops a plan with any."""
    from packaging.requirements import InvalidRequirement, Requirement

    if api_index is None:
        return []
    statuses = apicheck.symbol_statuses(lab, api_index)
    out = []
    for text in requirements:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        name = canonical_name(req.name)
        family = "mindnlp" if name == "mindnlp" else (
            "mindspore" if name in apicheck.FRAMEWORK_DISTRIBUTIONS else None)
        pkg = api_index.packages.get(family) if family else None
        pins = [s.version for s in req.specifier if s.operator in ("==", "===")]
        if pkg is None or not pins:
            continue
        for i, entry in enumerate(pkg.versions):
            if canonical_name(entry.dist) != name or entry.version != pins[0]:
                continue
            lacking = sorted({s.symbol for s in statuses if s.family == family
                              and not s.statement.optional and i in s.lacks})
            if lacking:
                out.append("%s lacks %s, which the lab imports (first at %s)" % (
                    text, ", ".join(lacking), next(s.statement.where.describe()
                                                   for s in statuses if s.symbol == lacking[0])))
            break
    return out
