"""Errors of the playbook domain.

Exception
 ├── PlaybookError          a playbook file is invalid (carries every Problem found)
 ├── LevelDecisionError     a commander's level decision is incomplete or makes no change
 └── LookupError
      └── UnknownPlaybook   no playbook (or no such version) for an incident type
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in a data file (a playbook, a district file), located by file, line and field path."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class PlaybookError(Exception):
    """One or more playbook files are invalid; `problems` lists each one."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid playbook")


class UnknownPlaybook(LookupError):
    """The library holds no playbook for this incident type (or not that version)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown playbook"


class LevelDecisionError(ValueError):
    """A manual level decision without a reason, or one that would not change the level."""
