"""Durable stores of the delivery layer: the delivery log and the exercise registry, in the SQL database."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from infra.channels import DeliveryResult, DeliveryStatus, ExerciseRegistry
from infra.db.engine import Database
from infra.db.models import DeliveryLogRow, ExerciseParticipantRow

SENDING = "sending"


class SqlDeliveryStore:
    """Deliveries made, by key; a key seen once is never delivered again (also after a restart)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def seen(self, key: str) -> bool:
        """True if a delivery with this key succeeded, or started and never finished (in doubt after a crash)."""
        return await self.status(key) not in (None, DeliveryStatus.FAILED.value)

    async def status(self, key: str) -> str | None:
        """The logged status of `key`: delivered, failed, diverted_to_exercise_sink, sending, or None."""
        logged = await self.logged(key)
        return logged[0] if logged is not None else None

    async def logged(self, key: str) -> tuple[str, dict[str, Any]] | None:
        """The logged status and result of `key`, or None."""
        async with self.db.session() as session:
            row = await session.get(DeliveryLogRow, key)
            return (row.status, dict(row.result or {})) if row is not None else None

    async def begin(self, key: str) -> None:
        """Log that a send under `key` starts; a crash before `record` leaves it 'sending' (in doubt)."""
        statement = self.db.insert(DeliveryLogRow).values(key=key, status=SENDING, result={}, at=datetime.now(UTC))
        statement = statement.on_conflict_do_update(index_elements=[DeliveryLogRow.key], set_={"status": SENDING})
        async with self.db.transaction() as session:
            await session.execute(statement)

    async def record(self, key: str, result: DeliveryResult) -> None:
        """Remember the outcome of a delivery."""
        values: dict[str, Any] = {
            "key": key,
            "status": result.status.value,
            "result": _jsonable(asdict(result)),
            "at": datetime.now(UTC),
        }
        statement = self.db.insert(DeliveryLogRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[DeliveryLogRow.key],
            set_={"status": values["status"], "result": values["result"]},
        )
        async with self.db.transaction() as session:
            await session.execute(statement)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


async def exercise_registry(db: Database, exercise_id: str | None) -> ExerciseRegistry:
    """The registry of one exercise's participants, read from the database (empty for actual messages)."""
    registry = ExerciseRegistry()
    if exercise_id is None:
        return registry
    query = select(ExerciseParticipantRow.person_id).where(ExerciseParticipantRow.exercise_id == exercise_id)
    async with db.session() as session:
        participants = list((await session.scalars(query)).all())
    registry.register(exercise_id, participants)
    return registry


async def register_participants(db: Database, exercise_id: str, person_ids: list[str]) -> None:
    """Record a drill's participants (idempotent)."""
    async with db.transaction() as session:
        for person_id in person_ids:
            await session.execute(
                db.insert(ExerciseParticipantRow)
                .values(
                    exercise_id=exercise_id,
                    person_id=person_id,
                )
                .on_conflict_do_nothing()
            )
