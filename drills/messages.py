"""Message injects to the players (a phone call, a media query, a message...) delivered through the Dispatcher.

Who receives it: each receiver is a unit of the organisation (its members) or a role (the exercise's
participants who hold it; `town_office`: the participants of any town); no receivers means every participant.
Every message goes through `infra.channels.Dispatcher` with `mode=exercise` and the exercise id, so the
delivery layer marks it 【演练】 EXERCISE and sends anyone who is not a participant of this exercise to the
exercise sink (ADR 0008), whatever this module resolved. The result says who got it, who was diverted, and
what failed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from drills.effects import DeliverMessage
from infra.channels import (
    DeliveryStatus,
    Dispatcher,
    ExerciseIsolationViolation,
    MessageTemplate,
    Recipient,
    compose_message,
    delivery_key,
)
from infra.clock import SystemClock
from infra.db.engine import Database
from infra.notify.cap_store import SqlCapAlertStore
from infra.notify.factory import build_dispatcher
from infra.notify.recipients import channels_for, recipient_of
from infra.notify.stores import SENDING, SqlDeliveryStore, exercise_registry
from infra.settings import Settings
from playbooks.organisation import DISTRICT_ROLES, INCIDENT_TOWN, Organisation, OrganisationError, Person

log = structlog.get_logger("tocsin.drills.messages")

TEMPLATE = MessageTemplate(
    name="drill_message",
    subject="${title}",
    body="${title}\n${text}\n—— ${sender}（${kind}）\n演练 exercise: ${exercise_id}",
)
"""A message inject as a notification (the delivery layer adds the exercise marking)."""
KINDS = {
    "message": "消息 message",
    "media_query": "媒体问询 media query",
    "phone_call": "来电 phone call",
    "decision_request": "决策请求 decision request",
}


@dataclass(frozen=True)
class Failure:
    """A receiver or a delivery that did not work, and why."""

    recipient: str
    reason: str
    channel: str = ""

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"recipient": self.recipient, "channel": self.channel, "reason": self.reason}


@dataclass(frozen=True)
class MessageDelivery:
    """What became of one message inject: participants reached, people diverted to the sink, failures."""

    message: DeliverMessage
    delivered_to: tuple[str, ...]
    diverted: tuple[str, ...]
    failed: tuple[Failure, ...]

    def to_dict(self) -> dict[str, Any]:
        """The `messages` entry of the DrillUpdated snapshot (ADR 0018)."""
        m = self.message
        return {
            "inject_id": m.inject_id,
            "at": m.at.isoformat(),
            "type": m.type,
            "sender": m.sender,
            "receivers": list(m.receivers),
            "title": m.title,
            "text": m.text,
            "delivered_to": list(self.delivered_to),
            "diverted": list(self.diverted),
            "failed": [f.to_dict() for f in self.failed],
        }


def resolve_receivers(
    organisation: Organisation, receivers: Sequence[str], participants: Sequence[str]
) -> tuple[list[Person], list[Failure]]:
    """The people a message inject addresses, and the receivers that name nobody.

    A unit: its members (the Dispatcher diverts those who do not play). A role: the participants holding it
    (`town_office`: the participants of any town). No receivers: every participant.
    """
    playing = set(participants)
    if not receivers:
        return _people(organisation, participants), []
    found: dict[str, Person] = {}
    unknown: list[Failure] = []
    for receiver in receivers:
        people = _addressed(organisation, receiver, playing)
        if people is None:
            unknown.append(Failure(receiver, f"receiver {receiver!r} is not a unit or a role of the organisation"))
        elif not people:
            unknown.append(Failure(receiver, f"receiver {receiver!r}: no participant of the exercise"))
        found.update((p.id, p) for p in people or ())
    return list(found.values()), unknown


def _addressed(organisation: Organisation, receiver: str, playing: set[str]) -> list[Person] | None:
    """The people `receiver` addresses; None when it names no unit and no role of the organisation."""
    try:
        members: list[Person] | None = list(organisation.people_in(receiver))
    except OrganisationError:
        members = None
    if receiver == INCIDENT_TOWN:
        holders = [p for town in organisation.towns() for p in organisation.people_in(town.id)]
    else:
        holders = [p for p in organisation.people if p.has_role(DISTRICT_ROLES.get(receiver, receiver))]
    if members is None and not holders:
        return None
    people = [*(members or ()), *(p for p in holders if p.id in playing)]
    return list({p.id: p for p in people}.values())


def _people(organisation: Organisation, ids: Iterable[str]) -> list[Person]:
    people = []
    for person_id in ids:
        try:
            people.append(organisation.person(person_id))
        except OrganisationError:
            continue
    return people


class Courier:
    """Delivers one exercise's message injects through the Dispatcher, on the enabled channels."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        store: SqlDeliveryStore,
        organisation: Organisation,
        channels: Sequence[str],
        participants: Sequence[str],
    ) -> None:
        self.dispatcher, self.store, self.organisation = dispatcher, store, organisation
        self.channels, self.participants = list(channels), list(participants)

    async def deliver(self, message: DeliverMessage) -> MessageDelivery:
        """Send `message` to each person it addresses on each enabled channel they have; say what happened."""
        people, failed = resolve_receivers(self.organisation, message.receivers, self.participants)
        delivered: dict[str, None] = {}
        diverted: dict[str, None] = {}
        for person in people:
            recipient = recipient_of(person)
            channels = channels_for(recipient, self.channels)
            if not channels:
                failed.append(
                    Failure(
                        person.id,
                        f"{person.id} has no address on any enabled channel ({', '.join(self.channels) or 'none'})",
                    )
                )
            for channel in channels:
                status, reason = await self._send(message, recipient, channel)
                if status == DeliveryStatus.DIVERTED.value:
                    diverted[person.id] = None
                elif status == DeliveryStatus.DELIVERED.value:
                    delivered[person.id] = None
                else:
                    failed.append(Failure(person.id, reason or status, channel))
        outcome = MessageDelivery(
            message, tuple(delivered), tuple(p for p in diverted if p not in delivered), tuple(failed)
        )
        log.info(
            "drill.message.delivered",
            exercise_id=message.exercise_id,
            inject_id=message.inject_id,
            delivered_to=list(outcome.delivered_to),
            diverted=len(outcome.diverted),
            failed=len(outcome.failed),
        )
        return outcome

    async def _send(self, message: DeliverMessage, recipient: Recipient, channel: str) -> tuple[str, str | None]:
        """Deliver once; return the delivery's status and reason (for a repeat: those of the first delivery)."""
        outbound = compose_message(
            TEMPLATE,
            {
                "title": message.title,
                "text": message.text,
                "sender": message.sender,
                "kind": KINDS.get(message.type, message.type),
                "exercise_id": message.exercise_id,
            },
            incident_id=message.exercise_id,
            action_key=f"inject:{message.inject_id}",
            recipient_id=recipient.id,
            created_at=message.at,
            mode="exercise",
            exercise_id=message.exercise_id,
            attempt_key="drill-message",
        )
        try:
            result = await self.dispatcher.deliver(outbound, recipient, channel)
        except ExerciseIsolationViolation as error:
            return DeliveryStatus.FAILED.value, str(error)
        if result.status is not DeliveryStatus.DUPLICATE:
            return result.status.value, result.reason
        logged = await self.store.logged(delivery_key(outbound, channel))
        if logged is None or logged[0] == SENDING:
            return DeliveryStatus.FAILED.value, (
                "outcome unknown: an earlier send was cut off; not sent again to "
                "avoid a duplicate — confirm receipt with the recipient"
            )
        return logged[0], logged[1].get("reason")


@asynccontextmanager
async def open_courier(
    settings: Settings, exercise_id: str, organisation: Organisation, participants: Sequence[str]
) -> AsyncIterator[Courier]:
    """A Courier on the platform's delivery layer: SQL delivery log, the exercise's registry, the CAP store."""
    db = Database(settings.database_url)
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            registry = await exercise_registry(db, exercise_id)
            store = SqlDeliveryStore(db)
            dispatcher = build_dispatcher(settings, store, registry, SystemClock(), client, SqlCapAlertStore(db))
            yield Courier(dispatcher, store, organisation, settings.notify_channel_list, participants)
    finally:
        await db.dispose()
