"""Exercise isolation (DESIGN invariant 5): who may receive a drill's messages, and where the rest go.

The guard never trusts the caller. An exercise message reaches a real address only when its recipient is a
registered participant of *that* exercise; otherwise it is diverted to the exercise sink and the diversion
is recorded. An exercise message without an exercise_id, or an actual message carrying one, is refused.
Actual messages are never routed to the sink.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from infra.channels.errors import ExerciseIsolationViolation
from infra.channels.model import Diversion, OutboundMessage, Recipient
from infra.channels.templates import EXERCISE_MARK

__all__ = ["ExerciseRegistry", "Route", "mark_exercise", "route"]


class ExerciseRegistry:
    """Exercise id → the recipient ids taking part, and the sink address of the exercise."""

    def __init__(self) -> None:
        self._participants: dict[str, frozenset[str]] = {}
        self._sinks: dict[str, str] = {}

    def register(self, exercise_id: str, participants: Iterable[str], sink_address: str | None = None) -> None:
        """Register (or replace) an exercise's participants and its sink address."""
        if not exercise_id:
            raise ValueError("an exercise needs a non-empty id")
        self._participants[exercise_id] = frozenset(participants)
        self._sinks[exercise_id] = sink_address or f"exercise:{exercise_id}"

    def unregister(self, exercise_id: str) -> None:
        """Forget an exercise: from now on every one of its messages goes to the sink."""
        self._participants.pop(exercise_id, None)

    def participants(self, exercise_id: str) -> frozenset[str]:
        """The registered participants of `exercise_id` (none when unknown)."""
        return self._participants.get(exercise_id, frozenset())

    def is_participant(self, exercise_id: str, recipient_id: str) -> bool:
        """True when `recipient_id` is registered in `exercise_id`."""
        return recipient_id in self.participants(exercise_id)

    def sink_address(self, exercise_id: str) -> str:
        """Where diverted messages of `exercise_id` go on the sink channel."""
        return self._sinks.get(exercise_id, f"exercise:{exercise_id}")


@dataclass(frozen=True)
class Route:
    """Where the guard lets a message go: the real channel and address, or the exercise sink."""

    message: OutboundMessage
    address: str
    to_sink: bool


def mark_exercise(message: OutboundMessage) -> OutboundMessage:
    """The message with "【演练】 EXERCISE" prefixed to subject and body when it is a drill (idempotent)."""
    if not message.is_exercise:
        return message

    def mark(text: str) -> str:
        return text if text.startswith(EXERCISE_MARK) else f"{EXERCISE_MARK} {text}"

    return dataclasses.replace(message, subject=mark(message.subject), body=mark(message.body))


def route(message: OutboundMessage, recipient: Recipient, channel: str, registry: ExerciseRegistry) -> Route:
    """Decide where `message` for `recipient` on `channel` may go; raise ExerciseIsolationViolation if nowhere."""
    if message.mode == "actual":
        if message.exercise_id:
            raise ExerciseIsolationViolation(
                f"message {message.id!r} is actual but carries exercise_id {message.exercise_id!r}"
            )
        return Route(message, recipient.contact(channel).address, to_sink=False)
    if message.mode != "exercise":
        raise ExerciseIsolationViolation(f"message {message.id!r} has unknown mode {message.mode!r}")
    if not message.exercise_id:
        raise ExerciseIsolationViolation(f"exercise message {message.id!r} has no exercise_id")
    marked = mark_exercise(message)
    if registry.is_participant(message.exercise_id, recipient.id):
        return Route(marked, recipient.contact(channel).address, to_sink=False)
    reason = f"recipient {recipient.id!r} is not a registered participant of exercise {message.exercise_id!r}"
    diverted = dataclasses.replace(marked, diversion=Diversion(recipient.id, channel, reason))
    return Route(diverted, registry.sink_address(message.exercise_id), to_sink=True)
