"""Import errors explained from the API index: which releases have the name or module.

``ImportError: cannot import name 'X' from 'M'`` and ``No module named 'M'`` say what the
installed release lacks; the index (read from the real wheels) says which releases have it,
so the fix installs one of those. When the index cannot tell (a name another distribution
provides at run time, a compiled module, a module deeper than the index lists), these
functions return None rather than guess.
"""

from __future__ import annotations

import re
from typing import Iterable, List, Optional, Sequence

from packaging.version import InvalidVersion, Version

from envdoctor.apiindex.model import ApiIndex, PackageIndex, VersionEntry
from envdoctor.explain.model import Explanation
from envdoctor.findings import pip_install_command
from envdoctor.snapshot import canonical_name

__all__ = ["CANNOT_IMPORT", "NO_MODULE", "describe_versions", "choose_entry",
           "explain_cannot_import", "explain_no_module", "index_source_text"]

CANNOT_IMPORT = re.compile(r"cannot import name '(?P<name>[\w.]+)'(?: from '(?P<module>[\w.]+)')?")
NO_MODULE = re.compile(r"No module named '(?P<module>[\w.]+)'")


def describe_versions(pkg: PackageIndex, indexes: Iterable[int]) -> str:
    """Runs of consecutive indexed releases: ``0.1.1, 0.2.0 to 0.3.1``."""
    return pkg.describe(indexes)


def index_source_text(index: ApiIndex, pkg: PackageIndex) -> str:
    kinds = ["wheels"] if any(v.source == "pypi" for v in pkg.versions) else []
    kinds += sorted(set("the git tag %s" % v.ref for v in pkg.versions if v.source == "git"))
    kinds += ["local sources"] if any(v.source == "local" for v in pkg.versions) else []
    return "verified: read from the %s %s (%s) by `envdoctor matrix api-index`%s" % (
        pkg.name, " and ".join(kinds), describe_versions(pkg, range(len(pkg.versions))),
        " on %s" % index.generated if index.generated else "")


def _python_ok(entry: VersionEntry, python: Optional[str]) -> bool:
    if not python or not entry.requires_python:
        return True
    from envdoctor.versions import parse_spec, spec_contains

    spec = parse_spec(entry.requires_python)
    return spec is None or spec_contains(spec, python + ".0") is not False


def _prerelease(entry: VersionEntry) -> bool:
    """2.7.0rc1: a fix never recommends a release candidate over the final release."""
    try:
        return Version(entry.version).is_prerelease
    except InvalidVersion:
        return False


def choose_entry(pkg: PackageIndex, candidates: Iterable[int],
                 python: Optional[str] = None) -> Optional[VersionEntry]:
    """The release to install among ``candidates``: a PyPI release of the package itself
    before a git tag or a differently named build; when the newest release still has it,
    the first of the run that leads up to it (the smallest move); otherwise the last
    release that had it."""
    cands = sorted(set(candidates))
    fitting = [i for i in cands if _python_ok(pkg.versions[i], python)]
    cands = fitting or cands
    if not cands:
        return None
    main_all = [i for i, v in enumerate(pkg.versions)
                if v.source == "pypi" and canonical_name(v.dist) == canonical_name(pkg.name) and
                (not fitting or _python_ok(v, python)) and not _prerelease(v)]
    main = [i for i in cands if i in main_all]
    pool = main or [i for i in cands if pkg.versions[i].source == "pypi"] or cands
    if main and main_all and main_all[-1] in main:
        first = main_all[-1]
        for i in reversed(main_all):
            if i not in main:
                break
            first = i
        return pkg.versions[first]
    return pkg.versions[max(pool)]


def _install(entry: VersionEntry) -> str:
    return pip_install_command([entry.requirement()])


def _open_note(pkg: PackageIndex, module: str, unknown: Iterable[int]) -> Optional[str]:
    unknown = sorted(unknown)
    if not unknown:
        return None
    targets = sorted(set(t for i in unknown for t in pkg.infos[i].open.get(module, ())))
    what = " and ".join(targets) if targets else "code that runs at import"
    return "in %s %s, %s gets its names from %s at run time, which the index does not list" % (
        pkg.name, describe_versions(pkg, unknown), module, what)


