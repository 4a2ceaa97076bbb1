"""Builders for organisation tests: a small district in code, local times, and the shipped sample."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

from infra.district import load_organisation
from playbooks.organisation import Organisation, Person, Roster, RotationSlot, Shift, ShiftTimes, Unit

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 23)
"""The small district's rotation anchor (a Monday)."""
DAY, NIGHT = ShiftTimes("day", time(8), time(20)), ShiftTimes("night", time(20), time(8))


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """An instant given in the district's local time."""
    return datetime.combine(day, time(hour, minute), TZ)


def person(person_id: str, unit: str, *roles: str) -> Person:
    """A person whose name is their id in upper case, with an SMS number."""
    return Person(person_id, person_id.upper(), unit, roles, {"sms": "13800009999"})


def weekday_slots(unit: str, leader: str, day_officer: str, night_officer: str, weeks: int = 1) -> list[RotationSlot]:
    """Monday-to-Friday day and night slots for `unit` in every cycle week (weekends left uncovered)."""
    return [
        RotationSlot(unit, week, weekday, shift, leader, officer)
        for week in range(1, weeks + 1)
        for weekday in range(5)
        for shift, officer in (("day", day_officer), ("night", night_officer))
    ]


def small_org(*, overrides: tuple[Shift, ...] = ()) -> Organisation:
    """A leading group, cdc (rostered Mon-Fri), an unrostered district office, one town and one village."""
    units = (
        Unit("leading_group", "领导小组", "leading_group"),
        Unit("cdc", "区疾控中心", "member_unit", "leading_group"),
        Unit("district_office", "区食安办", "member_unit", "leading_group"),
        Unit("town_01", "城关街道", "town", None, "990101001"),
        Unit("village_001", "桥坑社区", "village", "town_01", "990101001001"),
    )
    people = (
        person("chair", "leading_group", "leading_group", "chair", "commander", "leader_on_duty"),
        person("cdc-head", "cdc", "leader_on_duty", "leading_group"),
        person("cdc-deputy", "cdc", "unit_leader"),
        person("cdc-a", "cdc", "duty_officer"),
        person("cdc-b", "cdc", "duty_officer"),
        person("office-officer", "district_office", "duty_officer"),
        person("office-head", "district_office", "leader_on_duty"),
        person("town-officer", "town_01", "duty_officer"),
        person("town-head", "town_01", "leader_on_duty"),
        person("supervisor", "town_01", "supervisor"),
        person("coordinator", "village_001", "coordinator"),
    )
    rotation = weekday_slots("cdc", "cdc-head", "cdc-a", "cdc-b") + weekday_slots(
        "town_01", "town-head", "town-officer", "town-officer"
    )
    roster = Roster(TZ, (DAY, NIGHT), MONDAY, 1, tuple(rotation), overrides)
    return Organisation(units, people, roster)


@cache
def sample() -> Organisation:
    """The shipped sample district (loaded once)."""
    return load_organisation()
