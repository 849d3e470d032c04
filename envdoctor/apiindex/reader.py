"""Read a release's Python sources statically: a wheel, a folder or a git ref.

Every ``.py`` file is parsed with :mod:`ast`, never imported, so any Python's wheel can be
read anywhere. For the modules the labs use, :func:`analyse_tree` resolves what
``from M import X`` can find: names bound at the top level (in every branch of
``if``/``try``), ``from .x import *`` chains (through ``__all__`` where the target defines
it, including ``__all__.extend(x.__all__)``), and submodules. What cannot be known
statically is recorded as such: a star import from another distribution ("open"), a module
that replaces itself in ``sys.modules`` or defines ``__getattr__`` ("dynamic"), and
compiled extension modules.
"""

import ast
import hashlib
import os
import re
import subprocess
import sys
import zipfile
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from envdoctor.apiindex.model import ApiIndexError, VersionEntry, VersionInfo
from envdoctor.snapshot import canonical_name

__all__ = [
    "LAB_MODULES",
    "DEFAULT_MAX_DEPTH",
    "SourceTree",
    "ZipTree",
    "DirTree",
    "GitTree",
    "is_git_dir",
    "module_name",
    "top_levels",
    "analyse_tree",
    "index_wheel",
    "index_source",
    "sha256_of",
    "lazy_exports",
    "proxied_distributions",
]


# The modules whose names are indexed, by package: what the labs import (2023 lab: mindnlp
# 0.1 with mindspore 2.0; current lab: mindnlp 0.5). Other modules are listed, not expanded.
LAB_MODULES = {
    "mindspore": (
        "mindspore", "mindspore.nn", "mindspore.dataset", "mindspore.dataset.text",
        "mindspore.dataset.transforms", "mindspore.experimental.optim", "mindspore.amp",
        "mindspore.train",
    ),
    "mindnlp": (
        "mindnlp", "mindnlp.dataset", "mindnlp.transforms", "mindnlp.transforms.tokenizers",
        "mindnlp.models", "mindnlp.transformers", "mindnlp.engine", "mindnlp.engine.callbacks",
        "mindnlp.metrics", "mindnlp._legacy.amp", "mindnlp.abc", "mindnlp.core",
        "mindnlp.peft", "mindnlp.evaluate", "mindtorch",
    ),
}
DEFAULT_MAX_DEPTH = 4  # module names listed down to mindnlp.transformers.models.gpt
_SKIP_TOPS = frozenset(["tests", "test", "docs", "doc", "examples", "example", "benchmarks",
                        "scripts", "llm", "setup"])

# --- where the sources come from -------------------------------------------------------------

class SourceTree(object):
    """Files of one release, read without installing: a wheel, a folder or a git ref."""

    def names(self) -> List[str]:
        raise NotImplementedError

    def read(self, name: str) -> bytes:
        raise NotImplementedError


class ZipTree(SourceTree):
    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._zip = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise ApiIndexError("%s: not a readable wheel: %s" % (path, exc))

    def names(self) -> List[str]:
        return [n for n in self._zip.namelist() if not n.endswith("/")]

    def read(self, name: str) -> bytes:
        return self._zip.read(name)

    def built(self) -> Optional[str]:
        """The date the wheel was built: its RECORD entry's timestamp."""
        for info in self._zip.infolist():
            if info.filename.endswith(".dist-info/RECORD"):
                return "%04d-%02d-%02d" % info.date_time[:3]
        return None

    def metadata(self) -> Dict[str, str]:
        for name in self.names():
            if name.endswith(".dist-info/METADATA") and name.count("/") == 1:
                text = self.read(name).decode("utf-8", "replace")
                head = text.split("\n\n", 1)[0]
                out = {}  # type: Dict[str, str]
                for line in head.splitlines():
                    if ": " in line and not line.startswith(" "):
                        key, value = line.split(": ", 1)
                        out.setdefault(key, value.strip())
                return out
        return {}

    def close(self) -> None:
        self._zip.close()


