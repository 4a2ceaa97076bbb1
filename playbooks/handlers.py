"""Command handlers of the incident aggregate: each takes the state and a typed command, and returns events.

Handlers are listed in `COMMAND_HANDLERS` by command class; the incident writer converts an envelope to its
command once and calls `handle` (or `receive_report`, which may open the incident). A command that cannot
apply raises `CommandRefused` with a reason a person can act on; the writer records it as a
`CommandRejected` event.

The writer re-checks the role rules the API enforces (defence in depth, DESIGN.md invariant 8): only a
commander lowers a level or approves termination, and a unit responder acts only on their unit's steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar, cast

from playbooks.commands import (
    AcknowledgeAlert,
    AcknowledgeTask,
    Actor,
    AddNote,
    ApprovePublicInfo,
    ApproveTermination,
    CheckDeadlines,
    Command,
    CompleteTask,
    DecideLevel,
    Delivery,
    DraftPublicInfo,
    EditPublicInfo,
    ProposeTermination,
    ReceiveReport,
    RecordAssessment,
    RecordDelivery,
    Role,
    SetVerifiedFacts,
    UpdateTerminationSignals,
    WithdrawPublicInfo,
)
from playbooks.context import CommandRefused, Context
from playbooks.errors import LevelDecisionError
from playbooks.events import (
    ActionsPlanned,
    ActionUpdated,
    Event,
    FactsVerified,
    IncidentClosed,
    ItemChange,
    NoteAdded,
    NotificationFailed,
    NotificationSent,
    TerminationProposed,
    TerminationSignalsUpdated,
)
from playbooks.grading import grade, suggest_lower
from playbooks.incident import (
    Incident,
    IncidentStatus,
    InvalidTransition,
    attach_report,
    change_level,
    open_incident,
)
from playbooks.level_change import LevelChange, decide_level, raise_level
from playbooks.levels import Level
from playbooks.model import Playbook
from playbooks.planning import PlannedAction, plan_additions, plan_post_incident
from playbooks.publishing import (
    approve_public_info,
    check_lowering,
    check_termination,
    draft_public_info,
    drafts_for_steps,
    edit_public_info,
    publications,
    record_assessment,
    withdraw_public_info,
)
from playbooks.response import (
    DEFAULT_ESCALATION_INTERVAL,
    ItemStatus,
    ItemTransitionError,
    due_escalations,
    due_recurrences,
    item_from_plan,
)
from playbooks.termination import Signal, TerminationStatus, termination_check

__all__ = [
    "COMMAND_HANDLERS",
    "CommandRefused",
    "Context",
    "Outcome",
    "escalation_interval",
    "handle",
    "receive_report",
    "regrade",
]


@dataclass
class Outcome:
    """The incident after a command, and the events the command produced (empty when it was a repeat)."""

    incident: Incident
    events: list[Event] = field(default_factory=list)


def escalation_interval(playbook: Playbook) -> timedelta:
    """Time between escalation steps: the playbook's `escalation_interval` parameter, or 30 minutes."""
    interval = playbook.parameters.get("escalation_interval")
    return interval.nominal() if interval is not None else DEFAULT_ESCALATION_INTERVAL


def receive_report(incident: Incident | None, incident_id: str, command: ReceiveReport, ctx: Context) -> Outcome:
    """Open or update an incident with a report, regrade, and plan what the facts now call for."""
    report = command.report
    events: list[Event] = []
    if incident is None:
        incident, opened = open_incident(
            incident_id,
            report,
            playbook_id=ctx.playbook.id,
            playbook_version=ctx.playbook.version,
            rule_set=ctx.playbook.rule_set,
            now=ctx.now,
        )
        events.append(opened)
    attached = attach_report(incident, report, now=ctx.now)
    if not attached:
        return Outcome(incident)
    if ctx.district is not None:
        found = ctx.district.location_warnings(report.location)
        incident.warnings.extend(w for w in found if w not in incident.warnings)
    events.extend(attached)
    events.extend(regrade(incident, ctx))
    return Outcome(incident, events)


