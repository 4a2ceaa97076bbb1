"""Builders for playbook tests: the shipped library, facts in one call, fixed moments."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from playbooks import LIBRARY_DIR, Facts, Playbook, PlaybookLibrary, Regions, load_library

MONDAY_8AM = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
"""A fixed activation time (a Monday), so working-day deadlines are predictable."""

FOOD_SAFETY_FILE = LIBRARY_DIR / "food_safety.yaml"


@cache
def library(rule_set: str = "family_a") -> PlaybookLibrary:
    """The built-in library, with food safety grading by `rule_set` (loaded once per rule set)."""
    return load_library(selections={"food_safety": rule_set})


def food_safety(rule_set: str = "family_a") -> Playbook:
    """The shipped food-safety playbook grading with `rule_set`."""
    return library(rule_set).get("food_safety")


def playbook(incident_type: str) -> Playbook:
    """A shipped playbook by incident type."""
    return library().get(incident_type)


def facts(
    *, townships: int = 0, counties: int = 0, prefectures: int = 0, provinces: int = 0, **figures: object
) -> Facts:
    """Facts with region counts given flat: facts(cases=30, townships=2)."""
    regions = Regions(townships=townships, counties=counties, prefectures=prefectures, provinces=provinces)
    return replace(Facts.from_mapping(figures), regions=regions)


def food_safety_text() -> str:
    """The shipped food-safety playbook's text, to break in loader tests."""
    return FOOD_SAFETY_FILE.read_text(encoding="utf-8")


def line_of(text: str, needle: str, *, after: str = "") -> int:
    """The 1-based line of the first `needle` at or after the first line containing `after`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i in range(start, len(lines)) if needle in lines[i]) + 1


def write(directory: Path, name: str, text: str) -> Path:
    """Write a playbook file into a test directory."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path
