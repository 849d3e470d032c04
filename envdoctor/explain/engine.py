"""From pasted text to explanations: pure functions of the text and envdoctor's data.

The text is cleaned first (escape sequences, CI and log prefixes, pip's margins: see
:mod:`~envdoctor.explain.textutil`). Each line is then tried against, in order of authority:

1. what the traceback's own paths prove (a source checkout shadowing the installed package)
   and MindSpore's CUDA messages read for the MindSpore version the text shows;
2. the compatibility matrix's ``error`` texts, only in the rule's context (one of its
   packages named elsewhere, its Python and no contradicting version shown in the text);
3. the signature table (``signatures.yaml``), first match wins, naming only the packages the
   text shows or the fix moves;
4. mechanisms: NumPy's C-API versions, whose ``Invalid version`` it is, renamed and removed
   names (``names.yaml``), the dynamic loader, then the API index and ``No module named``.

Then the whole text: pip's conflict lines (grouped per distribution, plus the matrix rules
their versions match), pip's install errors and Ascend / CANN logs.

Explanations of one line are one problem (the most authoritative explains it, the others are
its evidence), and explanations of different lines with the same fix are merged. A line no
source recognises stays unexplained; a loose fit is labelled a guess and never carries a
command.
"""

import os
import re
import shlex
from dataclasses import dataclass, replace
from typing import Any, Dict, List, Optional, Sequence, Tuple

from packaging.requirements import InvalidRequirement, Requirement

from envdoctor.explain.ascend import CANN_ERROR, explain_ascend_log
from envdoctor.explain.frameworks import explain_mindspore_cuda, explain_shadowed_checkout
from envdoctor.explain.imports import (CANNOT_IMPORT, NO_MODULE, explain_cannot_import,
                                       explain_no_module)
from envdoctor.explain.loader import explain_loader_line
from envdoctor.explain.model import Explanation
from envdoctor.explain.names import explain_name_line, load_names, python_fits
from envdoctor.explain.numpyabi import explain_numpy_api
from envdoctor.explain.pipconflicts import Conflict, conflict_explanations, parse_conflict
from envdoctor.explain.pipinstall import explain_invalid_version, explain_pip_install
from envdoctor.explain.signatures import Signature, fill, first_match
from envdoctor.explain.textutil import (frames_before, imported_names, looks_like_error,
                                        mentions, normalise, python_version, site_package,
                                        split_lines)
from envdoctor.findings import pip_install_command

__all__ = ["ExplainResult", "explain_text", "matrix_explanation", "signature_explanation"]

# Top-level modules whose PyPI distribution has another name, or that envdoctor's labs use.
MODULE_DISTS = {
    "PIL": "pillow", "yaml": "pyyaml", "sklearn": "scikit-learn", "cv2": "opencv-python",
    "mindspore": "mindspore", "mindnlp": "mindnlp", "regex": "regex",
    "sentencepiece": "sentencepiece", "tokenizers": "tokenizers",
    "transformers": "transformers", "datasets": "datasets", "evaluate": "evaluate",
    "numpy": "numpy", "jieba": "jieba", "tqdm": "tqdm", "requests": "requests",
    "safetensors": "safetensors", "addict": "addict", "easydict": "easydict",
    "pyctcdecode": "pyctcdecode", "ml_dtypes": "ml-dtypes", "psutil": "psutil",
    "scipy": "scipy", "packaging": "packaging", "astunparse": "astunparse",
    "asttokens": "asttokens", "peft": "peft", "accelerate": "accelerate",
    "diffusers": "diffusers", "ftfy": "ftfy", "dill": "dill", "pyarrow": "pyarrow",
    "huggingface_hub": "huggingface-hub", "google.protobuf": "protobuf", "six": "six",
    "torch": "torch", "torchvision": "torchvision", "mindtorch": "mindnlp",
    "onnxruntime": "onnxruntime", "setuptools": "setuptools", "matplotlib": "matplotlib",
    "pandas": "pandas",
}
_SKIP_FRAMES = ("mindtorch", "importlib", "_bootstrap")
_LABELS = {"api-index": "api index", "matrix": "matrix", "signature": "signature",
           "module": "python", "pip-conflict": "pip", "pip-missing": "pip"}
_RESOLVER_HEADER = "dependency resolver does not currently take into account"


@dataclass(frozen=True)
class ExplainResult:
    explanations: Tuple[Explanation, ...]
    unexplained: Tuple[Tuple[int, str], ...]  # error-looking lines nothing explained
    lines: int
    ends_early: bool = False  # the text stops inside a traceback, before its error line

    @property
    def exit_code(self) -> int:
        return 0 if self.explanations else 1

    def to_dict(self) -> Dict[str, Any]:
        return {"explanations": [e.to_dict() for e in self.explanations],
                "unexplained": [{"line_number": n, "line": t} for n, t in self.unexplained],
                "lines": self.lines, "ends_early": self.ends_early}


