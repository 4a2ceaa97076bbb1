"""The projector's writes: each incident event becomes idempotent upserts of the read model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from infra.db.engine import Database
from infra.db.models import Base, IncidentRow, LevelHistoryRow, TimelineRow


def _insert(db: Database, table: type[Base]) -> Any:
    """The dialect's INSERT that supports ON CONFLICT."""
    dialect = sqlite if db.is_sqlite else postgresql
    return dialect.insert(table)


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
        "opened_at": datetime.fromisoformat(snapshot["opened_at"]),
        "first_report_at": datetime.fromisoformat(snapshot["first_report_at"]),
        "updated_at": updated_at,
        "seq": snapshot["seq"],
    }


async def apply_event(db: Database, message: dict[str, Any]) -> None:
    """Upsert the incident (only forward in seq), and insert the timeline row once per event id."""
    payload = message["payload"]
    at = datetime.fromisoformat(message["time"])
    seq = int(payload["seq"])
    values = incident_values(payload["incident"], updated_at=at)
    values["seq"] = seq
    upsert = _insert(db, IncidentRow).values(**values)
    upsert = upsert.on_conflict_do_update(
        index_elements=[IncidentRow.id],
        set_={k: upsert.excluded[k] for k in values if k != "id"},
        where=IncidentRow.seq < upsert.excluded.seq,
    )
    timeline = _insert(db, TimelineRow).values(
        event_id=message["id"], incident_id=message["incident_id"], seq=seq, type=message["type"], at=at,
        mode=message["mode"], causation=message.get("causation"), data=payload.get("event") or {},
    ).on_conflict_do_nothing(index_elements=[TimelineRow.event_id])
    async with db.session() as session, session.begin():
        await session.execute(upsert)
        await session.execute(timeline)
        if message["type"] == "LevelChanged":
            change = payload["event"]
            await session.execute(_insert(db, LevelHistoryRow).values(
                event_id=message["id"], incident_id=message["incident_id"], seq=seq,
                from_level=change["from"], to_level=change["to"], rule_id=change.get("rule_id"),
                explanation=change.get("explanation") or "", decided_by=change.get("decided_by"), at=at,
            ).on_conflict_do_nothing(index_elements=[LevelHistoryRow.event_id]))
