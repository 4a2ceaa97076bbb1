"""YAML text to plain data plus the line of every field, so errors can say where they are.

One implementation for every data file Tocsin reads: playbooks, drill scenarios (playbooks/parse.py,
drills/scenario.py) and the district's units, people and roster (infra/district). What differs between
them is a parameter of `load_located`, never a second copy:

- `unknown_line`: what `Located.line_of` answers for a path that has no line of its own nor any ancestor
  with one (an empty document). Playbooks and scenarios say line 1, the start of the file; the district
  says 0, which a `Problem` prints as no line at all. Data that did not come from text (`Located(data)`,
  e.g. an API body) has no lines, so its default is 0.
- `duplicate_keys`: "record" lists every repeated mapping key in `Located.duplicates` for the caller to
  report (playbooks, scenarios); "ignore" keeps PyYAML's behaviour, the later value wins (the district).
  Either way the line of a repeated key is that of its first occurrence.
- `libyaml`: parse with the C parser when PyYAML has it (about 3x faster: the district's files run to
  thousands of lines). Its error wording differs from the pure-Python parser's, whose messages the
  playbook and scenario tests pin, so those keep the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import yaml

from playbooks.conditions import Path
from playbooks.json_types import JsonValue

__all__ = [
    "DuplicateKeys",
    "Located",
    "Path",
    "YamlSyntaxError",
    "as_mapping",
    "format_path",
    "load_located",
]

DuplicateKeys = Literal["record", "ignore"]
"""What `load_located` does with a repeated mapping key (see the module docstring)."""

_FAST_LOADER: type[yaml.SafeLoader | yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Located:
    """Parsed data, each path's line (1-based), any duplicate keys found, and the line for an unknown path."""

    data: JsonValue  # YAML boundary: plain safe-loaded data (JSON types plus dates), checked by the caller
    lines: dict[Path, int] = field(default_factory=dict)
    duplicates: list[tuple[Path, int]] = field(default_factory=list)
    unknown_line: int = 0
    """What `line_of` answers when neither the path nor any ancestor has a line (0: no line)."""

    def line_of(self, path: Path) -> int:
        """The line of `path`, or of its nearest ancestor that has one, else `unknown_line`."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return self.unknown_line


class YamlSyntaxError(ValueError):
    """The text is not YAML; `line` says where the parser gave up."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(message)


def load_located(
    text: str, *, unknown_line: int = 1, duplicate_keys: DuplicateKeys = "record", libyaml: bool = False
) -> Located:
    """Parse YAML safely (plain data only: no tags, no code) and record where each field is."""
    try:
        loader = (_FAST_LOADER if libyaml else yaml.SafeLoader)(text)  # the Python reader rejects bad characters here
    except yaml.YAMLError as error:
        raise _syntax_error(error, text) from error
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        raise _syntax_error(error, text) from error
    finally:
        loader.dispose()
    located = Located(data, unknown_line=unknown_line)
    if node is not None:
        located.lines[()] = node.start_mark.line + 1
        _walk(node, (), located, record_duplicates=duplicate_keys == "record")
    return located


def _syntax_error(error: yaml.YAMLError, text: str) -> YamlSyntaxError:
    if isinstance(error, yaml.reader.ReaderError):  # a character YAML does not allow, at `position`
        return YamlSyntaxError(text.count("\n", 0, error.position) + 1, str(error))
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        return YamlSyntaxError(mark.line + 1 if mark else 1, f"{error.problem or error.context or 'not YAML'}")
    return YamlSyntaxError(1, str(error))


def _walk(node: yaml.Node, path: Path, located: Located, *, record_duplicates: bool) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            child = (*path, key)
            if record_duplicates and key in seen:
                located.duplicates.append((child, key_node.start_mark.line + 1))
            seen.add(key)
            located.lines.setdefault(child, key_node.start_mark.line + 1)
            _walk(value_node, child, located, record_duplicates=record_duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            located.lines.setdefault(child, item.start_mark.line + 1)
            _walk(item, child, located, record_duplicates=record_duplicates)


def format_path(path: Path) -> str:
    """`('levels', 'II', 'actions', 3, 'deadline')` as `levels.II.actions[3].deadline`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def as_mapping(value: JsonValue) -> Mapping[str, JsonValue]:
    """The value if it is a mapping, else an empty one (for optional sections)."""
    return value if isinstance(value, Mapping) else {}
