"""Errors of the district loader.

ValueError
 └── DistrictDataError   one or more district files are invalid (carries every Problem found)
"""

from __future__ import annotations

from collections.abc import Iterable

from playbooks.errors import Problem

__all__ = ["DistrictDataError", "Problem"]


class DistrictDataError(ValueError):
    """The district's units, people or roster are invalid; `problems` lists each one."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid district data")
