"""Durable stores of the delivery layer: the delivery log and the exercise registry, in the SQL database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from infra.batching import GroupCommit
from infra.channels import DeliveryResult, DeliveryStatus, ExerciseRegistry
from infra.db.engine import Database
from infra.db.models import DeliveryLogRow, ExerciseParticipantRow

SENDING = "sending"


class SqlDeliveryStore:
    """Deliveries made, by key; a key seen once is never delivered again (also after a restart).

    Concurrent calls are grouped (infra/batching.py): a burst of pages costs one read and two write
    transactions instead of three round trips per page, and every call still returns only once its own row
    is durably written, so ADR 0016's guarantee holds.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._reads: GroupCommit[str, tuple[str, dict[str, Any]] | None] = GroupCommit(self._read_many)
        self._writes: GroupCommit[tuple[str, str, dict[str, Any]], None] = GroupCommit(self._write_many)

    async def seen(self, key: str) -> bool:
        """True if a delivery with this key succeeded, or started and never finished (in doubt after a crash)."""
        return await self.status(key) not in (None, DeliveryStatus.FAILED.value)

    async def status(self, key: str) -> str | None:
        """The logged status of `key`: delivered, failed, diverted_to_exercise_sink, sending, or None."""
        logged = await self.logged(key)
        return logged[0] if logged is not None else None

    async def logged(self, key: str) -> tuple[str, dict[str, Any]] | None:
        """The logged status and result of `key`, or None."""
        return await self._reads.submit(key)

    async def begin(self, key: str) -> None:
        """Log that a send under `key` starts; a crash before `record` leaves it 'sending' (in doubt)."""
        await self._writes.submit((key, SENDING, {}))

    async def record(self, key: str, result: DeliveryResult) -> None:
        """Remember the outcome of a delivery."""
        await self._writes.submit((key, result.status.value, _jsonable(asdict(result))))

    async def _read_many(self, keys: Sequence[str]) -> list[tuple[str, dict[str, Any]] | None]:
        """One SELECT for a batch of keys."""
        query = select(DeliveryLogRow.key, DeliveryLogRow.status, DeliveryLogRow.result).where(
            DeliveryLogRow.key.in_(set(keys))
        )
        async with self.db.session() as session:
            found = {row.key: (row.status, dict(row.result or {})) for row in (await session.execute(query)).all()}
        return [found.get(key) for key in keys]

    async def _write_many(self, rows: Sequence[tuple[str, str, dict[str, Any]]]) -> list[None]:
        """One upsert transaction for a batch of (key, status, result); the last write of a key wins."""
        now = datetime.now(UTC)
        newest = {key: {"key": key, "status": status, "result": result, "at": now} for key, status, result in rows}
        statement = self.db.insert(DeliveryLogRow).values(list(newest.values()))
        statement = statement.on_conflict_do_update(
            index_elements=[DeliveryLogRow.key],
            set_={
                "status": statement.excluded.status,
                "result": statement.excluded.result,
                "at": statement.excluded.at,
            },
        )
        async with self.db.transaction() as session:
            await session.execute(statement)
        return [None] * len(rows)


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
