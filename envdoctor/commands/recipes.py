"""``envdoctor recipes``: the lab recipes envdoctor knows."""

import argparse
import json
import sys
from typing import Any

from envdoctor.errors import EXIT_OK

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    parser = sub.add_parser("recipes", help="list the lab recipes")
    parser.add_argument("--json", action="store_true", help="print only JSON on stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from envdoctor.recipes import load_recipes
    from envdoctor.versions import format_spec

    recipes = load_recipes()
    if args.json:
        sys.stdout.write(json.dumps([r.to_dict() for r in recipes], indent=2) + "\n")
        return EXIT_OK
    for recipe in recipes:
        pkgs = ", ".join(p.describe() for p in recipe.packages[:3])
        sys.stdout.write("%-16s %-9s Python %-12s %s\n    %s\n"
                         % (recipe.name, recipe.status, format_spec(recipe.python), recipe.title, pkgs))
    return EXIT_OK
