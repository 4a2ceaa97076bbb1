"""YAML text to plain data plus the line of every field, so errors can say where they are."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from playbooks.conditions import Path


@dataclass
class Located:
    """Parsed data, each path's line (1-based), and any duplicate keys found."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    duplicates: list[tuple[Path, int]] = field(default_factory=list)

    def line_of(self, path: Path) -> int:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1


class YamlSyntaxError(ValueError):
    """The text is not YAML; `line` says where the parser gave up."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(message)


def load_located(text: str) -> Located:
    """Parse YAML safely (no tags, no code) and record where each field is."""
    try:
        loader = yaml.SafeLoader(text)  # the reader rejects control characters here
    except yaml.reader.ReaderError as error:
        raise YamlSyntaxError(text.count("\n", 0, error.position) + 1, str(error)) from error
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlSyntaxError(line, f"{error.problem or error.context or 'not YAML'}") from error
    except yaml.YAMLError as error:
        raise YamlSyntaxError(1, str(error)) from error
    finally:
        loader.dispose()
    located = Located(data)
    if node is not None:
        located.lines[()] = node.start_mark.line + 1
        _walk(node, (), located)
    return located


def _walk(node: yaml.Node, path: Path, located: Located) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            child = (*path, key)
            if key in seen:
                located.duplicates.append((child, key_node.start_mark.line + 1))
            seen.add(key)
            located.lines.setdefault(child, key_node.start_mark.line + 1)
            _walk(value_node, child, located)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            located.lines.setdefault(child, item.start_mark.line + 1)
            _walk(item, child, located)


def format_path(path: Path) -> str:
    """`('levels', 'II', 'actions', 3, 'deadline')` as `levels.II.actions[3].deadline`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def as_mapping(value: Any) -> Mapping[str, Any]:
    """The value if it is a mapping, else an empty one (for optional sections)."""
    return value if isinstance(value, Mapping) else {}