def explain_cannot_import(index: ApiIndex, module: str, name: str,
                          python: Optional[str] = None) -> Optional[Explanation]:
    pkg = index.package_for_module(module)
    if pkg is None or name.startswith("_"):
        return None
    if not any(module in info.exports for info in pkg.infos):
        return None  # the index does not list this module's names
    status = pkg.symbol_status(module, name)
    has, lacks, no_module, unknown = (status["has"], status["lacks"], status["no_module"],
                                      status["unknown"])
    if not has and not lacks:
        return None
    if has and not lacks and not no_module:
        return None  # every indexed release has it: not a question of versions
    evidence: List[str] = []
    note = _open_note(pkg, module, unknown)
    if note:
        evidence.append(note)
    source = index_source_text(index, pkg)
    if has:
        entry = choose_entry(pkg, has, python)
        title = "%s.%s is in %s %s, not in %s" % (
            module, name, pkg.name, describe_versions(pkg, has),
            describe_versions(pkg, lacks) if lacks else "the installed release")
        because = "The installed %s has %s but not %s%s" % (
            pkg.name, module, name, ", as in the indexed %s %s" % (
                pkg.name, describe_versions(pkg, lacks)) if lacks else "")
        if no_module:
            because += "; %s does not exist at all in %s" % (
                module, describe_versions(pkg, no_module))
        because += "."
        if entry is not None and entry.source == "git":
            evidence.append("only the git tag %s has it: the PyPI release with the same "
                            "version is different code" % entry.ref)
        return Explanation(title, because, (pkg.name,), _install(entry) if entry else None,
                           source, "api-index", None, None, tuple(evidence),
                           requirements=(entry.requirement(),) if entry else ())
    elsewhere = {m: v for m, v in pkg.exporters(name).items() if m != module}
    if elsewhere:
        where = "; ".join("%s in %s %s" % (m, pkg.name, describe_versions(pkg, v))
                          for m, v in sorted(elsewhere.items()))
        title = "%s is not in %s in any indexed %s release; it is in %s" % (
            name, module, pkg.name, where)
        because = ("%s never had %s (indexed: %s); the code imports it from the wrong "
                   "module." % (module, name, describe_versions(pkg, range(len(pkg.versions)))))
        first = sorted(elsewhere.items())[0]
        entry = choose_entry(pkg, first[1], python)
        return Explanation(title, because, (pkg.name,), None, source, "api-index",
                           note="Import it as `from %s import %s`%s." % (
                               first[0], name, " (%s)" % entry.requirement() if entry else ""),
                           evidence=tuple(evidence))
    title = "No indexed %s release has %s.%s" % (pkg.name, module, name)
    because = ("%s has no %s in any indexed release (%s), so no %s version fixes this import; "
               "the code was written for another library or a newer release." % (
                   module, name, describe_versions(pkg, range(len(pkg.versions))), pkg.name))
    return Explanation(title, because, (pkg.name,), None, source, "api-index",
                       note="Check the name and the library the code was written for.",
                       evidence=tuple(evidence))


def explain_no_module(index: ApiIndex, module: str, names: Sequence[str] = (),
                      python: Optional[str] = None) -> Optional[Explanation]:
    pkg = index.package_for_module(module)
    if pkg is None or "." not in module:
        return None  # the package itself is missing: not a question of versions
    listed = [m for info in pkg.infos for m in info.modules]
    deepest = max(m.count(".") for m in listed) if listed else 0
    if module.count(".") > deepest:
        return None  # deeper than the index lists
    has = pkg.module_versions(module)
    source = index_source_text(index, pkg)
    top = module.split(".")[0]
    carriers = [i for i, info in enumerate(pkg.infos) if top in info.modules]
    if has and set(carriers) <= set(has):
        return None  # every release has it: a broken install, not a question of versions
    if not has:
        title = "No indexed %s release has a module %s" % (pkg.name, module)
        because = "%s is in none of the %s releases that carry %s (%s)." % (
            module, pkg.name, top, describe_versions(pkg, carriers))
        return Explanation(title, because, (pkg.name,), None, source, "api-index")
    evidence: List[str] = []
    candidates = set(has)
    for name in names:
        status = pkg.symbol_status(module, name)
        if status["has"] or status["unknown"]:
            candidates &= set(status["has"]) | set(status["unknown"])
        moved = {m: v for m, v in pkg.exporters(name).items() if m != module}
        for other, versions in sorted(moved.items()):
            evidence.append("%s is in %s in %s %s" % (name, other, pkg.name,
                                                       describe_versions(pkg, versions)))
    entry = choose_entry(pkg, candidates or has, python)
    missing = [i for i in range(len(pkg.versions)) if i not in has and i in carriers]
    title = "%s exists only in %s %s" % (module, pkg.name, describe_versions(pkg, has))
    because = ("The installed %s has no %s: it is in %s %s and not in %s, so code written for "
               "those releases fails on the others." % (
                   pkg.name, module, pkg.name, describe_versions(pkg, has),
                   describe_versions(pkg, missing)))
    if names and candidates and candidates != set(has):
        evidence.insert(0, "%s with %s: %s %s" % (module, ", ".join(names), pkg.name,
                                                   describe_versions(pkg, candidates)))
    return Explanation(title, because, (pkg.name,), _install(entry) if entry else None, source,
                       "api-index", None,
                       "Or port the code to the installed %s's modules (see evidence)." %
                       pkg.name if evidence else None, tuple(evidence),
                       requirements=(entry.requirement(),) if entry else ())
