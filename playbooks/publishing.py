"""Handlers of public information, warnings and expert assessments (the incident's `bulletins` and `assessments`).

Nothing reaches the public unapproved (DESIGN.md invariant 9): a `public_info` step only drafts; a person with
the `publicity` or `commander` role edits and approves; the notifier publishes what was approved and its record
marks the bulletin published. The writer re-checks the roles here (defence in depth behind the API).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Protocol

from playbooks.assessment import Assessment, Decision, missing_assessment
from playbooks.commands import (
    Actor,
    ApprovePublicInfo,
    ApproveTermination,
    DecideLevel,
    Delivery,
    DraftPublicInfo,
    EditPublicInfo,
    RecordAssessment,
    Role,
    WithdrawPublicInfo,
)
from playbooks.context import CommandRefused, Context
from playbooks.events import (
    AssessmentRecorded,
    Event,
    PublicInfoApproved,
    PublicInfoDrafted,
    PublicInfoEdited,
    PublicInfoPublished,
    PublicInfoWithdrawn,
)
from playbooks.incident import Incident
from playbooks.levels import Level
from playbooks.public_info import (
    Bulletin,
    BulletinKind,
    BulletinState,
    DraftRequest,
    MsgType,
    PublicInfoError,
    PublicInfoSpec,
    Situation,
    approved,
    cancel_draft,
    draft,
    edited,
    latest_information,
    published,
    withdrawn,
)
from playbooks.response import Item

DRAFTERS = frozenset({Role.DUTY_OFFICER, Role.COMMANDER, Role.PUBLICITY})
"""Who may draft public information."""
APPROVERS = frozenset({Role.PUBLICITY, Role.COMMANDER})
"""Who may edit, approve and withdraw it."""
ASSESSORS = frozenset({Role.DUTY_OFFICER, Role.COMMANDER})
"""Who records the expert group's assessment."""
BULLETIN_FIELD = "bulletin_id"
"""The field of the notifier's delivery record that names the bulletin a CAP publication carried."""


class BulletinHolder(Protocol):
    """What bulletins belong to: an incident, or a warning on its own (playbooks/warnings.py)."""

    @property
    def id(self) -> str:
        """The aggregate's id (the key of its commands and events)."""
        ...

    @property
    def bulletins(self) -> dict[str, Bulletin]:
        """Its drafts and publications by id."""
        ...


def _name(holder: BulletinHolder) -> str:
    return f"incident {holder.id}" if isinstance(holder, Incident) else f"warning {holder.id}"


def require_role(actor: Actor, roles: frozenset[Role], what: str) -> None:
    """Refuse the command unless the actor holds one of `roles`, naming who may."""
    if not actor.roles & roles:
        needed = " or ".join(sorted(roles))
        raise CommandRefused(f"only a {needed} {what}; {actor.describe()} is not one")


def public_info_spec(ctx: Context) -> PublicInfoSpec:
    """The playbook's `public_info` section; refused when the playbook has none."""
    spec = ctx.playbook.public_info
    if spec is None:
        raise CommandRefused(f"playbook {ctx.playbook.id} has no public_info section (templates, sender, hotline)")
    return spec


def situation(incident: Incident, ctx: Context) -> Situation:
    """What the templates say about the incident now: its towns (from the report and the case list), figures,
    the level's name in the playbook, and the time."""
    location = incident.location
    towns = [str(location["town"])] if location.get("town") else []
    towns.extend(sorted({c.town for c in incident.cases.values() if c.town} - set(towns)))
    areas = tuple(towns) or (str(location.get("venue") or location.get("address") or ctx.playbook.title),)
    plan = ctx.playbook.levels.get(incident.level)
    facts = incident.facts
    return Situation(
        now=ctx.now,
        level=incident.level,
        response_name=plan.name if plan else "",
        venue=str(location.get("venue") or ""),
        town=str(location.get("town") or ""),
        areas=areas,
        admin_code=location.get("admin_code"),
        cases=facts.cases,
        hospitalized=facts.hospitalized,
        deaths=facts.deaths,
    )


