"""``envdoctor explain``: read a traceback or pip's output and say what it means.

- :mod:`envdoctor.explain.engine`: :func:`~envdoctor.explain.engine.explain_text`, the
  matching, as pure functions of the text and envdoctor's data;
- :mod:`envdoctor.explain.signatures`: the signature table (``signatures.yaml``);
- :mod:`envdoctor.explain.imports`: import errors from the API index;
- :mod:`envdoctor.explain.pipconflicts`: pip's resolver and ``pip check`` lines;
- :mod:`envdoctor.explain.render`: text output (pure).
"""

__all__ = []  # type: list
