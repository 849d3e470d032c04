"""envdoctor: check, fix and smoke-test MindSpore / MindNLP lab environments.

envdoctor never imports mindspore, mindnlp, transformers or torch in its own process:
everything about a target environment is learned by running stdlib-only probe scripts
in the target interpreter (see :mod:`envdoctor.probe`).

As a library: ``envdoctor.diagnose()`` (a check), ``plan_fix`` and ``apply_fix``; the whole
pipeline is :mod:`envdoctor.api`. In a notebook: ``envdoctor.prelab("gpt-imdb")``, or
``%load_ext envdoctor`` then ``%envdoctor check`` (see :mod:`envdoctor.notebook`). Both are
imported only when used, so ``import envdoctor`` stays cheap.
"""

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "diagnose", "plan_fix", "apply_fix", "prelab",
           "load_ipython_extension"]

_API = ("diagnose", "plan_fix", "apply_fix")


def __getattr__(name: str) -> Any:
    if name in _API:  # envdoctor.diagnose & co. load the pipeline on first use
        from envdoctor import api

        return getattr(api, name)
    raise AttributeError("module 'envdoctor' has no attribute %r" % name)


def prelab(*args, **kwargs):  # type: ignore
    """Check (``fix=True``: and fix) this kernel's environment for a lab; the result shows as
    HTML in a notebook. See :func:`envdoctor.notebook.prelab`."""
    from envdoctor.notebook import prelab as _prelab

    return _prelab(*args, **kwargs)


def load_ipython_extension(ipython):  # type: ignore
    """``%load_ext envdoctor``: adds the ``%envdoctor`` line magic."""
    from envdoctor.notebook import load_ipython_extension as _load

    _load(ipython)
