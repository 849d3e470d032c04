"""Read a lab statically: notebooks, scripts, requirements files, or a folder of them.

Nothing is executed. A notebook cell is split into its IPython lines (``!`` shell lines,
``%`` magics: read as install lines and settings) and its Python, which the ``ast`` module
reads (each IPython line becomes ``pass`` so line numbers stay true). Input that cannot be
read is a :class:`LabWarning` naming file, cell and line; the rest is still read.
"""

import ast
import json
import os
import re
import stat
import sys
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from envdoctor.errors import EnvdoctorError
from envdoctor.lab.installs import parse_requirements_line, parse_shell
from envdoctor.lab.model import (DeviceRequest, EnvSetting, HubFetch, ImportStatement,
                                 InstallLine, Lab, LabFile, LabWarning, Where)

__all__ = ["read_lab", "read_file", "read_notebook", "read_script", "read_requirements", "read_source",
           "lab_files", "LabReadError"]

NOTEBOOK_SUFFIXES = (".ipynb",)
SCRIPT_SUFFIXES = (".py",)
SKIP_DIRS = {".git", ".ipynb_checkpoints", "__pycache__", ".venv", "venv", "site-packages",
             "node_modules", ".tox"}
# cell magics whose body is shell, is Python, or is neither
SHELL_CELL_MAGICS = {"%%bash", "%%sh", "%%script", "%%system", "%%!"}
PYTHON_CELL_MAGICS = {"%%capture", "%%time", "%%timeit", "%%prun", "%%debug"}
OPTIONAL_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
HUB_CALLS = {"from_pretrained", "load_dataset", "load_metric", "snapshot_download",
             "hf_hub_download"}
_ASSIGN_SHELL = re.compile(r"^[\w.\[\], ]+=\s*!(.*)$")
TRY_TYPES = tuple(getattr(ast, n) for n in ("Try", "TryStar") if hasattr(ast, n))
BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
# Only text holding one of these can hold a call the lab check reads (a cheap pre-filter:
# most of a course's scripts hold none, and walking every expression is the reader's cost).
CALL_WORDS = ("set_context", "set_device", "from_pretrained", "load_dataset", "load_metric",
              "snapshot_download", "hf_hub_download", "evaluate", "environ", "putenv")


class LabReadError(EnvdoctorError):
    """A lab path that does not exist or holds nothing envdoctor can read."""


class _Facts:
    """What one file yields, gathered in reading order."""

    def __init__(self) -> None:
        self.installs: List[InstallLine] = []
        self.imports: List[ImportStatement] = []
        self.env: List[EnvSetting] = []
        self.devices: List[DeviceRequest] = []
        self.fetches: List[HubFetch] = []
        self.warnings: List[LabWarning] = []
        self.files: List[LabFile] = []
        self.requirement_files: Set[str] = set()  # read once (-r cycles, folders)

    def lab(self, path: str) -> Lab:
        return Lab(path, tuple(self.files), tuple(self.installs), tuple(self.imports),
                   tuple(self.env), tuple(self.devices), tuple(self.fetches),
                   tuple(self.warnings))


# --- IPython lines -------------------------------------------------------------------------

def _env_magic(args: str, where: Where, facts: _Facts) -> None:
    """``%env NAME=value`` or ``%env NAME value`` (``%env`` alone only lists)."""
    args = args.strip()
    if not args:
        return
    if "=" in args.split(" ", 1)[0]:
        name, _, value = args.partition("=")
    else:
        name, _, value = args.partition(" ")
    facts.env.append(EnvSetting(where, name.strip(), value.strip() or None, "%env"))


def _shell(text: str, where: Where, facts: _Facts) -> None:
    installs, env, warnings = parse_shell(text, where)
    facts.installs.extend(installs)
    facts.env.extend(env)
    facts.warnings.extend(warnings)


