"""``envdoctor recipe show NAME`` (the environment card) and ``recipe lock`` (maintainers)."""

import argparse
import os
import sys
import time
from typing import Any, Dict, List, Optional

from envdoctor.errors import EXIT_OK, UsageError

__all__ = ["register"]


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


def _lock_lines(recipe: Any) -> Dict[str, Optional[List[str]]]:
    """Each lock file's pins (None: the file is missing), for the card."""
    out: Dict[str, Optional[List[str]]] = {}
    for platforms in recipe.locks.values():
        for entry in (platforms or {}).values():
            if not isinstance(entry, dict) or not entry.get("file"):
                continue
            path = os.path.join(os.path.dirname(recipe.path), entry["file"])
            try:
                with open(path, encoding="utf-8") as handle:
                    out[entry["file"]] = [l.rstrip() for l in handle
                                          if l.strip() and not l.startswith("#")]
            except OSError:
                out[entry["file"]] = None
    return out


def run_show(args: argparse.Namespace) -> int:
    from envdoctor.render.recipe_card import environment_card

    recipe = _recipe(args.name)
    sys.stdout.write(environment_card(recipe, _lock_lines(recipe)))
    return EXIT_OK


def run_lock(args: argparse.Namespace) -> int:
    from envdoctor.api import take_snapshot
    from envdoctor.lab.apicheck import installed_distribution
    from envdoctor.lockfile import lock_lines
    from envdoctor.snapshot import canonical_name

    recipe = _recipe(args.name)
    snapshot = take_snapshot(args.python)
    # `mindspore` is whichever MindSpore distribution is installed (mindspore-dev, -gpu, ...)
    wanted = [p.name for p in recipe.packages if not p.absent]
    found = {name: installed_distribution(snapshot, name) for name in wanted}
    missing = [name for name in wanted if found[name] is None]
    if missing:
        raise UsageError("%s lacks %s: lock from an environment that has the whole lab"
                         % (args.python, ", ".join(missing)))
    lines = lock_lines(snapshot, [d.name for d in found.values() if d is not None])
    header = ["# envdoctor lock for recipe %s" % recipe.name,
              "# Python %s on %s, read %s from a verified environment (checks: %s)"
              % (snapshot.python_version, snapshot.platform_tag, time.strftime("%Y-%m-%d"),
                 args.checks),
              "# Use as pip constraints: pip install -c THIS_FILE ..."]
    framework = found.get("mindspore")
    if framework is not None and canonical_name(framework.name) != "mindspore":
        header += ["# %s is MindSpore under another name: install it first, then mindnlp with "
                   "--no-deps" % framework.name,
                   "# and the rest with -c THIS_FILE (pip would lay `mindspore` over it: ED110)."]
    text = "\n".join(header + lines) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
        sys.stderr.write("envdoctor: wrote %s (%d pins)\n" % (args.output, len(lines)))
    else:
        sys.stdout.write(text)
    return EXIT_OK