# --- one source each ------------------------------------------------------------------------

def _matrix_source(rule: Any) -> str:
    src = rule.source
    if src.kind == "verified":
        pins = ", ".join("%s %s" % kv for kv in src.versions)
        return "verified: envdoctor ran %s on %s%s%s" % (
            pins, src.date, " (%s)" % src.platform if src.platform else "",
            "; freeze: %s" % src.freeze if src.freeze else "")
    if src.link:
        return "%s: %s" % (src.kind, src.link)
    return "%s: %s" % (src.kind, src.note or "package metadata")


def matrix_explanation(rule: Any, matrix_path: Optional[str] = None) -> Explanation:
    fix = pip_install_command(list(rule.fix_requirements)) if rule.fix_requirements else None
    where = "%s:%s" % (os.path.basename(matrix_path), rule.line) \
        if matrix_path and rule.line else None
    evidence = ["matrix rule %r%s" % (rule.id, " (%s)" % where if where else "")]
    return Explanation(rule.title, rule.because, tuple(p.name for p in rule.packages if
                                                       not p.absent),
                       fix, _matrix_source(rule), "matrix", rule.id,
                       rule.fix_text, tuple(evidence),
                       requirements=tuple(rule.fix_requirements))


def _valid_requirement(text: str) -> bool:
    try:
        Requirement(text)
    except InvalidRequirement:
        return False
    return True


def visible_packages(packages: Sequence[str], requirements: Sequence[str], whole: str,
                     command: Optional[str] = None) -> Tuple[str, ...]:
    """The packages a cause may name: those the text shows (a path, an import, a message) and
    those its fix moves. A table entry's other packages stay out of a traceback that never
    touches them (no MindSpore in a ComfyUI traceback)."""
    moved = set()
    for req in requirements:
        try:
            moved.add(Requirement(req).name.lower())
        except InvalidRequirement:
            continue
    out = []  # type: List[str]
    for pkg in list(moved) + list(packages):
        if pkg and pkg not in out and (pkg.lower() in moved or mentions(whole, [pkg]) or
                                       (command is not None and mentions(command, [pkg]))):
            out.append(pkg)
    # the packages the fix moves first, in the order the entry names them
    order = {p.lower(): i for i, p in enumerate(packages)}
    return tuple(sorted(out, key=lambda p: (p.lower() not in moved, order.get(p.lower(), 99))))


def signature_explanation(sig: Signature, groups: Dict[str, str],
                          table_path: Optional[str] = None, whole: Optional[str] = None
                          ) -> Explanation:
    # Text from the paste reaches a command only shell-quoted, and a pin only when it parses.
    quoted = {k: shlex.quote(v) for k, v in groups.items()}
    reqs = [fill(r, groups) or r for r in sig.fix_requirements]
    reqs = [r for r in reqs if _valid_requirement(r)]
    command = fill(sig.fix_command, quoted)
    fix = pip_install_command(reqs) if reqs else command
    note = fill(sig.fix_text, groups)
    if reqs and sig.fix_command:
        note = "%s%s" % ("Then: %s. " % command, note or "")
    evidence = ["signature %r%s%s" % (sig.id, " (%s:%s)" % (os.path.basename(table_path), sig.line)
                                      if table_path and sig.line else "",
                                      ", research note %s" % sig.ref if sig.ref else "")]
    packages = tuple(p for p in (fill(p, groups) or p for p in sig.packages) if p)
    if whole is not None:
        packages = visible_packages(packages, reqs, whole, command)
    return Explanation(fill(sig.title, groups) or sig.title, fill(sig.because, groups) or "",
                       packages, fix, sig.source, "signature", sig.id, note, tuple(evidence),
                       requirements=tuple(reqs))


_SHOWN_VERSIONS = (
    re.compile(r"(?P<n>[A-Za-z][\w.]*?)-(?P<v>\d+(?:\.\d+)+[\w.]*?)\.dist-info"),
    re.compile(r"(?P<n>[A-Za-z][\w.-]*)==(?P<v>\d[\w.]*\d)"),
    re.compile(r"(?P<n>[A-Za-z][\w]*)-(?P<v>\d+(?:\.\d+)+[\w.]*?)-(?:cp|py)\d"),
)


