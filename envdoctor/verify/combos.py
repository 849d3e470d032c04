"""``verification/combos.yaml``: the combinations ``envdoctor matrix verify`` installs.

The schema is documented in ``docs/verification.md``. :func:`load_combos` validates every
entry and raises :class:`~envdoctor.yamlfile.DataFileError` naming the line of a bad one.
Everything here is pure: loading, selecting, expanding ``${VARIABLES}`` and the CI matrix.
"""

import re
import shlex
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from packaging.requirements import InvalidRequirement, Requirement

from envdoctor.errors import UsageError
from envdoctor.snapshot import canonical_name, requirement_name
from envdoctor.yamlfile import LINE_KEY, DataFileError, line_of, load_document

__all__ = ["Combo", "CombosFile", "load_combos", "select", "ci_matrix", "MODES",
           "DEFAULT_KEYS", "SMOKE_LEVELS"]

MODES = ("default", "time-consistent")
SMOKE_LEVELS = ("mindspore", "mindnlp")
# The packages whose exact versions name a verified combination in the matrix (when the
# combo does not list its own `key`): the lab stack and what is known to break it.
DEFAULT_KEYS = (
    "mindspore", "mindnlp", "transformers", "tokenizers", "huggingface-hub", "datasets",
    "accelerate", "peft", "diffusers", "safetensors", "numpy", "pyarrow", "pillow", "protobuf",
    "sentencepiece", "regex", "torch",
)
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_PYTHON = re.compile(r"^3\.\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_COMBO_KEYS = {"id", "python", "steps", "mode", "exclude_newer", "without", "recipe", "smoke",
               "key", "install_as", "note", "skip", "expect"}
_DEFAULTABLE = {"mode", "recipe", "smoke", "key", "install_as", "without", "exclude_newer"}
# options a uv-resolved step may carry (each takes a value)
_UV_OPTIONS = {"-c": "--constraint", "--constraint": "--constraint", "-r": "--requirement",
               "--requirement": "--requirement"}


@dataclass(frozen=True)
class Combo:
    """One combination: a Python, the pip steps that build it, and what to check there."""

    id: str
    line: Optional[int]
    python: str  # "3.11": a pyenv CPython 3.11.x
    steps: Tuple[Tuple[str, ...], ...]  # pip install arguments, one tuple per pip run
    mode: str = "default"  # default | time-consistent
    exclude_newer: Optional[str] = None  # time-consistent: resolve as of this date
    without: Tuple[str, ...] = ()  # left out of the uv resolution (installed by own steps)
    recipe: Optional[str] = None  # whose symbols `check --deep` looks up; None: no recipe
    smoke: Optional[str] = None  # run `envdoctor smoke --level` this; None: no smoke run
    key: Tuple[str, ...] = DEFAULT_KEYS
    install_as: Tuple[Tuple[str, str], ...] = ()  # package -> requirement a fix should use
    note: Optional[str] = None
    skip: Optional[str] = None  # not run here, and why
    expect: Optional[str] = None  # works | broken: a different verdict is reported

    @property
    def uses_uv(self) -> bool:
        """Resolved by ``uv pip compile`` (time-consistent, or with packages left out)."""
        return self.mode == "time-consistent" or bool(self.without)

    @property
    def checks(self) -> Tuple[str, ...]:
        return ("imports", "smoke") if self.smoke else ("imports",)

    def variables(self) -> Set[str]:
        return {m for step in self.steps for arg in step for m in _VAR.findall(arg)}

    def expand(self, values: Mapping[str, str]) -> Tuple[Tuple[Tuple[str, ...], ...], List[str]]:
        """The steps with ``${NAME}`` replaced, and the names that have no value."""
        missing = sorted(v for v in self.variables() if v not in values)
        if missing:
            return self.steps, missing
        steps = tuple(tuple(_VAR.sub(lambda m: values[m.group(1)], a) for a in step)
                      for step in self.steps)
        return steps, []

    def held_step(self, step: Sequence[str]) -> bool:
        """A step that installs only ``without`` packages: pip runs it as written."""
        if not self.without:
            return False
        names = set()
        for arg in step:
            if arg.startswith("-"):
                return False
            name = requirement_name(arg)
            if name is None:
                return False
            names.add(name)
        return bool(names) and names <= {canonical_name(w) for w in self.without}

    def to_ci(self) -> Dict[str, Any]:
        return {"id": self.id, "python": self.python, "mode": self.mode,
                "recipe": self.recipe or "none", "smoke": bool(self.smoke),
                "variables": sorted(self.variables() - {"ROOT"})}


