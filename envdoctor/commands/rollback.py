"""``envdoctor rollback [ID]``: restore the state saved before a fix.

A rollback undoes only what its transaction did. Without an ID it picks the newest unfinished
or failed transaction of one environment (``--python`` says which when several have some); a
successful fix that a later change built on is refused unless ``--force``.
"""

import argparse
import json
import os
import sys
from typing import Any, List

from envdoctor.errors import EXIT_OK, EXIT_PROBLEMS, UsageError

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    parser = sub.add_parser("rollback", help="restore the state saved before a fix",
                            description="Undo a fix: remove what it installed and put back "
                                        "the exact files it replaced (works offline). Files "
                                        "changed after the fix are kept and named.")
    parser.add_argument("id", nargs="?", help="transaction id (default: the latest one of "
                                              "the environment)")
    parser.add_argument("--list", action="store_true", help="list the saved transactions")
    parser.add_argument("--json", action="store_true",
                        help="with --list: the transactions as JSON (id, status, python, "
                             "created, bytes, folder)")
    parser.add_argument("--python", metavar="PATH",
                        help="only transactions of this interpreter (needed when several "
                             "environments have some)")
    parser.add_argument("--prune", action="store_true",
                        help="delete the saved files of fixes nothing needs any more (rolled "
                             "back, or followed by a newer fix of the same environment); a "
                             "MindSpore backup takes GBs")
    parser.add_argument("--force", action="store_true",
                        help="roll back a successful fix even though the environment changed "
                             "after it (files changed since are still kept)")
    parser.set_defaults(func=run)


def _same_python(journal_python: Any, wanted: str) -> bool:
    if not isinstance(journal_python, str):
        return False
    return os.path.abspath(journal_python) == os.path.abspath(wanted)


def _choose(txs: List[Any], python: Any) -> Any:
    from envdoctor.fix.transaction import state_dir

    candidates = [t for t in txs if t.journal.get("status") != "rolled-back"]
    if not candidates:
        raise UsageError("nothing to roll back (no saved fix in %s)" % state_dir())
    prefixes = sorted({t.prefix for t in candidates})
    if len(prefixes) > 1 and not python:
        raise UsageError("saved fixes exist for %d environments (%s); say which with --python "
                         "or give a transaction id (`envdoctor rollback --list`)"
                         % (len(prefixes), ", ".join(prefixes)))
    return candidates[-1]


def human_bytes(count: int) -> str:
    if count < 1024:
        return "%d B" % count
    size = float(count)
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            break
    return "%.1f %s" % (size, unit)


def _prune(txs: List[Any]) -> int:
    from envdoctor.console import safe_text
    from envdoctor.fix.transaction import forget, prunable, state_dir

    gone = prunable(txs)
    if not gone:
        sys.stdout.write(safe_text("nothing to prune in %s (the newest fix of each environment "
                                   "and failed or unfinished ones are kept)" % state_dir()) + "\n")
        return EXIT_OK
    freed = 0
    for tx in gone:
        size = forget(tx)
        freed += size
        sys.stdout.write(safe_text("deleted %s  %-12s %8s  %s" % (
            tx.id, tx.journal.get("status"), human_bytes(size), tx.python)) + "\n")
    sys.stdout.write("Freed %s; the newest fix of each environment can still be rolled back.\n"
                     % human_bytes(freed))
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    from envdoctor.console import safe_text
    from envdoctor.fix import later_change, rollback
    from envdoctor.fix.transaction import (folder_bytes, list_transactions, load_transaction,
                                           state_dir)

    txs = list_transactions()
    if args.python:
        txs = [t for t in txs if _same_python(t.journal.get("python"), args.python)]
    if args.json and not args.list:
        raise UsageError("--json goes with --list")
    if args.list and args.json:
        sys.stdout.write(json.dumps({"state_dir": state_dir(), "transactions": [
            {"id": t.id, "status": t.journal.get("status"), "python": t.journal.get("python"),
             "created": t.journal.get("created"), "bytes": folder_bytes(t.folder),
             "folder": t.folder} for t in txs]}, indent=2) + "\n")
        return EXIT_OK
    if args.list:
        if not txs:
            sys.stdout.write("no saved fixes in %s\n" % safe_text(state_dir()))
        for t in txs:
            sys.stdout.write(safe_text("%s  %-16s %8s  %s" % (
                t.id, t.journal.get("status"), human_bytes(folder_bytes(t.folder)),
                t.journal.get("python"))) + "\n")
        return EXIT_OK
    if args.prune:
        return _prune(txs)
    tx = load_transaction(args.id) if args.id else _choose(txs, args.python)
    reason = later_change(tx)
    if reason and not args.force:
        raise UsageError("transaction %s succeeded and %s; rolling it back would undo more "
                         "than it did. Refused; --force rolls back its own files anyway "
                         "(what changed since is kept)" % (tx.id, reason))
    sys.stdout.write(safe_text("Rolling back %s (%s) for %s ..." % (
        tx.id, tx.journal.get("status"), tx.python)) + "\n")
    exact = rollback(tx)
    kept = (tx.journal.get("rollback") or {}).get("kept") or []
    for item in kept[:20]:
        sys.stdout.write(safe_text("  kept %s (%s)" % (item["path"], item["why"])) + "\n")
    if len(kept) > 20:
        sys.stdout.write("  ... and %d more kept\n" % (len(kept) - 20))
    if exact:
        sys.stdout.write("Restored: pip freeze equals the one saved before the fix.\n")
        return EXIT_OK
    sys.stdout.write(safe_text("Restored the fix's own files, but pip freeze differs from the "
                               "saved one; compare with %s/freeze.txt" % tx.folder) + "\n")
    return EXIT_PROBLEMS
