"""Where the bundled matrix and recipes are.

One source of truth: they live at the repository's top level. A wheel carries a copy made
at build time under ``envdoctor/data/``; a source checkout (or an editable install) reads
the top-level files in place.
"""

import os
from typing import List

__all__ = ["matrix_path", "recipes_dir", "package_dir", "data_path", "api_index_path",
           "signatures_path", "cache_dir"]

package_dir = os.path.dirname(os.path.abspath(__file__))


def _first_existing(*candidates: str) -> str:
    for path in candidates:
        if os.path.exists(path):
            return path
    return candidates[-1]


def data_path(name: str) -> str:
    return _first_existing(
        os.path.join(package_dir, "data", name),
        os.path.join(os.path.dirname(package_dir), name),
    )


def matrix_path() -> str:
    return os.environ.get("ENVDOCTOR_MATRIX") or data_path("compat_matrix.yaml")


def api_index_path() -> str:
    """What each mindspore / mindnlp release exports (``envdoctor matrix api-index``)."""
    return os.environ.get("ENVDOCTOR_API_INDEX") or data_path("api_index.json")


def signatures_path() -> str:
    """Known error texts and what they mean (``envdoctor explain``)."""
    return os.environ.get("ENVDOCTOR_SIGNATURES") or data_path("signatures.yaml")


def recipes_dir() -> str:
    return os.environ.get("ENVDOCTOR_RECIPES") or data_path("recipes")


def recipe_files() -> List[str]:
    folder = recipes_dir()
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [os.path.join(folder, n) for n in names if n.endswith((".yaml", ".yml"))]


def cache_dir(*parts: str) -> str:
    """envdoctor's cache folder for this user (``$XDG_CACHE_HOME/envdoctor``; override with
    ``ENVDOCTOR_CACHE_DIR``): only things that can be rebuilt, never state."""
    base = os.environ.get("ENVDOCTOR_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "envdoctor")
    return os.path.join(base, *parts)
