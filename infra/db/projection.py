"""The projector's writes: a batch of incident events becomes a few bulk, idempotent upserts of the read model.

A batch is folded in memory into the rows one pass over its events, in order, would leave, table by table:

- `incidents`: the snapshot of the newest event (highest seq; the first of equal ones) per incident;
- `timeline`, `level_history`: one row per event id, the first seen;
- `actions`: the newest picture (highest seq; the first of equal ones) per (incident, key);
- `notifications`: the last outcome per idempotency key;
- `command_results`: the first outcome per command id.

Each table then gets one executemany of an INSERT ... ON CONFLICT whose conditions are those of the one-by-one
upserts (an incident or an action only moves forward in seq, an event id or a command id is written once, a
delivery outcome replaces the earlier one). So a batch costs a handful of round trips, not several per event,
and replaying any event twice, or a batch that overlaps an earlier one, leaves the same tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from infra.db.engine import Database
from infra.db.models import (
    ActionRow,
    Base,
    CommandResultRow,
    IncidentRow,
    LevelHistoryRow,
    NotificationRow,
    TimelineRow,
)
from infra.wire import EventType

Row = dict[str, Any]


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


async def apply_events(db: Database, messages: Sequence[dict[str, Any]]) -> None:
    """Project a batch of events in one transaction, as if each were applied in order (see the module docstring).

    A malformed event (a missing field) raises before anything is written.
    """
    batch = ProjectedRows()
    for message in messages:
        batch.add(message)
    if batch.empty:
        return
    async with db.transaction() as session:
        connection = await session.connection()
        for statement, rows in batch.writes(db):
            await connection.execute(statement, rows)


@dataclass
class ProjectedRows:
    """The rows a batch of events leaves in each projected table, folded in memory before any write."""

    incidents: dict[str, Row] = field(default_factory=dict)
    timeline: dict[str, Row] = field(default_factory=dict)
    levels: dict[str, Row] = field(default_factory=dict)
    actions: dict[tuple[str, str], Row] = field(default_factory=dict)
    notifications: dict[str, Row] = field(default_factory=dict)
    results: dict[str, Row] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True when the batch writes nothing."""
        return not self.timeline

    def add(self, message: dict[str, Any]) -> None:
        """Fold one event (an envelope as a dict) into the batch."""
        payload = message["payload"]
        at = utc(message["time"])
        seq = int(payload["seq"])
        event_id = message["id"]
        incident_id = message["incident_id"]
        values = incident_values(payload["incident"], updated_at=at)
        values["seq"] = seq
        _keep_newest(self.incidents, values["id"], values, "seq")
        data = payload.get("event") or {}
        kind = message["type"]
        self.timeline.setdefault(
            event_id,
            {
                "event_id": event_id,
                "incident_id": incident_id,
                "seq": seq,
                "type": kind,
                "at": at,
                "mode": message["mode"],
                "causation": message.get("causation"),
                "data": data,
            },
        )
        if kind == EventType.LEVEL_CHANGED:
            self.levels.setdefault(
                event_id,
                {
                    "event_id": event_id,
                    "incident_id": incident_id,
                    "seq": seq,
                    "from_level": data["from"],
                    "to_level": data["to"],
                    "rule_id": data.get("rule_id"),
                    "explanation": data.get("explanation") or "",
                    "decided_by": data.get("decided_by"),
                    "at": at,
                },
            )
        elif kind == EventType.ACTIONS_PLANNED:
            for item in data.get("items", []):
                self._action(message, item, seq)
        elif kind == EventType.ACTION_UPDATED:
            self._action(message, data["item"], seq)
        elif kind in (EventType.NOTIFICATION_SENT, EventType.NOTIFICATION_FAILED):
            self._notification(message, data, at)
        causation = message.get("causation")
        if causation:
            rejected = kind == EventType.COMMAND_REJECTED
            command_id = str(data.get("command_id") or causation)[:64]
            self.results.setdefault(
                command_id,
                {
                    "command_id": command_id,
                    "incident_id": incident_id,
                    "status": "rejected" if rejected else "applied",
                    "reason": data.get("reason", "") if rejected else "",
                    "at": at,
                },
            )

    def _action(self, message: dict[str, Any], item: dict[str, Any], seq: int) -> None:
        """An action's picture at `seq`; an older one never replaces a newer one."""

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
        _keep_newest(self.actions, (values["incident_id"], values["key"]), values, "updated_seq")

    def _notification(self, message: dict[str, Any], data: dict[str, Any], at: datetime) -> None:
        """A delivery outcome under its idempotency key (the last outcome wins)."""
        key = data["idempotency_key"]
        self.notifications[key] = {
            "idempotency_key": key,
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

    def writes(self, db: Database) -> list[tuple[Any, list[Row]]]:
        """One (statement, rows) executemany per table that has rows, in this dialect."""
        writes: list[tuple[Any, list[Row]]] = []
        if self.incidents:
            writes.append(_upsert_newer(db, IncidentRow, ("id",), "seq", self.incidents))
        for model, key, rows in (
            (TimelineRow, "event_id", self.timeline),
            (LevelHistoryRow, "event_id", self.levels),
            (CommandResultRow, "command_id", self.results),
        ):
            if rows:
                writes.append((db.insert(model).on_conflict_do_nothing(index_elements=[key]), list(rows.values())))
        if self.actions:
            writes.append(_upsert_newer(db, ActionRow, ("incident_id", "key"), "updated_seq", self.actions))
        if self.notifications:
            writes.append(_upsert_newer(db, NotificationRow, ("idempotency_key",), None, self.notifications))
        return writes


def _keep_newest(rows: dict[Any, Row], key: Any, values: Row, seq: str) -> None:
    """Keep `values` under `key` unless the batch already holds a picture at least as new (one-by-one order)."""
    held = rows.get(key)
    if held is None or values[seq] > held[seq]:
        rows[key] = values


def _upsert_newer(
    db: Database, model: type[Base], keys: tuple[str, ...], seq: str | None, rows: dict[Any, Row]
) -> tuple[Any, list[Row]]:
    """INSERT the rows, or UPDATE their other columns; with `seq`, only a row holding an older `seq` is updated."""
    values = list(rows.values())
    statement = db.insert(model)
    return (
        statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: statement.excluded[name] for name in values[0] if name not in keys},
            where=None if seq is None else model.__table__.c[seq] < statement.excluded[seq],
        ),
        values,
    )