def regrade(incident: Incident, ctx: Context) -> list[Event]:
    """Grade the current facts: raise the level if a threshold is crossed, and plan any steps now due."""
    if incident.status is IncidentStatus.CLOSED:
        return []
    facts = incident.facts
    grading = grade(ctx.playbook, facts, venue_type=incident.venue_type)
    change = raise_level(
        ctx.playbook,
        incident.level,
        grading,
        running=incident.items,
        facts=facts,
        venue_type=incident.venue_type,
        now=ctx.now,
        first_report_at=incident.first_report_at,
        previous_automatic=incident.automatic_level,
    )
    incident.automatic_level = grading.level
    events: list[Event] = []
    if change is not None:
        events.extend(_apply_level_change(incident, change, ctx))
    else:
        if incident.level is Level.NON_GRADED:
            incident.explanation = grading.explanation
        added = plan_additions(
            ctx.playbook,
            incident.level,
            running=incident.items,
            facts=facts,
            venue_type=incident.venue_type,
            now=ctx.now,
            first_report_at=incident.first_report_at,
        )
        events.extend(_plan(incident, added, ctx, cause="facts"))
    lower = suggest_lower(ctx.playbook, incident.level, facts, incident.venue_type)
    incident.suggested_level = lower.level.value if lower is not None else None
    return events


def _apply_level_change(incident: Incident, change: LevelChange, ctx: Context) -> list[Event]:
    events: list[Event] = [
        change_level(
            incident,
            change.to_level,
            rule_id=change.rule_id,
            explanation=change.explanation,
            decided_by=change.decided_by,
            reason=change.reason,
            now=ctx.now,
        )
    ]
    for key in change.superseded:
        item = incident.items.get(key)
        if item is not None and not item.done:
            incident.items[key] = item.moved(ItemStatus.SUPERSEDED)
            events.append(_item_event(incident, key, ItemChange.SUPERSEDED, ctx, by=None))
    events.extend(_plan(incident, change.added_actions, ctx, cause=f"level {change.to_level.value}"))
    return events


def _plan(incident: Incident, actions: tuple[PlannedAction, ...], ctx: Context, *, cause: str) -> list[Event]:
    fresh = [a for a in actions if a.key not in incident.items]
    if not fresh:
        return []
    for action in fresh:
        incident.items[action.key] = item_from_plan(action, now=ctx.now)
    items = tuple(incident.items[a.key] for a in fresh)
    return [ActionsPlanned(at=ctx.now, cause=cause, items=items), *drafts_for_steps(incident, items, ctx)]


def _item_event(  # noqa: PLR0913 - the step's change and its details, keyword-only
    incident: Incident,
    key: str,
    change: ItemChange,
    ctx: Context,
    *,
    by: str | None,
    result: str | None = None,
    escalated: tuple[str, int, int] | None = None,
) -> ActionUpdated:
    """The ActionUpdated event of a step, after adding its entry to the step's history."""
    to_role, step, overdue = escalated if escalated is not None else (None, None, None)
    item = incident.items[key]
    event = ActionUpdated(
        at=ctx.now,
        key=key,
        change=change,
        by=by,
        item=item,
        result=result,
        to_role=to_role,
        step=step,
        overdue_by_seconds=overdue,
    )
    incident.items[key] = replace(item, history=(*item.history, event.history_entry()))
    return replace(event, item=incident.items[key])


def _step(incident: Incident, key: str, actor: Actor) -> str:
    """The step's key, if the incident has it and the actor may act on it (a unit responder: their unit's)."""
    item = incident.items.get(key)
    if item is None:
        raise CommandRefused(f"incident {incident.id} has no step {key!r}")
    if actor.unit_scoped and item.owner != actor.unit:
        raise CommandRefused(
            f"step {key!r} belongs to {item.owner!r}; {actor.user} is a unit responder for {actor.unit!r} "
            "and acts only on that unit's steps"
        )
    return key