def _ipython_lines(source: str, file: str, cell: Optional[int], facts: _Facts) -> str:
    """Read the IPython lines of a cell into ``facts``; return its Python with each of them
    replaced by ``pass`` at the same indentation (same line numbers)."""
    lines = source.split("\n")
    first = lines[0].strip().split(" ", 1)[0] if lines else ""
    if first.startswith("%%"):
        if first in SHELL_CELL_MAGICS:
            for n, line in enumerate(lines[1:], 2):
                if line.strip():
                    _shell(line.strip(), Where(file, n, cell), facts)
            return ""
        if first not in PYTHON_CELL_MAGICS:
            return ""  # %%writefile, %%html, ...: not Python
        lines[0] = ""
    out = []
    pending: Optional[Tuple[int, str, str]] = None  # (line, indent, text) of a '\' run
    for n, line in enumerate(lines, 1):
        if pending is not None:
            start, indent, text = pending
            text += " " + line.strip().rstrip("\\")
            if line.rstrip().endswith("\\"):
                pending = (start, indent, text)
            else:
                _shell(text, Where(file, start, cell), facts)
                pending = None
            out.append(indent + "pass")
            continue
        stripped = line.lstrip()
        indent = line[:len(line) - len(stripped)]
        shell: Optional[str] = None
        if stripped.startswith("!"):
            shell = stripped.lstrip("!")
        elif stripped.startswith("%"):
            name, _, args = stripped[1:].partition(" ")
            if name in ("pip", "conda"):
                shell = name + " " + args
            elif name == "env":
                _env_magic(args, Where(file, n, cell), facts)
            elif name in ("sx", "system"):
                shell = args
        elif _ASSIGN_SHELL.match(stripped):
            shell = _ASSIGN_SHELL.match(stripped).group(1)  # type: ignore
        elif stripped.endswith("?") and not stripped.startswith("#"):
            out.append(indent + "pass")  # `obj?` asks IPython for help
            continue
        if shell is None and not stripped.startswith("%"):
            out.append(line)
            continue
        out.append(indent + "pass")
        if shell is not None:
            if shell.rstrip().endswith("\\"):
                pending = (n, indent, shell.rstrip().rstrip("\\"))
            else:
                _shell(shell, Where(file, n, cell), facts)
    if pending is not None:
        _shell(pending[2], Where(file, pending[0], cell), facts)
    return "\n".join(out)


# --- Python --------------------------------------------------------------------------------

def _dotted(node: Any) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(_dotted(node.func) + "()")
    else:
        return ""
    return ".".join(reversed(parts))


def _literal(node: Any) -> Optional[str]:
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if sys.version_info < (3, 8) and isinstance(node, ast.Str):  # novm
        return node.s
    return None


def _catches_import_error(handler: Any) -> bool:
    kind = handler.type
    if kind is None:
        return True
    names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    return any(_dotted(n).rsplit(".", 1)[-1] in OPTIONAL_ERRORS for n in names)


def _alias(a: Any) -> str:
    return a.name + (" as " + a.asname if a.asname else "")


class _Scanner:
    def __init__(self, file: str, cell: Optional[int], lines: List[str], facts: _Facts) -> None:
        self.file, self.cell, self.lines, self.facts = file, cell, lines, facts

    def where(self, node: Any) -> Where:
        return Where(self.file, getattr(node, "lineno", 1), self.cell)

    def visit(self, node: Any, function: Optional[str], optional: bool) -> None:
        """Imports, with the function they are in and whether an ImportError is caught
        around them: statements only (expressions hold no imports)."""
        if isinstance(node, TRY_TYPES):
            catches = any(_catches_import_error(h) for h in node.handlers)
            for child in node.body:
                self.visit(child, function, optional or catches)
            for part in list(node.handlers) + list(node.orelse) + list(node.finalbody):
                self.visit(part, function, optional)
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = node.name if function is None else "%s.%s" % (function, node.name)
            for child in node.body:
                self.visit(child, name, optional)
            return
        if isinstance(node, ast.Import):
            for a in node.names:
                self.facts.imports.append(ImportStatement(
                    self.where(node), a.name, (), 0, optional, function, "import " + _alias(a)))
            return
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            self.facts.imports.append(ImportStatement(
                self.where(node), module, tuple(a.name for a in node.names), node.level or 0,
                optional, function, "from %s%s import %s" % (
                    "." * (node.level or 0), module, ", ".join(_alias(a) for a in node.names))))
            return
        for field in BLOCK_FIELDS:
            for child in getattr(node, field, None) or ():
                self.visit(child, function, optional)

    def calls(self, tree: Any) -> None:
        """Device targets, hub fetches and os.environ settings, in source order."""
        found: List[Any] = []
        for node in ast.walk(tree):
            if isinstance(node, (ast.Call, ast.Assign)):
                found.append(node)
        found.sort(key=lambda n: (n.lineno, n.col_offset))
        for node in found:
            if isinstance(node, ast.Call):
                self.call(node)
            else:
                for target in node.targets:
                    self.environ_assignment(target, node.value, node)

    def source_line(self, node: Any) -> str:
        n = getattr(node, "lineno", 0)
        return self.lines[n - 1].strip() if 0 < n <= len(self.lines) else ""

    def environ_assignment(self, target: Any, value: Any, node: Any) -> None:
        if not isinstance(target, ast.Subscript) or _dotted(target.value) not in (
                "os.environ", "environ"):
            return
        key = target.slice
        if sys.version_info < (3, 9) and isinstance(key, getattr(ast, "Index", ())):  # novm
            key = key.value  # type: ignore
        name = _literal(key)
        if name:
            self.facts.env.append(EnvSetting(self.where(node), name, _literal(value),
                                             "os.environ"))

    def call(self, node: Any) -> None:
        func = _dotted(node.func)
        last = func.rsplit(".", 1)[-1]
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        first = node.args[0] if node.args else None
        if last == "set_context" and "device_target" in keywords:
            self.facts.devices.append(DeviceRequest(
                self.where(node), _literal(keywords["device_target"]), func,
                self.source_line(node)))
        elif last == "set_device" and (first is not None or "device_target" in keywords):
            target = _literal(keywords.get("device_target", first))
            if target is not None and not target.isdigit():
                self.facts.devices.append(DeviceRequest(self.where(node), target, func,
                                                        self.source_line(node)))
        elif last in HUB_CALLS or func in ("evaluate.load", "datasets.load_metric"):
            what = _literal(first) if first is not None else _literal(
                keywords.get("pretrained_model_name_or_path") or keywords.get("path")
                or keywords.get("repo_id"))
            call = "evaluate.load" if func == "evaluate.load" else last
            receiver = func.rsplit(".", 1)[0] if last == "from_pretrained" else func
            self.facts.fetches.append(HubFetch(self.where(node), call, what, receiver))
        elif func in ("os.environ.setdefault", "os.putenv") and first is not None:
            name = _literal(first)
            if name:
                value = _literal(node.args[1]) if len(node.args) > 1 else None
                self.facts.env.append(EnvSetting(self.where(node), name, value, "os.environ"))


