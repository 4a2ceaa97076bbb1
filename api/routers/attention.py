"""What needs attention now, most urgent first: the console's landing page (docs/console.md, "Attention").

One read across every open incident the caller may see: overdue steps, unacknowledged alerts, failed
deliveries, incidents opened or raised in the last hour. Public-information drafts waiting for approval
(issue 13) are one more kind: `KINDS` lists every kind, so a new source only adds its rows. The drafts of
standalone warnings (ADR 0027) are `draft` items too: `incident_id` then holds the warning's id (`WRN-…`, as in
its bulletins and on the CAP feed) and `warning_id` says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.access import unit_scoped, visibility
from api.auth import READ_ROLES, CurrentUser, requires
from api.deps import ClockDep, ServicesDep
from api.errors import AUTH
from api.routers.decisions import rule_titles
from api.routers.public_info import APPROVERS
from api.schemas import Instant, as_utc
from infra.db import attention, public_info, queries
from infra.db.models import IncidentRow
from playbooks import PlaybookLibrary
from playbooks.levels import Level

router = APIRouter(tags=["attention"], responses=AUTH)

Kind = Literal["overdue", "alert", "draft", "failed_delivery", "raised", "opened"]
KINDS: tuple[Kind, ...] = ("overdue", "alert", "draft", "failed_delivery", "raised", "opened")
"""Every kind of item, most urgent first (the order of the list)."""
NOTIFICATION_READERS = ("duty_officer", "commander", "drill_controller", "observer")
"""Who reads deliveries (the same roles as GET /incidents/{id}/notifications)."""


class AttentionItem(BaseModel):
    """One thing that needs a person: what, on which incident, since when, and its details."""

    kind: Kind
    incident_id: str
    level: str = Field(examples=["II"], description="the incident's response level (empty for a standalone warning)")
    mode: str
    exercise_id: str | None = None
    place: str = Field("", description="the incident's venue or town")
    at: Instant = Field(description="due time (steps), delivery time, opening or level change time")
    key: str | None = Field(None, description="the step's key (steps, deliveries)")
    title: str = ""
    owner: str | None = Field(None, description="the owning unit's id")
    owner_name: str | None = Field(None, description="the owning unit's name in the playbook")
    overdue: bool = False
    recipient: str | None = None
    channel: str | None = None
    reason: str | None = None
    from_level: str | None = None
    to_level: str | None = None
    by: str | None = Field(None, description="who decided a level change (null: a rule)")
    draft_kind: str | None = Field(None, description="a draft's kind: information, refutation or warning")
    rule_title: str | None = Field(None, description="the title of the grading rule that raised the level")
    warning_id: str | None = Field(
        None, description="a standalone warning's draft: the warning (WRN-…, also in incident_id); level is empty"
    )
    warning_level: str | None = Field(None, description="a warning draft's colour: blue, yellow, orange or red")
    hazard: str | None = Field(None, description="a warning draft's hazard")


class Attention(BaseModel):
    """Counts of each kind and the items, most urgent first."""

    now: Instant
    window_minutes: int
    counts: dict[str, int] = Field(examples=[{"overdue": 2, "alert": 1, "draft": 0, "failed_delivery": 1}])
    items: list[AttentionItem]


def _place(row: IncidentRow) -> str:
    location = row.location or {}
    return str(location.get("venue") or row.town or location.get("address") or "")


def _base(row: IncidentRow) -> dict[str, Any]:
    return {
        "incident_id": row.id,
        "level": row.level,
        "mode": row.mode,
        "exercise_id": row.exercise_id,
        "place": _place(row),
    }


def _unit_name(library: PlaybookLibrary, row: IncidentRow, unit: str) -> str | None:
    for playbook in library.all():
        if playbook.id == row.playbook_id:
            return playbook.units.get(unit) or playbook.roles.get(unit)
    return None


def _rule_title(library: PlaybookLibrary, row: IncidentRow, rule_id: str | None) -> str | None:
    if rule_id is None:
        return None
    for playbook in library.all():
        if playbook.id == row.playbook_id:
            return rule_titles(playbook).get(rule_id)
    return None


def _severity(level: str) -> int:
    try:
        return Level.parse(level).rank
    except ValueError:
        return 0


def _order(item: AttentionItem) -> tuple[int, int, float]:
    """Kind first, then the more severe level, then the oldest due time (steps) or the newest event (others)."""
    stamp = item.at.timestamp()
    return KINDS.index(item.kind), -_severity(item.level), stamp if item.kind in ("overdue", "alert") else -stamp


@router.get("/attention", response_model=Attention, **requires(*READ_ROLES))
async def get_attention(
    identity: CurrentUser,
    svc: ServicesDep,
    clock: ClockDep,
    window_minutes: Annotated[int, Query(ge=5, le=1440, description="how far back 'recent' reaches")] = 60,
) -> Attention:
    """What needs attention now across every open incident the caller may see, most urgent first."""
    now, seen = clock.now(), visibility(identity)
    owner = identity.unit if unit_scoped(identity) else None
    items: list[AttentionItem] = []
    for action, row in await attention.open_steps(svc.db, seen, owner=owner):
        overdue = as_utc(action.due_at) < now
        if action.kind != "notify" and not overdue:
            continue
        items.append(
            AttentionItem(
                kind="alert" if action.kind == "notify" else "overdue",
                **_base(row),
                at=action.due_at,
                key=action.key,
                title=action.title,
                owner=action.owner,
                owner_name=_unit_name(svc.playbooks, row, action.owner),
                overdue=overdue,
            )
        )
    if identity.has(*NOTIFICATION_READERS):
        for note, row in await attention.failed_deliveries(svc.db, seen):
            items.append(
                AttentionItem(
                    kind="failed_delivery",
                    **_base(row),
                    at=note.at,
                    key=note.action_key,
                    title=note.subject,
                    recipient=note.recipient_name or note.recipient_id,
                    channel=note.channel,
                    reason=note.reason or _last_error(note.attempts),
                )
            )
    items.extend(await _drafts(svc, identity))
    items.extend(await _recent(svc, identity, now - timedelta(minutes=window_minutes)))
    items.sort(key=_order)
    counts = {kind: sum(1 for i in items if i.kind == kind) for kind in KINDS}
    counts["overdue"] = sum(1 for i in items if i.overdue)
    return Attention(now=now, window_minutes=window_minutes, counts=counts, items=items)


async def _recent(svc: ServicesDep, identity: CurrentUser, since: datetime) -> list[AttentionItem]:
    """Incidents opened since `since`, and raises since then (the newest raise per incident)."""
    opened, changes = await attention.raised_since(svc.db, visibility(identity), since)
    items: list[AttentionItem] = []
    raised: set[str] = set()
    for change, row in changes:
        if change.incident_id in raised or _severity(change.to_level) <= _severity(change.from_level):
            continue
        raised.add(change.incident_id)
        items.append(
            AttentionItem(
                kind="raised",
                **_base(row),
                at=change.at,
                title=change.explanation,
                from_level=change.from_level,
                to_level=change.to_level,
                by=change.decided_by,
                rule_title=_rule_title(svc.playbooks, row, change.rule_id),
            )
        )
    for row in opened:
        if row.id not in raised:
            items.append(AttentionItem(kind="opened", **_base(row), at=row.opened_at, title=row.explanation))
    return items


async def _drafts(svc: ServicesDep, identity: CurrentUser) -> list[AttentionItem]:
    """Drafts waiting for approval (issue 13), incidents' and standalone warnings', for those who may approve them."""
    if not identity.has(*APPROVERS):
        return []
    seen = visibility(identity)
    items = []
    for draft in await public_info.open_drafts(svc.db, seen):
        row = await queries.get_incident(svc.db, draft.incident_id, seen)
        if row is None or row.status == "closed":
            continue
        data = draft.bulletin
        items.append(
            AttentionItem(
                kind="draft",
                **_base(row),
                at=data.get("created_at") or row.updated_at,
                key=str(data.get("id")),
                title=str(data.get("headline") or ""),
                by=data.get("created_by"),
                draft_kind=data.get("kind"),
            )
        )
    for view, data in await attention.warning_drafts(svc.db, seen):
        issued = view.issued
        items.append(
            AttentionItem(
                kind="draft",
                incident_id=view.id,
                warning_id=view.id,
                level="",
                mode=str(issued.get("mode") or "actual"),
                exercise_id=issued.get("exercise_id"),
                place="、".join(str(a) for a in data.get("areas") or issued.get("areas") or []),
                at=data.get("created_at") or view.issued_at,
                key=str(data.get("id")),
                title=str(data.get("headline") or ""),
                by=data.get("created_by"),
                draft_kind=data.get("kind"),
                warning_level=data.get("warning_level"),
                hazard=str(data.get("hazard") or issued.get("hazard") or ""),
            )
        )
    return items


def _last_error(attempts: list[Any]) -> str | None:
    """The error of the last delivery attempt, when the delivery carries no reason of its own."""
    for attempt in reversed(attempts or []):
        if isinstance(attempt, dict):
            found = attempt.get("error") or attempt.get("detail") or attempt.get("reason")
            if found:
                return str(found)
    return None