def shown_versions(whole: str) -> Dict[str, str]:
    """The versions the text itself shows (``x-1.2.dist-info``, ``x==1.2``, wheel names)."""
    from envdoctor.snapshot import canonical_name

    out = {}  # type: Dict[str, str]
    for pattern in _SHOWN_VERSIONS:
        for found in pattern.finditer(whole):
            out.setdefault(canonical_name(found.group("n")), found.group("v"))
    return out


def _versions_fit(rule: Any, whole: str) -> bool:
    """False when the text shows a version of one of the rule's packages outside its range."""
    from envdoctor.versions import spec_contains

    shown = shown_versions(whole)
    for pkg in rule.packages:
        version = shown.get(pkg.key)
        if version and pkg.spec is not None and not pkg.absent and \
                spec_contains(pkg.spec, version) is False:
            return False
    return True


def _rule_applies(rule: Any, line: str, whole: str, python: Optional[str]) -> bool:
    """A rule's recorded error explains a line only in the rule's context: one of its packages
    shows elsewhere in the text by name and, when the rule is about one Python, the text shows
    that Python."""
    if not rule.error:
        return False
    error = " ".join(normalise(rule.error).split())
    if error not in " ".join(line.split()):
        return False
    if rule.python is not None:
        from envdoctor.versions import spec_contains

        if python is None or spec_contains(rule.python, python + ".0") is not True:
            return False
    if not _versions_fit(rule, whole):
        return False
    names = [p.name for p in rule.packages if not p.absent]
    if not names:
        return True
    rest = " ".join(whole.split()).replace(error, " ")
    return mentions(rest, names, aliases=False)


def _importer(lines: Sequence[str], index: int) -> Optional[str]:
    """Which installed package the failing import came from (the innermost frame that is
    not the import machinery or mindtorch's proxy)."""
    for frame in reversed(frames_before(lines, index)):
        if frame.path.startswith("<") or any(s in frame.path for s in _SKIP_FRAMES):
            continue
        pkg = site_package(frame.path)
        if pkg:
            tail = frame.path.replace("\\", "/").split("-packages/", 1)[-1]
            return "%s (%s, line %d)" % (pkg, tail, frame.line)
        return None
    return None


def _import_candidates(lines: Sequence[str], i: int, index: Any,
                       python: Optional[str]) -> List[Explanation]:
    line = lines[i]
    out = []
    frames = frames_before(lines, i)
    last_source = frames[-1].source if frames else None
    found = CANNOT_IMPORT.search(line)
    if found and index is not None and "partially initialized module" not in line:
        module = found.group("module")
        if module is None and last_source:
            match = re.match(r"^\s*from\s+([\w.]+)\s+import", last_source)
            module = match.group(1) if match else None
        if module:
            exp = explain_cannot_import(index, module, found.group("name"), python)
            if exp:
                out.append(exp)
    found = NO_MODULE.search(line)
    if found:
        module = found.group("module")
        if index is not None:
            exp = explain_no_module(index, module, imported_names(last_source, module), python)
            if exp:
                out.append(exp)
        if not out and "." not in module and (module in MODULE_DISTS or
                                              _imported_by_a_package(lines, i)):
            # an unknown top-level module imported by the user's own script is usually the
            # project's own folder not on sys.path, not a distribution to install
            out.append(_not_installed(module))
    return out


def _imported_by_a_package(lines: Sequence[str], index: int) -> bool:
    frames = [f for f in frames_before(lines, index)
              if not f.path.startswith("<") and not any(s in f.path for s in _SKIP_FRAMES)]
    return bool(frames) and site_package(frames[-1].path) is not None


def _not_installed(module: str) -> Explanation:
    dist = MODULE_DISTS.get(module)
    return Explanation(
        "Python cannot find a module named %r" % module,
        "No installed distribution provides the top-level module %r to the interpreter that "
        "ran this (it is not installed there, or it was installed for another Python)."
        % module,
        (dist or module,), pip_install_command([dist]) if dist else None,
        "https://docs.python.org/3/library/exceptions.html#ModuleNotFoundError", "module",
        note=None if dist else "Install the distribution that provides %r into this "
                               "interpreter (its name on PyPI may differ)." % module,
        requirements=(dist,) if dist else ())


def _merge(primary: Explanation, other: Explanation, where: Optional[str] = None
           ) -> Explanation:
    label = _LABELS.get(other.kind, other.kind)
    facts = ["%s%s: %s" % (where + " " if where else "", label, other.title)]
    if other.kind == "api-index" and other.because:
        facts.append(other.because)
    return primary.with_evidence(*(facts + list(other.evidence)))


