"""Generic webhook: POST the whole message as JSON to the recipient's URL."""

from __future__ import annotations

from typing import Any

import httpx

from infra.channels._http import message_headers, post_json
from infra.channels.base import Channel
from infra.channels.model import OutboundMessage

__all__ = ["WebhookChannel", "message_payload"]


def message_payload(message: OutboundMessage) -> dict[str, Any]:
    """The JSON body a webhook receives."""
    payload: dict[str, Any] = {
        "id": message.id,
        "idempotency_key": message.idempotency_key,
        "incident_id": message.incident_id,
        "action_key": message.action_key,
        "subject": message.subject,
        "body": message.body,
        "mode": message.mode,
        "exercise_id": message.exercise_id,
        "level": message.level,
        "created_at": message.created_at.isoformat(),
    }
    if message.diversion is not None:
        payload["diversion"] = {
            "recipient_id": message.diversion.recipient_id,
            "channel": message.diversion.channel,
            "reason": message.diversion.reason,
        }
    return payload


class WebhookChannel(Channel):
    """POSTs `message_payload(message)` to the address (a URL); also usable as an exercise sink."""

    def __init__(self, client: httpx.AsyncClient, name: str = "webhook") -> None:
        self.name = name
        self._client = client

    async def _transmit(self, message: OutboundMessage, address: str) -> None:
        await post_json(self._client, address, message_payload(message), message_headers(message))
