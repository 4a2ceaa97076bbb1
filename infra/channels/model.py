"""Plain data of the delivery layer: recipients, outbound messages, attempts and results."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, NamedTuple

from infra.channels.errors import NoContactError

__all__ = [
    "AttemptOutcome",
    "CapDetails",
    "Contact",
    "DeliveryAttempt",
    "DeliveryResult",
    "DeliveryStatus",
    "Diversion",
    "Mode",
    "OutboundMessage",
    "Recipient",
    "idempotency_key",
]

Mode = Literal["actual", "exercise"]


class Contact(NamedTuple):
    """One address of a recipient on one channel."""

    channel: str
    address: str


@dataclass(frozen=True)
class Recipient:
    """A person or group that notifications go to; `contacts` maps channel name to address."""

    id: str
    name: str
    unit: str = ""
    role: str = ""
    contacts: Mapping[str, str] = field(default_factory=dict)

    def contact(self, channel: str) -> Contact:
        """The recipient's address on `channel`, or NoContactError."""
        address = self.contacts.get(channel)
        if not address:
            raise NoContactError(f"recipient {self.id!r} has no address on channel {channel!r}")
        return Contact(channel, address)


@dataclass(frozen=True)
class CapDetails:
    """What a CAP 1.2 alert needs beyond subject (headline) and body (description)."""

    event: str
    category: str = "Health"
    urgency: str = "Immediate"
    certainty: str = "Likely"
    scope: str = "Public"
    restriction: str | None = None
    msg_type: str = "Alert"
    references: tuple[str, ...] = ()
    """CAP references of earlier alerts, each "sender,identifier,sent"; required for Update/Cancel."""
    sender_name: str = ""
    instruction: str = ""
    area_desc: str = ""
    admin_code: str | None = None
    severity: str | None = None
    """The CAP severity when the message sets its own (a warning's colour); else the response level's."""
    area_descs: tuple[str, ...] = ()
    """Further affected areas (each its own <area>) besides `area_desc`."""


@dataclass(frozen=True)
class Diversion:
    """Why an exercise message went to the exercise sink instead of its real address."""

    recipient_id: str
    channel: str
    reason: str


@dataclass(frozen=True)
class OutboundMessage:
    """One notification to one recipient, as the response plan produced it (unmarked; the layer marks drills)."""

    id: str
    idempotency_key: str
    incident_id: str
    action_key: str
    subject: str
    body: str
    created_at: datetime
    mode: Mode = "actual"
    exercise_id: str | None = None
    level: str | None = None
    template: str = ""
    cap: CapDetails | None = None
    diversion: Diversion | None = None
    priority: int = 10
    """Lower goes first when a channel is busy (infra/channels/scheduler.py); 10 is a bulk page."""

    @property
    def is_exercise(self) -> bool:
        """True for a drill message."""
        return self.mode == "exercise"

    def record(self) -> dict[str, Any]:
        """The message as a receiver sees it (a webhook body, an outbox line): ids, text, mode, level and time."""
        return {
            "id": self.id,
            "idempotency_key": self.idempotency_key,
            "incident_id": self.incident_id,
            "action_key": self.action_key,
            "subject": self.subject,
            "body": self.body,
            "mode": self.mode,
            "exercise_id": self.exercise_id,
            "level": self.level,
            "created_at": self.created_at.isoformat(),
        }


class DeliveryStatus(StrEnum):
    """The final status of one delivery."""

    DELIVERED = "delivered"
    FAILED = "failed"
    DIVERTED = "diverted_to_exercise_sink"
    DUPLICATE = "duplicate"


class AttemptOutcome(StrEnum):
    """How one attempt ended."""

    OK = "ok"
    TEMPORARY_ERROR = "temporary_error"
    PERMANENT_ERROR = "permanent_error"


@dataclass(frozen=True)
class DeliveryAttempt:
    """One try at sending: when, through which channel, and how it ended."""

    number: int
    at: datetime
    channel: str
    outcome: AttemptOutcome
    error: str | None = None


@dataclass(frozen=True)
class DeliveryResult:
    """Everything the timeline needs about one delivery: its status, every attempt, and the reason it failed."""

    message_id: str
    idempotency_key: str
    recipient_id: str
    channel: str
    routed_to: str
    status: DeliveryStatus
    mode: Mode
    exercise_id: str | None = None
    attempts: tuple[DeliveryAttempt, ...] = ()
    reason: str | None = None

    @property
    def succeeded(self) -> bool:
        """True when the message reached its real address or the exercise sink."""
        return self.status in (DeliveryStatus.DELIVERED, DeliveryStatus.DIVERTED)


def idempotency_key(incident_id: str, action_key: str, recipient_id: str, attempt_key: str = "") -> str:
    """The deduplication key of a notification: a SHA-256 over (incident, action, recipient, attempt key)."""
    parts = json.dumps([incident_id, action_key, recipient_id, attempt_key], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(parts.encode("utf-8")).hexdigest()