def _bulletin(holder: BulletinHolder, draft_id: str) -> Bulletin:
    found = holder.bulletins.get(draft_id)
    if found is None:
        raise CommandRefused(f"{_name(holder)} has no public information {draft_id!r}")
    return found


def _store(holder: BulletinHolder, bulletin: Bulletin) -> Bulletin:
    holder.bulletins[bulletin.id] = bulletin
    return bulletin


def draft_public_info(incident: Incident, command: DraftPublicInfo, ctx: Context) -> list[Event]:
    """A person drafts public information, a refutation or a warning (an Update when it names a publication)."""
    return draft_bulletin(incident, command, ctx, situation(incident, ctx))


def draft_bulletin(holder: BulletinHolder, command: DraftPublicInfo, ctx: Context, where: Situation) -> list[Event]:
    """A person drafts a bulletin of `holder` written for `where` (an Update when it names a publication)."""
    require_role(command.actor, DRAFTERS, "drafts public information")
    if command.draft_id in holder.bulletins:
        raise CommandRefused(f"{_name(holder)} already has public information {command.draft_id!r}")
    updates = _bulletin(holder, command.updates) if command.updates else None
    if updates is not None:
        if updates.state is not BulletinState.PUBLISHED or updates.msg_type is MsgType.CANCEL:
            raise CommandRefused(f"only a published Alert or Update is updated; {updates.id!r} is {updates.state}")
        if updates.kind is not command.kind:
            raise CommandRefused(f"{updates.id!r} is {updates.kind}; its update must be one too, not {command.kind}")
    request = DraftRequest(
        id=command.draft_id,
        kind=command.kind,
        by=command.actor.user,
        edit=command.edit,
        updates=updates,
        rumour=command.rumour,
    )
    try:
        bulletin = draft(public_info_spec(ctx), where, request)
    except PublicInfoError as exc:
        raise CommandRefused(str(exc)) from exc
    return [PublicInfoDrafted(at=ctx.now, bulletin=_store(holder, bulletin), by=command.actor.user, cause="person")]


def edit_public_info(incident: BulletinHolder, command: EditPublicInfo, ctx: Context) -> list[Event]:
    """A publicity officer or a commander changes a draft."""
    require_role(command.actor, APPROVERS, "edits public information")
    fields = tuple(sorted(command.edit.changes()))
    if not fields:
        raise CommandRefused("the edit changes nothing")
    try:
        bulletin = edited(_bulletin(incident, command.draft_id), command.edit, by=command.actor.user, at=ctx.now)
    except PublicInfoError as exc:
        raise CommandRefused(str(exc)) from exc
    return [PublicInfoEdited(at=ctx.now, bulletin=_store(incident, bulletin), by=command.actor.user, fields=fields)]


def approve_public_info(incident: BulletinHolder, command: ApprovePublicInfo, ctx: Context) -> list[Event]:
    """A publicity officer or a commander approves a draft; the notifier publishes it."""
    require_role(command.actor, APPROVERS, "approves public information")
    current = _bulletin(incident, command.draft_id)
    for ref in current.references[:1]:
        earlier = _bulletin(incident, ref)
        if earlier.state is not BulletinState.PUBLISHED or earlier.superseded_by is not None:
            raise CommandRefused(
                f"{current.msg_type} {current.id!r} refers to {ref!r}, which is {earlier.state}"
                + (f" and replaced by {earlier.superseded_by!r}" if earlier.superseded_by else "")
            )
    try:
        bulletin = approved(current, by=command.actor.user, at=ctx.now, note=command.note)
    except PublicInfoError as exc:
        raise CommandRefused(str(exc)) from exc
    _store(incident, bulletin)
    referenced = tuple(incident.bulletins[ref] for ref in bulletin.references if ref in incident.bulletins)
    return [
        PublicInfoApproved(
            at=ctx.now, bulletin=bulletin, by=command.actor.user, note=command.note, referenced=referenced
        )
    ]


