"""Apply a plan as a transaction: snapshot, back up, pip, verify, and roll back on failure.

Before pip changes anything, the files of every distribution the plan will replace are
copied (from their RECORD) into the state directory, next to the full freeze and the
snapshot JSON. Right after the pip run, the transaction records what that run did: the files
it created (the RECORD of what it installed, and the entries that appeared in the install
folders) and the state of the files it replaced. A rollback removes exactly those created
files and puts the replaced ones back, so it works offline, restores the exact bytes, and
never touches what was installed or edited after the transaction (it keeps and names them).

Every path a journal names must lie under the interpreter's prefix and is never reached
through a symlink; transaction IDs must have the form envdoctor writes; transaction folders
that are symlinks or belong to another user are refused. State folders are 0700, files 0600.

State directory: $ENVDOCTOR_STATE_DIR, else $XDG_STATE_HOME/envdoctor, else
~/.local/state/envdoctor. One folder per transaction: ``transactions/<id>/``.
"""

import hashlib
import json
import os
import re
import shutil
import stat
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from envdoctor.errors import EnvdoctorError
from envdoctor.safety import write_private
from envdoctor.snapshot import Distribution, Snapshot, canonical_name

__all__ = ["state_dir", "Transaction", "TransactionError", "RollbackReport",
           "list_transactions", "load_transaction", "valid_transaction_id", "is_within",
           "record_entries", "write_private", "folder_bytes", "prunable", "forget"]

# What Transaction.begin writes: 20261201-002354-1a2b3c, and -2, -3 ... on a collision.
_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}(-[0-9]{1,4})?$")
_BACKUP_REL = re.compile(r"^[a-z0-9][a-z0-9._-]*/[0-9]{6}$")


class TransactionError(EnvdoctorError):
    pass


def state_dir() -> str:
    explicit = os.environ.get("ENVDOCTOR_STATE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                            "state")
    return os.path.join(base, "envdoctor")


def _transactions_root() -> str:
    return os.path.join(state_dir(), "transactions")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def valid_transaction_id(tid: str) -> bool:
    return isinstance(tid, str) and bool(_ID.fullmatch(tid))


def _private_dir(path: str) -> None:
    """Create ``path`` (and parents) so that what envdoctor makes is 0700."""
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700)
    try:
        if os.lstat(path).st_uid == _uid():
            os.chmod(path, 0o700)
    except OSError:
        pass


def _uid() -> Optional[int]:
    getuid = getattr(os, "getuid", None)
    return getuid() if getuid else None


