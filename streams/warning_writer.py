"""The single writer of standalone warnings (`WRN-...`, docs/adr/0027), framework-free.

Warning commands travel on `incident-commands` keyed by the warning id, so the incident writer's partition
owner applies them in order, and hands them here (streams/writer.py). The state is stored in the same table
under the warning id; the events go to `incident-events` with the warning in `payload.warning`. A refused
command becomes a `CommandRejected` event under the warning's key (also for an issue that never created one),
so the API's `?wait` reports the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog

from infra.clock import Clock
from infra.wire import Envelope, WireError, stable_id
from infra.wire.incident import actor_of, command_from_envelope, event_type
from infra.wire.warning import WARNING_SNAPSHOT, warning_event_envelope
from playbooks.commands import IssueWarning
from playbooks.context import CommandRefused, Context
from playbooks.events import CommandRejected, Event
from playbooks.json_types import JsonObject
from playbooks.model import Playbook
from playbooks.warnings import HazardWarning, handle_warning, issue_warning

log = structlog.get_logger("tocsin.streams")

PlaybookFor = Callable[[str, str | None], Awaitable[Playbook]]
"""`(incident_type, version)` → the playbook whose templates a warning is written with."""
Emit = Callable[[str, Envelope], Awaitable[Awaitable[object] | None]]
"""`(key, envelope)`: put one event on `incident-events`; may return what completes once it is written."""
Remember = Callable[[JsonObject, JsonObject | None, str], None]
"""`(new state, stored state, command id)`: store the warning's state with the commands it applied."""


class WarningWriter:
    """Applies commands to standalone warnings; the incident writer passes it every `WRN-...` command."""

    def __init__(self, playbook_for: PlaybookFor, clock: Clock, emit: Emit, remember: Remember) -> None:
        self.playbook_for, self.clock, self.emit, self.remember = playbook_for, clock, emit, remember

    async def apply(self, envelope: Envelope, stored: JsonObject | None) -> None:
        """Apply one command envelope to its warning (or issue a new one), publish the events, store the state."""
        warning_id = str(envelope.incident_id)
        now = self.clock.now()
        warning = HazardWarning.from_dict(stored) if stored else None
        try:
            command = command_from_envelope(envelope)
            if warning is None:
                if not isinstance(command, IssueWarning) or command.warning_id != warning_id:
                    raise CommandRefused(f"there is no warning {warning_id}; issue it first (IssueWarning)")
                playbook = await self.playbook_for(command.incident_type, None)
                warning, events = issue_warning(
                    command, Context(playbook, now), mode=envelope.mode, exercise_id=envelope.exercise_id
                )
            else:
                playbook = await self.playbook_for(warning.incident_type, warning.playbook_version)
                events = handle_warning(warning, command, Context(playbook, now))
        except (WireError, CommandRefused, LookupError) as exc:
            await self._reject(envelope, stored, str(exc), now)
            return
        await self._commit(envelope, warning, events, stored)

    async def _commit(
        self, envelope: Envelope, warning: HazardWarning, events: list[Event], stored: JsonObject | None
    ) -> None:
        """Publish the events numbered and with deterministic ids; store the state once they are written."""
        written = [
            await self.emit(warning.id, warning_event_envelope(e, warning, warning.next_seq(), envelope.id))
            for e in events
        ]
        await asyncio.gather(*(w for w in written if w is not None))
        self.remember(warning.to_dict(), stored, envelope.id)

    async def _reject(self, envelope: Envelope, stored: JsonObject | None, reason: str, now: datetime) -> None:
        """A `CommandRejected` under the warning's key; numbered on the warning when it exists."""
        log.info("warning.command_rejected", type=envelope.type, id=envelope.id, warning_id=envelope.incident_id)
        rejected = CommandRejected(
            at=now, command_id=envelope.id, command=envelope.type, reason=reason, by=actor_of(envelope)
        )
        if stored:
            await self._commit(envelope, HazardWarning.from_dict(stored), [rejected], stored)
            return
        orphan = Envelope.new(
            event_type(rejected),
            at=now,
            mode=envelope.mode,
            exercise_id=envelope.exercise_id,
            causation=envelope.id,
            incident_id=envelope.incident_id,
            id_=stable_id("rejected", str(envelope.incident_id), envelope.id),
            payload={"seq": 0, "event": rejected.to_data(), WARNING_SNAPSHOT: None},
        )
        sent = await self.emit(str(envelope.incident_id), orphan)
        if sent is not None:
            await sent
