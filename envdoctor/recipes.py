"""Lab recipes: the environment a course lab needs (``recipes/*.yaml``).

A recipe names the lab's packages and ranges, the Pythons and platforms it supports and the
symbols its code imports. ``status: declared`` recipes come from metadata and docs only;
``verified`` ones carry locks proven by envdoctor's own verification runs.
"""

import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from packaging.specifiers import SpecifierSet

from envdoctor.matrix import PackageSpec, parse_package_spec
from envdoctor.resources import recipe_files
from envdoctor.snapshot import Snapshot
from envdoctor.versions import parse_spec, spec_contains
from envdoctor.yamlfile import LINE_KEY, DataFileError, line_of, load_yaml

__all__ = ["Recipe", "load_recipe", "load_recipes", "find_recipe", "default_recipe"]

STATUSES = ("verified", "declared")


@dataclass(frozen=True)
class Recipe:
    name: str
    path: str
    generation: int
    title: str
    description: str
    status: str
    python: SpecifierSet
    platforms: Tuple[str, ...]
    packages: Tuple[PackageSpec, ...]
    symbols: Tuple[str, ...]
    wheels_from: Optional[str]
    device_notes: Optional[str]
    install: Tuple[str, ...]
    source: Dict[str, Any]
    locks: Dict[str, Any]

    def lock_for(self, snapshot: Snapshot) -> Optional[Tuple[List[str], str]]:
        """The verified lock for the target's Python and platform: (lines, description)."""
        minor = ".".join(snapshot.python_version.split(".")[:2])
        by_platform = self.locks.get(minor) or {}
        entry = by_platform.get(snapshot.platform_tag) if isinstance(by_platform, dict) else None
        if not isinstance(entry, dict) or not entry.get("file"):
            return None
        path = os.path.join(os.path.dirname(self.path), str(entry["file"]))
        try:
            with open(path, encoding="utf-8") as handle:
                lines = [l.strip() for l in handle if l.strip() and not l.startswith("#")]
        except OSError:
            return None
        verified = entry.get("verified") or {}
        desc = "lock %s for Python %s on %s (%s)" % (
            os.path.basename(path), minor, snapshot.platform_tag,
            "verified %s: %s" % (verified.get("date"), ", ".join(verified.get("checks", [])))
            if verified else "declared")
        return lines, desc

    def supports_python(self, version: str) -> bool:
        return spec_contains(self.python, version) is True

    def to_dict(self) -> Dict[str, Any]:
        return {
            "name": self.name,
            "generation": self.generation,
            "title": self.title,
            "status": self.status,
            "python": str(self.python),
            "platforms": list(self.platforms),
            "packages": {p.name: p.describe() for p in self.packages},
            "symbols": list(self.symbols),
        }


def _strings(path: str, line: Optional[int], key: str, value: Any) -> Tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataFileError(path, line, "%r must be a list of strings" % key)
    return tuple(value)


