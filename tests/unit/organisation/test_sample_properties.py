"""Properties of the shipped sample district that hold at every instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.organisation.factories import sample

instants = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2040, 12, 31),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))]),
)
ROSTERED_KINDS = ("leading_group", "member_unit", "town")


@settings(max_examples=150, deadline=None)
@given(instants)
def test_every_rostered_unit_has_one_duty_officer_and_one_leader_on_duty(at: datetime) -> None:
    org = sample()
    for unit in (u for u in org.units if u.kind in ROSTERED_KINDS):
        for role in ("duty_officer", "leader_on_duty"):
            resolution = org.duty(unit.id, role, at)
            assert not resolution.fallback, resolution.explanation
            assert len(resolution.people) == 1, resolution.explanation
            assert resolution.people[0].unit == unit.id


@settings(max_examples=50, deadline=None)
@given(instants)
def test_nobody_works_two_shifts_in_a_row(at: datetime) -> None:
    org = sample()
    for unit in (u for u in org.units if u.kind in ROSTERED_KINDS):
        now = org.on_duty(unit.id, "duty_officer", at)
        twelve_hours_later = org.on_duty(unit.id, "duty_officer", at + timedelta(hours=12))
        assert now != twelve_hours_later


@settings(max_examples=50, deadline=None)
@given(instants, st.integers(min_value=1, max_value=831))
def test_every_village_resolves_to_its_one_coordinator(at: datetime, number: int) -> None:
    resolution = sample().resolve(f"village:village_{number:03d}", at)
    assert len(resolution.people) == 1
    assert resolution.people[0].contacts["sms"].startswith("1380000")
