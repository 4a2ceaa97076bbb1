"""Builders for the incident domain's tests: reports, actors, contexts, and a running incident."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from playbooks import Playbook, load_library
from playbooks.assessment import Recommendation
from playbooks.commands import Actor, ReceiveReport, RecordAssessment, Role
from playbooks.facts import Facts
from playbooks.handlers import Context, Outcome, handle, receive_report
from playbooks.incident import Incident, IncidentStatus
from playbooks.report import Report

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
_ids = itertools.count(1)
_LIBRARY = load_library()

COMMANDER = Actor("指挥长", frozenset({Role.COMMANDER}))
DUTY_OFFICER = Actor("值班员", frozenset({Role.DUTY_OFFICER}))
PUBLICITY = Actor("宣传干事", frozenset({Role.PUBLICITY}))


def responder(unit: str, name: str = "联络员") -> Actor:
    """A unit responder who acts for `unit` only."""
    return Actor(name, frozenset({Role.UNIT_RESPONDER}), unit)


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


def ctx(minutes: float = 0, *, playbook: Playbook | None = None) -> Context:
    """A context `minutes` after T0."""
    return Context(playbook or food_safety(), T0 + timedelta(minutes=minutes))


def receive(state: Incident | None, item: Report, minutes: float = 0) -> Outcome:
    """Apply a ReceiveReport command for `item` to incident INC-1, `minutes` after T0."""
    return receive_report(state, "INC-1", ReceiveReport(report=item), ctx(minutes))


def status_of(incident: Incident) -> IncidentStatus:
    """The incident's status now (a call, so a test can check it again after a command changed it)."""
    return incident.status


def incident_with(*reports: Report) -> Incident:
    """An incident built from these reports, in order, at T0."""
    state: Incident | None = None
    for item in reports:
        state = receive(state, item).incident
    assert state is not None
    return state


def assessed(state: Incident, recommendation: Recommendation, minutes: float = 0) -> Incident:
    """The incident after the expert group's assessment recommending `recommendation`, `minutes` after T0."""
    command = RecordAssessment(
        experts=("食品安全专家委员会 王专家",),
        conclusion="专家组研判：病例已得到控制",
        recommendation=recommendation,
        actor=DUTY_OFFICER,
    )
    return handle(state, command, ctx(minutes)).incident
