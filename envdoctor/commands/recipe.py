"""``envdoctor recipe show NAME`` (the environment card) and ``recipe lock`` (maintainers)."""

import argparse
import os
import sys
import time
from typing import Any, List

from envdoctor.errors import EXIT_OK, UsageError

__all__ = ["register", "environment_card"]


def register(sub: Any) -> None:
    parser = sub.add_parser("recipe", help="show a lab's environment card, or lock a recipe")
    actions = parser.add_subparsers(dest="recipe_command", metavar="ACTION")
    show = actions.add_parser("show", help="print the lab's environment card (Markdown)")
    show.add_argument("name", help="recipe name (see `envdoctor recipes`)")
    show.set_defaults(func=run_show)
    lock = actions.add_parser(
        "lock", help="write a recipe lock from a verified environment (maintainers)",
        description="Read the exact versions of a recipe's packages and everything they need "
                    "from a working environment, and write them as a constraints file.")
    lock.add_argument("name", help="recipe name")
    lock.add_argument("--python", required=True, metavar="PATH",
                      help="the verified environment's interpreter")
    lock.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    lock.add_argument("--checks", default="imports",
                      help="what verification ran there (written into the header)")
    lock.set_defaults(func=run_lock)
    parser.set_defaults(func=_usage)


def _usage(args: argparse.Namespace) -> int:
    raise UsageError("usage: envdoctor recipe show NAME | envdoctor recipe lock NAME --python P")


def _recipe(name: str) -> Any:
    from envdoctor.recipes import find_recipe, load_recipes

    recipes = load_recipes()
    recipe = find_recipe(name, recipes)
    if recipe is None:
        raise UsageError("no recipe named %r; known: %s"
                         % (name, ", ".join(r.name for r in recipes)))
    return recipe


def environment_card(recipe: Any) -> str:
    """What the student asked courses to write down: Python, MindSpore, MindNLP, every pin,
    device notes, and how to install."""
    from envdoctor.versions import format_spec

    out = []  # type: List[str]
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
        for minor, platforms in sorted(recipe.locks.items()):
            for platform, entry in sorted((platforms or {}).items()):
                if not isinstance(entry, dict) or not entry.get("file"):
                    continue
                path = os.path.join(os.path.dirname(recipe.path), entry["file"])
                verified = entry.get("verified") or {}
                out.append("")
                out.append("### Python %s on %s (verified %s: %s)" % (
                    minor, platform, verified.get("date", "?"),
                    ", ".join(verified.get("checks", []))))
                out.append("")
                out.append("```")
                try:
                    with open(path, encoding="utf-8") as handle:
                        out.extend(l.rstrip() for l in handle
                                   if l.strip() and not l.startswith("#"))
                except OSError:
                    out.append("(lock file %s missing)" % entry["file"])
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


def run_show(args: argparse.Namespace) -> int:
    sys.stdout.write(environment_card(_recipe(args.name)))
    return EXIT_OK


def run_lock(args: argparse.Namespace) -> int:
    from envdoctor.lockfile import lock_lines
    from envdoctor.matrix import platform_tag
    from envdoctor.probe import probe

    recipe = _recipe(args.name)
    snapshot = probe(args.python)
    missing = [p.name for p in recipe.packages if not p.absent and snapshot.get(p.name) is None]
    if missing:
        raise UsageError("%s lacks %s: lock from an environment that has the whole lab"
                         % (args.python, ", ".join(missing)))
    lines = lock_lines(snapshot, [p.name for p in recipe.packages if not p.absent])
    header = ["# envdoctor lock for recipe %s" % recipe.name,
              "# Python %s on %s, read %s from a verified environment (checks: %s)"
              % (snapshot.python_version, platform_tag(snapshot), time.strftime("%Y-%m-%d"),
                 args.checks),
              "# Use as pip constraints: pip install -c THIS_FILE ..."]
    text = "\n".join(header + lines) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
        sys.stderr.write("envdoctor: wrote %s (%d pins)\n" % (args.output, len(lines)))
    else:
        sys.stdout.write(text)
    return EXIT_OK
