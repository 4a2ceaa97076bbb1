"""Typed field access over one located YAML document, collecting located problems instead of raising."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from typing import Any

from infra.district.errors import Problem
from playbooks.yaml_source import Located, Path, format_path


class Reader:
    """Reads fields of one file's entries; each bad field adds a Problem naming file, line and path."""

    def __init__(self, file: str, located: Located) -> None:
        self.file = file
        self.located = located
        self.problems: list[Problem] = []

    def problem(self, path: Path, message: str) -> None:
        """Record a problem at `path`."""
        self.problems.append(Problem(self.file, self.located.line_of(path), format_path(path), message))

    def entries(self, path: Path, value: Any, fields: set[str]) -> list[tuple[Path, Mapping[str, Any]]]:
        """The mappings of a list at `path`, each with its path; unknown fields are problems."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, "must be a list")
            return []
        found: list[tuple[Path, Mapping[str, Any]]] = []
        for index, entry in enumerate(value):
            where = (*path, index)
            if not isinstance(entry, Mapping):
                self.problem(where, "must be a mapping")
                continue
            for key in sorted(set(entry) - fields, key=str):
                self.problem((*where, str(key)), f"unknown field (known: {', '.join(sorted(fields))})")
            found.append((where, entry))
        return found

    def text(self, path: Path, entry: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
        """A string field; numbers and dates are refused (quote them), missing ones are a problem if required."""
        value = entry.get(name)
        if value is None:
            if required:
                self.problem((*path, name), "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem((*path, name), f"{value!r} must be a non-empty string (quote numbers)")
            return None
        return value.strip()

    def integer(self, path: Path, entry: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
        """An integer field within [low, high]."""
        value = entry.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem((*path, name), f"{value!r} must be a whole number from {low} to {high}")
            return None
        return value

    def day(self, path: Path, entry: Mapping[str, Any], name: str) -> date | None:
        """A date field (YAML date or ISO text)."""
        value = entry.get(name)
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.problem((*path, name), f"{value!r} is not a date (YYYY-MM-DD)")
            return None

    def clock(self, path: Path, entry: Mapping[str, Any], name: str) -> time | None:
        """A local time of day written 'HH:MM' (quoted: YAML reads 20:00 unquoted as a number)."""
        value = entry.get(name)
        if not isinstance(value, str):
            self.problem((*path, name), f"{value!r} must be a quoted time like '08:00'")
            return None
        try:
            return time.fromisoformat(value)
        except ValueError:
            self.problem((*path, name), f"{value!r} is not a time like '08:00'")
            return None

    def strings(self, path: Path, entry: Mapping[str, Any], name: str) -> tuple[str, ...]:
        """A non-empty list of strings."""
        value = entry.get(name)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            self.problem((*path, name), f"{value!r} must be a non-empty list of names")
            return ()
        return tuple(value)

    def string_map(self, path: Path, entry: Mapping[str, Any], name: str) -> dict[str, str]:
        """A mapping of names to non-empty strings (absent: empty)."""
        value = entry.get(name) or {}
        if not isinstance(value, Mapping):
            self.problem((*path, name), "must be a mapping of channel to address")
            return {}
        result: dict[str, str] = {}
        for key, item in value.items():
            if not isinstance(item, str) or not item.strip():
                self.problem((*path, name, str(key)), f"{item!r} must be a non-empty string (quote numbers)")
            else:
                result[str(key)] = item.strip()
        return result
