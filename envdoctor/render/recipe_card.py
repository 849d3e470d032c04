"""``envdoctor recipe show``: a lab's environment card (Markdown), a pure function of the
recipe and its lock files' pins."""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence, Tuple

from envdoctor.recipes import Recipe
from envdoctor.versions import format_spec

__all__ = ["environment_card"]


def environment_card(recipe: Recipe, lock_lines: Mapping[str, Optional[Sequence[str]]]
                     ) -> str:
    """What the student asked courses to write down: Python, MindSpore, MindNLP, every pin,
    device notes, and how to install. ``lock_lines``: each lock file's pins by its name in
    the recipe (None: the file is missing)."""
    out: List[str] = []
    out.append("# Lab environment: %s" % recipe.title)
    out.append("")
    if recipe.description:
        out.append(recipe.description)
        out.append("")
    out.append("| | |")
    out.append("|---|---|")
    out.append("| Recipe | `%s` (%s) |" % (recipe.name, recipe.status))
    out.append("| Python | %s |" % format_spec(recipe.python))
    for pkg in recipe.packages:
        if pkg.name in ("mindspore", "mindnlp"):
            out.append("| %s | `%s` |" % ("MindSpore" if pkg.name == "mindspore" else "MindNLP",
                                         pkg.describe()))
    if recipe.platforms:
        out.append("| Platforms | %s |" % ", ".join(recipe.platforms))
    out.append("")
    out.append("## Packages")
    out.append("")
    for pkg in recipe.packages:
        line = "- `%s`" % pkg.describe()
        if pkg.install:
            line += " (install: `%s`)" % pkg.install
        if pkg.note:
            line += ": " + pkg.note
        out.append(line)
    if recipe.symbols:
        out.append("")
        out.append("## What the lab's code imports")
        out.append("")
        out.extend("- `%s`" % s for s in recipe.symbols)
    if recipe.locks:
        out.append("")
        out.append("## Verified locks (every pin)")
        for minor, platforms in sorted(recipe.locks.items(), key=_by_python):
            for platform, entry in sorted((platforms or {}).items()):
                if not isinstance(entry, dict) or not entry.get("file"):
                    continue
                verified = entry.get("verified") or {}
                out.append("")
                out.append("### Python %s on %s (verified %s: %s)" % (
                    minor, platform, verified.get("date", "?"),
                    ", ".join(verified.get("checks", []))))
                out.append("")
                out.append("```")
                pins = lock_lines.get(entry["file"])
                if pins is None:
                    out.append("(lock file %s missing)" % entry["file"])
                else:
                    out.extend(pins)
                out.append("```")
    if recipe.device_notes:
        out.append("")
        out.append("## Devices")
        out.append("")
        out.append(" ".join(str(recipe.device_notes).split()))
    if recipe.wheels_from:
        out.append("")
        out.append("## Where the wheels come from")
        out.append("")
        out.append(str(recipe.wheels_from))
    out.append("")
    out.append("## Install")
    out.append("")
    out.append("```")
    out.extend(recipe.install or ["python -m pip install " + " ".join(
        '"%s"' % p.requirement() for p in recipe.packages)])
    out.append("```")
    out.append("")
    out.append("Or let envdoctor do it and check it: `envdoctor fix --apply --recipe %s`, "
               "then `envdoctor check --deep`." % recipe.name)
    return "\n".join(out) + "\n"


def _by_python(item: Tuple[Any, Any]) -> Tuple[int, ...]:
    """'3.9' before '3.11' (as numbers, not text)."""
    return tuple(int(p) if p.isdigit() else -1 for p in str(item[0]).split("."))
