"""SMS through an HTTP gateway: POST {"to": phone, "text": ...} to one configured URL, with a token header."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from infra.channels._http import Destination, message_headers, post_json
from infra.channels.base import Channel
from infra.channels.model import OutboundMessage

__all__ = ["SmsGatewayChannel", "sms_text"]


def sms_text(message: OutboundMessage) -> str:
    """The text of an SMS: the subject, a newline, the body (just the body when it already starts with the subject)."""
    if not message.subject or message.body.startswith(message.subject):
        return message.body
    return f"{message.subject}\n{message.body}"


class SmsGatewayChannel(Channel):
    """Sends to the address (a phone number) through the gateway at `gateway_url`.

    The gateway is the operator's (a setting, not a contact), so no outbound rule applies to it. The token goes
    in `token_header`: `Authorization: Bearer <token>` by default, the bare token under any other header name.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        gateway_url: str,
        *,
        token: SecretStr | str | None = None,
        token_header: str = "Authorization",
        name: str = "sms",
    ) -> None:
        self.name = name
        self._client = client
        self._url = gateway_url
        self._token = SecretStr(token) if isinstance(token, str) else token
        self._token_header = token_header

    async def _transmit(self, message: OutboundMessage, address: str) -> None:
        headers = message_headers(message)
        if self._token is not None and self._token.get_secret_value():
            secret = self._token.get_secret_value()
            bearer = self._token_header.lower() == "authorization"
            headers[self._token_header] = f"Bearer {secret}" if bearer else secret
        payload = {"to": address, "text": sms_text(message)}
        await post_json(self._client, Destination(self._url, credentials="TOCSIN_SMS_GATEWAY_TOKEN"), payload, headers)
