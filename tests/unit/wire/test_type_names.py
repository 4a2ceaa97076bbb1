"""The type names other programs match on are the ones docs/messages.md publishes, and no two enums share one."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest

from infra.wire import CommandType, DrillCommandType, DrillEventType, EventType

DOC = Path(__file__).resolve().parents[3] / "docs" / "messages.md"
ENUMS: tuple[type[StrEnum], ...] = (CommandType, EventType, DrillCommandType, DrillEventType)


def published(enum_name: str) -> list[str]:
    """The type names the doc's 'Every type name' table lists for one enum, in order."""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] == f"`{enum_name}`":
            return re.findall(r"`([A-Za-z]+)`", cells[2])
    raise AssertionError(f"{DOC.name} has no row for {enum_name} in its 'Every type name' table")


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_every_wire_type_name_is_published_and_nothing_else(enum: type[StrEnum]) -> None:
    assert [member.value for member in enum] == published(enum.__name__)


def test_no_type_name_means_two_things() -> None:
    names = [member.value for enum in ENUMS for member in enum]
    assert len(names) == len(set(names))
