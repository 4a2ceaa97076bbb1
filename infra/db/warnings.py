"""Reads of standalone warnings (docs/adr/0027), folded from their timeline rows like public information.

A warning's `WarningIssued` event says what it is (hazard, area, basis, mode); its `PublicInfo*` events carry
each bulletin as it stands. No table of its own: the timeline is the projection of the log, and a warning has a
handful of events. Status and current level are derived by the domain's own rules (playbooks/warnings.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from infra.db.engine import Database
from infra.db.models import TimelineRow
from infra.db.public_info import BULLETIN_EVENTS
from infra.db.queries import Visibility
from infra.wire import EventType
from playbooks.public_info import Bulletin
from playbooks.warnings import WARNING_PREFIX, current_publication, warning_status

__all__ = ["WarningView", "warning", "warnings"]

_EVENTS = [str(t) for t in (EventType.WARNING_ISSUED, *BULLETIN_EVENTS)]


@dataclass(frozen=True)
class WarningView:
    """A standalone warning as it stands: what was issued, its bulletins (oldest first), status and level."""

    issued: dict[str, Any]
    issued_at: str
    bulletins: list[dict[str, Any]]

    @property
    def id(self) -> str:
        """The warning's id (`WRN-...`)."""
        return str(self.issued["warning_id"])

    def summary(self) -> dict[str, Any]:
        """The warning's JSON for the API: what was issued, `status`, `level`, `current` and `bulletins`."""
        held = {b["id"]: Bulletin.from_dict(b) for b in self.bulletins}
        current = current_publication(held)
        return {
            **self.issued,
            "id": self.id,
            "issued_at": self.issued_at,
            "issued_by": self.issued.get("by"),
            "status": warning_status(held).value,
            "level": current.warning_level.value if current and current.warning_level else None,
            "current": current.id if current else None,
            "bulletins": self.bulletins,
        }


def _visible(issued: dict[str, Any], visibility: Visibility) -> bool:
    if visibility.unit is not None:
        return False
    if visibility.exercise_id is not None:
        return issued.get("mode") == "exercise" and issued.get("exercise_id") == visibility.exercise_id
    return visibility.all_modes or issued.get("mode", "actual") == "actual"


def _fold(rows: Sequence[TimelineRow], visibility: Visibility) -> list[WarningView]:
    """Each warning's issue and newest bulletin pictures, in the order they were issued."""
    issued: dict[str, tuple[dict[str, Any], str]] = {}
    bulletins: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        data = row.data or {}
        if row.type == EventType.WARNING_ISSUED:
            issued.setdefault(row.incident_id, (dict(data), row.at.isoformat()))
        elif isinstance(data.get("bulletin"), dict):
            bulletins.setdefault(row.incident_id, {})[data["bulletin"]["id"]] = data["bulletin"]
    views = [
        WarningView(data, at, list(bulletins.get(warning_id, {}).values()))
        for warning_id, (data, at) in issued.items()
        if _visible(data, visibility)
    ]
    return sorted(views, key=lambda v: v.issued_at)


def _query(*, warning_id: str | None = None) -> Select[TimelineRow]:
    where = TimelineRow.incident_id == warning_id if warning_id else TimelineRow.incident_id.startswith(WARNING_PREFIX)
    return (
        select(TimelineRow)
        .where(where, TimelineRow.type.in_(_EVENTS))
        .order_by(TimelineRow.incident_id, TimelineRow.seq)
    )


async def warnings(db: Database, visibility: Visibility) -> list[WarningView]:
    """Every standalone warning the caller may see, active and past, oldest first."""
    async with db.session() as session:
        return _fold((await session.scalars(_query())).all(), visibility)


async def warning(db: Database, warning_id: str, visibility: Visibility) -> WarningView | None:
    """One standalone warning, or None when there is none the caller may see."""
    async with db.session() as session:
        found = _fold((await session.scalars(_query(warning_id=warning_id))).all(), visibility)
    return found[0] if found else None