class DirTree(SourceTree):
    def __init__(self, root: str) -> None:
        if not os.path.isdir(root):
            raise ApiIndexError("%s: not a folder" % root)
        self.root = root

    def names(self) -> List[str]:
        out = []
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
            rel = os.path.relpath(folder, self.root)
            for name in sorted(files):
                path = name if rel == "." else os.path.join(rel, name)
                out.append(path.replace(os.sep, "/"))
        return out

    def read(self, name: str) -> bytes:
        with open(os.path.join(self.root, *name.split("/")), "rb") as handle:
            return handle.read()


class GitTree(SourceTree):
    """A ref (tag, branch, commit) of a git repository, read with ``git ls-tree``/``show``."""

    def __init__(self, git_dir: str, ref: str) -> None:
        self.git_dir = git_dir
        self.ref = ref
        self.commit = self._git("rev-parse", ref + "^{commit}").decode().strip()
        self._names = None  # type: Optional[List[str]]

    def _git(self, *args: str) -> bytes:
        argv = ["git", "--git-dir", self.git_dir] + list(args)
        try:
            proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise ApiIndexError("cannot run git: %s" % exc)
        if proc.returncode != 0:
            raise ApiIndexError("%s: %s" % (" ".join(argv), proc.stderr.decode(
                "utf-8", "replace").strip()))
        return proc.stdout

    def names(self) -> List[str]:
        if self._names is None:
            out = self._git("ls-tree", "-r", "--name-only", "-z", self.commit)
            self._names = [n for n in out.decode("utf-8", "replace").split("\0") if n]
        return self._names

    def read(self, name: str) -> bytes:
        return self._git("show", "%s:%s" % (self.commit, name))

    def date(self) -> str:
        return self._git("show", "-s", "--format=%cs", self.commit).decode().strip()

    def remote_url(self) -> Optional[str]:
        try:
            url = self._git("config", "--get", "remote.origin.url").decode().strip()
        except ApiIndexError:
            return None
        return url if url.startswith(("https://", "git@", "ssh://")) else None


def is_git_dir(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "HEAD")) and os.path.isdir(
        os.path.join(path, "objects"))