def withdraw_public_info(incident: Incident, command: WithdrawPublicInfo, ctx: Context) -> list[Event]:
    """Discard a draft; for a publication, draft its Cancel (approved like any draft)."""
    return withdraw_bulletin(incident, command, ctx, situation(incident, ctx))


def withdraw_bulletin(
    incident: BulletinHolder, command: WithdrawPublicInfo, ctx: Context, where: Situation
) -> list[Event]:
    """Discard a draft of `incident`; for a publication, draft its Cancel written for `where`."""
    require_role(command.actor, APPROVERS, "withdraws public information")
    reason = command.reason.strip()
    if not reason:
        raise CommandRefused("withdrawing public information needs a reason")
    current = _bulletin(incident, command.draft_id)
    by = command.actor.user
    if current.state is BulletinState.PUBLISHED:
        if current.msg_type is MsgType.CANCEL:
            raise CommandRefused(f"{current.id!r} is a published Cancel; it cannot be withdrawn")
        if current.superseded_by is not None:
            raise CommandRefused(f"{current.id!r} was replaced by {current.superseded_by!r}; withdraw that one")
        pending = [b.id for b in incident.bulletins.values() if b.open and current.id in b.references[:1]]
        if pending:
            raise CommandRefused(f"{current.id!r} already has a draft that replaces it: {', '.join(pending)}")
        number = sum(1 for b in incident.bulletins.values() if b.id.startswith(f"{current.id}-cancel"))
        cancel = cancel_draft(public_info_spec(ctx), where, current, by=by, reason=reason)
        cancel = replace(cancel, id=cancel.id if number == 0 else f"{cancel.id}-{number + 1}")
        _store(incident, cancel)
        return [PublicInfoDrafted(at=ctx.now, bulletin=cancel, by=by, cause=f"withdraw {current.id}")]
    try:
        bulletin = withdrawn(current, by=by, at=ctx.now, reason=reason)
    except PublicInfoError as exc:
        if current.state is BulletinState.APPROVED:
            raise CommandRefused(
                f"{current.id!r} is approved and being published; once it is published, withdraw it (a Cancel)"
            ) from exc
        raise CommandRefused(str(exc)) from exc
    return [PublicInfoWithdrawn(at=ctx.now, bulletin=_store(incident, bulletin), by=by, reason=reason)]


def drafts_for_steps(incident: Incident, items: Sequence[Item], ctx: Context) -> list[Event]:
    """The draft a newly planned `public_info` step calls for: none while an information draft is open (it serves
    the new step too), an Update when information was published, else a new Alert."""
    steps = [item for item in items if item.kind == "public_info"]
    spec = ctx.playbook.public_info
    if not steps or spec is None:
        return []
    current = latest_information(incident.bulletins)
    if current is not None and current.state in (BulletinState.DRAFT, BulletinState.APPROVED):
        return []
    key = steps[0].key
    request = DraftRequest(
        id=f"step-{key.replace('#', '-')}",
        kind=BulletinKind.INFORMATION,
        by=None,
        updates=current if current is not None and current.state is BulletinState.PUBLISHED else None,
        action_key=key,
    )
    if request.id in incident.bulletins:
        return []
    bulletin = _store(incident, draft(spec, situation(incident, ctx), request))
    return [PublicInfoDrafted(at=ctx.now, bulletin=bulletin, by=None, cause=f"step {key}")]


