"""Response bodies of the read endpoints (request bodies of commands are in api/commands/bodies.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.errors import Problem

__all__ = [
    "AuditEntryOut", "AuditPage", "IncidentDetail", "IncidentList", "IncidentSummary", "LevelChangeOut",
    "NotificationOut", "Problem", "ReportAccepted", "TaskOut", "TimelineEntry",
]



def as_utc(moment: datetime) -> datetime:
    """An aware time: SQLite hands back naive datetimes, which the read model stores in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


Instant = Annotated[datetime, AfterValidator(as_utc)]
"""A point in time, always serialised with its offset (RFC 3339)."""

_FACTS_EXAMPLE = {"cases": 52, "hospitalized": 3, "deaths": 0, "regions": {"townships": 1}}


class ReportAccepted(BaseModel):
    """The report is durably on the reports topic and will be processed."""

    report_id: str
    status: str = "accepted"
    topic: str
    partition: int
    offset: int


class LevelChangeOut(BaseModel):
    """One entry of the level history: from, to, the rule or the person's reason, who and when."""

    model_config = ConfigDict(from_attributes=True)

    from_level: str = Field(examples=["IV"])
    to_level: str = Field(examples=["III"])
    rule_id: str | None = Field(examples=["III.cases_100"])
    explanation: str
    decided_by: str | None = Field(description="the commander, or null when a rule raised the level")
    at: Instant


class IncidentSummary(BaseModel):
    """An incident as listed."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    incident_type: str = Field(examples=["food_safety"])
    status: str = Field(examples=["active"])
    level: str = Field(examples=["III"])
    mode: str = Field(examples=["actual"])
    exercise_id: str | None
    rule_id: str | None
    explanation: str
    facts: dict[str, Any] = Field(description="the facts the response works from", examples=[_FACTS_EXAMPLE])
    location: dict[str, Any]
    venue_type: str | None
    town: str | None = None
    report_count: int
    opened_at: Instant
    updated_at: Instant


class IncidentDetail(IncidentSummary):
    """One incident with its level history, facts (aggregated and verified) and playbook version."""

    playbook_id: str
    playbook_version: str
    first_report_at: Instant
    level_history: list[LevelChangeOut]
    aggregated_facts: dict[str, Any] | None = Field(
        None, description="sum over sources of each source's newest figures (null when verified figures replaced "
        "them and the read model does not keep the aggregate)")
    verified: dict[str, Any] | None = Field(
        None, description="a duty officer's verified figures: facts, by, reason, at")


class IncidentList(BaseModel):
    """A page of incidents; pass `next_cursor` as `cursor` for the next page (null on the last page)."""

    items: list[IncidentSummary]
    next_cursor: str | None = None


class TimelineEntry(BaseModel):
    """One event on an incident's timeline."""

    model_config = ConfigDict(from_attributes=True)

    event_id: str
    seq: int
    type: str = Field(examples=["LevelChanged"])
    at: Instant
    mode: str
    causation: str | None = None
    data: dict[str, Any]


class TaskOut(BaseModel):
    """A planned response step (task order, alert, report up the chain, ...) and its progress."""

    model_config = ConfigDict(from_attributes=True)

    key: str
    kind: str = Field(examples=["task"])
    title: str
    owner: str = Field(description="the unit that owns the step", examples=["cdc"])
    level: str
    group: str | None
    status: str = Field(examples=["pending"])
    due_at: Instant
    deadline: str = Field(examples=["2h"])
    escalation_step: int
    planned_at: Instant
    acknowledged_at: Instant | None
    acknowledged_by: str | None
    completed_at: Instant | None
    completed_by: str | None
    overdue: bool = False


class NotificationOut(BaseModel):
    """One message to one recipient over one channel and how its delivery went."""

    model_config = ConfigDict(from_attributes=True)

    idempotency_key: str
    action_key: str
    recipient_id: str
    recipient_name: str
    channel: str
    status: str
    attempts: list[Any]
    subject: str
    at: Instant


class AuditEntryOut(BaseModel):
    """One command as the API took it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: Instant
    actor: str
    roles: list[str]
    unit: str | None
    ip: str | None
    request_id: str | None
    command_id: str
    command_type: str
    topic: str
    incident_id: str | None
    mode: str
    exercise_id: str | None
    payload: dict[str, Any]
    outcome: str
    detail: str


class AuditPage(BaseModel):
    """A page of the audit trail; pass `next_after` as `after` for the next page."""

    items: list[AuditEntryOut]
    next_after: int | None = None
