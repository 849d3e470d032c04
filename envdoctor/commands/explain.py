"""``envdoctor explain CODE``: the documentation of a finding code."""

import argparse
import json
import sys
from typing import Any

from envdoctor.errors import EXIT_OK, UsageError

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    parser = sub.add_parser("explain", help="explain a finding code (e.g. ED101)")
    parser.add_argument("code", help="a finding code such as ED101")
    parser.add_argument("--json", action="store_true", help="print only JSON on stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from envdoctor.findings import CODES

    code = args.code.strip().upper()
    doc = CODES.get(code)
    if doc is None:
        raise UsageError("unknown code %r; codes: %s" % (args.code, ", ".join(sorted(CODES))))
    if args.json:
        sys.stdout.write(json.dumps({"code": doc.code, "area": doc.area,
                                     "severity": doc.severity.value, "title": doc.title,
                                     "doc": doc.doc}, indent=2) + "\n")
    else:
        sys.stdout.write("%s (%s, %s): %s\n\n%s\n" % (doc.code, doc.severity.value, doc.area,
                                                      doc.title, doc.doc))
    return EXIT_OK