def publications(incident: BulletinHolder, deliveries: Iterable[Delivery], ctx: Context) -> tuple[list[Event], bool]:
    """The bulletins the notifier's delivered CAP records put on a feed, now published (an Update replaces, a
    Cancel withdraws what it refers to); and whether information was published (its steps are then done)."""
    events: list[Event] = []
    informed = False
    for delivery in deliveries:
        bulletin_id = delivery.extra.get(BULLETIN_FIELD)
        current = incident.bulletins.get(str(bulletin_id)) if bulletin_id and delivery.delivered else None
        if current is None or current.state is not BulletinState.APPROVED:
            continue
        bulletin = _store(incident, published(current, at=ctx.now))
        events.append(PublicInfoPublished(at=ctx.now, bulletin=bulletin, by=None))
        events.extend(_replaced(incident, bulletin, ctx))
        informed = informed or (bulletin.kind is BulletinKind.INFORMATION and bulletin.msg_type is not MsgType.CANCEL)
    return events, informed


def _replaced(incident: BulletinHolder, bulletin: Bulletin, ctx: Context) -> list[Event]:
    """A published Update replaces the bulletin it refers to; a published Cancel withdraws every one it refers to."""
    events: list[Event] = []
    for ref in bulletin.references:
        earlier = incident.bulletins.get(ref)
        if earlier is None:
            continue
        if earlier.superseded_by is None and ref == bulletin.references[0]:
            earlier = _store(incident, replace(earlier, superseded_by=bulletin.id))
        if bulletin.msg_type is MsgType.CANCEL and earlier.state is BulletinState.PUBLISHED:
            reason = bulletin.withdraw_reason or f"cancelled by {bulletin.id}"
            gone = _store(incident, withdrawn(earlier, by=bulletin.approved_by, at=ctx.now, reason=reason))
            events.append(PublicInfoWithdrawn(at=ctx.now, bulletin=gone, by=bulletin.approved_by, reason=reason))
    return events


def record_assessment(incident: Incident, command: RecordAssessment, ctx: Context) -> list[Event]:
    """Record the expert group's assessment (专家组研判) with who, conclusion, recommendation and time."""
    require_role(command.actor, ASSESSORS, "records the expert group's assessment")
    experts = tuple(e.strip() for e in command.experts if e.strip())
    if not experts:
        raise CommandRefused("an expert assessment names the experts who made it")
    if not command.conclusion.strip():
        raise CommandRefused("an expert assessment needs its conclusion")
    assessed_at = command.assessed_at or ctx.now
    if assessed_at > ctx.now:
        raise CommandRefused(f"an expert assessment cannot be made in the future ({assessed_at.isoformat()})")
    assessment = Assessment(
        id=f"assessment-{len(incident.assessments) + 1}",
        experts=experts,
        conclusion=command.conclusion.strip(),
        recommendation=command.recommendation,
        level=command.level,
        assessed_at=assessed_at,
        recorded_by=command.actor.user,
        recorded_at=ctx.now,
    )
    incident.assessments.append(assessment)
    return [AssessmentRecorded(at=ctx.now, assessment=assessment)]


def check_lowering(incident: Incident, command: DecideLevel, ctx: Context) -> None:
    """Refuse lowering the level without the assessment the playbook requires, naming what is missing."""
    if command.level >= incident.level or Decision.LOWER_LEVEL not in ctx.playbook.assessment_required:
        return
    what = f"lowering the level ({incident.level.value} → {command.level.value})"
    _refuse_without(incident, Decision.LOWER_LEVEL, what, command.level)


def check_termination(incident: Incident, command: ApproveTermination, ctx: Context) -> None:
    """Refuse approving termination without the assessment the playbook requires, naming what is missing."""
    del command
    if Decision.TERMINATION in ctx.playbook.assessment_required:
        _refuse_without(incident, Decision.TERMINATION, "approving termination", None)


def _refuse_without(incident: Incident, decision: Decision, what: str, to_level: Level | None) -> None:
    missing = missing_assessment(
        incident.assessments, decision, since=incident.level_changed_at, what=what, to_level=to_level
    )
    if missing is not None:
        raise CommandRefused(missing.replace("{id}", incident.id))