def _require_commander(actor: Actor, what: str) -> None:
    if not actor.has(Role.COMMANDER):
        raise CommandRefused(f"only a commander {what}; {actor.describe()} is not one")


def acknowledge(incident: Incident, command: AcknowledgeAlert | AcknowledgeTask, ctx: Context) -> list[Event]:
    """A recipient acknowledges an alert or a unit acknowledges a task order; escalation of it stops."""
    key = _step(incident, command.action_key, command.actor)
    item = incident.items[key]
    if item.status is not ItemStatus.PENDING:
        raise CommandRefused(f"step {key!r} is already {item.status}")
    who = command.actor.user
    incident.items[key] = replace(item.moved(ItemStatus.ACKNOWLEDGED), acknowledged_at=ctx.now, acknowledged_by=who)
    return [_item_event(incident, key, ItemChange.ACKNOWLEDGED, ctx, by=who)]


def complete(incident: Incident, command: CompleteTask, ctx: Context) -> list[Event]:
    """The owning unit reports a step done."""
    key = _step(incident, command.action_key, command.actor)
    item = incident.items[key]
    try:
        moved = item.moved(ItemStatus.COMPLETED)
    except ItemTransitionError as exc:
        raise CommandRefused(str(exc)) from exc
    who = command.actor.user
    incident.items[key] = replace(moved, completed_at=ctx.now, completed_by=who, result=command.result)
    return [_item_event(incident, key, ItemChange.COMPLETED, ctx, by=who, result=command.result)]


def decide(incident: Incident, command: DecideLevel, ctx: Context) -> list[Event]:
    """A commander raises or lowers the level, with a reason (a duty officer may only raise it)."""
    _require_open(incident)
    if command.level < incident.level:
        _require_commander(command.actor, f"lowers a level ({incident.level.value} → {command.level.value})")
    try:
        change = decide_level(
            ctx.playbook,
            incident.level,
            command.level,
            reason=command.reason,
            decided_by=command.actor.user,
            running=incident.items,
            facts=incident.facts,
            venue_type=incident.venue_type,
            now=ctx.now,
            first_report_at=incident.first_report_at,
        )
    except LevelDecisionError as exc:
        raise CommandRefused(str(exc)) from exc
    check_lowering(incident, command, ctx)
    return _apply_level_change(incident, change, ctx)


def verify_facts(incident: Incident, command: SetVerifiedFacts, ctx: Context) -> list[Event]:
    """A duty officer's verified figures override the aggregate; who and why are recorded."""
    reason = command.reason.strip()
    if not reason:
        raise CommandRefused("verified facts need a reason")
    verified = FactsVerified(at=ctx.now, facts=command.facts, by=command.actor.user, reason=reason)
    incident.verified = verified.to_data()
    return [verified, *regrade(incident, ctx)]


def add_note(incident: Incident, command: AddNote, ctx: Context) -> list[Event]:
    """A note on the timeline."""
    text = command.text.strip()
    if not text:
        raise CommandRefused("a note needs text")
    return [NoteAdded(at=ctx.now, text=text, by=command.actor.user)]


def update_signals(incident: Incident, command: UpdateTerminationSignals, ctx: Context) -> list[Event]:
    """Record inputs of the termination criteria (site controlled, patients stable since...)."""
    if not command.signals:
        raise CommandRefused("signals must be a non-empty object")
    incident.signals.update({k: v for k, v in command.signals.items() if k != "approved"})
    events: list[Event] = [TerminationSignalsUpdated(at=ctx.now, signals=command.signals, by=command.actor.user)]
    return events + _maybe_propose(incident, ctx)


