"""Load YAML with line numbers, so a bad matrix or recipe entry is reported by its line.

Data files are read strictly: a key given twice in one mapping (YAML keeps the last one
silently, dropping every rule above it) and anchors/aliases (a few lines that expand into
millions of nodes, in memory and in error messages) are refused with their line."""

from typing import Any, Dict, Optional

import yaml

from envdoctor.errors import EnvdoctorError

__all__ = ["DataFileError", "load_yaml", "load_document", "LINE_KEY", "line_of"]

LINE_KEY = "__line__"

try:
    _Base = yaml.CSafeLoader  # type: Any
except AttributeError:  # PyYAML built without libyaml
    _Base = yaml.SafeLoader


class DataFileError(EnvdoctorError):
    """A matrix or recipe file that does not follow its documented schema."""

    def __init__(self, path: str, line: Optional[int], message: str) -> None:
        self.path = path
        self.line = line
        if len(message) > 600:  # a message quoting data never floods the terminal
            message = message[:600] + "..."
        self.message = message
        where = "%s:%s" % (path, line) if line else path
        super().__init__("%s: %s" % (where, message))


class _LineLoader(_Base):  # type: ignore[misc, valid-type]
    pass


class _DuplicateKey(yaml.constructor.ConstructorError):
    pass


def _construct_mapping(loader: Any, node: Any, deep: bool = False) -> Dict[Any, Any]:
    seen = {}  # type: Dict[Any, int]
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        key = key_node.value
        if key in seen:
            raise _DuplicateKey(None, None, "key %r given twice in one mapping (first on line "
                                            "%d): YAML would keep only the last"
                                % (key[:80], seen[key]), key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1
    mapping = loader.construct_mapping(node, deep=deep)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _refuse_aliases(path: str, text: str) -> None:
    for event in yaml.parse(text, Loader=_Base):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise DataFileError(path, event.start_mark.line + 1,
                                "anchors and aliases (&name, *name) are not allowed in "
                                "envdoctor's data files; write the entry out")


def load_yaml(path: str) -> Any:
    try:
        with open(path, "r", encoding="utf-8") as handle:
            text = handle.read()
        _refuse_aliases(path, text)
        return yaml.load(text, Loader=_LineLoader)
    except OSError as exc:
        raise DataFileError(path, None, "cannot read: %s" % (exc.strerror or exc))
    except UnicodeDecodeError as exc:
        raise DataFileError(path, None, "not UTF-8: %s" % exc)
    except _DuplicateKey as exc:
        raise DataFileError(path, exc.problem_mark.line + 1, str(exc.problem))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataFileError(path, mark.line + 1 if mark else None,
                            "not valid YAML: %s" % problem)


def line_of(data: Any) -> Optional[int]:
    return data.get(LINE_KEY) if isinstance(data, dict) else None


def load_document(path: str, list_key: str) -> Dict[Any, Any]:
    """A schema-1 data file: a mapping whose ``list_key`` holds the entries (rules,
    combos, signatures)."""
    data = load_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get(list_key), list):
        raise DataFileError(path, line_of(data), "expected a mapping with a %r list" % list_key)
    if data.get("schema", 1) != 1:
        raise DataFileError(path, line_of(data), "unknown schema %r (this envdoctor reads 1)"
                            % data.get("schema"))
    return data
