"""Warnings on their own (预警, e.g. from a sampling trend): an aggregate beside the incidents, not inside one.

A district duty office issues a warning level (blue/yellow/orange/red) for an area and a hazard when no incident
exists, or independently of one. It is its own aggregate with its own id (`WRN-...`), applied by the single
writer like an incident (docs/adr/0027). Its public text is a bulletin of kind `warning` (playbooks/public_info.py)
and goes through the same approval path: the first draft is the CAP `Alert`, an adjustment is an `Update` of the
current publication, lifting is its `Cancel` (解除预警). Plain data and functions; the time comes in the context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import TypeVar, cast

from playbooks.commands import (
    ApprovePublicInfo,
    Command,
    DraftPublicInfo,
    EditPublicInfo,
    IssueWarning,
    RecordDelivery,
    WithdrawPublicInfo,
)
from playbooks.context import CommandRefused, Context
from playbooks.events import Event, NotificationFailed, NotificationSent, PublicInfoDrafted, WarningIssued
from playbooks.json_types import JsonObject
from playbooks.levels import Level
from playbooks.public_info import (
    Bulletin,
    BulletinKind,
    BulletinState,
    DraftRequest,
    MsgType,
    PublicInfoError,
    Situation,
    WarningLevel,
    draft,
)
from playbooks.publishing import (
    DRAFTERS,
    approve_public_info,
    draft_bulletin,
    edit_public_info,
    public_info_spec,
    publications,
    require_role,
    withdraw_bulletin,
)

WARNING_PREFIX = "WRN-"
"""Every standalone warning's id starts with this; incident ids (`INC-...`) never do."""


def is_warning_id(aggregate_id: str) -> bool:
    """True when `aggregate_id` names a standalone warning rather than an incident."""
    return aggregate_id.startswith(WARNING_PREFIX)


class WarningStatus(StrEnum):
    """Where a standalone warning stands, derived from its bulletins."""

    DRAFT = "draft"
    """Issued, not yet approved and published: the public sees nothing."""
    ACTIVE = "active"
    """A warning level is on the public feed (maybe with an adjustment or the lifting waiting for approval)."""
    LIFTED = "lifted"
    """Its Cancel (解除预警) is published."""
    DISCARDED = "discarded"
    """Its first draft was withdrawn before anything was published."""


def current_publication(bulletins: Mapping[str, Bulletin]) -> Bulletin | None:
    """The publication on the feed now: a published Alert or Update not yet replaced (None if none)."""
    live = [
        b
        for b in bulletins.values()
        if b.state is BulletinState.PUBLISHED and b.msg_type is not MsgType.CANCEL and b.superseded_by is None
    ]
    return max(live, key=lambda b: b.published_at or b.created_at, default=None)


def warning_status(bulletins: Mapping[str, Bulletin]) -> WarningStatus:
    """A warning's status from its bulletins: active while one is on the feed, lifted once its Cancel is."""
    if current_publication(bulletins) is not None:
        return WarningStatus.ACTIVE
    if any(b.msg_type is MsgType.CANCEL and b.state is BulletinState.PUBLISHED for b in bulletins.values()):
        return WarningStatus.LIFTED
    if bulletins and all(b.state is BulletinState.WITHDRAWN for b in bulletins.values()):
        return WarningStatus.DISCARDED
    return WarningStatus.DRAFT


@dataclass
class HazardWarning:
    """A warning on its own: hazard, area, basis, who issued it, and its bulletins (Alert, Updates, Cancel)."""

    id: str
    incident_type: str
    playbook_version: str
    mode: str
    exercise_id: str | None
    hazard: str
    areas: tuple[str, ...]
    admin_code: str | None
    basis: str
    issued_at: datetime
    issued_by: str
    bulletins: dict[str, Bulletin] = field(default_factory=dict)
    seq: int = 0

    def next_seq(self) -> int:
        """The number of the warning's next event (1, 2, ...)."""
        self.seq += 1
        return self.seq

    @property
    def current(self) -> Bulletin | None:
        """The publication on the feed now: a published Alert or Update not yet replaced (None if none)."""
        return current_publication(self.bulletins)

    @property
    def status(self) -> WarningStatus:
        """Draft until published, active while a level is on the feed, then lifted (or discarded unpublished)."""
        return warning_status(self.bulletins)

    @property
    def level(self) -> WarningLevel | None:
        """The colour on the public feed now (None while nothing is published, or once lifted)."""
        current = self.current
        return current.warning_level if current is not None else None

    def situation(self, now: datetime) -> Situation:
        """What the warning templates say: the area, no incident figures, and the time."""
        return Situation(
            now=now,
            level=Level.NON_GRADED,
            response_name="",
            venue="",
            town=self.areas[0] if self.areas else "",
            areas=self.areas,
            admin_code=self.admin_code,
            cases=0,
            hospitalized=0,
            deaths=0,
        )

    def snapshot(self) -> JsonObject:
        """The warning as its events carry it (`payload.warning`), with its status and current level."""
        level = self.level
        return {**self.to_dict(), "status": self.status.value, "level": level.value if level else None}

    def to_dict(self) -> JsonObject:
        """JSON-ready form (the writer's stored state)."""
        return {
            "aggregate": "warning",
            "id": self.id,
            "incident_type": self.incident_type,
            "playbook_version": self.playbook_version,
            "mode": self.mode,
            "exercise_id": self.exercise_id,
            "hazard": self.hazard,
            "areas": list(self.areas),
            "admin_code": self.admin_code,
            "basis": self.basis,
            "issued_at": self.issued_at.isoformat(),
            "issued_by": self.issued_by,
            "bulletins": {key: b.to_dict() for key, b in self.bulletins.items()},
            "seq": self.seq,
        }

    @classmethod
    def from_dict(cls, data: JsonObject) -> HazardWarning:
        """Rebuild a warning from `to_dict` output; keys a newer version adds are ignored."""
        return cls(
            id=data["id"],
            incident_type=data["incident_type"],
            playbook_version=data["playbook_version"],
            mode=data["mode"],
            exercise_id=data.get("exercise_id"),
            hazard=data["hazard"],
            areas=tuple(data.get("areas") or ()),
            admin_code=data.get("admin_code"),
            basis=data.get("basis") or "",
            issued_at=datetime.fromisoformat(data["issued_at"]),
            issued_by=data["issued_by"],
            bulletins={key: Bulletin.from_dict(b) for key, b in (data.get("bulletins") or {}).items()},
            seq=int(data.get("seq") or 0),
        )