def _imports_line_by_line(source: str, file: str, cell: Optional[int], facts: _Facts) -> None:
    """A cell that does not parse as a whole (Python 2, a typo) still says what it imports:
    each import line that parses alone is read."""
    for n, line in enumerate(source.split("\n"), 1):
        stripped = line.strip()
        if not stripped.startswith(("import ", "from ")):
            continue
        try:
            tree = ast.parse(stripped)
        except SyntaxError:
            continue
        for node in tree.body:
            node.lineno = n  # type: ignore
            _Scanner(file, cell, [], facts).visit(node, None, False)


def read_source(source: str, file: str, cell: Optional[int], facts: "_Facts",
                ipython: bool) -> None:
    """Read one cell (``ipython``: with IPython syntax) or one script into ``facts``."""
    python = _ipython_lines(source, file, cell, facts) if ipython else source
    try:
        tree = ast.parse(python)
    except SyntaxError as exc:
        line = exc.lineno or 1
        hint = " (Python 2 code?)" if "Missing parentheses" in str(exc.msg) or \
            re.search(r"^\s*print\s+[^(=]", python, re.M) else ""
        facts.warnings.append(LabWarning(Where(file, line, cell), "does not parse as Python: "
                                         "%s%s; its import lines are still read"
                                         % (exc.msg, hint)))
        _imports_line_by_line(python, file, cell, facts)
        return
    except ValueError as exc:  # NUL bytes
        facts.warnings.append(LabWarning(Where(file, 1, cell), "cannot read: %s" % exc))
        return
    scanner = _Scanner(file, cell, python.split("\n"), facts)
    for node in tree.body:
        scanner.visit(node, None, False)
    if any(word in python for word in CALL_WORDS):
        scanner.calls(tree)


# --- files ---------------------------------------------------------------------------------

def _cells(data: Any) -> Optional[List[Dict[str, Any]]]:
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("cells"), list):
        return data["cells"]
    sheets = data.get("worksheets")  # nbformat 3
    if isinstance(sheets, list) and sheets and isinstance(sheets[0], dict):
        return sheets[0].get("cells") if isinstance(sheets[0].get("cells"), list) else None
    return None


MAX_FILE_BYTES = 64 * 1024 * 1024  # a lab file larger than this is not read