@dataclass(frozen=True)
class CombosFile:
    path: str
    root: str  # ${ROOT}: the folder that holds the combos file's folder (the repository)
    combos: Tuple[Combo, ...]


def _strings(path: str, line: Optional[int], cid: str, key: str, value: Any) -> Tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise DataFileError(path, line, "combo %r: %r must be a list of strings" % (cid, key))
    return tuple(value)


def _parse_steps(path: str, line: Optional[int], cid: str, raw: Any) -> Tuple[Tuple[str, ...], ...]:
    if not isinstance(raw, list) or not raw:
        raise DataFileError(path, line, "combo %r: 'steps' is required: a list of pip install "
                            "argument lists, e.g. [[torch==2.13.0], [mindspore, mindnlp]]" % cid)
    steps = []
    for step in raw:
        if isinstance(step, str):
            try:
                step = shlex.split(step)
            except ValueError as exc:
                raise DataFileError(path, line, "combo %r: step %r: %s" % (cid, step, exc))
        if not isinstance(step, list) or not step or \
                not all(isinstance(a, (str, int, float)) for a in step):
            raise DataFileError(path, line, "combo %r: each step is a non-empty list of pip "
                                "install arguments, got %r" % (cid, step))
        steps.append(tuple(str(a) for a in step))
    return tuple(steps)


def _check_uv_step(path: str, line: Optional[int], combo: Combo) -> None:
    for step in combo.steps:
        if combo.held_step(step):
            continue
        args = iter(step)
        for arg in args:
            if arg.startswith("-"):
                if arg not in _UV_OPTIONS:
                    raise DataFileError(path, line, "combo %r: %s steps are resolved by uv and "
                                        "take requirements, -r FILE and -c FILE only, got %r"
                                        % (combo.id, "time-consistent" if combo.mode ==
                                           "time-consistent" else "'without'", arg))
                if next(args, None) is None:
                    raise DataFileError(path, line, "combo %r: %s needs a file" % (combo.id, arg))