def _combine(cands: List[Explanation]) -> List[Explanation]:
    """Explanations of one line are one problem: the most authoritative explains it, the
    others (and their fixes, when they differ) become its evidence."""
    if not cands:
        return []
    ordered = sorted(cands, key=lambda e: e.rank)
    primary = ordered[0]
    if not primary.packages:  # a table entry that names none: the mechanism saw who failed
        named = next((c for c in ordered[1:] if c.packages), None)
        if named is not None:
            primary = replace(primary, packages=named.packages)
    for other in ordered[1:]:
        primary = _merge(primary, other)
        if primary.id is None and other.id and other.kind in ("signature", "matrix"):
            primary = replace(primary, id=other.id)  # the table entry it also matches
        if other.fix and other.fix != primary.fix:
            primary = primary.with_evidence("%s fix: %s" % (_LABELS.get(other.kind, other.kind),
                                                            other.fix))
    return [primary]


# --- the whole input ------------------------------------------------------------------------

def _pip_matrix(conflicts: Sequence[Conflict], matrix: Any, matrix_path: Optional[str]
                ) -> List[Explanation]:
    """Matrix rules that the versions pip's conflict lines name satisfy."""
    from envdoctor.snapshot import canonical_name
    from envdoctor.versions import spec_contains

    versions = {}  # type: Dict[str, str]
    first_line = {}  # type: Dict[str, Conflict]
    for c in conflicts:
        for name, version in ((c.a, c.av), (c.b, c.bv)):
            if version:
                versions.setdefault(canonical_name(name), version)
                first_line.setdefault(canonical_name(name), c)
    out = []
    for rule in matrix.rules if matrix is not None else ():
        if rule.verdict == "works" or rule.python is not None or rule.platforms:
            continue
        specs = rule.packages
        if not specs or any(p.absent or p.origin for p in specs):
            continue
        if not all(p.key in versions and (p.spec is None or spec_contains(
                p.spec, versions[p.key]) is True) for p in specs):
            continue
        exp = matrix_explanation(rule, matrix_path)
        conflict = first_line[specs[0].key]
        named = ", ".join("%s %s" % (p.name, versions[p.key]) for p in specs)
        out.append(replace(exp.with_evidence("versions named in pip's output: " + named),
                           line=conflict.line, line_number=conflict.line_number))
    return out


def _dedupe(found: List[Explanation]) -> List[Explanation]:
    out = []  # type: List[Explanation]
    for exp in sorted(found, key=lambda e: (e.rank, e.line_number or 0)):
        for k, kept in enumerate(out):
            same = (kept.kind, kept.id or kept.title) == (exp.kind, exp.id or exp.title)
            if same or (exp.fix is not None and exp.fix == kept.fix):
                where = "line %d" % exp.line_number if exp.line_number else None
                if same:
                    out[k] = kept.with_evidence("also on %s" % where if where else "")
                else:
                    out[k] = _merge(kept, exp, where).with_evidence(
                        "%s: %s" % (where, exp.line) if where and exp.line else "")
                break
        else:
            out.append(exp)
    out.sort(key=lambda e: e.line_number or 0)
    return out


def _fit_python(exp: Explanation, python: Optional[str]) -> Explanation:
    """A pin below a release is no fix when the older release has no wheel for the Python in
    the text (``pillow<10`` on Python 3.13): the command goes, the reason stays."""
    if not exp.requirements or not python:
        return exp
    for entry in load_names():
        if not entry.removed or python_fits(python, entry.python_max):
            continue
        if "%s<%s" % (entry.package, entry.removed) in [r.replace(" ", "").lower()
                                                       for r in exp.requirements]:
            return replace(exp, fix=None, requirements=(), no_fix_reason=(
                "%s %s, the last release before %s, has no wheel for Python %s, so pinning it "
                "does not help here: change the code%s." % (
                    entry.package, entry.last_with, entry.removed, python,
                    " to use %s" % entry.instead if entry.instead else "")))
    return exp


def _framework_caution(exp: Explanation, matrix: Any) -> Explanation:
    """A bare ``pip install mindnlp==X`` lets pip choose MindSpore: the newest on PyPI, which
    the matrix may say breaks X, or a second ``mindspore`` over a ``mindspore-dev`` build (pip
    counts no other name as ``mindspore``). The command stays; the note says when not to run
    it as it is."""
    from envdoctor.snapshot import canonical_name
    from envdoctor.versions import spec_contains

    pins = [r.replace(" ", "").split("==", 1) for r in exp.requirements if "==" in r]
    version = next((v for n, v in pins if canonical_name(n) == "mindnlp"), None)
    if version is None or matrix is None:
        return exp
    broken = [rule for rule in matrix.rules if rule.verdict == "broken" and rule.python is None
              and {p.key for p in rule.packages} == {"mindnlp", "mindspore"}
              and all(p.spec is not None and (p.key != "mindnlp" or
                                              spec_contains(p.spec, version) is True)
                      for p in rule.packages)]
    if not broken:
        return exp
    rule = broken[0]
    caution = ("Before you run it: %s (matrix rule %s), and that is what pip pairs mindnlp %s "
               "with from PyPI; with mindspore-dev, -gpu or -ascend installed, pip lays a second "
               "`mindspore` over it. `envdoctor check --lab YOUR_NOTEBOOK` tells whether the "
               "command fits your environment; `envdoctor fix --lab YOUR_NOTEBOOK` installs a set "
               "that works with the MindSpore you have." % (rule.title, rule.id, version))
    return replace(exp, note=exp.note + " " + caution if exp.note else caution)


