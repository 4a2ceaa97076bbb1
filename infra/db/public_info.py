"""Reads of public information and expert assessments, folded from the incident's timeline.

Every `PublicInfo*` event carries the whole bulletin afterwards, so the newest such event per bulletin id is the
bulletin as it stands; `AssessmentRecorded` events are the assessments. No table of their own: the timeline is
already the projection of the log (DESIGN.md invariant 1), and an incident has a handful of these events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from infra.db.engine import Database
from infra.db.models import IncidentRow, TimelineRow
from infra.db.queries import Visibility
from infra.wire import EventType

__all__ = ["BULLETIN_EVENTS", "IncidentBulletin", "assessments", "bulletins", "open_drafts"]

BULLETIN_EVENTS = (
    EventType.PUBLIC_INFO_DRAFTED,
    EventType.PUBLIC_INFO_EDITED,
    EventType.PUBLIC_INFO_APPROVED,
    EventType.PUBLIC_INFO_PUBLISHED,
    EventType.PUBLIC_INFO_WITHDRAWN,
)
"""The events that carry a bulletin."""


@dataclass(frozen=True)
class IncidentBulletin:
    """A bulletin as it stands (its JSON, playbooks.public_info.Bulletin.to_dict) and the incident it belongs to."""

    incident_id: str
    mode: str
    bulletin: dict[str, Any]


def _fold(rows: Sequence[TimelineRow]) -> list[IncidentBulletin]:
    """The newest picture of each bulletin, oldest bulletin first (rows in seq order)."""
    newest: dict[tuple[str, str], IncidentBulletin] = {}
    for row in rows:
        bulletin = (row.data or {}).get("bulletin")
        if isinstance(bulletin, dict) and "id" in bulletin:
            newest[(row.incident_id, bulletin["id"])] = IncidentBulletin(row.incident_id, row.mode, bulletin)
    return list(newest.values())


async def bulletins(db: Database, incident_id: str) -> list[IncidentBulletin]:
    """An incident's drafts and publications, each as it stands now, in the order they were drafted."""
    query = (
        select(TimelineRow)
        .where(TimelineRow.incident_id == incident_id, TimelineRow.type.in_([str(t) for t in BULLETIN_EVENTS]))
        .order_by(TimelineRow.seq)
    )
    async with db.session() as session:
        return _fold((await session.scalars(query)).all())


async def open_drafts(db: Database, visibility: Visibility, *, limit: int = 200) -> list[IncidentBulletin]:
    """Drafts waiting for approval across the incidents the caller may see, oldest first."""
    visible = visibility.apply(select(IncidentRow.id)).scalar_subquery()
    query = (
        select(TimelineRow)
        .where(TimelineRow.type.in_([str(t) for t in BULLETIN_EVENTS]), TimelineRow.incident_id.in_(visible))
        .order_by(TimelineRow.incident_id, TimelineRow.seq)
    )
    async with db.session() as session:
        folded = _fold((await session.scalars(query)).all())
    drafts = [b for b in folded if b.bulletin.get("state") == "draft"]
    return sorted(drafts, key=lambda b: str(b.bulletin.get("created_at")))[:limit]


async def assessments(db: Database, incident_id: str) -> list[dict[str, Any]]:
    """An incident's recorded expert assessments, oldest first."""
    query = (
        select(TimelineRow.data)
        .where(TimelineRow.incident_id == incident_id, TimelineRow.type == str(EventType.ASSESSMENT_RECORDED))
        .order_by(TimelineRow.seq)
    )
    async with db.session() as session:
        return [dict(data) for data in (await session.scalars(query)).all()]
