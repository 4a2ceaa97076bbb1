"""Response bodies of the API (request bodies reuse the wire contracts in infra)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class ReportAccepted(BaseModel):
    """The report is durably on the reports topic and will be processed."""

    report_id: str
    status: str = "accepted"
    topic: str
    partition: int
    offset: int


class LevelChangeOut(BaseModel):
    """One entry of the level history."""

    model_config = ConfigDict(from_attributes=True)

    from_level: str
    to_level: str
    rule_id: str | None
    explanation: str
    decided_by: str | None
    at: datetime


class IncidentSummary(BaseModel):
    """An incident as listed."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    incident_type: str
    status: str
    level: str
    mode: str
    exercise_id: str | None
    rule_id: str | None
    explanation: str
    facts: dict[str, Any]
    location: dict[str, Any]
    venue_type: str | None
    report_count: int
    opened_at: datetime
    updated_at: datetime


class IncidentDetail(IncidentSummary):
    """One incident with its level history and playbook version."""

    playbook_id: str
    playbook_version: str
    first_report_at: datetime
    level_history: list[LevelChangeOut]


class IncidentList(BaseModel):
    """A page of incidents."""

    items: list[IncidentSummary]


class TimelineEntry(BaseModel):
    """One event on an incident's timeline."""

    model_config = ConfigDict(from_attributes=True)

    event_id: str
    seq: int
    type: str
    at: datetime
    mode: str
    data: dict[str, Any]


class Problem(BaseModel):
    """An error body: what is wrong, in words."""

    detail: str
