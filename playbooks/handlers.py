"""Command handlers of the incident aggregate: each takes the state and a command, and returns events.

Handlers are listed in `COMMAND_HANDLERS`; the incident agent looks them up by command type. A command
that cannot apply raises `CommandRejected` with a reason a person can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from playbooks.errors import LevelDecisionError
from playbooks.facts import Facts
from playbooks.grading import grade, suggest_lower
from playbooks.incident import (
    ACTIVE,
    CLOSED,
    TERMINATION_PROPOSED,
    Event,
    Incident,
    InvalidTransition,
    attach_report,
    change_level,
    open_incident,
)
from playbooks.level_change import LevelChange, decide_level, raise_level
from playbooks.levels import Level
from playbooks.model import Playbook
from playbooks.planning import PlannedAction, plan_additions, plan_post_incident
from playbooks.report import Report
from playbooks.response import (
    ACKNOWLEDGED,
    COMPLETED,
    DEFAULT_ESCALATION_INTERVAL,
    SUPERSEDED,
    ItemTransitionError,
    due_escalations,
    item_from_plan,
)
from playbooks.termination import termination_check


class CommandRejected(ValueError):
    """The command does not apply to the incident as it is; `reason` says why."""


@dataclass(frozen=True)
class Context:
    """What a handler needs besides the state: the incident's playbook, the time, and who asked."""

    playbook: Playbook
    now: datetime
    actor: Mapping[str, Any] = field(default_factory=dict)

    @property
    def who(self) -> str:
        """The acting person's name, or 'system' for the platform's own commands."""
        return str(self.actor.get("user") or "system")


@dataclass
class Outcome:
    """The incident after a command, and the events the command produced (empty when it was a repeat)."""

    incident: Incident
    events: list[Event] = field(default_factory=list)


def escalation_interval(playbook: Playbook) -> timedelta:
    """Time between escalation steps: the playbook's `escalation_interval` parameter, or 30 minutes."""
    interval = playbook.parameters.get("escalation_interval")
    return interval.nominal() if interval is not None else DEFAULT_ESCALATION_INTERVAL


def receive_report(incident: Incident | None, incident_id: str, report: Report, ctx: Context) -> Outcome:
    """Open or update an incident with a report, regrade, and plan what the facts now call for."""
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
    events.extend(attached)
    events.extend(regrade(incident, ctx))
    return Outcome(incident, events)


def regrade(incident: Incident, ctx: Context) -> list[Event]:
    """Grade the current facts: raise the level if a threshold is crossed, and plan any steps now due."""
    if incident.status == CLOSED:
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
        added = (
            plan_additions(
                ctx.playbook,
                incident.level,
                running=incident.items,
                facts=facts,
                venue_type=incident.venue_type,
                now=ctx.now,
                first_report_at=incident.first_report_at,
            )
            if incident.level is not Level.NON_GRADED
            else ()
        )
        events.extend(_plan(incident, added, ctx, cause="facts"))
    lower = suggest_lower(ctx.playbook, incident.level, facts, incident.venue_type)
    incident.suggested_level = lower.level.value if lower is not None else None
    return events