def _line_candidates(lines: Sequence[str], i: int, whole: str, python: Optional[str],
                     matrix: Any, index: Any, table: Sequence[Signature],
                     table_path: Optional[str], matrix_path: Optional[str]
                     ) -> List[Explanation]:
    """Everything that explains ``lines[i]``: what envdoctor ran or recorded first, then the
    mechanisms that read the line in its context."""
    line = lines[i]
    cands = explain_shadowed_checkout(lines, i) + explain_mindspore_cuda(lines, i, whole)
    for rule in matrix.rules if matrix is not None else ():
        if _rule_applies(rule, line, whole, python):
            cands.append(matrix_explanation(rule, matrix_path))
    match = first_match(table, line, whole)
    if match is not None:
        cands.append(signature_explanation(match[0], match[1], table_path, whole))
    cands += explain_numpy_api(lines, i)
    if not cands:
        cands += explain_invalid_version(lines, i, whole)
    cands += explain_name_line(lines, i, python)
    cands += explain_loader_line(lines, i, whole)
    if not any(c.kind == "names" for c in cands):
        cands += _import_candidates(lines, i, index, python)
    return [_framework_caution(_fit_python(c, python), matrix) for c in cands]


def _ends_early(lines: Sequence[str]) -> bool:
    """Whether the text stops inside a traceback: its last line is a frame, the code under a
    frame, or the Traceback header."""
    tail = [l for l in lines if l.strip()]
    if not tail:
        return False
    last = tail[-1].strip()
    if last.startswith(("Traceback (most recent call last)", 'File "')):
        return True
    return len(tail) > 1 and tail[-2].strip().startswith('File "') and \
        not looks_like_error(last)


def explain_text(text: str, matrix: Any = None, index: Any = None, signatures: Any = None,
                 matrix_path: Optional[str] = None) -> ExplainResult:
    """Explain what ``text`` (a traceback, pip's output, a loader or CANN log) shows."""
    lines = split_lines(text.rstrip("\n"))
    whole = "\n".join(lines)
    python = python_version(whole)
    table = signatures.signatures if signatures is not None else ()
    table_path = getattr(signatures, "path", None)
    found = []  # type: List[Explanation]
    covered = set()
    conflicts = []  # type: List[Conflict]
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        conflict = parse_conflict(line, i + 1)
        if conflict is not None:
            conflicts.append(conflict)
            covered.add(i)
            continue
        cands = _line_candidates(lines, i, whole, python, matrix, index, table, table_path,
                                 matrix_path)
        if not cands:
            continue
        covered.add(i)
        importer = _importer(lines, i) if NO_MODULE.search(line) else None
        for exp in _combine(cands):
            if importer:
                exp = exp.with_evidence("imported by " + importer)
                pkg = importer.split(" ", 1)[0]
                if pkg not in exp.packages:
                    exp = replace(exp, packages=exp.packages + (pkg,))
            found.append(replace(exp, line=line.strip(), line_number=i + 1))
    if conflicts:
        covered |= set(i for i, line in enumerate(lines) if _RESOLVER_HEADER in line)
        found += conflict_explanations(conflicts)
        found += _pip_matrix(conflicts, matrix, matrix_path)
    for exp in explain_pip_install(lines, whole) + explain_ascend_log(lines, whole):
        if exp.line_number:
            covered.add(exp.line_number - 1)
        if not any(f.line_number == exp.line_number and f.rank <= exp.rank for f in found):
            found.append(exp)
    explanations = _dedupe(found)
    unexplained = tuple((i + 1, lines[i].strip()) for i in range(len(lines))
                        if i not in covered and (looks_like_error(lines[i]) or
                                                 CANN_ERROR.search(lines[i])))
    return ExplainResult(tuple(explanations), unexplained, len(lines),
                         ends_early=not explanations and _ends_early(lines))
