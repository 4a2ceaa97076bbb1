"""Read-side queries of the attention view: what needs a person now, across every open incident they may see.

Overdue steps, unacknowledged alerts, failed deliveries, incidents opened or raised recently, and the drafts of
standalone warnings waiting for approval. Each query takes the caller's `Visibility` (infra/db/queries.py), so
a drill user sees only their exercise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, or_, select
from sqlalchemy.sql import Select

from infra.db.engine import Database
from infra.db.models import ActionRow, IncidentRow, LevelHistoryRow, NotificationRow
from infra.db.queries import Visibility
from infra.db.warnings import WarningView, warnings

__all__ = ["OPEN_STATUSES", "failed_deliveries", "open_steps", "raised_since", "warning_drafts"]

OPEN_STATUSES = ("monitoring", "active", "termination_proposed")
"""Incident statuses that still ask for attention (a closed incident asks for none)."""


async def open_steps(
    db: Database, visibility: Visibility, *, owner: str | None = None
) -> Sequence[tuple[ActionRow, IncidentRow]]:
    """Steps not done yet (pending or acknowledged tasks, pending alerts) of open incidents, by due time."""
    not_done = or_(
        and_(ActionRow.kind == "notify", ActionRow.status == "pending"),
        and_(ActionRow.kind != "notify", ActionRow.status.in_(("pending", "acknowledged"))),
    )
    steps = cast(
        "Select[Any]",
        select(ActionRow, IncidentRow)
        .join(IncidentRow, IncidentRow.id == ActionRow.incident_id)
        .where(IncidentRow.status.in_(OPEN_STATUSES), not_done)
        .order_by(ActionRow.due_at, ActionRow.incident_id, ActionRow.key),
    )
    query = visibility.apply(steps)
    if owner is not None:
        query = query.where(ActionRow.owner == owner)
    async with db.session() as session:
        return [(action, incident) for action, incident in (await session.execute(query)).all()]


async def failed_deliveries(
    db: Database, visibility: Visibility, *, limit: int = 200
) -> Sequence[tuple[NotificationRow, IncidentRow]]:
    """Deliveries recorded as failed for open incidents, newest first."""
    failed = cast(
        "Select[Any]",
        select(NotificationRow, IncidentRow)
        .join(IncidentRow, IncidentRow.id == NotificationRow.incident_id)
        .where(IncidentRow.status.in_(OPEN_STATUSES), NotificationRow.status == "failed")
        .order_by(NotificationRow.at.desc(), NotificationRow.idempotency_key)
        .limit(limit),
    )
    query = visibility.apply(failed)
    async with db.session() as session:
        return [(note, incident) for note, incident in (await session.execute(query)).all()]


async def raised_since(
    db: Database, visibility: Visibility, since: datetime
) -> tuple[Sequence[IncidentRow], Sequence[tuple[LevelHistoryRow, IncidentRow]]]:
    """Open incidents opened at or after `since`, and level changes at or after `since` (newest first)."""
    opened = visibility.apply(
        select(IncidentRow)
        .where(IncidentRow.status.in_(OPEN_STATUSES), IncidentRow.opened_at >= since)
        .order_by(IncidentRow.opened_at.desc())
    )
    history_query = cast(
        "Select[Any]",
        select(LevelHistoryRow, IncidentRow)
        .join(IncidentRow, IncidentRow.id == LevelHistoryRow.incident_id)
        .where(IncidentRow.status.in_(OPEN_STATUSES), LevelHistoryRow.at >= since)
        .order_by(LevelHistoryRow.at.desc()),
    )
    changes = visibility.apply(history_query)
    async with db.session() as session:
        incidents = (await session.scalars(opened)).all()
        history = [(change, incident) for change, incident in (await session.execute(changes)).all()]
    return incidents, history


async def warning_drafts(db: Database, visibility: Visibility) -> list[tuple[WarningView, dict[str, Any]]]:
    """Drafts of standalone warnings (ADR 0027) waiting for approval, with their warning, oldest draft first."""
    found = [(view, b) for view in await warnings(db, visibility) for b in view.bulletins if b.get("state") == "draft"]
    return sorted(found, key=lambda pair: str(pair[1].get("created_at") or pair[0].issued_at))