def _termination(incident: Incident, ctx: Context, *, approved: bool) -> TerminationStatus:
    signals: dict[str, Signal] = {}
    for key, value in incident.signals.items():
        signals[key] = datetime.fromisoformat(value) if isinstance(value, str) else value
    signals.setdefault("last_case_at", incident.last_case_at or incident.first_report_at)
    signals["approved"] = approved
    return termination_check(ctx.playbook, signals=signals, now=ctx.now)


def _maybe_propose(incident: Incident, ctx: Context) -> list[Event]:
    status = _termination(incident, ctx, approved=True)
    incident.termination = status.to_dict()
    if incident.status is not IncidentStatus.ACTIVE or not status.ready:
        return []
    incident.move_to(IncidentStatus.TERMINATION_PROPOSED)
    return [TerminationProposed(at=ctx.now, by=None, reason="the playbook's criteria hold", criteria=status)]


def propose_termination(incident: Incident, command: ProposeTermination, ctx: Context) -> list[Event]:
    """A person proposes ending the response; the criteria are checked and shown, approval is separate."""
    if incident.status is not IncidentStatus.ACTIVE:
        raise CommandRefused(f"only an active incident can be proposed for termination (it is {incident.status})")
    status = _termination(incident, ctx, approved=True)
    incident.termination = status.to_dict()
    incident.move_to(IncidentStatus.TERMINATION_PROPOSED)
    return [TerminationProposed(at=ctx.now, by=command.actor.user, reason=command.reason, criteria=status)]


def approve_termination(incident: Incident, command: ApproveTermination, ctx: Context) -> list[Event]:
    """A commander approves: the incident closes and the after-response steps are planned."""
    _require_commander(command.actor, "approves termination")
    if incident.status is not IncidentStatus.TERMINATION_PROPOSED:
        raise CommandRefused(f"termination must be proposed before it is approved (incident is {incident.status})")
    status = _termination(incident, ctx, approved=True)
    if not status.ready:
        raise CommandRefused(f"termination criteria do not hold: {', '.join(status.missing)}")
    check_termination(incident, command, ctx)
    try:
        incident.move_to(IncidentStatus.CLOSED)
    except InvalidTransition as exc:
        raise CommandRefused(str(exc)) from exc
    incident.closed_at = ctx.now
    incident.termination = status.to_dict()
    closed = IncidentClosed(
        at=ctx.now,
        by=command.actor.user,
        reason=command.reason,
        criteria=status,
        correlation_key=incident.correlation_key,
    )
    post = plan_post_incident(
        ctx.playbook, incident.level, facts=incident.facts, venue_type=incident.venue_type, terminated_at=ctx.now
    )
    return [closed, *_plan(incident, post, ctx, cause="termination")]


def check_deadlines(incident: Incident, command: CheckDeadlines, ctx: Context) -> list[Event]:
    """Escalate every overdue step whose next escalation is due, one step along its chain, and plan the next
    occurrence of each recurring step whose current one is due (while the response runs)."""
    events: list[Event] = []
    for item, role in due_escalations(incident.items, now=ctx.now, interval=escalation_interval(ctx.playbook)):
        step = item.escalation_step + 1
        incident.items[item.key] = replace(item, escalation_step=step)
        overdue = int((ctx.now - item.due_at).total_seconds())
        events.append(
            _item_event(incident, item.key, ItemChange.ESCALATED, ctx, by=None, escalated=(role, step, overdue))
        )
    events.extend(_recur(incident, ctx))
    if incident.status is IncidentStatus.ACTIVE:
        events.extend(_maybe_propose(incident, ctx))
    return events


def _recur(incident: Incident, ctx: Context) -> list[Event]:
    """Plan the next occurrence of each recurring step whose current one is due, until the response ends."""
    if incident.status is IncidentStatus.CLOSED:
        return []
    fresh = due_recurrences(incident.items, now=ctx.now, calendar=ctx.playbook.calendar)
    for item in fresh:
        incident.items[item.key] = item
    return [ActionsPlanned(at=ctx.now, cause="recurrence", items=tuple(fresh))] if fresh else []


