"""The package's import graph, read with ast: no cycle among module-level imports, and the
command line is a leaf (nothing below it imports envdoctor.commands)."""

import ast
import os
from typing import Dict, List, Set

import envdoctor

PACKAGE = os.path.dirname(os.path.abspath(envdoctor.__file__))
# The probes run in the target interpreter as scripts, importing each other by file name.
SKIP = ("probes",)


def _modules() -> Dict[str, str]:
    found = {}
    for folder, dirs, files in os.walk(PACKAGE):
        rel = os.path.relpath(folder, PACKAGE)
        dirs[:] = [d for d in dirs if d not in SKIP and not d.startswith((".", "__"))]
        for name in files:
            if not name.endswith(".py"):
                continue
            parts = ["envdoctor"] + ([] if rel == "." else rel.split(os.sep))
            if name != "__init__.py":
                parts.append(name[:-3])
            found[".".join(parts)] = os.path.join(folder, name)
    return found


MODULES = _modules()


def _target(name: str) -> str:
    """The module an import reaches: the longest envdoctor module prefix of ``name``."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(module: str, nodes: List[ast.stmt], top_level: bool) -> Set[str]:
    """envdoctor modules imported by ``nodes``; ``top_level``: only what runs on import
    (not inside functions, not under ``if TYPE_CHECKING``)."""
    out = set()
    package = module if MODULES[module].endswith("__init__.py") else module.rpartition(".")[0]
    for node in nodes:
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names = [base + "." + a.name for a in node.names] + [base]
        else:
            children = []
            if top_level and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                               ast.Lambda)):
                continue
            if top_level and isinstance(node, ast.If) and _is_type_checking(node):
                children = list(node.orelse)
            else:
                children = list(ast.iter_child_nodes(node))
            out |= _imports(module, [c for c in children if isinstance(c, ast.AST)], top_level)
            continue
        for name in names:
            if name.startswith("envdoctor"):
                target = _target(name)
                if target and target != module:
                    out.add(target)
    return out


def _graph(top_level: bool) -> Dict[str, Set[str]]:
    graph = {}
    for module, path in MODULES.items():
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), path)
        graph[module] = _imports(module, list(tree.body), top_level)
    return graph


def _cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_the_walker_sees_the_package():
    graph = _graph(top_level=True)
    assert "envdoctor.api" in graph and "envdoctor.checks.context" in graph
    assert "envdoctor.checks.context" in graph["envdoctor.checks.requirements"]
    assert "envdoctor.checks.devices" in graph["envdoctor.checks"]
    # a cycle is found when there is one
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_among_module_level_imports():
    assert _cycles(_graph(top_level=True)) == []


def test_nothing_below_the_command_line_imports_commands():
    offenders = sorted(
        module for module, targets in _graph(top_level=False).items()
        if any(t == "envdoctor.commands" or t.startswith("envdoctor.commands.")
               for t in targets)
        and not (module == "envdoctor.cli" or module.startswith("envdoctor.commands")))
    assert offenders == []


def test_every_module_says_what_it_is():
    """A docstring after `from __future__ import ...` is a bare string, not the module's doc."""
    missing = []
    for name, path in sorted(MODULES.items()):
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
        if tree.body and ast.get_docstring(tree) is None and name != "envdoctor.__main__":
            missing.append(name)
    assert missing == []
