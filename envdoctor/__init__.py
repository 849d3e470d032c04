"""envdoctor: check, fix and smoke-test MindSpore / MindNLP lab environments.

envdoctor never imports mindspore, mindnlp, transformers or torch in its own process:
everything about a target environment is learned by running stdlib-only probe scripts
in the target interpreter (see :mod:`envdoctor.probe`).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
