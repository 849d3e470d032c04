"""MindSpore's distribution names, and pip runs that never put two of them in one folder.

MindSpore is published under several distribution names (``mindspore``, ``mindspore-dev``,
``mindspore-gpu``, ``mindspore-ascend``, ``mindspore-cuda11-dev``, ...); every one installs the
same ``mindspore/`` package, and pip treats them as unrelated projects (ED110-ED112 in
:mod:`envdoctor.checks.framework`). Pure functions of names and a snapshot.
"""

import re
from typing import List, Optional, Sequence, Set, Tuple

from envdoctor.findings import pip_install_command
from envdoctor.snapshot import Distribution, Snapshot, canonical_name, requirement_name

__all__ = ["FRAMEWORK_PACKAGE", "is_framework", "framework_distributions", "framework_pins",
           "reinstall_requirement", "install_steps", "install_command", "Step"]

FRAMEWORK_PACKAGE = "mindspore"
# mindspore, mindspore-dev, mindspore-gpu, mindspore-ascend, mindspore-cuda11-dev,
# mindspore-ascend-dev, mindspore-cpu ...: every one installs the `mindspore/` package
# (mindspore-lite and mindspore-serving install other packages and are not matched)
_FRAMEWORK = re.compile(r"^mindspore(-(gpu|ascend|cpu|cuda\d+))?(-dev)?$")
# a wheel's web address as it may go to a requirements file and a terminal: printable URL
# characters only (no space, quote, query, fragment or control character)
_WHEEL_URL = re.compile(r"^https?://[A-Za-z0-9._~:/@!$&()*+,;=%-]+\.whl$")

def is_framework(name: str) -> bool:
    """Whether a distribution name is one of MindSpore's (all own ``mindspore/``)."""
    return bool(_FRAMEWORK.match(canonical_name(name)))


def reinstall_requirement(dist: Distribution) -> str:
    """How pip gets an installed build back: ``name @ URL`` when it was installed from a
    wheel's web address (MindSpore's download host is on no package index, and the course's
    notebooks install from it), else ``name==version``."""
    direct = dist.direct_url or {}
    url = str(direct.get("url", ""))
    if dist.origin == "url" and "archive_info" in direct and _WHEEL_URL.match(url):
        return "%s @ %s" % (dist.name, url)
    return "%s==%s" % (dist.name, dist.version)


def framework_distributions(snapshot: Snapshot) -> List[Distribution]:
    """The installed MindSpore distributions, under whatever name."""
    return [d for d in snapshot.active.values() if is_framework(d.name)]


def _mindspore_dependents(snapshot: Snapshot) -> Set[str]:
    """Installed distributions that declare a requirement on ``mindspore`` (and mindnlp,
    which always does): pip would pull ``mindspore`` for them."""
    out = {"mindnlp"}
    for dist in snapshot.active.values():
        if any(requirement_name(line) == FRAMEWORK_PACKAGE for line in dist.requires_dist):
            out.add(dist.key)
    return out


def framework_pins(requirements: Sequence[str]) -> List[str]:
    """The distinct requirements on a MindSpore distribution, in order."""
    out = []  # type: List[str]
    for req in requirements:
        name = requirement_name(req)
        if name is not None and is_framework(name) and req not in out:
            out.append(req)
    return out


Step = Tuple[str, Tuple[str, ...], Tuple[str, ...]]  # pip verb, options, requirements


def install_steps(requirements: Sequence[str], snapshot: Snapshot) -> List[Step]:
    """The pip runs that install ``requirements`` without laying a second MindSpore
    distribution into the ``mindspore/`` folder.

    With plain ``mindspore`` (or no MindSpore) that is one ``pip install``. With a build under
    another name (mindspore-dev, pinned or installed): the framework first, the rest with the
    framework pinned beside it (pip keeps its numpy), and what requires ``mindspore`` (mindnlp)
    with --no-deps, since pip does not count the other name as ``mindspore``. Installed
    framework distributions that the pinned one does not replace are uninstalled first (all
    of them when two share the folder already, ED110). Of several framework names pinned,
    only the first is installed: one framework per environment."""
    named = [(r, requirement_name(r)) for r in requirements]
    pinned = [r for r, n in named if n is not None and is_framework(n)]
    if pinned:
        first = requirement_name(pinned[0])
        pinned = [r for r in pinned if requirement_name(r) == first]
        named = [(r, n) for r, n in named if n is None or not is_framework(n) or n == first]
    installed = framework_distributions(snapshot)
    final = {requirement_name(pinned[0])} if pinned else {d.key for d in installed}
    steps = []  # type: List[Step]
    if pinned:
        gone = [d for d in installed if len(installed) > 1 or d.key not in final]
        if gone:
            steps.append(("uninstall", ("-y",), tuple(d.name for d in gone)))
    if not final - {FRAMEWORK_PACKAGE}:  # plain mindspore or none: pip's own way is safe
        return steps + [("install", (), tuple(r for r, _ in named))]
    dependents = _mindspore_dependents(snapshot)
    alone = [r for r, n in named if n in dependents]
    rest = [r for r, n in named if r not in pinned and r not in alone]
    ride = pinned or ["%s==%s" % (d.name, d.version) for d in installed]
    if pinned:
        steps.append(("install", (), tuple(pinned)))
    if rest:
        steps.append(("install", (), tuple(rest + ride)))
    if alone:
        steps.append(("install", ("--no-deps",), tuple(alone)))
    return steps


def install_command(requirements: Sequence[str], python: Optional[str],
                    snapshot: Snapshot) -> str:
    """:func:`install_steps` as one shell line (``&&`` between the pip runs)."""
    return " && ".join(pip_install_command(reqs, python, options, verb=verb)
                       for verb, options, reqs in install_steps(requirements, snapshot))