def _parse_combo(path: str, entry: Any, defaults: Dict[str, Any]) -> Combo:
    if not isinstance(entry, dict):
        raise DataFileError(path, None, "each combo must be a mapping, got %r" % (entry,))
    line = line_of(entry)
    merged = dict(defaults)
    merged.update(entry)
    unknown = set(entry) - _COMBO_KEYS - {LINE_KEY}
    cid = entry.get("id")
    if not isinstance(cid, str) or not _ID.match(cid):
        raise DataFileError(path, line, "combo id %r: required, lower-case letters, digits, "
                            "'.', '_' and '-' (it names the folder verification/<id>/)" % (cid,))
    if unknown:
        raise DataFileError(path, line, "combo %r: unknown keys %s (allowed: %s)" % (
            cid, ", ".join(sorted(map(str, unknown))), ", ".join(sorted(_COMBO_KEYS))))
    python = merged.get("python")
    if isinstance(python, float):
        raise DataFileError(path, line, "combo %r: quote the python version (\"3.10\"): YAML "
                            "reads 3.10 as the number 3.1" % cid)
    if not isinstance(python, str) or not _PYTHON.match(python):
        raise DataFileError(path, line, "combo %r: python must be a minor version in quotes, "
                            "e.g. \"3.11\", got %r" % (cid, python))
    steps = _parse_steps(path, line, cid, merged.get("steps"))
    mode = merged.get("mode", "default")
    if mode not in MODES:
        raise DataFileError(path, line, "combo %r: mode must be one of %s, got %r"
                            % (cid, ", ".join(MODES), mode))
    exclude_newer = merged.get("exclude_newer")
    if exclude_newer is not None:
        exclude_newer = str(exclude_newer)
    if mode == "time-consistent" and (not exclude_newer or not _DATE.match(exclude_newer)):
        raise DataFileError(path, line, "combo %r: a time-consistent combo needs "
                            "'exclude_newer: YYYY-MM-DD' (the release date to resolve at)" % cid)
    if mode == "default" and exclude_newer is not None:
        raise DataFileError(path, line, "combo %r: exclude_newer needs mode: time-consistent"
                            % cid)
    without = _strings(path, line, cid, "without", merged.get("without"))
    recipe = merged.get("recipe")
    if recipe is not None and (not isinstance(recipe, str) or not recipe.strip()):
        raise DataFileError(path, line, "combo %r: recipe must be a recipe name or none" % cid)
    if recipe is not None and recipe.lower() == "none":
        recipe = None
    smoke = merged.get("smoke", False)
    if smoke is True:
        smoke = "mindspore"
    if smoke is False or smoke is None:
        smoke = None
    elif smoke not in SMOKE_LEVELS:
        raise DataFileError(path, line, "combo %r: smoke must be true, false or one of %s, "
                            "got %r" % (cid, ", ".join(SMOKE_LEVELS), smoke))
    key = _strings(path, line, cid, "key", merged.get("key")) or DEFAULT_KEYS
    install_as = merged.get("install_as") or {}
    if not isinstance(install_as, dict):
        raise DataFileError(path, line, "combo %r: install_as maps package names to the "
                            "requirement a fix should name" % cid)
    pairs = []
    for name, req in install_as.items():
        if name == LINE_KEY:
            continue
        try:
            Requirement(str(req))
        except InvalidRequirement as exc:
            raise DataFileError(path, line_of(install_as) or line, "combo %r: install_as %s: "
                                "%r is not a requirement: %s" % (cid, name, req, exc))
        pairs.append((canonical_name(str(name)), str(req)))
    for field_name in ("note", "skip"):
        value = merged.get(field_name)
        if value is not None and not isinstance(value, str):
            raise DataFileError(path, line, "combo %r: %s must be text" % (cid, field_name))
    expect = merged.get("expect")
    if expect is not None and expect not in ("works", "broken"):
        raise DataFileError(path, line, "combo %r: expect must be works or broken, got %r"
                            % (cid, expect))
    combo = Combo(cid, line, python, steps, mode, exclude_newer,
                  tuple(canonical_name(w) for w in without), recipe, smoke,
                  tuple(canonical_name(k) for k in key), tuple(pairs),
                  " ".join(merged["note"].split()) if merged.get("note") else None,
                  " ".join(merged["skip"].split()) if merged.get("skip") else None, expect)
    if combo.uses_uv:
        _check_uv_step(path, line, combo)
    return combo


def load_combos(path: str) -> CombosFile:
    import os

    data = load_document(path, "combos")
    unknown = set(data) - {"schema", "defaults", "combos", LINE_KEY}
    if unknown:
        raise DataFileError(path, line_of(data), "unknown top-level keys %s (schema, defaults, "
                            "combos)" % ", ".join(sorted(map(str, unknown))))
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict) or set(defaults) - _DEFAULTABLE - {LINE_KEY}:
        raise DataFileError(path, line_of(defaults) or line_of(data), "'defaults' may set %s"
                            % ", ".join(sorted(_DEFAULTABLE)))
    defaults = {k: v for k, v in defaults.items() if k != LINE_KEY}
    combos = []
    seen = {}  # type: Dict[str, Optional[int]]
    for entry in data["combos"]:
        combo = _parse_combo(path, entry, defaults)
        if combo.id in seen:
            raise DataFileError(path, combo.line, "combo id %r is already used at line %s"
                                % (combo.id, seen[combo.id]))
        seen[combo.id] = combo.line
        combos.append(combo)
    root = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    return CombosFile(path, root, tuple(combos))


def select(combos: Sequence[Combo], only: Sequence[str] = (), python: Optional[str] = None,
           include_skipped: bool = True) -> List[Combo]:
    """``--only ID`` (repeatable, or comma-separated) and ``--python 3.11``; default all."""
    wanted = [i for item in only for i in item.split(",") if i]
    known = {c.id for c in combos}
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise UsageError("no combo %s; known: %s" % (", ".join(map(repr, unknown)),
                                                       ", ".join(sorted(known))))
    out = []
    for combo in combos:
        if wanted and combo.id not in wanted:
            continue
        if python and combo.python != python:
            continue
        if combo.skip and not include_skipped:
            continue
        out.append(combo)
    return out


def ci_matrix(combos: Sequence[Combo]) -> Dict[str, Any]:
    """GitHub Actions ``strategy.matrix``: one job per combination (skipped ones left out)."""
    return {"include": [c.to_ci() for c in combos if not c.skip]}