def _owned_folder(path: str) -> bool:
    """A real folder (not a symlink) that belongs to the user running envdoctor."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    uid = _uid()
    return stat.S_ISDIR(info.st_mode) and (uid is None or info.st_uid == uid)


# -- paths: only under the prefix, never through a symlink ---------------------------------

def is_within(path: str, prefix: str) -> bool:
    """``path`` lies under ``prefix`` and no folder on the way is a symlink leading out.

    ``path`` itself may be a symlink (it is removed or replaced, never followed)."""
    if not prefix or not os.path.isabs(path) or not os.path.isabs(prefix):
        return False
    path = os.path.normpath(path)
    root = os.path.realpath(prefix)
    if root == os.path.sep:
        return False  # a journal naming "/" as its prefix owns nothing
    parent = os.path.realpath(os.path.dirname(path))
    return parent == root or parent.startswith(root + os.path.sep)


def _state_of(path: str) -> Optional[List[int]]:
    """What identifies a file's content cheaply: size and modification time (not followed)."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def record_entries(dist_info: str, location: str, prefix: str) -> Tuple[List[str], List[str]]:
    """The absolute paths a RECORD names, and the entries refused (absolute paths, or paths
    that leave the prefix through ``..`` or a symlink; pip's own console scripts, written
    ``../../../bin/x``, stay inside a venv's prefix and are kept)."""
    record = os.path.join(dist_info, "RECORD")
    paths, refused = [], []  # type: List[str], List[str]
    try:
        with open(record, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        rel = line.rsplit(",", 2)[0].strip() if line.count(",") >= 2 else line.strip()
        if not rel:
            continue
        if rel.startswith('"') and rel.endswith('"'):
            rel = rel[1:-1]
        full = os.path.normpath(os.path.join(location, rel))
        if os.path.isabs(rel) or "\\" in rel or not is_within(full, prefix):
            refused.append(rel)
            continue
        paths.append(full)
    return paths, refused


def _record_paths(dist: Distribution, prefix: str) -> Tuple[List[str], List[str]]:
    """Absolute paths of the files a distribution installed (its RECORD and its metadata
    folder), and the RECORD entries refused."""
    meta = dist.metadata_path
    if not meta or not dist.location:
        return [], []
    paths, refused = record_entries(meta, dist.location, prefix)
    if os.path.isdir(meta) and not os.path.islink(meta) and is_within(meta, prefix):
        for root, _, files in os.walk(meta):
            paths.extend(os.path.join(root, f) for f in files)
    return _unique(paths), refused


def _unique(paths: Iterable[str]) -> List[str]:
    seen = set()  # type: Set[str]
    out = []
    for path in paths:
        if path not in seen:
            seen.add(path)
            out.append(path)
    return out


def _install_dirs(snapshot: Snapshot) -> List[str]:
    interp = snapshot.interpreter
    prefix = str(interp.prefix or "")
    dirs = []
    for path in (interp.purelib, interp.platlib, interp.scripts):
        if path and os.path.isdir(path) and path not in dirs and (
                is_within(os.path.join(path, "x"), prefix)):
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


def _walk_files(path: str) -> List[str]:
    """Every file (or symlink) under ``path``, ``path`` itself if it is one; links not followed."""
    if os.path.islink(path) or not os.path.isdir(path):
        return [path] if os.path.lexists(path) else []
    out = []
    for root, dirs, files in os.walk(path):
        out.extend(os.path.join(root, f) for f in files)
        out.extend(os.path.join(root, d) for d in dirs if os.path.islink(os.path.join(root, d)))
    return out


def _dist_info_key(entry: str) -> Optional[str]:
    if entry.startswith("~") or not entry.endswith((".dist-info", ".egg-info")):
        # "~eta-3.1.dist-info" is pip's stash of what it was replacing, not a distribution
        return None
    return canonical_name(entry.rsplit(".", 1)[0].split("-", 1)[0])


@dataclass
class RollbackReport:
    """What a rollback did, and what it left alone (and why)."""

    removed: List[str] = field(default_factory=list)
    restored: List[str] = field(default_factory=list)
    kept: List[Tuple[str, str]] = field(default_factory=list)  # (path, why)

    def to_dict(self) -> Dict[str, Any]:
        return {"removed": len(self.removed), "restored": len(self.restored),
                "kept": [{"path": p, "why": w} for p, w in self.kept]}


@dataclass
class Transaction:
    id: str
    folder: str
    journal: Dict[str, Any]

    # -- creation ------------------------------------------------------------------------

    @classmethod
    def begin(cls, snapshot: Snapshot, freeze_text: str, plan: Dict[str, Any]) -> "Transaction":
        prefix = str(snapshot.interpreter.prefix or "")
        tag = hashlib.sha1(prefix.encode()).hexdigest()[:6]
        tid = "%s-%s" % (time.strftime("%Y%m%d-%H%M%S", time.gmtime()), tag)
        root = _transactions_root()
        _private_dir(state_dir())
        _private_dir(root)
        folder = os.path.join(root, tid)
        n = 1
        while os.path.lexists(folder):
            n += 1
            folder = os.path.join(root, "%s-%d" % (tid, n))
        os.mkdir(folder, 0o700)
        write_private(os.path.join(folder, "snapshot.json"), snapshot.to_json())
        write_private(os.path.join(folder, "freeze.txt"), freeze_text)
        write_private(os.path.join(folder, "plan.json"), json.dumps(plan, indent=2))
        journal = {
            "id": os.path.basename(folder),
            "created": _now(),
            "python": snapshot.interpreter.executable,
            "prefix": prefix,
            "status": "planned",
            "touched": [],  # canonical names pip may change or install
            "backups": {},  # canonical name -> {"name", "version", "files": [[path, rel, mode]]}
            "refused": [],  # RECORD entries outside the prefix: never backed up or restored
            # The top-level entries of the install folders before pip ran: what appears
            # there during the pip run is the run's own (recorded right after it).
            "listings": _listings(snapshot),
            "pip_started": None,
            "outcome": None,  # {"ended", "created": [[path, size, mtime_ns]], "replaced": ...}
            "events": [],
        }
        tx = cls(os.path.basename(folder), folder, journal)
        tx.save()
        return tx

    def save(self) -> None:
        write_private(os.path.join(self.folder, "journal.json"),
                      json.dumps(self.journal, indent=2))

    def log(self, status: str, message: str = "") -> None:
        self.journal["status"] = status
        self.journal["events"].append({"at": _now(), "status": status, "message": message})
        self.save()

    @property
    def freeze_text(self) -> str:
        with open(os.path.join(self.folder, "freeze.txt"), encoding="utf-8") as handle:
            return handle.read()

    @property
    def freeze_after(self) -> Optional[str]:
        try:
            with open(os.path.join(self.folder, "freeze-after.txt"), encoding="utf-8") as handle:
                return handle.read()
        except OSError:
            return None

    def save_freeze_after(self, text: str) -> None:
        write_private(os.path.join(self.folder, "freeze-after.txt"), text)

    @property
    def python(self) -> str:
        return str(self.journal["python"])

    @property
    def prefix(self) -> str:
        return str(self.journal.get("prefix") or "")

    @property
    def succeeded(self) -> bool:
        return self.journal.get("status") == "applied"

    # -- backup ------------------------------------------------------------------------

    def back_up(self, snapshot: Snapshot, names: Sequence[str]) -> None:
        """Copy the files of each installed distribution that pip may replace."""
        self.journal["touched"] = sorted(set(canonical_name(n) for n in names))
        files_root = os.path.join(self.folder, "backup")
        _private_dir(files_root)
        active = snapshot.active
        count = 0
        seen = set()  # type: Set[str]  # two MindSpore distributions list one folder's files
        for key in self.journal["touched"]:
            dist = active.get(key)
            if dist is None:
                continue
            entries = []
            paths, refused = _record_paths(dist, self.prefix)
            self.journal["refused"].extend("%s: %s" % (dist.name, r) for r in refused)
            for path in paths:
                if path in seen or not os.path.isfile(path) or os.path.islink(path):
                    continue
                seen.add(path)
                count += 1
                rel = "%s/%06d" % (key, count)
                dest = os.path.join(files_root, rel)
                _private_dir(os.path.dirname(dest))
                shutil.copyfile(path, dest)
                mode = stat.S_IMODE(os.stat(path).st_mode)
                os.chmod(dest, 0o600)
                entries.append([path, rel, mode])
            self.journal["backups"][key] = {"name": dist.name, "version": dist.version,
                                            "files": entries}
        self.log("backed-up", "%d files of %d distributions" % (count,
                                                                len(self.journal["backups"])))

    def pip_starts(self) -> None:
        self.journal["pip_started"] = time.time()
        self.log("applying")

    # -- what the pip run did ----------------------------------------------------------

    def _backed_up_paths(self) -> Set[str]:
        return {f[0] for info in self.journal["backups"].values() for f in info["files"]}

    def _run_files(self, since: Optional[float], crash: bool) -> Tuple[List[str], List[str]]:
        """Files the pip run created, from the RECORD of what it installed and the entries that
        appeared in the install folders; and the new entries not known to be its own."""
        prefix = self.prefix
        touched = set(self.journal.get("touched") or [])
        backed = self._backed_up_paths()
        created = []  # type: List[str]
        unknown = []  # type: List[str]
        claimed = set()  # type: Set[str]  # top-level entries a touched RECORD names
        foreign_installs = False
        for folder, before in (self.journal.get("listings") or {}).items():
            try:
                now = os.listdir(folder)
            except OSError:
                continue
            before_set = set(before)
            for entry in now:
                key = _dist_info_key(entry)
                path = os.path.join(folder, entry)
                if key is None or not os.path.isdir(path) or os.path.islink(path):
                    continue
                if key in touched or (not crash and entry not in before_set):
                    paths, refused = record_entries(path, folder, prefix)
                    self.journal["refused"].extend("%s: %s" % (entry, r) for r in refused)
                    for p in paths + _walk_files(path):
                        if p in backed:
                            continue
                        state = _state_of(p)
                        # a file of a touched distribution that pip did not write is not ours
                        if state is None or (since and state[1] < int(since * 1e9) - 2e9):
                            continue
                        created.append(p)
                    claimed.update(_top_entries(paths, folder))
                elif entry not in before_set:
                    foreign_installs = True  # another distribution appeared since
                    claimed.update(_top_entries(record_entries(path, folder, prefix)[0],
                                                folder))
        created_set = set(created)
        for folder, before in (self.journal.get("listings") or {}).items():
            try:
                now = os.listdir(folder)
            except OSError:
                continue
            keep = set(before)
            for entry in sorted(now):
                if entry in keep or entry == "__pycache__":
                    continue
                path = os.path.join(folder, entry)
                if path in claimed or _dist_info_key(entry) is not None:
                    continue
                if crash and foreign_installs:
                    if path in created_set:
                        continue  # a touched RECORD names it (a console script)
                    unknown.append(path)  # cannot tell the run's files from the later ones
                    continue
                created.extend(p for p in _walk_files(path) if p not in backed)
        return _unique(p for p in created if is_within(p, prefix)), unknown

    def record_outcome(self) -> None:
        """Right after the pip run: what it created, and the state of what it replaced."""
        created, _ = self._run_files(self.journal.get("pip_started"), crash=False)
        self.journal["outcome"] = {
            "ended": time.time(),
            "created": [[p, _state_of(p)] for p in created],
            "replaced": [[p, _state_of(p)] for p in sorted(self._backed_up_paths())],
        }
        self.save()

    # -- rollback ----------------------------------------------------------------------

    def undo_files(self) -> RollbackReport:
        """Remove what the pip run created and put back what it replaced: only paths under
        the prefix, never through a symlink, never a file changed after the run ended."""
        self.check_paths()
        report = RollbackReport()
        outcome = self.journal.get("outcome")
        if outcome:
            created = [(p, s) for p, s in outcome.get("created") or []]
            after = {p: s for p, s in outcome.get("replaced") or []}
        else:  # the run never ended (killed): what can be known to be its own, now
            files, unknown = self._run_files(self.journal.get("pip_started"), crash=True)
            created = [(p, None) for p in files]
            after = {}
            report.kept.extend((p, "appeared after the fix began, with other installs since: "
                                   "not known to be this fix's") for p in unknown)
        folders = set()  # type: Set[str]
        for path, state in created:
            if not is_within(path, self.prefix) or not os.path.lexists(path):
                continue
            if state is not None and _state_of(path) != list(state):
                report.kept.append((path, "changed after the fix ended"))
                continue
            _remove_file(path)
            report.removed.append(path)
            folders.add(os.path.dirname(path))
        _remove_empty_folders(folders, self._listing_roots())
        root = os.path.join(self.folder, "backup")
        for info in self.journal["backups"].values():
            for item in info["files"]:
                path, rel = item[0], item[1]
                mode = item[2] if len(item) > 2 else None
                if path in after and after[path] != _state_of(path):
                    report.kept.append((path, "changed after the fix ended"))
                    continue
                _restore(os.path.join(root, rel), path, mode)
                report.restored.append(path)
        self.journal["rollback"] = report.to_dict()
        self.save()
        return report

    def _listing_roots(self) -> Set[str]:
        return set((self.journal.get("listings") or {}).keys())

    def check_paths(self) -> None:
        """Every path the journal names lies under its prefix; backups under this folder."""
        prefix = self.prefix
        bad = []
        for info in (self.journal.get("backups") or {}).values():
            for item in info.get("files") or []:
                if not (isinstance(item, list) and len(item) >= 2
                        and isinstance(item[0], str) and isinstance(item[1], str)):
                    bad.append(repr(item))
                elif not is_within(item[0], prefix) or not _BACKUP_REL.fullmatch(item[1]):
                    bad.append(item[0])
        for folder in (self.journal.get("listings") or {}):
            if not is_within(os.path.join(folder, "x"), prefix):
                bad.append(folder)
        for key in ("created", "replaced"):
            for item in (self.journal.get("outcome") or {}).get(key) or []:
                if not isinstance(item, list) or not is_within(str(item[0]), prefix):
                    bad.append(repr(item)[:200])
        python = self.journal.get("python")
        if not isinstance(python, str) or not os.path.isabs(python) or not (
                os.path.normpath(python).startswith(os.path.realpath(prefix) + os.path.sep)
                or os.path.normpath(python).startswith(os.path.normpath(prefix) + os.path.sep)):
            bad.append("python %r" % (python,))
        if bad:
            raise TransactionError(
                "transaction %s names paths outside its environment (%s): %s; refused, "
                "nothing was changed" % (self.id, prefix, ", ".join(bad[:5])))


def _top_entries(paths: Iterable[str], folder: str) -> Set[str]:
    out = set()
    for path in paths:
        rel = os.path.relpath(path, folder)
        if not rel.startswith(".."):
            out.add(os.path.join(folder, rel.split(os.path.sep)[0]))
    return out


def _remove_file(path: str) -> None:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            os.rmdir(path)
        else:
            os.unlink(path)
    except OSError:
        pass


def _remove_empty_folders(folders: Set[str], roots: Set[str]) -> None:
    """Remove folders left empty (and their stale ``__pycache__``), up to an install folder."""
    for folder in sorted(folders, key=len, reverse=True):
        while folder and folder not in roots and os.path.isdir(folder) \
                and not os.path.islink(folder):
            cache = os.path.join(folder, "__pycache__")
            if os.path.isdir(cache) and not os.path.islink(cache):
                stems = {n.split(".")[0] for n in os.listdir(folder) if n.endswith(".py")}
                for name in os.listdir(cache):
                    if name.endswith(".pyc") and name.split(".")[0] not in stems:
                        _remove_file(os.path.join(cache, name))
                _remove_file(cache)
            try:
                os.rmdir(folder)
            except OSError:
                break
            folder = os.path.dirname(folder)


def _restore(source: str, path: str, mode: Optional[int]) -> None:
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        os.makedirs(parent, exist_ok=True)
    if os.path.islink(path) or os.path.isdir(path):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    tmp = path + ".envdoctor-restore"
    shutil.copyfile(source, tmp)
    if mode is not None:
        os.chmod(tmp, mode & 0o7777)
    os.replace(tmp, path)


def folder_bytes(folder: str) -> int:
    """What a transaction's saved state takes on disk (symlinks not followed)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def prunable(transactions: Sequence[Transaction]) -> List[Transaction]:
    """The transactions whose saved files nothing needs any more: rolled back, or applied
    with a newer applied one for the same environment. The newest applied fix of each
    environment stays undoable; failed and unfinished ones stay for `rollback`."""
    newest = {}  # type: Dict[str, str]
    for tx in transactions:
        if tx.journal.get("status") == "applied":
            newest[tx.prefix] = max(newest.get(tx.prefix, ""), tx.id)
    return [tx for tx in transactions
            if tx.journal.get("status") == "rolled-back"
            or (tx.journal.get("status") == "applied" and tx.id != newest.get(tx.prefix))]


def forget(tx: Transaction) -> int:
    """Delete a transaction's folder (its backups and journal); the bytes freed."""
    root = _transactions_root()
    if not valid_transaction_id(tx.id) or os.path.dirname(tx.folder) != root \
            or not _owned_folder(root) or not _owned_folder(tx.folder):
        raise TransactionError("transaction folder %s is a symlink, missing or not yours; "
                               "refused" % tx.folder)
    freed = folder_bytes(tx.folder)
    shutil.rmtree(tx.folder)
    return freed


def list_transactions() -> List[Transaction]:
    root = _transactions_root()
    out = []
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    for name in names:
        if not valid_transaction_id(name):
            continue
        try:
            out.append(load_transaction(name))
        except TransactionError:
            continue
    return out


def load_transaction(tid: str) -> Transaction:
    if not valid_transaction_id(tid):
        raise TransactionError("%r is not a transaction id (envdoctor writes ids like "
                               "20261201-002354-1a2b3c; see `envdoctor rollback --list`)" % tid)
    root = _transactions_root()
    folder = os.path.join(root, tid)
    if not _owned_folder(root) or not _owned_folder(folder):
        raise TransactionError("transaction folder %s is a symlink, missing or not yours; "
                               "refused" % folder)
    path = os.path.join(folder, "journal.json")
    try:
        if os.path.islink(path):
            raise OSError("journal.json is a symlink")
        with open(path, encoding="utf-8") as handle:
            journal = json.load(handle)
    except (OSError, ValueError) as exc:
        raise TransactionError("no readable transaction %r in %s (%s)" % (tid, root, exc))
    if not isinstance(journal, dict) or not isinstance(journal.get("backups", {}), dict):
        raise TransactionError("transaction %s: journal.json is not an envdoctor journal" % tid)
    journal.setdefault("backups", {})
    journal.setdefault("events", [])
    journal.setdefault("refused", [])
    return Transaction(tid, folder, journal)