def first_draft_id(warning_id: str) -> str:
    """The id of a warning's first draft (its CAP Alert)."""
    return f"{warning_id.removeprefix(WARNING_PREFIX).lower()}-alert"


def issue_warning(
    command: IssueWarning, ctx: Context, *, mode: str, exercise_id: str | None
) -> tuple[HazardWarning, list[Event]]:
    """A new warning and its first draft (the CAP Alert, written from the playbook's `warning` template)."""
    require_role(command.actor, DRAFTERS, "issues a warning")
    if not is_warning_id(command.warning_id):
        raise CommandRefused(f"a warning's id starts with {WARNING_PREFIX!r}, not {command.warning_id!r}")
    areas = tuple(a.strip() for a in command.areas if a.strip())
    if not areas:
        raise CommandRefused("a warning names the area it is for (one or more towns)")
    if not command.hazard.strip():
        raise CommandRefused("a warning names its hazard (e.g. 野生毒蘑菇中毒)")
    warning = HazardWarning(
        id=command.warning_id,
        incident_type=command.incident_type,
        playbook_version=ctx.playbook.version,
        mode=mode,
        exercise_id=exercise_id,
        hazard=command.hazard.strip(),
        areas=areas,
        admin_code=command.admin_code,
        basis=command.basis.strip(),
        issued_at=ctx.now,
        issued_by=command.actor.user,
    )
    request = DraftRequest(
        id=first_draft_id(warning.id),
        kind=BulletinKind.WARNING,
        by=command.actor.user,
        edit=replace(command.edit, warning_level=command.warning_level, hazard=warning.hazard, areas=areas),
    )
    try:
        bulletin = draft(public_info_spec(ctx), warning.situation(ctx.now), request)
    except PublicInfoError as exc:
        raise CommandRefused(str(exc)) from exc
    warning.bulletins[bulletin.id] = bulletin
    issued = WarningIssued(
        at=ctx.now,
        warning_id=warning.id,
        hazard=warning.hazard,
        areas=areas,
        basis=warning.basis,
        incident_type=warning.incident_type,
        by=command.actor.user,
        mode=mode,
        exercise_id=exercise_id,
    )
    return warning, [issued, PublicInfoDrafted(at=ctx.now, bulletin=bulletin, by=command.actor.user, cause="issue")]


def adjust(warning: HazardWarning, command: DraftPublicInfo, ctx: Context) -> list[Event]:
    """Draft an adjustment: a warning's only later drafts are Updates of its current publication."""
    if command.kind is not BulletinKind.WARNING:
        raise CommandRefused(f"warning {warning.id} holds only warnings, not {command.kind}")
    if not command.updates:
        raise CommandRefused(f"warning {warning.id} is adjusted by an Update: name the publication it updates")
    return draft_bulletin(warning, command, ctx, warning.situation(ctx.now))


def lift_or_discard(warning: HazardWarning, command: WithdrawPublicInfo, ctx: Context) -> list[Event]:
    """Discard a draft, or draft the lifting (Cancel, 解除预警) of a publication."""
    return withdraw_bulletin(warning, command, ctx, warning.situation(ctx.now))


def record_delivery(warning: HazardWarning, command: RecordDelivery, ctx: Context) -> list[Event]:
    """Put the notifier's CAP publications on the warning's timeline; an approved bulletin delivered is published."""
    events: list[Event] = [
        NotificationSent(at=ctx.now, delivery=d) if d.delivered else NotificationFailed(at=ctx.now, delivery=d)
        for d in command.deliveries
    ]
    published, _informed = publications(warning, command.deliveries, ctx)
    return [*events, *published]


WarningHandler = Callable[[HazardWarning, Command, Context], list[Event]]
C = TypeVar("C", bound=Command)


def _route(
    kind: type[C], handler: Callable[[HazardWarning, C, Context], list[Event]]
) -> tuple[type[Command], WarningHandler]:
    return kind, cast(WarningHandler, handler)


WARNING_HANDLERS: dict[type[Command], WarningHandler] = dict(
    [
        _route(DraftPublicInfo, adjust),
        _route(EditPublicInfo, edit_public_info),
        _route(ApprovePublicInfo, approve_public_info),
        _route(WithdrawPublicInfo, lift_or_discard),
        _route(RecordDelivery, record_delivery),
    ]
)
"""The commands a standalone warning takes after it was issued, by class."""


def handle_warning(warning: HazardWarning, command: Command, ctx: Context) -> list[Event]:
    """Apply one command to an issued warning; raise CommandRefused when it does not apply."""
    if isinstance(command, IssueWarning):
        raise CommandRefused(f"warning {warning.id} was already issued")
    handler = WARNING_HANDLERS.get(type(command))
    if handler is None:
        raise CommandRefused(f"{type(command).__name__} does not apply to a warning ({warning.id})")
    return handler(warning, command, ctx)
