"""Message templates per action: `string.Template` placeholders (`$name`, `${name}`), rendered in one pass.

Values are substituted once and never re-parsed, so a report's free text cannot inject placeholders.
The exercise marking is not a template's business: the delivery layer adds it (see isolation.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from string import Template

from infra.channels.errors import TemplateError
from infra.channels.model import CapDetails, Mode, OutboundMessage, idempotency_key

__all__ = ["DEFAULT_TEMPLATE", "EXERCISE_MARK", "MessageTemplate", "TemplateBook", "compose_message"]

EXERCISE_MARK = "【演练】 EXERCISE"
"""Prefixed to the subject and body of every exercise message, by the layer, never by callers."""

_MESSAGE_NAMESPACE = uuid.UUID("6f1d7a8e-3c2b-5e4f-9a0b-7c6d5e4f3a2b")


def _parse(text: str, where: str) -> Template:
    template = Template(text)
    if not template.is_valid():
        raise TemplateError(f"{where}: malformed placeholder in {text!r} (use $name or ${{name}}, $$ for $)")
    return template


@dataclass(frozen=True)
class MessageTemplate:
    """A subject and a body with `$name` placeholders; checked when built."""

    subject: str
    body: str
    name: str = ""

    def __post_init__(self) -> None:
        _parse(self.subject, f"template {self.name!r} subject")
        _parse(self.body, f"template {self.name!r} body")

    @property
    def placeholders(self) -> frozenset[str]:
        """Every placeholder name the template uses."""
        return frozenset(Template(self.subject).get_identifiers()) | frozenset(Template(self.body).get_identifiers())

    def render(self, values: Mapping[str, object]) -> tuple[str, str]:
        """The (subject, body) with every placeholder filled, or TemplateError naming the missing ones."""
        missing = sorted(self.placeholders - values.keys())
        if missing:
            raise TemplateError(f"template {self.name!r}: no value for {', '.join(missing)}")
        text = {key: str(value) for key, value in values.items()}
        return Template(self.subject).substitute(text), Template(self.body).substitute(text)


DEFAULT_TEMPLATE = MessageTemplate(
    name="default",
    subject="【${level_name}】${incident_title}：${action_title}",
    body="${action_title}\n事件：${incident_title}（${incident_id}）\n${message}\n请在 ${deadline} 前处置并回执。",
)
"""Used for any action that has no template of its own."""


@dataclass(frozen=True)
class TemplateBook:
    """Templates by action key, with a fallback for the rest."""

    templates: Mapping[str, MessageTemplate] = field(default_factory=dict)
    default: MessageTemplate = DEFAULT_TEMPLATE

    def for_action(self, action_key: str) -> MessageTemplate:
        """The template of `action_key`, or the default."""
        return self.templates.get(action_key, self.default)


def compose_message(  # noqa: PLR0913 - the message's fields, all keyword-only
    template: MessageTemplate,
    values: Mapping[str, object],
    *,
    incident_id: str,
    action_key: str,
    recipient_id: str,
    created_at: datetime,
    mode: Mode = "actual",
    exercise_id: str | None = None,
    level: str | None = None,
    attempt_key: str = "",
    cap: CapDetails | None = None,
    priority: int = 10,
) -> OutboundMessage:
    """An OutboundMessage rendered from `template`, with a deterministic id and idempotency key."""
    subject, body = template.render(values)
    key = idempotency_key(incident_id, action_key, recipient_id, attempt_key)
    return OutboundMessage(
        id=str(uuid.uuid5(_MESSAGE_NAMESPACE, key)),
        idempotency_key=key,
        incident_id=incident_id,
        action_key=action_key,
        subject=subject,
        body=body,
        created_at=created_at,
        mode=mode,
        exercise_id=exercise_id,
        level=level,
        template=template.name,
        cap=cap,
        priority=priority,
    )
