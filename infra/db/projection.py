"""The projector's writes: each incident event becomes idempotent upserts of the read model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from infra.db.engine import Database
from infra.db.models import (
    ActionRow,
    CommandResultRow,
    IncidentRow,
    LevelHistoryRow,
    NotificationRow,
    TimelineRow,
)
from infra.wire import EventType


def utc(text: str) -> datetime:
    """An ISO-8601 time as an aware UTC datetime (SQLite keeps no offset, so every stored time is UTC)."""
    return datetime.fromisoformat(text).astimezone(UTC)


def incident_values(snapshot: dict[str, Any], *, updated_at: datetime) -> dict[str, Any]:
    """Columns of the incidents row from an event's incident snapshot."""
    return {
        "id": snapshot["id"],
        "incident_type": snapshot["incident_type"],
        "mode": snapshot["mode"],
        "exercise_id": snapshot.get("exercise_id"),
        "status": snapshot["status"],
        "level": snapshot["level"],
        "rule_id": snapshot.get("rule_id"),
        "explanation": snapshot.get("explanation") or "",
        "playbook_id": snapshot["playbook_id"],
        "playbook_version": snapshot["playbook_version"],
        "location": snapshot.get("location") or {},
        "venue_type": snapshot.get("venue_type"),
        "town": (snapshot.get("location") or {}).get("town"),
        "facts": snapshot.get("facts") or {},
        "report_count": snapshot.get("report_count", 0),
        "opened_at": utc(snapshot["opened_at"]),
        "first_report_at": utc(snapshot["first_report_at"]),
        "updated_at": updated_at,
        "seq": snapshot["seq"],
    }


async def apply_event(db: Database, message: dict[str, Any]) -> None:
    """Project one event (see `apply_events`)."""
    await apply_events(db, [message])


async def apply_events(db: Database, messages: list[dict[str, Any]]) -> None:
    """Project events in one transaction: upsert each incident (only forward in seq), insert each timeline
    row once per event id, and apply the event's own effects (level history, actions, notifications...)."""
    async with db.transaction() as session:
        for message in messages:
            for statement in _statements(db, message):
                await session.execute(statement)


def _statements(db: Database, message: dict[str, Any]) -> list[Any]:
    payload = message["payload"]
    at = utc(message["time"])
    seq = int(payload["seq"])
    values = incident_values(payload["incident"], updated_at=at)
    values["seq"] = seq
    upsert = db.insert(IncidentRow).values(**values)
    upsert = upsert.on_conflict_do_update(
        index_elements=[IncidentRow.id],
        set_={k: upsert.excluded[k] for k in values if k != "id"},
        where=IncidentRow.seq < upsert.excluded.seq,
    )
    timeline = (
        db.insert(TimelineRow)
        .values(
            event_id=message["id"],
            incident_id=message["incident_id"],
            seq=seq,
            type=message["type"],
            at=at,
            mode=message["mode"],
            causation=message.get("causation"),
            data=payload.get("event") or {},
        )
        .on_conflict_do_nothing(index_elements=[TimelineRow.event_id])
    )
    return [upsert, timeline, *_effects(db, message, seq=seq, at=at)]


def _effects(db: Database, message: dict[str, Any], *, seq: int, at: datetime) -> list[Any]:
    """The statements an event adds besides the incident row and the timeline row."""
    data = message["payload"].get("event") or {}
    kind = message["type"]
    statements: list[Any] = []
    if kind == EventType.LEVEL_CHANGED:
        statements.append(
            db.insert(LevelHistoryRow)
            .values(
                event_id=message["id"],
                incident_id=message["incident_id"],
                seq=seq,
                from_level=data["from"],
                to_level=data["to"],
                rule_id=data.get("rule_id"),
                explanation=data.get("explanation") or "",
                decided_by=data.get("decided_by"),
                at=at,
            )
            .on_conflict_do_nothing(index_elements=[LevelHistoryRow.event_id])
        )
    elif kind == EventType.ACTIONS_PLANNED:
        statements.extend(_upsert_action(db, message, item, seq) for item in data.get("items", []))
    elif kind == EventType.ACTION_UPDATED:
        statements.append(_upsert_action(db, message, data["item"], seq))
    elif kind in (EventType.NOTIFICATION_SENT, EventType.NOTIFICATION_FAILED):
        statements.append(_upsert_notification(db, message, data, at))
    causation = message.get("causation")
    if causation:
        rejected = kind == EventType.COMMAND_REJECTED
        statements.append(
            db.insert(CommandResultRow)
            .values(
                command_id=str(data.get("command_id") or causation)[:64],
                incident_id=message["incident_id"],
                status="rejected" if rejected else "applied",
                reason=data.get("reason", "") if rejected else "",
                at=at,
            )
            .on_conflict_do_nothing(index_elements=[CommandResultRow.command_id])
        )
    return statements


def _upsert_action(db: Database, message: dict[str, Any], item: dict[str, Any], seq: int) -> Any:
    """Insert or update one action row, never going back to an older picture of it."""

    def when(key: str) -> datetime | None:
        return utc(item[key]) if item.get(key) else None

    values = {
        "incident_id": message["incident_id"],
        "key": item["key"],
        "kind": item["kind"],
        "title": item["title"],
        "owner": item["owner"],
        "recipients": item.get("recipients") or [],
        "level": item["level"],
        "group": item.get("group"),
        "status": item["status"],
        "due_at": when("due_at"),
        "deadline": item["deadline"],
        "escalation": item.get("escalation") or [],
        "escalation_step": item.get("escalation_step", 0),
        "planned_at": when("planned_at"),
        "acknowledged_at": when("acknowledged_at"),
        "acknowledged_by": item.get("acknowledged_by"),
        "completed_at": when("completed_at"),
        "completed_by": item.get("completed_by"),
        "mode": message["mode"],
        "updated_seq": seq,
    }
    statement = db.insert(ActionRow).values(**values)
    return statement.on_conflict_do_update(
        index_elements=[ActionRow.incident_id, ActionRow.key],
        set_={k: statement.excluded[k] for k in values if k not in ("incident_id", "key")},
        where=ActionRow.updated_seq < statement.excluded.updated_seq,
    )


def _upsert_notification(db: Database, message: dict[str, Any], data: dict[str, Any], at: datetime) -> Any:
    """Record a delivery outcome under its idempotency key (the last outcome wins)."""
    values = {
        "idempotency_key": data["idempotency_key"],
        "incident_id": message["incident_id"],
        "action_key": data.get("action_key", ""),
        "recipient_id": data.get("recipient_id", ""),
        "recipient_name": data.get("recipient_name", ""),
        "channel": data.get("channel", ""),
        "status": data.get("status", ""),
        "attempts": data.get("attempts") or [],
        "subject": data.get("subject", ""),
        "mode": message["mode"],
        "exercise_id": message.get("exercise_id"),
        "at": at,
    }
    statement = db.insert(NotificationRow).values(**values)
    return statement.on_conflict_do_update(
        index_elements=[NotificationRow.idempotency_key],
        set_={k: statement.excluded[k] for k in values if k != "idempotency_key"},
    )
