"""Which notebook is this kernel running? For the pre-lab cell, which checks the lab it is in.

Jupyter (jupyter_server 2 / ipykernel 6.21+) puts the notebook's path into the kernel's
environment as ``JPY_SESSION_NAME`` and into the user namespace as ``__session__``; VS Code's
Jupyter extension sets ``__vsc_ipynb_file__`` in the user namespace. Anything else (a plain
script, an older server): None, and the caller falls back to an explicit ``lab=``.
"""

import os
from typing import Any, Mapping, Optional

__all__ = ["notebook_path"]

NAMESPACE_KEYS = ("__vsc_ipynb_file__", "__session__")
ENV_KEYS = ("JPY_SESSION_NAME",)


def _user_namespace() -> Mapping[str, Any]:
    try:
        from IPython import get_ipython  # type: ignore
    except ImportError:
        return {}
    shell = get_ipython()
    return getattr(shell, "user_ns", None) or {}


def _as_notebook(value: Any) -> Optional[str]:
    if not isinstance(value, str) or not value.strip():
        return None
    path = value.strip()
    if path.startswith("file://"):
        path = path[len("file://"):]
    # JPY_SESSION_NAME can be relative to the server's root: resolve against the cwd,
    # which Jupyter sets to the notebook's folder.
    if not os.path.isabs(path) and not os.path.exists(path):
        candidate = os.path.join(os.getcwd(), os.path.basename(path))
        path = candidate if os.path.exists(candidate) else path
    return path if path.endswith(".ipynb") else None


def notebook_path(namespace: Optional[Mapping[str, Any]] = None,
                  environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The path of the notebook this kernel runs, or None when nothing says."""
    names = _user_namespace() if namespace is None else namespace
    env = os.environ if environ is None else environ
    for key in NAMESPACE_KEYS:
        found = _as_notebook(names.get(key))
        if found:
            return found
    for key in ENV_KEYS:
        found = _as_notebook(env.get(key))
        if found:
            return found
    return None