def _apply_level_change(incident: Incident, change: LevelChange, ctx: Context) -> list[Event]:
    events = [
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
            incident.items[key] = item.moved(SUPERSEDED)
            events.append(_item_event(incident, key, "superseded", ctx, by=None))
    events.extend(_plan(incident, change.added_actions, ctx, cause=f"level {change.to_level.value}"))
    return events


def _plan(incident: Incident, actions: tuple[PlannedAction, ...], ctx: Context, *, cause: str) -> list[Event]:
    fresh = [a for a in actions if a.key not in incident.items]
    if not fresh:
        return []
    for action in fresh:
        incident.items[action.key] = item_from_plan(action, now=ctx.now)
    return [
        Event(
            "ActionsPlanned",
            ctx.now,
            {
                "cause": cause,
                "items": [incident.items[a.key].to_dict() for a in fresh],
            },
        )
    ]


def _item_event(incident: Incident, key: str, change: str, ctx: Context, *, by: str | None, **extra: Any) -> Event:
    item = incident.items[key]
    entry = {"change": change, "by": by, "at": ctx.now.isoformat(), **extra}
    incident.items[key] = replace(item, history=(*item.history, entry))
    return Event("ActionUpdated", ctx.now, {**entry, "key": key, "item": incident.items[key].to_dict()})


def _item(incident: Incident, payload: Mapping[str, Any]) -> str:
    key = str(payload.get("action_key") or "")
    if key not in incident.items:
        raise CommandRejected(f"incident {incident.id} has no step {key!r}")
    return key


def acknowledge(incident: Incident, payload: Mapping[str, Any], ctx: Context) -> list[Event]:
    """A recipient acknowledges an alert or a unit acknowledges a task order; escalation of it stops."""
    key = _item(incident, payload)
    item = incident.items[key]
    if item.status != "pending":
        raise CommandRejected(f"step {key!r} is already {item.status}")
    incident.items[key] = replace(item.moved(ACKNOWLEDGED), acknowledged_at=ctx.now, acknowledged_by=ctx.who)
    return [_item_event(incident, key, "acknowledged", ctx, by=ctx.who)]


def complete(incident: Incident, payload: Mapping[str, Any], ctx: Context) -> list[Event]:
    """The owning unit reports a step done."""
    key = _item(incident, payload)
    item = incident.items[key]
    try:
        moved = item.moved(COMPLETED)
    except ItemTransitionError as exc:
        raise CommandRejected(str(exc)) from exc
    incident.items[key] = replace(
        moved, completed_at=ctx.now, completed_by=ctx.who, result=str(payload.get("result") or "")
    )
    return [_item_event(incident, key, "completed", ctx, by=ctx.who, result=str(payload.get("result") or ""))]


def decide(incident: Incident, payload: Mapping[str, Any], ctx: Context) -> list[Event]:
    """A commander raises or lowers the level, with a reason."""
    _require_open(incident)
    try:
        requested = Level.parse(str(payload.get("level") or ""))
        change = decide_level(
            ctx.playbook,
            incident.level,
            requested,
            reason=str(payload.get("reason") or ""),
            decided_by=ctx.who,
            running=incident.items,
            facts=incident.facts,
            venue_type=incident.venue_type,
            now=ctx.now,
            first_report_at=incident.first_report_at,
        )
    except (ValueError, LevelDecisionError) as exc:
        raise CommandRejected(str(exc)) from exc
    return _apply_level_change(incident, change, ctx)


def verify_facts(incident: Incident, payload: Mapping[str, Any], ctx: Context) -> list[Event]:
    """A duty officer's verified figures override the aggregate; who and why are recorded."""
    reason = str(payload.get("reason") or "").strip()
    if not reason:
        raise CommandRejected("verified facts need a reason")
    facts = Facts.from_mapping(payload.get("facts") or {})
    incident.verified = {"facts": facts.to_mapping(), "by": ctx.who, "reason": reason, "at": ctx.now.isoformat()}
    return [Event("FactsVerified", ctx.now, dict(incident.verified)), *regrade(incident, ctx)]


def add_note(incident: Incident, payload: Mapping[str, Any], ctx: Context) -> list[Event]:
    """A note on the timeline."""
    text = str(payload.get("text") or "").strip()
    if not text:
        raise CommandRejected("a note needs text")
    return [Event("NoteAdded", ctx.now, {"text": text, "by": ctx.who})]


def update_signals(incident: Incident, payload: Mapping[str, Any], ctx: Context) -> list[Event]:
    """Record inputs of the termination criteria (site controlled, patients stable since...)."""
    signals = payload.get("signals")
    if not isinstance(signals, Mapping) or not signals:
        raise CommandRejected("signals must be a non-empty object")
    incident.signals.update({str(k): v for k, v in signals.items() if k != "approved"})
    events = [Event("TerminationSignalsUpdated", ctx.now, {"signals": dict(signals), "by": ctx.who})]
    return events + _maybe_propose(incident, ctx)


def _termination(incident: Incident, ctx: Context, *, approved: bool) -> dict[str, Any]:
    signals: dict[str, Any] = {}
    for key, value in incident.signals.items():
        signals[key] = datetime.fromisoformat(value) if isinstance(value, str) else value
    signals.setdefault("last_case_at", incident.last_case_at or incident.first_report_at)
    signals["approved"] = approved
    return termination_check(ctx.playbook, signals=signals, now=ctx.now).to_dict()


def _maybe_propose(incident: Incident, ctx: Context) -> list[Event]:
    status = _termination(incident, ctx, approved=True)
    incident.termination = status
    if incident.status != ACTIVE or not status["ready"]:
        return []
    incident.move_to(TERMINATION_PROPOSED)
    return [
        Event(
            "TerminationProposed", ctx.now, {"by": None, "reason": "the playbook's criteria hold", "criteria": status}
        )
    ]


def propose_termination(incident: Incident, payload: Mapping[str, Any], ctx: Context) -> list[Event]:
    """A person proposes ending the response; the criteria are checked and shown, approval is separate."""
    if incident.status != ACTIVE:
        raise CommandRejected(f"only an active incident can be proposed for termination (it is {incident.status})")
    status = _termination(incident, ctx, approved=True)
    incident.termination = status
    incident.move_to(TERMINATION_PROPOSED)
    return [
        Event(
            "TerminationProposed",
            ctx.now,
            {
                "by": ctx.who,
                "reason": str(payload.get("reason") or ""),
                "criteria": status,
            },
        )
    ]


def approve_termination(incident: Incident, payload: Mapping[str, Any], ctx: Context) -> list[Event]:
    """A commander approves: the incident closes and the after-response steps are planned."""
    if incident.status != TERMINATION_PROPOSED:
        raise CommandRejected(f"termination must be proposed before it is approved (incident is {incident.status})")
    status = _termination(incident, ctx, approved=True)
    if not status["ready"]:
        raise CommandRejected(f"termination criteria do not hold: {', '.join(status['missing'])}")
    try:
        incident.move_to(CLOSED)
    except InvalidTransition as exc:
        raise CommandRejected(str(exc)) from exc
    incident.closed_at = ctx.now
    incident.termination = status
    closed = Event(
        "IncidentClosed",
        ctx.now,
        {
            "by": ctx.who,
            "reason": str(payload.get("reason") or ""),
            "criteria": status,
            "correlation_key": incident.correlation_key,
        },
    )
    post = plan_post_incident(
        ctx.playbook, incident.level, facts=incident.facts, venue_type=incident.venue_type, terminated_at=ctx.now
    )
    return [closed, *_plan(incident, post, ctx, cause="termination")]


def check_deadlines(incident: Incident, payload: Mapping[str, Any], ctx: Context) -> list[Event]:
    """Escalate every overdue step whose next escalation is due, one step along its chain."""
    events: list[Event] = []
    for item, role in due_escalations(incident.items, now=ctx.now, interval=escalation_interval(ctx.playbook)):
        step = item.escalation_step
        incident.items[item.key] = replace(item, escalation_step=step + 1)
        events.append(
            _item_event(
                incident,
                item.key,
                "escalated",
                ctx,
                by=None,
                to_role=role,
                step=step + 1,
                overdue_by_seconds=int((ctx.now - item.due_at).total_seconds()),
            )
        )
    if incident.status == ACTIVE:
        events.extend(_maybe_propose(incident, ctx))
    return events


def record_delivery(incident: Incident, payload: Mapping[str, Any], ctx: Context) -> list[Event]:
    """Put deliveries (or their final failures) on the timeline: `payload.deliveries`, or one delivery."""
    deliveries = payload.get("deliveries")
    records = deliveries if isinstance(deliveries, list) else [payload]
    events = []
    for record in records:
        delivered = record.get("status") in ("delivered", "diverted_to_exercise_sink")
        events.append(Event("NotificationSent" if delivered else "NotificationFailed", ctx.now, dict(record)))
    return events


def _require_open(incident: Incident) -> None:
    if incident.status == CLOSED:
        raise CommandRejected(f"incident {incident.id} is closed")


Handler = Callable[[Incident, Mapping[str, Any], Context], list[Event]]

COMMAND_HANDLERS: dict[str, Handler] = {
    "AcknowledgeAlert": acknowledge,
    "AcknowledgeTask": acknowledge,
    "CompleteTask": complete,
    "DecideLevel": decide,
    "SetVerifiedFacts": verify_facts,
    "AddNote": add_note,
    "UpdateTerminationSignals": update_signals,
    "ProposeTermination": propose_termination,
    "ApproveTermination": approve_termination,
    "CheckDeadlines": check_deadlines,
    "RecordDelivery": record_delivery,
}
"""Every command except ReceiveReport (which may open the incident) by type."""


def handle(incident: Incident, command_type: str, payload: Mapping[str, Any], ctx: Context) -> Outcome:
    """Apply one command to an existing incident; raise CommandRejected when it cannot apply."""
    handler = COMMAND_HANDLERS.get(command_type)
    if handler is None:
        raise CommandRejected(f"unknown command type {command_type!r}")
    return Outcome(incident, handler(incident, payload, ctx))
