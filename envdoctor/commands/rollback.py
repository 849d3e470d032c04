"""``envdoctor rollback [ID]``: restore the state saved before a fix."""

import argparse
import sys
from typing import Any

from envdoctor.errors import EXIT_OK, EXIT_PROBLEMS, UsageError

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    parser = sub.add_parser("rollback", help="restore the state saved before a fix",
                            description="Undo a fix: remove what it installed and put back "
                                        "the exact files it replaced (works offline).")
    parser.add_argument("id", nargs="?", help="transaction id (default: the latest one)")
    parser.add_argument("--list", action="store_true", help="list the saved transactions")
    parser.add_argument("--python", metavar="PATH",
                        help="only transactions of this interpreter (default: any)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from envdoctor.fix import rollback
    from envdoctor.fix.transaction import list_transactions, load_transaction, state_dir

    txs = list_transactions()
    if args.python:
        txs = [t for t in txs if t.journal.get("python") == args.python]
    if args.list:
        if not txs:
            sys.stdout.write("no saved fixes in %s\n" % state_dir())
        for t in txs:
            sys.stdout.write("%s  %-16s %s\n" % (t.id, t.journal.get("status"),
                                                 t.journal.get("python")))
        return EXIT_OK
    if args.id:
        tx = load_transaction(args.id)
    else:
        candidates = [t for t in txs if t.journal.get("status") != "rolled-back"]
        if not candidates:
            raise UsageError("nothing to roll back (no saved fix in %s)" % state_dir())
        tx = candidates[-1]
    sys.stdout.write("Rolling back %s (%s) for %s ...\n" % (tx.id, tx.journal.get("status"),
                                                            tx.python))
    exact = rollback(tx)
    if exact:
        sys.stdout.write("Restored: pip freeze equals the one saved before the fix.\n")
        return EXIT_OK
    sys.stdout.write("Restored the saved files, but pip freeze differs from the saved one; "
                     "compare with %s/freeze.txt\n" % tx.folder)
    return EXIT_PROBLEMS