def load_recipe(path: str) -> Recipe:
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise DataFileError(path, None, "a recipe is a mapping (name, python, packages, ...)")
    line = line_of(data)
    allowed = {"name", "generation", "title", "description", "status", "python", "platforms",
               "packages", "symbols", "wheels_from", "device_notes", "install", "source",
               "locks", LINE_KEY}
    unknown = set(data) - allowed
    if unknown:
        raise DataFileError(path, line, "unknown keys %s" % ", ".join(sorted(map(str, unknown))))
    for key in ("name", "title", "python"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise DataFileError(path, line, "%r is required (a string)" % key)
    python = parse_spec(data["python"])
    if python is None:
        raise DataFileError(path, line, "python %r is not a specifier" % data["python"])
    status = data.get("status", "declared")
    if status not in STATUSES:
        raise DataFileError(path, line, "status must be one of %s" % ", ".join(STATUSES))
    generation = data.get("generation")
    if not isinstance(generation, int):
        raise DataFileError(path, line, "'generation' (an integer: newer labs are larger) is "
                            "required")
    raw_packages = data.get("packages")
    if not isinstance(raw_packages, dict) or len(raw_packages) <= 1:
        raise DataFileError(path, line, "'packages' must map package names to specifiers")
    pline = line_of(raw_packages)
    packages = tuple(parse_package_spec(path, pline, k, v) for k, v in raw_packages.items()
                     if k != LINE_KEY)
    locks = data.get("locks") or {}
    if not isinstance(locks, dict):
        raise DataFileError(path, line, "'locks' must be a mapping")
    for key in locks:
        if key != LINE_KEY and not isinstance(key, str):
            raise DataFileError(path, line_of(locks) or line,
                                "lock keys are Python versions in quotes ('3.10'), got %r" % key)
    source = data.get("source") or {}
    if not isinstance(source, dict):
        raise DataFileError(path, line, "'source' must be a mapping")
    return Recipe(
        name=data["name"].strip(),
        path=path,
        generation=generation,
        title=data["title"].strip(),
        description=" ".join(str(data.get("description", "")).split()),
        status=status,
        python=python,
        platforms=tuple(p.lower() for p in _strings(path, line, "platforms", data.get("platforms"))),
        packages=packages,
        symbols=_strings(path, line, "symbols", data.get("symbols")),
        wheels_from=data.get("wheels_from"),
        device_notes=data.get("device_notes"),
        install=_strings(path, line, "install", data.get("install")),
        source={k: v for k, v in source.items() if k != LINE_KEY},
        locks={k: v for k, v in locks.items() if k != LINE_KEY},
    )


_CACHE: Dict[Tuple[Tuple[str, float], ...], List[Recipe]] = {}


def load_recipes() -> List[Recipe]:
    """Every bundled recipe, newest generation first; loaded once per process."""
    files = recipe_files()
    try:
        key = tuple((p, os.path.getmtime(p)) for p in files)
    except OSError:
        key = None
    if key is not None and key in _CACHE:
        return list(_CACHE[key])
    recipes = sorted((load_recipe(p) for p in files), key=lambda r: (-r.generation, r.name))
    if key is not None:
        _CACHE[key] = recipes
    return list(recipes)


def find_recipe(name: str, recipes: Optional[List[Recipe]] = None) -> Optional[Recipe]:
    """By name, or a path to a recipe file."""
    if name.endswith((".yaml", ".yml")):
        return load_recipe(name)
    for recipe in recipes if recipes is not None else load_recipes():
        if recipe.name == name:
            return recipe
    return None


def _installed_framework(snapshot: Snapshot, family: str) -> Optional[Any]:
    from envdoctor.lab.apicheck import installed_distribution

    return installed_distribution(snapshot, family)


def _api_fit(recipe: Recipe, snapshot: Snapshot, api_index: Any) -> Optional[Tuple[int, int]]:
    """None when the installed mindnlp release lacks a mindnlp name the recipe's lab imports
    (per the API index); else (1 when the recipe's mindnlp range names the installed
    major.minor, the number of its names the index proves present): bigger fits better."""
    from envdoctor.lab.apicheck import installed_release

    dist = _installed_framework(snapshot, "mindnlp")
    pkg = api_index.packages.get("mindnlp") if api_index is not None else None
    if dist is None or pkg is None:
        return None
    release = installed_release(pkg, dist)
    if release is None:
        return None
    proven = 0
    for symbol in recipe.symbols:
        module, _, name = symbol.rpartition(".")
        if not symbol.startswith("mindnlp.") or not module:
            continue
        status = pkg.symbol_status(module, name)
        if release in status["lacks"] or release in status["no_module"]:
            return None
        proven += release in status["has"]
    minor = ".".join(dist.version.split(".")[:2]) + "."
    spec = next((p.spec for p in recipe.packages if p.name == "mindnlp"), None)
    same_minor = any(s.version.startswith(minor) for s in spec) if spec is not None else False
    return int(same_minor), proven


def default_recipe(snapshot: Snapshot, recipes: List[Recipe],
                   api_index: Any = None) -> Optional[Recipe]:
    """The lab whose API matches what is installed, never simply the newest one:

    1. among the recipes for the target's Python, those whose MindNLP range holds the
       installed mindnlp (newest generation first; a MindSpore match breaks ties);
    2. else those whose mindnlp names the installed release has (the API index), the one
       whose range names its major.minor and that the index proves most names of first;
    3. else (nothing of the lab installed, or nothing matches): the newest verified recipe
       for this Python, then the newest declared one.
    """
    fitting = [r for r in recipes if r.supports_python(snapshot.python_version)]
    if not fitting:
        return None
    newest = sorted(fitting, key=lambda r: -r.generation)
    mindnlp = _installed_framework(snapshot, "mindnlp")
    if mindnlp is not None:
        mindspore = _installed_framework(snapshot, "mindspore")

        def spec(recipe: Recipe, name: str) -> Optional[PackageSpec]:
            return next((p for p in recipe.packages if p.name == name), None)

        def holds(recipe: Recipe, name: str, dist: Any) -> bool:
            pkg = spec(recipe, name)
            if pkg is None or dist is None:
                return False
            if pkg.spec is None:
                return True
            return spec_contains(pkg.spec, dist.version) is True

        matching = [r for r in newest if holds(r, "mindnlp", mindnlp)]
        if matching:
            both = [r for r in matching if holds(r, "mindspore", mindspore)]
            return (both or matching)[0]
        if api_index is None:
            from envdoctor.lab.apicheck import load_index

            api_index = load_index()
        fits = [(_api_fit(r, snapshot, api_index), r) for r in newest]
        by_api = [(fit, r) for fit, r in fits if fit is not None]
        if by_api:
            return max(by_api, key=lambda pair: (pair[0], pair[1].generation))[1]
    verified = [r for r in newest if r.status == "verified"]
    return (verified or newest)[0]
