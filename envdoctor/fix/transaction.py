"""Apply a plan as a transaction: snapshot, back up, pip, verify, and roll back on failure.

Before pip changes anything, the files of every distribution the plan will replace are
copied (from their RECORD) into the state directory, next to the full freeze and the
snapshot JSON. A rollback uninstalls what the fix installed and copies those files back, so
it works offline and restores the exact bytes, not a re-download.

State directory: $ENVDOCTOR_STATE_DIR, else $XDG_STATE_HOME/envdoctor, else
~/.local/state/envdoctor. One folder per transaction: ``transactions/<id>/``.
"""

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from envdoctor.errors import EnvdoctorError
from envdoctor.snapshot import Distribution, Snapshot, canonical_name

__all__ = ["state_dir", "Transaction", "TransactionError", "list_transactions",
           "load_transaction"]


class TransactionError(EnvdoctorError):
    pass


def state_dir() -> str:
    explicit = os.environ.get("ENVDOCTOR_STATE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                            "state")
    return os.path.join(base, "envdoctor")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _record_paths(dist: Distribution) -> List[str]:
    """Absolute paths of the files a distribution installed (from its RECORD)."""
    meta = dist.metadata_path
    if not meta or not dist.location:
        return []
    record = os.path.join(meta, "RECORD")
    paths = []
    if os.path.isfile(record):
        with open(record, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                rel = line.rsplit(",", 2)[0].strip() if line.count(",") >= 2 else line.strip()
                if rel:
                    paths.append(os.path.normpath(os.path.join(dist.location, rel)))
    if os.path.isdir(meta):  # the metadata folder itself, RECORD or not
        for root, _, files in os.walk(meta):
            paths.extend(os.path.join(root, f) for f in files)
    seen = set()
    out = []
    for path in paths:
        if path not in seen:
            seen.add(path)
            out.append(path)
    return out


def _install_dirs(snapshot: Snapshot) -> List[str]:
    interp = snapshot.interpreter
    dirs = []
    for key in ("purelib", "platlib", "scripts"):
        path = interp.get(key)
        if path and os.path.isdir(path) and path not in dirs:
            dirs.append(path)
    return dirs


def _listings(snapshot: Snapshot) -> Dict[str, List[str]]:
    out = {}
    for folder in _install_dirs(snapshot):
        try:
            out[folder] = sorted(os.listdir(folder))
        except OSError:
            continue
    return out


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except OSError:
            pass


@dataclass
class Transaction:
    id: str
    folder: str
    journal: Dict[str, Any]

    # -- creation ------------------------------------------------------------------------

    @classmethod
    def begin(cls, snapshot: Snapshot, freeze_text: str, plan: Dict[str, Any]) -> "Transaction":
        prefix = str(snapshot.interpreter.get("prefix", ""))
        tag = hashlib.sha1(prefix.encode()).hexdigest()[:6]
        tid = "%s-%s" % (time.strftime("%Y%m%d-%H%M%S", time.gmtime()), tag)
        folder = os.path.join(state_dir(), "transactions", tid)
        n = 1
        while os.path.exists(folder):
            n += 1
            folder = os.path.join(state_dir(), "transactions", "%s-%d" % (tid, n))
        os.makedirs(folder)
        with open(os.path.join(folder, "snapshot.json"), "w", encoding="utf-8") as handle:
            handle.write(snapshot.to_json())
        with open(os.path.join(folder, "freeze.txt"), "w", encoding="utf-8") as handle:
            handle.write(freeze_text)
        with open(os.path.join(folder, "plan.json"), "w", encoding="utf-8") as handle:
            json.dump(plan, handle, indent=2)
        journal = {
            "id": os.path.basename(folder),
            "created": _now(),
            "python": snapshot.interpreter.get("executable"),
            "prefix": prefix,
            "status": "planned",
            "touched": [],  # canonical names pip may change or install
            "backups": {},  # canonical name -> {"version", "files": [[abs, backup_rel], ...]}
            # What the install folders held: a rollback removes whatever pip added there,
            # even when a half-installed distribution has no RECORD for pip to uninstall.
            "listings": _listings(snapshot),
            "events": [],
        }
        tx = cls(os.path.basename(folder), folder, journal)
        tx.save()
        return tx

    def save(self) -> None:
        path = os.path.join(self.folder, "journal.json")
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(self.journal, handle, indent=2)
        os.replace(tmp, path)

    def log(self, status: str, message: str = "") -> None:
        self.journal["status"] = status
        self.journal["events"].append({"at": _now(), "status": status, "message": message})
        self.save()

    @property
    def freeze_text(self) -> str:
        with open(os.path.join(self.folder, "freeze.txt"), encoding="utf-8") as handle:
            return handle.read()

    @property
    def python(self) -> str:
        return str(self.journal["python"])

    # -- backup and restore ----------------------------------------------------------------

    def back_up(self, snapshot: Snapshot, names: Sequence[str]) -> None:
        """Copy the files of each installed distribution that pip may replace."""
        self.journal["touched"] = sorted(set(canonical_name(n) for n in names))
        files_root = os.path.join(self.folder, "backup")
        active = snapshot.active
        count = 0
        for key in self.journal["touched"]:
            dist = active.get(key)
            if dist is None:
                continue
            entries = []
            for path in _record_paths(dist):
                if not os.path.isfile(path) or os.path.islink(path):
                    continue
                count += 1
                rel = os.path.join(key, "%06d" % count)
                dest = os.path.join(files_root, rel)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                shutil.copy2(path, dest)
                entries.append([path, rel])
            self.journal["backups"][key] = {"name": dist.name, "version": dist.version,
                                            "files": entries}
        self.log("backed-up", "%d files of %d distributions" % (count,
                                                                len(self.journal["backups"])))

    def remove_additions(self) -> List[str]:
        """Delete what appeared in the install folders since the transaction began."""
        removed = []
        for folder, before in (self.journal.get("listings") or {}).items():
            try:
                now = os.listdir(folder)
            except OSError:
                continue
            keep = set(before)
            for name in now:
                if name not in keep and name != "__pycache__":
                    _remove(os.path.join(folder, name))
                    removed.append(os.path.join(folder, name))
        return removed

    def restore_files(self) -> int:
        restored = 0
        root = os.path.join(self.folder, "backup")
        for info in self.journal["backups"].values():
            for path, rel in info["files"]:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                shutil.copy2(os.path.join(root, rel), path)
                restored += 1
        return restored


def list_transactions() -> List[Transaction]:
    root = os.path.join(state_dir(), "transactions")
    out = []
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    for name in names:
        try:
            out.append(load_transaction(name))
        except TransactionError:
            continue
    return out


def load_transaction(tid: str) -> Transaction:
    folder = os.path.join(state_dir(), "transactions", tid)
    try:
        with open(os.path.join(folder, "journal.json"), encoding="utf-8") as handle:
            journal = json.load(handle)
    except (OSError, ValueError) as exc:
        raise TransactionError("no readable transaction %r in %s (%s)"
                               % (tid, os.path.dirname(folder), exc))
    return Transaction(tid, folder, journal)
