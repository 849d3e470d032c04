"""The lab recipe: the packages and ranges a lab needs, for the Pythons it supports."""

from typing import List

from envdoctor.checks.context import CheckContext
from envdoctor.checks.framework import provided_by
from envdoctor.findings import Evidence, Finding, Fix, finding, pip_install_command
from envdoctor.frameworks import install_command
from envdoctor.matrix import platform_tag
from envdoctor.snapshot import Distribution, canonical_name

__all__ = ["check"]


def check(context: CheckContext) -> List[Finding]:
    snap = context.snapshot
    recipe = context.recipe
    if recipe is None:
        return [finding(
            code="ED305",
            title="No lab recipe supports Python %s" % snap.python_version,
            because="No recipe in envdoctor's recipes/ lists this Python, so only declared "
                    "requirements and the compatibility matrix were checked. `envdoctor "
                    "recipes` lists the labs and their Pythons.",
            evidence=Evidence(installed="Python %s" % snap.python_version),
        )]
    source = "recipe %s (%s)" % (recipe.name, recipe.status)
    findings = []  # type: List[Finding]
    if not recipe.supports_python(snap.python_version):
        findings.append(finding(
            code="ED303",
            title="Lab %s needs Python %s; this is Python %s"
                  % (recipe.name, recipe.python, snap.python_version),
            because="The lab's packages do not exist or do not work on this Python, so no pin "
                    "can fix this environment.",
            evidence=Evidence(installed="Python %s" % snap.python_version,
                              needed="Python %s" % recipe.python, source=source),
            fix=Fix(text="Create a venv with a Python in %s (e.g. `python3.X -m venv lab`), "
                         "then run envdoctor fix there." % recipe.python),
        ))
    tag = platform_tag(snap)
    if recipe.platforms and tag not in recipe.platforms:
        findings.append(finding(
            code="ED304",
            title="Lab %s was not made for %s" % (recipe.name, tag),
            because="The recipe lists %s; other platforms may lack wheels or kernels."
                    % ", ".join(recipe.platforms),
            evidence=Evidence(installed=tag, needed=", ".join(recipe.platforms), source=source),
        ))
    if recipe.status == "declared":
        findings.append(finding(
            code="ED306",
            title="Recipe %s is declared-only (not run by envdoctor)" % recipe.name,
            because="Its ranges come from package metadata and documentation"
                    + ("; its wheels come from %s." % recipe.wheels_from
                       if recipe.wheels_from else "."),
            evidence=Evidence(source=source),
        ))
    wanted = [p for p in recipe.packages if not p.absent]
    if wanted and all(provided_by(snap, p.name) is None for p in wanted):
        # A bare venv: one finding for the whole lab, not one per package.
        reqs = tuple(p.requirement() for p in wanted)
        findings.append(finding(
            code="ED301",
            title="None of lab %s's packages are installed here" % recipe.name,
            because="This environment has none of %s; the lab's first import will fail."
                    % ", ".join(p.name for p in wanted),
            evidence=Evidence(installed="none of them", needed=", ".join(
                p.describe() for p in wanted), source=source),
            fix=Fix(command=pip_install_command(reqs, context.python), requirements=reqs,
                    text="`envdoctor fix --apply` installs the recipe's verified set for this "
                         "Python (exact pins, CPU torch first where the lab needs it)."),
            packages=tuple(p.name for p in wanted),
        ))
        return findings
    for pkg in recipe.packages:
        dist = provided_by(snap, pkg.name)  # mindspore-dev provides mindspore
        need = pkg.describe()
        fix = Fix(command=pip_install_command([pkg.requirement()], context.python),
                  requirements=(pkg.requirement(),))
        if dist is not None and dist.key != canonical_name(pkg.name):
            fix = _replace_framework(context, dist, pkg.requirement())
        if dist is None and not pkg.absent:
            findings.append(finding(
                code="ED301",
                title="%s is not installed (lab %s needs %s)" % (pkg.name, recipe.name, need),
                because="The %s lab imports %s; without it the lab's first cell fails."
                        % (recipe.name, pkg.name),
                evidence=Evidence(installed="not installed", needed=need, source=source),
                fix=fix, packages=(pkg.name,),
            ))
            continue
        ok = pkg.matches(dist)
        if ok is False:
            have = "%s %s" % (dist.name, dist.version) if dist else "%s not installed" % pkg.name
            if dist is not None and pkg.origin and dist.origin != pkg.origin:
                have += " (from %s)" % dist.origin
            findings.append(finding(
                code="ED302",
                title="%s: lab %s needs %s, you have %s" % (pkg.name, recipe.name, need, have),
                because=(pkg.note or "The %s lab was made for %s." % (recipe.name, need)),
                evidence=Evidence(installed=have, needed=need, source=source),
                fix=fix, packages=(pkg.name,),
            ))
    return findings


def _replace_framework(context: CheckContext, dist: Distribution, requirement: str) -> Fix:
    """The lab wants ``mindspore`` and the environment has MindSpore under another name
    (mindspore-dev): installing it would lay a second build into the same folder (ED110), so
    the fix removes the one first (`fix` plans that only with --move-framework)."""
    return Fix(command=install_command([requirement], context.python, context.snapshot),
               requirements=(requirement,),
               text="MindSpore is installed here as %s %s; installing %s beside it would write "
                    "a second build into the same mindspore/ folder. Remove %s first, then "
                    "install the lab's framework (and MindNLP releases made for it: `envdoctor "
                    "fix --lab NOTEBOOK` plans the whole set)."
                    % (dist.name, dist.version, requirement, dist.name))
