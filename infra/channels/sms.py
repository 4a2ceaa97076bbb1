"""SMS through an HTTP gateway: POST {"to": phone, "text": ...} to one configured URL."""

from __future__ import annotations

import httpx

from infra.channels._http import message_headers, post_json
from infra.channels.base import Channel
from infra.channels.model import OutboundMessage

__all__ = ["SmsGatewayChannel", "sms_text"]


def sms_text(message: OutboundMessage) -> str:
    """The text of an SMS: the subject, a newline, the body (just the body when it already starts with the subject)."""
    if not message.subject or message.body.startswith(message.subject):
        return message.body
    return f"{message.subject}\n{message.body}"


class SmsGatewayChannel(Channel):
    """Sends to the address (a phone number) through the gateway at `gateway_url`."""

    def __init__(
        self, client: httpx.AsyncClient, gateway_url: str, *, token: str | None = None, name: str = "sms"
    ) -> None:
        self.name = name
        self._client = client
        self._url = gateway_url
        self._token = token

    async def _transmit(self, message: OutboundMessage, address: str) -> None:
        headers = message_headers(message)
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        await post_json(self._client, self._url, {"to": address, "text": sms_text(message)}, headers)
