"""The incident writer, framework-free: one command envelope in, numbered event envelopes out.

The single writer per incident (DESIGN.md invariant 2) converts each envelope to its typed command once,
applies it through the domain, publishes the events with deterministic ids, and stores the new state. The
worker passes its faust table, its playbook cache, its clock and a send function (streams/incident_agent.py);
a test passes a dict, a library lookup, a fixed clock and a list. Nothing here imports faust.

A command that does not fit, or that the domain refuses (wrong state, or an actor without the role), becomes
a `CommandRejected` event on the incident's timeline; it never stops the writer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from infra.calendar import STATE_COUNCIL
from infra.clock import Clock
from infra.wire import Envelope, WireError
from infra.wire.incident import (
    actor_of,
    command_envelope,
    command_from_envelope,
    correlation_closed,
    event_envelope,
    report_redirected,
)
from playbooks.commands import CheckDeadlines, Command, PersonCommand, ReceiveReport
from playbooks.duration import WorkingCalendar
from playbooks.events import CommandRejected, IncidentClosed
from playbooks.handlers import CommandRefused, Context, Outcome, escalation_interval, handle, receive_report
from playbooks.incident import Incident, IncidentStatus, from_dict, to_dict
from playbooks.json_types import JsonObject
from playbooks.model import Playbook
from playbooks.organisation import Organisation
from playbooks.response import next_deadline
from playbooks.warnings import is_warning_id
from streams.warning_writer import WarningWriter

log = structlog.get_logger("tocsin.streams")

StoredState = JsonObject  # JSON boundary: the serialised incident (playbooks.incident.to_dict) plus writer fields
NEXT_ATTENTION = "next_attention_at"
"""Stored beside the state: when the incident next needs a deadline check (read by the sweep)."""
RECENT_COMMANDS = "recent_commands"
"""Stored beside the state: ids of the latest commands applied, so a redelivered one is skipped."""
REMEMBERED_COMMANDS = 64
"""How many command ids an incident remembers (redeliveries come within the last uncommitted batch)."""


class StateStore(Protocol):
    """Serialised incident states by incident id (the worker's changelogged faust table satisfies it)."""

    def get(self, key: str, /) -> StoredState | None:
        """The stored state of an incident, or None."""

    def __setitem__(self, key: str, value: StoredState, /) -> None:
        """Store an incident's state."""


PlaybookLookup = Callable[[str, str | None, str | None], Awaitable[Playbook]]
"""`(incident_type, version, rule_set)` → the playbook an incident runs under."""
Publish = Callable[[str, str, Envelope], Awaitable[Awaitable[object] | None]]
"""`(topic name, key, envelope)`: put one message on a topic; may return an awaitable that completes once the
broker has durably written it (the writer awaits those before it stores the new state)."""


@dataclass(frozen=True)
class WriterTopics:
    """Where the writer publishes: the incident events, and correlation's input (for closed incidents)."""

    events: str
    accepted: str


class IncidentWriter:
    """Applies commands to incidents; one instance per worker, fed by the partitions it owns."""

    def __init__(  # noqa: PLR0913 - the writer's collaborators; the district's calendar and organisation optional
        self,
        store: StateStore,
        playbook_for: PlaybookLookup,
        clock: Clock,
        publish: Publish,
        topics: WriterTopics,
        calendar: WorkingCalendar = STATE_COUNCIL,
        district: Organisation | None = None,
    ) -> None:
        self.store, self.playbook_for, self.clock = store, playbook_for, clock
        self.publish, self.topics = publish, topics
        self.calendar = calendar
        """Working days for `N working days` deadlines: the State Council's holidays and make-up days."""
        self.district = district
        """The district's units: a report naming a town not in it is accepted and flagged."""
        self.warnings = WarningWriter(self._warning_playbook, clock, self._emit_warning, self._remember)
        """The writer of standalone warnings (`WRN-...`), whose commands share the incidents' topic (ADR 0027)."""

    async def _playbook(self, incident_type: str, version: str | None, rule_set: str | None) -> Playbook:
        """The incident's playbook, counting working days on the writer's calendar."""
        return (await self.playbook_for(incident_type, version, rule_set)).with_calendar(self.calendar)

    async def apply(self, envelope: Envelope) -> None:
        """Apply one command envelope to its incident, publish the events, and store the new state."""
        incident_id = envelope.incident_id
        if not incident_id:
            log.warning("command.no_incident_id", type=envelope.type, id=envelope.id)
            return
        stored = self.store.get(incident_id)
        if stored and envelope.id in (stored.get(RECENT_COMMANDS) or ()):
            log.info("command.repeated", type=envelope.type, id=envelope.id, incident_id=incident_id)
            return
        if is_warning_id(incident_id):
            await self.warnings.apply(envelope, stored)
            return
        now = self.clock.now()
        try:
            command = command_from_envelope(envelope)
        except WireError as exc:
            if not stored:
                log.warning("command.malformed", id=envelope.id, incident_id=incident_id, reason=str(exc))
                return
            await self._reject(envelope, stored, str(exc), by=actor_of(envelope), now=now)
            return
        if isinstance(command, ReceiveReport):
            await self._receive(envelope, command, stored, incident_id, now)
            return
        if not stored:
            log.warning("command.unknown_incident", type=envelope.type, id=envelope.id, incident_id=incident_id)
            return
        state = from_dict(stored)
        playbook = await self._playbook(state.incident_type, state.playbook_version, state.rule_set)
        try:
            outcome = handle(state, command, Context(playbook, now, self.district))
        except CommandRefused as exc:
            await self._reject(envelope, stored, str(exc), by=_person(command), now=now)
            return
        await self._commit(envelope, outcome, playbook, stored)

    async def _warning_playbook(self, incident_type: str, version: str | None) -> Playbook:
        """The playbook a standalone warning is written with."""
        return await self._playbook(incident_type, version, None)

    async def _emit_warning(self, key: str, message: Envelope) -> Awaitable[object] | None:
        """Put a warning's event on the incident events topic."""
        return await self.publish(self.topics.events, key, message)

    def _remember(self, data: StoredState, stored: StoredState | None, command_id: str) -> None:
        """Store an aggregate's state with the ids of the latest commands it applied."""
        recent = [*((stored or {}).get(RECENT_COMMANDS) or ()), command_id]
        self.store[str(data["id"])] = {**data, RECENT_COMMANDS: recent[-REMEMBERED_COMMANDS:]}

    async def _receive(
        self, envelope: Envelope, command: ReceiveReport, stored: StoredState | None, incident_id: str, now: datetime
    ) -> None:
        """Open or update the incident with a report; a report for a closed incident goes back to correlation."""
        state = from_dict(stored) if stored else None
        if state is not None and state.status is IncidentStatus.CLOSED:
            log.info("report.after_close", incident_id=state.id, command=envelope.id)
            await self.publish(self.topics.accepted, state.correlation_key, report_redirected(envelope))
            return
        playbook = await self._playbook(
            command.report.incident_type,
            state.playbook_version if state else None,
            state.rule_set if state else None,
        )
        outcome = receive_report(state, incident_id, command, Context(playbook, now, self.district))
        await self._commit(envelope, outcome, playbook, stored)

    async def _reject(
        self, envelope: Envelope, stored: StoredState, reason: str, *, by: str | None, now: datetime
    ) -> None:
        """Put the refusal on the timeline, on the stored state (a refused handler may have changed its copy)."""
        state = from_dict(stored)
        log.info("command.rejected", type=envelope.type, id=envelope.id, incident_id=state.id, reason=reason)
        rejected = CommandRejected(at=now, command_id=envelope.id, command=envelope.type, reason=reason, by=by)
        await self._emit(envelope, Outcome(state, [rejected]))
        self._store(envelope, state, stored, next_attention=stored.get(NEXT_ATTENTION))

    async def _commit(
        self, envelope: Envelope, outcome: Outcome, playbook: Playbook, stored: StoredState | None
    ) -> None:
        await self._emit(envelope, outcome)
        if outcome.events:
            running = outcome.incident.status is not IncidentStatus.CLOSED
            deadline = next_deadline(outcome.incident.items, escalation_interval(playbook), recurring=running)
            self._store(envelope, outcome.incident, stored, next_attention=deadline.isoformat() if deadline else None)

    async def _emit(self, envelope: Envelope, outcome: Outcome) -> None:
        """Publish the events, numbered and with deterministic ids, under the incident's key; return once written.

        The new state is stored only after its events are durably on the log: stored first, a crash could leave a
        state that already holds a report (or a command id the writer skips as a repeat) whose events were lost
        with the producer's buffer, and the replayed command would then change nothing.
        """
        incident = outcome.incident
        written: list[Awaitable[object]] = []
        for event in outcome.events:
            seq = incident.next_seq()
            sent = await self.publish(
                self.topics.events, incident.id, event_envelope(event, incident, seq, envelope.id)
            )
            written.extend([sent] if sent is not None else [])
            if isinstance(event, IncidentClosed):
                marker = correlation_closed(incident, at=event.at, causation=envelope.id)
                sent = await self.publish(self.topics.accepted, incident.correlation_key, marker)
                written.extend([sent] if sent is not None else [])
        await asyncio.gather(*written)

    def _store(
        self, envelope: Envelope, incident: Incident, stored: StoredState | None, *, next_attention: str | None
    ) -> None:
        self._remember({**to_dict(incident), NEXT_ATTENTION: next_attention}, stored, envelope.id)


def _person(command: Command) -> str | None:
    return command.actor.person if isinstance(command, PersonCommand) else None


def deadline_checks(states: Iterable[tuple[str, StoredState]], now: datetime) -> list[Envelope]:
    """A CheckDeadlines command for each incident whose next deadline is due at `now` (the sweep sends them)."""
    due: list[Envelope] = []
    for incident_id, stored in states:
        when = stored.get(NEXT_ATTENTION) if isinstance(stored, dict) else None
        if when and datetime.fromisoformat(when) <= now:
            check = CheckDeadlines(now=now)
            mode, exercise_id = stored["mode"], stored.get("exercise_id")
            due.append(command_envelope(check, incident_id=incident_id, at=now, mode=mode, exercise_id=exercise_id))
    return due
