"""Read-model rows for tests, written as the projector would write them (one place for every suite)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.db.engine import Database
from infra.db.models import ActionRow, CommandResultRow, IncidentRow, LevelHistoryRow, NotificationRow, TimelineRow

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


async def add(db: Database, *rows: Any) -> None:
    """Insert rows in one transaction."""
    async with db.session() as session, session.begin():
        session.add_all(rows)


def incident(
    incident_id: str | None = None,
    *,
    level: str = "IV",
    status: str = "active",
    mode: str = "actual",
    exercise_id: str | None = None,
    town: str = "Qingshan",
    opened_at: datetime = T0,
    **extra: Any,
) -> IncidentRow:
    """An incident row with sensible defaults."""
    values: dict[str, Any] = {
        "id": incident_id or f"inc-{uuid.uuid4().hex[:10]}",
        "incident_type": "food_safety",
        "mode": mode,
        "exercise_id": exercise_id,
        "status": status,
        "level": level,
        "rule_id": "IV.cases_30",
        "explanation": "30–99 harmed, no death",
        "playbook_id": "food_safety",
        "playbook_version": "2026.1+abc",
        "location": {"venue": "No. 3 Primary School canteen", "town": town},
        "venue_type": "school",
        "town": town,
        "facts": {"cases": 35},
        "report_count": 1,
        "opened_at": opened_at,
        "first_report_at": opened_at,
        "updated_at": opened_at,
        "seq": 1,
    }
    values.update(extra)
    return IncidentRow(**values)


def action(
    incident_id: str,
    key: str,
    *,
    owner: str = "cdc",
    kind: str = "task",
    status: str = "pending",
    due_at: datetime = T0 + timedelta(hours=2),
    mode: str = "actual",
) -> ActionRow:
    """A planned step."""
    return ActionRow(
        incident_id=incident_id,
        key=key,
        kind=kind,
        title=f"{key} by {owner}",
        owner=owner,
        recipients=[],
        level="IV",
        group=None,
        status=status,
        due_at=due_at,
        deadline="2h",
        escalation=[],
        escalation_step=0,
        planned_at=T0,
        acknowledged_at=None,
        acknowledged_by=None,
        completed_at=None,
        completed_by=None,
        mode=mode,
        updated_seq=1,
    )


def event(
    incident_id: str,
    seq: int,
    kind: str,
    data: dict[str, Any] | None = None,
    *,
    mode: str = "actual",
    at: datetime | None = None,
) -> TimelineRow:
    """A timeline row."""
    return TimelineRow(
        event_id=f"{incident_id}-{seq}",
        incident_id=incident_id,
        seq=seq,
        type=kind,
        at=at or T0 + timedelta(minutes=seq),
        mode=mode,
        causation=None,
        data=data or {},
    )


def level_change(
    incident_id: str, seq: int, from_level: str, to_level: str, *, by: str | None = None, explanation: str = ""
) -> LevelHistoryRow:
    """A level-history row."""
    return LevelHistoryRow(
        event_id=f"{incident_id}-lv{seq}",
        incident_id=incident_id,
        seq=seq,
        from_level=from_level,
        to_level=to_level,
        rule_id=None if by else "III.cases_100",
        explanation=explanation,
        decided_by=by,
        at=T0 + timedelta(minutes=seq),
    )


def notification(
    incident_id: str, key: str, *, status: str = "delivered", channel: str = "sms", mode: str = "actual"
) -> NotificationRow:
    """A delivery record."""
    return NotificationRow(
        idempotency_key=f"{incident_id}|{key}",
        incident_id=incident_id,
        action_key="notify",
        recipient_id="p-1",
        recipient_name="Wang Fang",
        channel=channel,
        status=status,
        attempts=[],
        subject="Alert",
        mode=mode,
        exercise_id=None,
        at=T0,
    )


def command_result(
    command_id: str, *, status: str = "applied", reason: str = "", incident_id: str | None = None
) -> CommandResultRow:
    """What became of a command."""
    return CommandResultRow(command_id=command_id, incident_id=incident_id, status=status, reason=reason, at=T0)