def _read_text(path: str, shown: str, facts: _Facts) -> Optional[str]:
    """A lab file's text, or None with a warning: a file a TA scans may be anything, so a
    FIFO or device (reading it would hang) and a huge file are skipped, never read."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise OSError("not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise OSError("larger than %d MB" % (MAX_FILE_BYTES // 1024 // 1024))
        with open(path, "r", encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError as exc:
        facts.warnings.append(LabWarning(Where(shown, 1), "cannot read: %s"
                                         % (exc.strerror or exc)))
        return None


def _notebook_into(path: str, shown: str, facts: _Facts, text: Optional[str] = None) -> None:
    text = _read_text(path, shown, facts) if text is None else text
    if text is None:
        return
    try:
        data = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 1) or 1
        facts.warnings.append(LabWarning(Where(shown, line), "not a notebook (not JSON: %s)"
                                         % exc))
        return
    cells = _cells(data)
    if cells is None:
        facts.warnings.append(LabWarning(Where(shown, 1), "not a notebook (no 'cells')"))
        return
    count = 0
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        if not isinstance(source, str):
            facts.warnings.append(LabWarning(Where(shown, 1, number), "cell source is not text"))
            continue
        count += 1
        before = len(facts.installs)
        read_source(source, shown, number, facts, ipython=True)
        _included_requirements(path, shown, facts, facts.installs[before:])
    facts.files.append(LabFile(shown, "notebook", count))


def _included_requirements(path: str, shown: str, facts: _Facts,
                           lines: List[InstallLine]) -> None:
    """`!pip install -r requirements.txt`: read that file too when it is next to the lab (a
    notebook read from git has no folder: its -r files stay unread)."""
    folder = os.path.dirname(path)
    if not os.path.isfile(path):
        return
    for line in lines:
        for included in line.requirement_files:
            target = os.path.join(folder, included)
            if os.path.isfile(target):
                _requirements_into(target, os.path.join(os.path.dirname(shown), included), facts)


def _script_into(path: str, shown: str, facts: _Facts, text: Optional[str] = None) -> None:
    text = _read_text(path, shown, facts) if text is None else text
    if text is None:
        return
    read_source(text, shown, None, facts, ipython=False)
    facts.files.append(LabFile(shown, "script"))


def _requirements_into(path: str, shown: str, facts: _Facts, text: Optional[str] = None) -> None:
    real = os.path.realpath(path)
    if real in facts.requirement_files:
        return  # -r cycles, or a file a notebook's `-r` line read already
    facts.requirement_files.add(real)
    text = _read_text(path, shown, facts) if text is None else text
    if text is None:
        return
    joined: List[Tuple[int, str]] = []
    for n, line in enumerate(text.splitlines(), 1):  # pip joins lines ending in '\'
        if joined and joined[-1][1].endswith("\\"):
            joined[-1] = (joined[-1][0], joined[-1][1][:-1] + " " + line.strip())
        else:
            joined.append((n, line))
    for n, line in joined:
        install, warnings = parse_requirements_line(line, Where(shown, n))
        facts.warnings.extend(warnings)
        if install is None:
            continue
        facts.installs.append(install)
        for included in install.requirement_files:
            target = os.path.join(os.path.dirname(path), included)
            _requirements_into(target, os.path.join(os.path.dirname(shown), included), facts)
    facts.files.append(LabFile(shown, "requirements"))


def _kind(path: str) -> str:
    name = os.path.basename(path).lower()
    if name.endswith(NOTEBOOK_SUFFIXES):
        return "notebook"
    if name.endswith(SCRIPT_SUFFIXES):
        return "script"
    if name.endswith((".txt", ".in")):
        return "requirements"
    return "unknown"


def lab_files(folder: str) -> Iterator[str]:
    """The notebooks, scripts and requirements files under ``folder``, sorted."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            kind = _kind(name)
            if kind in ("notebook", "script") or (
                    kind == "requirements" and name.lower().startswith("requirements")):
                yield os.path.join(root, name)


def read_file_into(path: str, shown: str, facts: "_Facts", text: Optional[str] = None) -> None:
    kind = _kind(path)
    if kind == "notebook":
        _notebook_into(path, shown, facts, text)
    elif kind == "requirements":
        _requirements_into(path, shown, facts, text)
    else:
        _script_into(path, shown, facts, text)


def read_file(path: str, shown: Optional[str] = None) -> Lab:
    """One file, its facts named ``shown`` (a path relative to a course folder)."""
    facts = _Facts()
    read_file_into(path, shown or path, facts)
    return facts.lab(path)


def read_notebook(path: str) -> Lab:
    facts = _Facts()
    _notebook_into(path, path, facts)
    return facts.lab(path)


def read_script(path: str) -> Lab:
    facts = _Facts()
    _script_into(path, path, facts)
    return facts.lab(path)


def read_requirements(path: str) -> Lab:
    facts = _Facts()
    _requirements_into(path, path, facts)
    return facts.lab(path)


def read_text(text: str, name: str) -> Lab:
    """A lab file given as text (a committed version read with ``git show``)."""
    facts = _Facts()
    read_file_into(name, name, facts, text)
    return facts.lab(name)


def read_lab(path: str) -> Lab:
    """A notebook, a script, a requirements file, or a folder (everything in it, paths shown
    relative to it). Raises :class:`LabReadError` only when the path is not there."""
    if os.path.isdir(path):
        facts = _Facts()
        for file in lab_files(path):
            read_file_into(file, os.path.relpath(file, path), facts)
        if not facts.files:
            raise LabReadError("%s holds no notebook, script or requirements file" % path)
        return facts.lab(path)
    if not os.path.exists(path):
        raise LabReadError("no such lab: %s" % path)
    facts = _Facts()
    read_file_into(path, path, facts)
    return facts.lab(path)
