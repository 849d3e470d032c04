"""``envdoctor explain``: a finding code (``ED101``), or a traceback / pip output.

``envdoctor explain ED101`` prints the documentation of a finding code. Anything else is a
file to read (``-`` or nothing: stdin), or the error text itself in quotes: each problem
recognised in it is explained from the compatibility matrix, the API index, pip's conflict
lines and the signature table. Exit 0 when something was explained, 1 when nothing was (and
it says so), 2 when envdoctor could not run.
"""

import argparse
import json
import os
import re
import sys
from typing import Any, Optional, Tuple

from envdoctor.errors import EXIT_OK, UsageError

__all__ = ["register", "run", "run_code", "read_input"]

_CODE = re.compile(r"^ED\d+$", re.IGNORECASE)


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "explain", help="explain a traceback or pip output (file or stdin), or a code (ED101)",
        description="Explain each problem recognised in a traceback or in pip's output, from "
                    "the compatibility matrix, the API index (which mindspore / mindnlp "
                    "release has which name) and the signature table; or print the "
                    "documentation of a finding code such as ED101.",
        epilog="Exit codes: 0 something explained, 1 nothing recognised, 2 envdoctor could "
               "not run.")
    parser.add_argument("target", nargs="?", metavar="FILE|-|CODE|TEXT",
                        help="a file with the error text, '-' or nothing for stdin, the error "
                             "text itself in quotes, or a "
                             "finding code such as ED101")
    parser.add_argument("--json", action="store_true", help="print only JSON on stdout")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show all evidence and the error lines not explained")
    parser.add_argument("--matrix", metavar="PATH", help="compatibility matrix file to use")
    parser.add_argument("--api-index", metavar="PATH", help="API index file to use")
    parser.add_argument("--signatures", metavar="PATH", help="signature table to use")
    parser.add_argument("--lint", action="store_true",
                        help="only validate the signature table and the API index, and exit")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    target = args.target
    if target and _CODE.match(target.strip()) and not args.lint:
        return run_code(target, args.json)
    if args.lint:
        return _lint(args)
    text, name = read_input(target)
    from envdoctor.explain import load_sources
    from envdoctor.explain.engine import explain_text

    matrix, index, signatures = load_sources(args.matrix, args.api_index, args.signatures)
    result = explain_text(text, matrix, index, signatures,
                          matrix_path=getattr(matrix, "path", None))
    if args.json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        from envdoctor.console import emit
        from envdoctor.explain.render import render_result_lines

        emit(render_result_lines(result, name, verbose=args.verbose))
    return result.exit_code


def run_code(code: str, as_json: bool = False) -> int:
    from envdoctor.findings import CODES

    code = code.strip().upper()
    doc = CODES.get(code)
    if doc is None:
        raise UsageError("unknown code %r; codes: %s" % (code, ", ".join(sorted(CODES))))
    if as_json:
        sys.stdout.write(json.dumps({"code": doc.code, "area": doc.area,
                                     "severity": doc.severity.value, "title": doc.title,
                                     "doc": doc.doc}, indent=2) + "\n")
    else:
        sys.stdout.write("%s (%s, %s): %s\n\n%s\n" % (doc.code, doc.severity.value, doc.area,
                                                      doc.title, doc.doc))
    return EXIT_OK


def read_input(target: Optional[str]) -> Tuple[str, Optional[str]]:
    """The text to explain and a name for it: a file, stdin for '-' / nothing, or the argument
    itself when it names no file and reads like an error (a student pastes the line in quotes)."""
    if not target or target == "-":
        if sys.stdin is None:
            raise UsageError("no input: give a file, or pipe the error text into stdin")
        if sys.stdin.isatty():
            sys.stderr.write("envdoctor: paste the error text, then press Ctrl-D "
                             "(Ctrl-Z Enter on Windows)\n")
        data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else \
            sys.stdin.read().encode("utf-8")
        return _decode(data), None
    if _is_pasted_text(target):
        return target, "the quoted text"
    try:
        with open(target, "rb") as handle:
            return _decode(handle.read()), target
    except OSError as exc:
        raise UsageError("cannot read %s: %s" % (target, exc.strerror or exc))


def _is_pasted_text(target: str) -> bool:
    # A missing file name stays an error ("cannot read x.txt"); text with a space or a line
    # break that names no file is the error itself.
    return not os.path.exists(target) and any(c in target for c in " \t\n")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Chinese Windows consoles save GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def _lint(args: argparse.Namespace) -> int:
    from envdoctor.apiindex.model import load_api_index
    from envdoctor.explain.signatures import load_signatures
    from envdoctor.resources import api_index_path, signatures_path

    from envdoctor.explain.names import NAMES_PATH, load_names

    table = load_signatures(args.signatures or signatures_path())
    index = load_api_index(args.api_index or api_index_path())
    names = load_names(NAMES_PATH)
    sys.stdout.write("%s: %d signatures OK\n" % (table.path, len(table.signatures)))
    sys.stdout.write("%s: %d name entries OK\n" % (NAMES_PATH, len(names)))
    sys.stdout.write("%s: %s OK\n" % (index.path, ", ".join(
        "%s %d versions" % (n, len(p.versions)) for n, p in sorted(index.packages.items()))))
    return EXIT_OK