def record_delivery(incident: Incident, command: RecordDelivery, ctx: Context) -> list[Event]:
    """Put deliveries (or their final failures) on the timeline; who could not be reached becomes a warning."""
    for delivery in command.deliveries:
        if delivery.extra.get("unreachable"):
            _routing_warning(incident, delivery, ctx)
    events: list[Event] = [
        NotificationSent(at=ctx.now, delivery=d) if d.delivered else NotificationFailed(at=ctx.now, delivery=d)
        for d in command.deliveries
    ]
    published, informed = publications(incident, command.deliveries, ctx)
    events.extend(published)
    if informed:
        events.extend(_complete_public_info_steps(incident, ctx))
    return events


def _complete_public_info_steps(incident: Incident, ctx: Context) -> list[Event]:
    """Published information completes every open `public_info` step (the publication is their result)."""
    events: list[Event] = []
    for key, item in list(incident.items.items()):
        if item.kind != "public_info" or item.done:
            continue
        result = "权威信息已审核发布 (public information approved and published)"
        incident.items[key] = replace(
            item.moved(ItemStatus.COMPLETED), completed_at=ctx.now, completed_by=None, result=result
        )
        events.append(_item_event(incident, key, ItemChange.COMPLETED, ctx, by=None, result=result))
    return events


def _routing_warning(incident: Incident, delivery: Delivery, ctx: Context) -> None:
    """Note on the incident who a step could not reach and why (once per step and recipient)."""
    who = delivery.recipient_name or delivery.recipient_id
    if any(w["action_key"] == delivery.action_key and w["who"] == who for w in incident.routing_warnings):
        return
    incident.routing_warnings.append(
        {
            "action_key": delivery.action_key,
            "who": who,
            "reason": delivery.reason or "",
            "fallback_to": delivery.extra.get("fallback_to") or "",
            "fallback_error": delivery.extra.get("fallback_error") or "",
            "at": ctx.now.isoformat(),
        }
    )


def _require_open(incident: Incident) -> None:
    if incident.status is IncidentStatus.CLOSED:
        raise CommandRefused(f"incident {incident.id} is closed")


Handler = Callable[[Incident, Command, Context], list[Event]]
C = TypeVar("C", bound=Command)


def _route(kind: type[C], handler: Callable[[Incident, C, Context], list[Event]]) -> tuple[type[Command], Handler]:
    """Pair a command class with its handler; `handle` calls it only with an instance of exactly that class."""
    return kind, cast(Handler, handler)


COMMAND_HANDLERS: dict[type[Command], Handler] = dict(
    [
        _route(AcknowledgeAlert, acknowledge),
        _route(AcknowledgeTask, acknowledge),
        _route(CompleteTask, complete),
        _route(DecideLevel, decide),
        _route(SetVerifiedFacts, verify_facts),
        _route(AddNote, add_note),
        _route(UpdateTerminationSignals, update_signals),
        _route(ProposeTermination, propose_termination),
        _route(ApproveTermination, approve_termination),
        _route(CheckDeadlines, check_deadlines),
        _route(RecordDelivery, record_delivery),
        _route(DraftPublicInfo, draft_public_info),
        _route(EditPublicInfo, edit_public_info),
        _route(ApprovePublicInfo, approve_public_info),
        _route(WithdrawPublicInfo, withdraw_public_info),
        _route(RecordAssessment, record_assessment),
    ]
)
"""Every command except ReceiveReport (which may open the incident), by class."""


def handle(incident: Incident, command: Command, ctx: Context) -> Outcome:
    """Apply one command to an existing incident; raise CommandRefused when it cannot apply."""
    handler = COMMAND_HANDLERS.get(type(command))
    if handler is None:
        raise CommandRefused(f"{type(command).__name__} does not apply to an existing incident this way")
    return Outcome(incident, handler(incident, command, ctx))
