"""``envdoctor explain``: read a traceback or pip's output and say what it means.

- :mod:`envdoctor.explain.engine`: :func:`~envdoctor.explain.engine.explain_text`, the
  matching, as pure functions of the text and envdoctor's data;
- :mod:`envdoctor.explain.signatures`: the signature table (``signatures.yaml``);
- :mod:`envdoctor.explain.imports`: import errors from the API index;
- :mod:`envdoctor.explain.pipconflicts`: pip's resolver and ``pip check`` lines;
- mechanisms, each reading the text itself: :mod:`~envdoctor.explain.loader` (the dynamic
  loader), :mod:`~envdoctor.explain.pipinstall` (wheel tags, Requires-Python, resolver
  reports), :mod:`~envdoctor.explain.names` (renamed / removed names, ``names.yaml``),
  :mod:`~envdoctor.explain.numpyabi`, :mod:`~envdoctor.explain.ascend` (CANN logs),
  :mod:`~envdoctor.explain.frameworks` (MindSpore context);
- :mod:`envdoctor.explain.model`: an :class:`~envdoctor.explain.model.Explanation` is a view
  of a :class:`~envdoctor.findings.Finding` (codes ED401-ED409);
- :mod:`envdoctor.explain.render`: text output (pure).

:func:`explain_text` here is the short way in for other commands (``check --deep``): it
uses the bundled data files, loaded once.
"""

from typing import Any, Optional, Tuple

__all__ = ["explain_text", "explain_findings", "bundled_sources", "load_sources"]  # explain_text: api.py uses it

_SOURCES = []  # type: list


def load_sources(matrix_file: Optional[str] = None, index_file: Optional[str] = None,
                 signatures_file: Optional[str] = None) -> Tuple[Any, Any, Any]:
    """The matrix, the API index and the signature table (bundled unless given). A broken
    bundled file is an error (exit 2); a missing API index only weakens the answer."""
    import os
    import sys

    from envdoctor.apiindex.model import load_api_index
    from envdoctor.explain.signatures import load_signatures
    from envdoctor.matrix import load_matrix
    from envdoctor.resources import api_index_path, matrix_path, signatures_path

    matrix = load_matrix(matrix_file or matrix_path())
    path = index_file or api_index_path()
    if index_file or os.path.exists(path):
        index = load_api_index(path)
    else:
        sys.stderr.write("envdoctor: no API index at %s; import errors are explained from the "
                         "matrix and signatures only\n" % path)
        index = None
    signatures = load_signatures(signatures_file or signatures_path())
    return matrix, index, signatures


def bundled_sources() -> Tuple[Any, Any, Any]:
    """The bundled matrix, API index and signature table (loaded on first use)."""
    if not _SOURCES:
        _SOURCES.append(load_sources())
    return _SOURCES[0]


def explain_text(text: str, matrix: Any = None, index: Any = None,
                 signatures: Any = None) -> Tuple[Any, ...]:
    """The :class:`~envdoctor.explain.model.Explanation`\\ s of ``text``, from the bundled
    data unless given; empty when nothing is recognised."""
    from envdoctor.explain.engine import explain_text as explain

    if matrix is None and index is None and signatures is None:
        matrix, index, signatures = bundled_sources()
    return explain(text, matrix, index, signatures,
                   matrix_path=getattr(matrix, "path", None)).explanations


def explain_findings(text: str) -> Tuple[Any, ...]:
    """The explanations of ``text`` as :class:`~envdoctor.findings.Finding` s (codes
    ED401-ED409), the most authoritative first: what ``check --deep`` and ``smoke`` use."""
    found = sorted(explain_text(text), key=lambda e: e.rank)
    return tuple(e.finding() for e in found)
