"""Builders for the incident domain's tests: reports, contexts and a running incident."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from playbooks import Playbook, load_library
from playbooks.facts import Facts
from playbooks.handlers import Context, receive_report
from playbooks.incident import Incident
from playbooks.report import Report

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
_ids = itertools.count(1)
_LIBRARY = load_library()


def food_safety() -> Playbook:
    """The built-in food-safety playbook (family A)."""
    return _LIBRARY.get("food_safety")


def report(
    cases: int = 0,
    *,
    deaths: int = 0,
    unit: str = "区人民医院",
    venue: str = "城关实验小学食堂",
    venue_type: str | None = "school",
    at: datetime = T0,
    **facts: Any,
) -> Report:
    """A hospital's report about the canteen, with these figures."""
    return Report(
        report_id=f"r-{next(_ids)}",
        source="hospital",
        reported_at=at,
        location={"venue": venue, "admin_code": "330102001", "town": "城关街道"},
        venue_type=venue_type,
        facts=Facts.from_mapping({"cases": cases, "deaths": deaths, **facts}),
        reporter={"unit": unit},
    )


def ctx(minutes: float = 0, *, user: str | None = None, playbook: Playbook | None = None) -> Context:
    """A context `minutes` after T0, acting as `user` (or the system)."""
    actor = {"user": user, "roles": ["commander"]} if user else {}
    return Context(playbook or food_safety(), T0 + timedelta(minutes=minutes), actor)


def incident_with(*reports: Report) -> Incident:
    """An incident built from these reports, in order, at T0."""
    state: Incident | None = None
    for item in reports:
        state = receive_report(state, "INC-1", item, ctx()).incident
    assert state is not None
    return state
