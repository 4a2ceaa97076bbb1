"""Tables of the read model. They are a projection of the incident and drill event logs and can be rebuilt from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the read model."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class IncidentRow(Base):
    """The current picture of one incident."""

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    incident_type: Mapped[str] = mapped_column(String(64), index=True)
    mode: Mapped[str] = mapped_column(String(16), index=True)
    exercise_id: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    level: Mapped[str] = mapped_column(String(16), index=True)
    rule_id: Mapped[str | None] = mapped_column(String(200))
    explanation: Mapped[str] = mapped_column(Text, default="")
    playbook_id: Mapped[str] = mapped_column(String(64))
    playbook_version: Mapped[str] = mapped_column(String(80))
    location: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    venue_type: Mapped[str | None] = mapped_column(String(64))
    town: Mapped[str | None] = mapped_column(String(200), index=True)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    facts_basis: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """For each figure a case list can give, `case_list` or `sources` (or `verified`): how it was derived."""
    warnings: Mapped[list[Any] | None] = mapped_column(JSON)
    """What the reports name that the district does not know (e.g. a town not in the district)."""
    routing_warnings: Mapped[list[Any] | None] = mapped_column(JSON)
    """Who a step could not reach, why, and who was paged instead (action_key, who, reason, fallback_to, at)."""
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    first_report_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seq: Mapped[int] = mapped_column(Integer, default=0)


class TimelineRow(Base):
    """One incident event, in order; the event id makes projection idempotent."""

    __tablename__ = "timeline"
    __table_args__ = (Index("ix_timeline_incident_seq", "incident_id", "seq"),)

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    mode: Mapped[str] = mapped_column(String(16))
    causation: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LevelHistoryRow(Base):
    """A level change: from, to, the rule or the commander's reason, and when."""

    __tablename__ = "level_history"
    __table_args__ = (Index("ix_level_history_incident", "incident_id", "seq"),)

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    from_level: Mapped[str] = mapped_column(String(16))
    to_level: Mapped[str] = mapped_column(String(16))
    rule_id: Mapped[str | None] = mapped_column(String(200))
    explanation: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ActionRow(Base):
    """A planned response step of an incident (task order, notification, report-up...) and its progress."""

    __tablename__ = "actions"
    __table_args__ = (Index("ix_actions_incident", "incident_id"), Index("ix_actions_owner_status", "owner", "status"))

    incident_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(120))
    recipients: Mapped[list[Any]] = mapped_column(JSON, default=list)
    level: Mapped[str] = mapped_column(String(16))
    group: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    deadline: Mapped[str] = mapped_column(String(64))
    escalation: Mapped[list[Any]] = mapped_column(JSON, default=list)
    escalation_step: Mapped[int] = mapped_column(Integer, default=0)
    planned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by: Mapped[str | None] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(16))
    updated_seq: Mapped[int] = mapped_column(Integer, default=0)


class CaseRow(Base):
    """One person of an incident's case line list, as its newest entry gives them (personal data: restricted)."""

    __tablename__ = "incident_cases"
    __table_args__ = (Index("ix_incident_cases_incident_onset", "incident_id", "onset"),)

    incident_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    onset: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    town: Mapped[str] = mapped_column(String(200), default="")
    village: Mapped[str] = mapped_column(String(200), default="")
    county: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    age: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(16))
    symptoms: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(300), default="")
    report_id: Mapped[str] = mapped_column(String(200), default="")
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    mode: Mapped[str] = mapped_column(String(16))
    updated_seq: Mapped[int] = mapped_column(Integer, default=0)


class NotificationRow(Base):
    """One message to one recipient over one channel, and how its delivery went."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_incident", "incident_id"),)

    idempotency_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(64))
    action_key: Mapped[str] = mapped_column(String(120))
    recipient_id: Mapped[str] = mapped_column(String(120))
    recipient_name: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), index=True)
    attempts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[str] = mapped_column(String(16))
    exercise_id: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text, default="")
    """Why a delivery failed, or why the district duty officer was paged instead (with `fallback_for`)."""
    fallback_for: Mapped[str] = mapped_column(Text, default="")
    """Who this fallback page stands in for (someone the step could not reach); empty for an ordinary page."""


class CommandResultRow(Base):
    """What became of a command: applied or rejected with a reason (for read-your-writes)."""

    __tablename__ = "command_results"

    command_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    incident_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeliveryLogRow(Base):
    """The notifier's own record of deliveries made, so a replayed event never pages anyone twice."""

    __tablename__ = "delivery_log"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ExerciseParticipantRow(Base):
    """Who takes part in a drill: the only people its messages may reach."""

    __tablename__ = "exercise_participants"

    exercise_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(120), primary_key=True)


class CapAlertRow(Base):
    """A published CAP 1.2 alert, by feed ("public", or "exercise:<id>" for a drill's own feed)."""

    __tablename__ = "cap_alerts"

    feed: Mapped[str] = mapped_column(String(200), primary_key=True)
    identifier: Mapped[str] = mapped_column(String(200), primary_key=True)
    sent: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    alert: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DrillRunRow(Base):
    """The newest picture of one drill run (docs/adr/0018): the last `DrillUpdated` by seq, and its report."""

    __tablename__ = "drill_runs"

    exercise_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    scenario_id: Mapped[str] = mapped_column(String(120), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), index=True)
    speed: Mapped[float] = mapped_column(Float, default=1.0)
    elapsed_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    end_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    bot: Mapped[str | None] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    requested_by: Mapped[str | None] = mapped_column(String(200))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    report_markdown: Mapped[str | None] = mapped_column(Text)
    report_html: Mapped[str | None] = mapped_column(Text)
