"""Notification delivery: channels, exercise isolation, retries and deduplication, CAP 1.2 alerts.

Deliver only through `Dispatcher.deliver`; channels refuse to send outside it (see base.py).
"""

from infra.channels.base import Channel, MemorySink
from infra.channels.bots import DingTalkChannel, FeishuChannel, WeComChannel
from infra.channels.cap import CapAlert, CapArea, CapInfo, cap_alert_from_message, render_cap_alert, severity_for_level
from infra.channels.cap_feed import CapAlertStore, CapChannel, InMemoryCapAlertStore, exercise_feed, render_atom_feed
from infra.channels.circuits import Circuits
from infra.channels.dispatcher import Dispatcher, RetryPolicy, delivery_key
from infra.channels.email import EmailChannel
from infra.channels.errors import (
    CapError,
    DeliveryError,
    ExerciseIsolationViolation,
    NoContactError,
    PermanentDeliveryError,
    TemplateError,
    TemporaryDeliveryError,
    UnknownChannelError,
)
from infra.channels.isolation import ExerciseRegistry, mark_exercise
from infra.channels.model import (
    AttemptOutcome,
    CapDetails,
    Contact,
    DeliveryAttempt,
    DeliveryResult,
    DeliveryStatus,
    Diversion,
    Mode,
    OutboundMessage,
    Recipient,
    idempotency_key,
)
from infra.channels.sms import SmsGatewayChannel
from infra.channels.store import DeliveryStore, InMemoryDeliveryStore
from infra.channels.templates import EXERCISE_MARK, MessageTemplate, TemplateBook, compose_message
from infra.channels.webhook import WebhookChannel

__all__ = [
    "EXERCISE_MARK",
    "AttemptOutcome",
    "CapAlert",
    "CapAlertStore",
    "CapArea",
    "CapChannel",
    "CapDetails",
    "CapError",
    "CapInfo",
    "Channel",
    "Circuits",
    "Contact",
    "DeliveryAttempt",
    "DeliveryError",
    "DeliveryResult",
    "DeliveryStatus",
    "DeliveryStore",
    "DingTalkChannel",
    "Dispatcher",
    "Diversion",
    "EmailChannel",
    "ExerciseIsolationViolation",
    "ExerciseRegistry",
    "FeishuChannel",
    "InMemoryCapAlertStore",
    "InMemoryDeliveryStore",
    "MemorySink",
    "MessageTemplate",
    "Mode",
    "NoContactError",
    "OutboundMessage",
    "PermanentDeliveryError",
    "Recipient",
    "RetryPolicy",
    "SmsGatewayChannel",
    "TemplateBook",
    "TemplateError",
    "TemporaryDeliveryError",
    "UnknownChannelError",
    "WeComChannel",
    "WebhookChannel",
    "cap_alert_from_message",
    "compose_message",
    "delivery_key",
    "exercise_feed",
    "idempotency_key",
    "mark_exercise",
    "render_atom_feed",
    "render_cap_alert",
    "severity_for_level",
]
