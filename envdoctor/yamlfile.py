"""Load YAML with line numbers, so a bad matrix or recipe entry is reported by its line.

Data files are read strictly: a key given twice in one mapping (YAML keeps the last one
silently, dropping every rule above it) and anchors/aliases (a few lines that expand into
millions of nodes, in memory and in error messages) are refused with their line.

A file parsed once is kept as JSON in the user's cache folder, keyed by its path, size,
modification time and a CRC of its bytes (two writes within one clock tick share an mtime): the next ``envdoctor check`` reads that instead and never imports PyYAML
(a third of its own start-up). JSON, not pickle: a cache file is only ever data. Anything JSON
cannot hold exactly is simply not cached.
"""

import datetime
import json
import os
import zlib
from typing import Any, Dict, Optional

from envdoctor.errors import EnvdoctorError
from envdoctor.resources import cache_dir

__all__ = ["DataFileError", "load_yaml", "load_document", "LINE_KEY", "line_of"]

LINE_KEY = "__line__"
_CACHE_VERSION = "2"  # bump when what load_yaml returns changes
_DATE = "__date__"


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


def _parse(path: str, text: str) -> Any:
    import yaml  # only when a file is not in the cache

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it

    class LineLoader(base):  # type: ignore[misc, valid-type]
        pass

    class DuplicateKey(yaml.constructor.ConstructorError):
        pass

    def construct_mapping(loader: Any, node: Any, deep: bool = False) -> Dict[Any, Any]:
        seen: Dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = key_node.value
            if key in seen:
                raise DuplicateKey(None, None, "key %r given twice in one mapping (first on "
                                               "line %d): YAML would keep only the last"
                                   % (key[:80], seen[key]), key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        mapping = loader.construct_mapping(node, deep=deep)
        mapping[LINE_KEY] = node.start_mark.line + 1
        return mapping

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                               construct_mapping)
    try:
        for event in yaml.parse(text, Loader=base):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise DataFileError(path, event.start_mark.line + 1,
                                    "anchors and aliases (&name, *name) are not allowed in "
                                    "envdoctor's data files; write the entry out")
        return yaml.load(text, Loader=LineLoader)
    except DuplicateKey as exc:
        raise DataFileError(path, exc.problem_mark.line + 1, str(exc.problem))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataFileError(path, mark.line + 1 if mark else None,
                            "not valid YAML: %s" % problem)


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return {_DATE: value.isoformat()}
    raise TypeError("not cached: %r" % type(value).__name__)


def _from_json(mapping: Dict[str, Any]) -> Any:
    if len(mapping) == 1 and _DATE in mapping:
        return datetime.date(*(int(p) for p in mapping[_DATE].split("-")))
    return mapping


def _cache_key(path: str, raw: bytes) -> list:
    """What identifies this version of the file."""
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        mtime = 0
    return [_CACHE_VERSION, os.path.abspath(path), len(raw), mtime, zlib.crc32(raw)]


def _cache_file(key: list) -> str:
    name = "%08x" % (zlib.crc32(key[1].encode("utf-8", "replace")) & 0xFFFFFFFF)
    return cache_dir("data", "%s-%s.json" % (os.path.basename(key[1]), name))


def _cached(key: list) -> Any:
    try:
        with open(_cache_file(key), "r", encoding="utf-8") as handle:
            entry = json.load(handle, object_hook=_from_json)
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None  # another version of the file (or another file of that name)
    return entry.get("data")


def _store(key: list, data: Any) -> None:
    """Keep ``data`` as JSON if JSON gives back exactly the same (a YAML key like ``3.10``
    would come back a string); a cache that cannot be written is no error."""
    try:
        text = json.dumps({"key": key, "data": data}, default=_to_json)
        if json.loads(text, object_hook=_from_json)["data"] != data:
            return
        path = _cache_file(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = "%s.%d.tmp" % (path, os.getpid())
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(partial, path)
    except (OSError, TypeError, ValueError):
        pass


def load_yaml(path: str) -> Any:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise DataFileError(path, None, "cannot read: %s" % (exc.strerror or exc))
    key = _cache_key(path, raw)
    data = _cached(key)
    if data is not None:
        return data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(path, None, "not UTF-8: %s" % exc)
    data = _parse(path, text)
    _store(key, data)
    return data


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