def module_name(path: str) -> Optional[Tuple[str, str]]:
    """``a/b/__init__.py`` -> ("a.b", "py"); ``a/_c.cpython-37m-x86_64-linux-gnu.so`` ->
    ("a._c", "compiled"); None for anything else."""
    parts = path.split("/")
    base = parts[-1]
    if base.endswith(".py"):
        stem, kind = base[:-3], "py"
    elif base.endswith((".so", ".pyd")):
        stem, kind = base.split(".", 1)[0], "compiled"
        tagged = re.search(r"\.(cpython-|abi3|pypy)", base) or base.endswith(".pyd")
        if not tagged and stem.startswith("lib"):
            return None  # a shared library (libmindspore.so), not an extension module
    else:
        return None
    if any(not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", p) for p in parts[:-1]):
        return None
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", stem):
        return None
    if stem == "__init__":
        if len(parts) == 1:
            return None
        return ".".join(parts[:-1]), kind
    return ".".join(parts[:-1] + [stem]), kind


def _const_str(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Constant) and isinstance(getattr(node, "value", None), str):
        return node.value
    if sys.version_info < (3, 8) and isinstance(node, ast.Str):  # pragma: no cover
        return node.s
    return None


class _ModuleScan(object):
    """The result of reading one module's top level."""

    def __init__(self) -> None:
        self.names = set()  # type: Set[str]
        self.all = None  # type: Optional[Set[str]]
        self.all_unknown = False
        self.open = set()  # type: Set[str]
        self.dynamic = False


class _Analyser(object):
    def __init__(self, tree: SourceTree, tops: Iterable[str]) -> None:
        self.tree = tree
        self.tops = frozenset(tops)
        self.files = {}  # type: Dict[str, Tuple[str, str]]
        for path in tree.names():
            found = module_name(path)
            if not found or found[0].split(".")[0] not in self.tops:
                continue
            mod, kind = found
            if mod in self.files and self.files[mod][1] == "py":
                continue  # a .py beside a .so of the same name: Python prefers the extension
            self.files[mod] = (path, kind)
        self.packages = set()  # type: Set[str]
        for mod, (path, _) in self.files.items():
            if path.endswith("/__init__.py"):
                self.packages.add(mod)
            parts = mod.split(".")
            for i in range(1, len(parts)):
                self.packages.add(".".join(parts[:i]))  # namespace packages too
        self._cache = {}  # type: Dict[str, _ModuleScan]
        self._busy = set()  # type: Set[str]

    def exists(self, mod: str) -> bool:
        return mod in self.files or mod in self.packages

    def scan(self, mod: str) -> _ModuleScan:
        if mod in self._cache:
            return self._cache[mod]
        result = _ModuleScan()
        if mod in self._busy:  # an import cycle: what is known so far
            return result
        self._busy.add(mod)
        try:
            entry = self.files.get(mod)
            if entry is None or entry[1] != "py":
                if entry is not None:
                    result.open.add(mod)  # compiled: names unknown
                self._cache[mod] = result
                return result
            try:
                tree = ast.parse(self.tree.read(entry[0]), filename=entry[0])
            except (SyntaxError, ValueError):
                result.dynamic = True
                self._cache[mod] = result
                return result
            is_pkg = entry[0].endswith("__init__.py")
            package = mod if is_pkg else mod.rpartition(".")[0]
            self._walk(tree.body, mod, package, result, {})
            self._cache[mod] = result
            return result
        finally:
            self._busy.discard(mod)

    def _resolve(self, package: str, level: int, target: Optional[str]) -> str:
        if not level:
            return target or ""
        base = package.split(".") if package else []
        if level > 1:
            base = base[:len(base) - (level - 1)]
        return ".".join(base + ([target] if target else []))

    def _star_names(self, target: str, result: _ModuleScan) -> Set[str]:
        if target.split(".")[0] not in self.tops:
            result.open.add(target)
            return set()
        if not self.exists(target):
            return set()  # the import fails at run time; nothing to add
        sub = self.scan(target)
        result.open |= sub.open
        if sub.dynamic:
            result.dynamic = True
        if sub.all is not None and not sub.all_unknown:
            return set(sub.all)
        return set(n for n in sub.names if not n.startswith("_"))

    def _all_of(self, mod: str) -> Optional[Set[str]]:
        sub = self.scan(mod)
        if sub.all is not None and not sub.all_unknown:
            return set(sub.all)
        if sub.all_unknown or sub.dynamic:
            return None
        return set(n for n in sub.names if not n.startswith("_"))

    def _eval_all(self, node: ast.AST, modules: Dict[str, str]) -> Optional[Set[str]]:
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            out = set()
            for elt in node.elts:
                text = _const_str(elt)
                if text is None:
                    if isinstance(elt, ast.Starred):
                        inner = self._eval_all(elt.value, modules)
                        if inner is None:
                            return None
                        out |= inner
                        continue
                    return None
                out.add(text)
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._eval_all(node.left, modules), self._eval_all(node.right, modules)
            if left is None or right is None:
                return None
            return left | right
        if isinstance(node, ast.Attribute) and node.attr == "__all__":
            dotted = _dotted(node.value)
            if dotted is None:
                return None
            head, _, rest = dotted.partition(".")
            mod = modules.get(head)
            if mod is None:
                return None
            full = mod + ("." + rest if rest else "")
            if full.split(".")[0] not in self.tops or not self.exists(full):
                return None
            return self._all_of(full)
        if isinstance(node, ast.Call) and _dotted(node.func) in ("list", "tuple", "sorted") \
                and len(node.args) == 1:
            return self._eval_all(node.args[0], modules)
        return None

    def _set_all(self, result: _ModuleScan, value: Optional[Set[str]], add: bool) -> None:
        if value is None:
            result.all_unknown = True
        elif add:
            result.all = (result.all or set()) | value
        else:
            result.all = set(value)

    def _walk(self, body: Sequence[ast.stmt], mod: str, package: str, result: _ModuleScan,
              modules: Dict[str, str]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        result.names.add(alias.asname)
                        modules[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        result.names.add(top)
                        modules[top] = top
            elif isinstance(node, ast.ImportFrom):
                target = self._resolve(package, node.level or 0, node.module)
                for alias in node.names:
                    if alias.name == "*":
                        result.names |= self._star_names(target, result)
                        continue
                    bound = alias.asname or alias.name
                    result.names.add(bound)
                    sub = target + "." + alias.name if target else alias.name
                    if sub.split(".")[0] not in self.tops or self.exists(sub):
                        modules[bound] = sub
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                result.names.add(node.name)
                if node.name == "__getattr__" and not isinstance(node, ast.ClassDef):
                    result.dynamic = True
            elif isinstance(node, ast.Assign):
                for target_node in node.targets:
                    self._bind_target(target_node, node.value, result, modules)
            elif isinstance(node, ast.AnnAssign):
                if node.value is not None:
                    self._bind_target(node.target, node.value, result, modules)
            elif isinstance(node, ast.AugAssign):
                if isinstance(node.target, ast.Name):
                    if node.target.id == "__all__" and isinstance(node.op, ast.Add):
                        self._set_all(result, self._eval_all(node.value, modules), True)
                    else:
                        result.names.add(node.target.id)
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                self._call(node.value, result, modules)
            elif isinstance(node, ast.Delete):
                for target_node in node.targets:
                    if isinstance(target_node, ast.Name):
                        result.names.discard(target_node.id)
            elif isinstance(node, ast.If):
                self._walk(node.body, mod, package, result, modules)
                self._walk(node.orelse, mod, package, result, modules)
            elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
                self._walk(node.body, mod, package, result, modules)
                for handler in node.handlers:
                    self._walk(handler.body, mod, package, result, modules)
                self._walk(node.orelse, mod, package, result, modules)
                self._walk(node.finalbody, mod, package, result, modules)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                self._walk(node.body, mod, package, result, modules)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
                if isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name):
                    result.names.add(node.target.id)
                self._walk(node.body, mod, package, result, modules)
                self._walk(node.orelse, mod, package, result, modules)

    def _bind_target(self, target: ast.AST, value: ast.AST, result: _ModuleScan,
                     modules: Dict[str, str]) -> None:
        if isinstance(target, ast.Name):
            if target.id == "__all__":
                self._set_all(result, self._eval_all(value, modules), False)
            else:
                result.names.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                if isinstance(elt, ast.Starred):
                    elt = elt.value
                if isinstance(elt, ast.Name):
                    result.names.add(elt.id)
        elif isinstance(target, ast.Subscript):
            # sys.modules[__name__] = _LazyModule("transformers", ...): a proxy module
            if _dotted(target.value) == "sys.modules":
                result.dynamic = True
                if isinstance(value, ast.Call):
                    for arg in value.args[:1]:
                        text = _const_str(arg)
                        if text and text.split(".")[0] not in self.tops:
                            result.open.add(text)
                    for arg in value.args:
                        dotted = _dotted(arg)
                        if dotted and dotted.split(".")[0] in modules:
                            real = modules[dotted.split(".")[0]]
                            if real.split(".")[0] not in self.tops:
                                result.open.add(real.split(".")[0])
        elif isinstance(target, ast.Attribute):
            pass  # patching another module's attribute binds nothing here

    def _call(self, call: ast.Call, result: _ModuleScan, modules: Dict[str, str]) -> None:
        func = _dotted(call.func)
        if func in ("__all__.extend", "__all__.append") and call.args:
            if func == "__all__.append":
                text = _const_str(call.args[0])
                value = set([text]) if text is not None else None
            else:
                value = self._eval_all(call.args[0], modules)
                if value is None and isinstance(call.args[0], ast.Name):
                    value = set()  # __all__.extend(__version__): a string, not names
            self._set_all(result, value, True)
        elif func in ("globals().update", "globals.update"):
            result.dynamic = True
        elif isinstance(call.func, ast.Attribute) and call.func.attr == "update" and \
                isinstance(call.func.value, ast.Call) and _dotted(call.func.value.func) == "globals":
            result.dynamic = True


def _dotted(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return inner + "." + node.attr if inner else None
    return None


def top_levels(names: Iterable[str], family: str, wheel: bool) -> List[str]:
    """The import packages to index: in a wheel every top-level package but stray test
    folders; in a source tree only the family's own package (mindnlp), never tests/examples."""
    own = family.replace("-", "_").lower()
    tops = set()
    for name in names:
        if "/" not in name and not name.endswith((".py", ".so", ".pyd")):
            continue
        head = name.split("/")[0]
        if head.endswith((".dist-info", ".data", ".egg-info")):
            continue
        found = module_name(name)
        if found:
            tops.add(found[0].split(".")[0])
    if not wheel:
        return sorted(t for t in tops if t == own)
    return sorted(t for t in tops if t not in _SKIP_TOPS and not t.startswith("_") or t == own)


def analyse_tree(tree: SourceTree, family: str, modules: Optional[Sequence[str]] = None,
                 max_depth: int = DEFAULT_MAX_DEPTH, wheel: bool = True) -> VersionInfo:
    """Index one release: its module list and, for ``modules``, the names each exports."""
    tops = top_levels(tree.names(), family, wheel)
    if not tops:
        raise ApiIndexError("no Python package named %r in these sources" % family)
    analyser = _Analyser(tree, tops)
    listed = set(m for m in analyser.files if m.count(".") < max_depth)
    listed |= set(m for m in analyser.packages if m.count(".") < max_depth)
    compiled = frozenset(m for m in listed if analyser.files.get(m, ("", ""))[1] == "compiled")
    wanted = LAB_MODULES.get(family, ()) if modules is None else modules
    exports, open_, dynamic = {}, {}, set()
    for mod in wanted:
        if not analyser.exists(mod):
            continue
        listed.add(mod)
        scan = analyser.scan(mod)
        exports[mod] = frozenset(n for n in scan.names if not n.startswith("_"))
        if scan.open:
            open_[mod] = frozenset(scan.open)
        if scan.dynamic:
            dynamic.add(mod)
    return VersionInfo(frozenset(listed), compiled, exports, open_, frozenset(dynamic))

# Files of a lazily imported models folder that the lazy tables leave out or gate behind
# another framework (transformers: TensorFlow and Flax classes, conversion scripts).
_LAZY_SKIP = re.compile(r"^(modeling_tf_|modeling_flax_|convert_|__init__$|__main__$)")


def _literal_all(tree: SourceTree, path: str) -> Set[str]:
    """The names of a file's top-level ``__all__ = [...]`` literal (empty when it has none)."""
    try:
        module = ast.parse(tree.read(path))
    except (SyntaxError, ValueError):
        return set()
    names = set()  # type: Set[str]
    for node in module.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__"
                                                for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            names.update(n for n in value if isinstance(n, str))
    return names


def lazy_exports(path: str, top: str) -> FrozenSet[str]:
    """The public names a lazily importing package (``transformers``) exposes at its top,
    read from its wheel without importing it: the names its ``__init__`` binds (including
    the ``if TYPE_CHECKING:`` imports that mirror its ``_import_structure``) and the
    ``__all__`` of every module under ``TOP/models/*/`` (what ``define_import_structure``
    collects), TensorFlow and Flax modules left out."""
    tree = ZipTree(path)
    try:
        analyser = _Analyser(tree, [top])
        if not analyser.exists(top):
            raise ApiIndexError("%s has no package %r" % (path, top))
        names = set(n for n in analyser.scan(top).names if not n.startswith("_"))
        pattern = re.compile(r"^%s/models/[^/]+/([^/]+)\.py$" % re.escape(top))
        for name in tree.names():
            found = pattern.match(name)
            if found and not _LAZY_SKIP.match(found.group(1)):
                names.update(n for n in _literal_all(tree, name) if not n.startswith("_"))
        return frozenset(names)
    finally:
        tree.close()


def proxied_distributions(info: VersionInfo) -> Dict[str, str]:
    """Lazy proxy modules of a release and the outside package each stands for: a module
    that replaces itself in ``sys.modules`` with a lazy view of one other package
    (mindnlp 0.5: ``mindnlp.transformers`` -> ``transformers``)."""
    out = {}  # type: Dict[str, str]
    for mod in sorted(info.dynamic):
        targets = sorted(info.open.get(mod, ()))
        if len(targets) == 1 and "." not in targets[0]:
            out[mod] = targets[0]
    return out


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def index_wheel(path: str, family: str, modules: Optional[Sequence[str]] = None,
                max_depth: int = DEFAULT_MAX_DEPTH) -> Tuple[VersionEntry, VersionInfo]:
    """Index one wheel file; the entry's label carries the dist name when it is not the
    family's own (``2.0.0.dev20221108 (mindspore-cuda11-dev)``)."""
    tree = ZipTree(path)
    try:
        meta = tree.metadata()
        dist = meta.get("Name") or os.path.basename(path).split("-")[0]
        version = meta.get("Version") or os.path.basename(path).split("-")[1]
        info = analyse_tree(tree, family, modules, max_depth, wheel=True)
        label = version
        if canonical_name(dist) != canonical_name(family):
            label = "%s (%s)" % (version, dist)
        entry = VersionEntry(label, dist, "pypi", version, os.path.basename(path),
                             sha256_of(path), tree.built(), None, None, None,
                             meta.get("Requires-Python"))
        return entry, info
    finally:
        tree.close()


def _setup_version(tree: SourceTree) -> Optional[str]:
    for name in ("setup.py", "pyproject.toml", "setup.cfg"):
        if name not in tree.names():
            continue
        text = tree.read(name).decode("utf-8", "replace")
        found = re.search(r"""\bversion\s*[=:]\s*['"]([^'"]+)['"]""", text)
        if found:
            return found.group(1)
    return None


def index_source(path: str, family: str, ref: Optional[str] = None, label: Optional[str] = None,
                 url: Optional[str] = None, modules: Optional[Sequence[str]] = None,
                 max_depth: int = DEFAULT_MAX_DEPTH) -> Tuple[VersionEntry, VersionInfo]:
    """Index a source folder, or a ref of a git repository (``--source DIR --ref v0.1.1``)."""
    if path.endswith(".whl"):
        return index_wheel(path, family, modules, max_depth)
    if is_git_dir(path) or os.path.isdir(os.path.join(path, ".git")):
        git_dir = path if is_git_dir(path) else os.path.join(path, ".git")
        tree = GitTree(git_dir, ref or "HEAD")  # type: SourceTree
        version = _setup_version(tree) or (ref or "").lstrip("v")
        label = label or "%s (git tag %s)" % (version, ref)
        info = analyse_tree(tree, family, modules, max_depth, wheel=False)
        assert isinstance(tree, GitTree)
        entry = VersionEntry(label, family, "git", version, None, None, tree.date(),
                             url or tree.remote_url(), ref, tree.commit)
        return entry, info
    if ref:
        raise ApiIndexError("%s is not a git repository; --ref needs one" % path)
    tree = DirTree(path)
    version = _setup_version(tree) or "0"
    info = analyse_tree(tree, family, modules, max_depth, wheel=False)
    entry = VersionEntry(label or "%s (local %s)" % (version, os.path.basename(
        os.path.abspath(path))), family, "local", version)
    return entry, info
