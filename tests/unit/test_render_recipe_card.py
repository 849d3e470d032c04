"""envdoctor.render.recipe_card: the environment card, from the recipe and its locks' pins."""

from envdoctor.recipes import find_recipe
from envdoctor.render.recipe_card import environment_card


def test_card_from_data():
    recipe = find_recipe("gpt-imdb")
    files = [entry["file"] for platforms in recipe.locks.values() if isinstance(platforms, dict)
             for entry in platforms.values() if isinstance(entry, dict) and entry.get("file")]
    card = environment_card(recipe, {files[0]: ["mindspore==2.7.0", "numpy==1.26.4"]})
    assert card.startswith("# Lab environment: %s\n" % recipe.title)
    assert "| MindSpore | `mindspore>=2.7.0,<2.8` |" in card
    assert "```\nmindspore==2.7.0\nnumpy==1.26.4\n```" in card
    assert "## What the lab's code imports" in card
    missing = environment_card(recipe, {})
    assert "(lock file %s missing)" % files[0] in missing


def test_locks_in_python_order():
    card = environment_card(find_recipe("gpt-imdb-2025"), {})
    assert card.index("### Python 3.9 on") < card.index("### Python 3.11 on")
