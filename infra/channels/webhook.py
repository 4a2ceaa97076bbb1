"""Generic webhook: POST the whole message as JSON to the recipient's URL, signed with the target's secret.

Signature (docs/channels.md shows a receiver checking it):

    X-Tocsin-Timestamp: <Unix seconds when sent>
    X-Tocsin-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body bytes)>
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from infra.channels._http import Destination, encode_json, message_headers, post_body
from infra.channels.base import Channel
from infra.channels.circuits import endpoint_circuit
from infra.channels.errors import PermanentDeliveryError
from infra.channels.model import OutboundMessage
from infra.channels.outbound import OutboundPolicy, OutboundRefused, UrlRule, pin, safe_url

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookChannel",
    "WebhookSecrets",
    "message_payload",
    "signature",
]

TIMESTAMP_HEADER = "X-Tocsin-Timestamp"
SIGNATURE_HEADER = "X-Tocsin-Signature"


def message_payload(message: OutboundMessage) -> dict[str, Any]:
    """The JSON body a webhook receives."""
    payload = message.record()
    if message.diversion is not None:
        payload["diversion"] = {
            "recipient_id": message.diversion.recipient_id,
            "channel": message.diversion.channel,
            "reason": message.diversion.reason,
        }
    return payload


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Tocsin-Signature value: "sha256=" and the hex HMAC-SHA256 of `timestamp.body` under `secret`."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@dataclass(frozen=True)
class WebhookSecrets:
    """Signing secrets per target (URL prefix or host, the longest match wins), and one for all others."""

    targets: tuple[tuple[UrlRule, SecretStr], ...] = ()
    default: SecretStr | None = None

    def for_url(self, url: httpx.URL) -> SecretStr | None:
        """The secret of the most specific entry matching `url`, else the default."""
        matching = [(rule, secret) for rule, secret in self.targets if rule.matches(url)]
        if not matching:
            return self.default
        return max(matching, key=lambda item: (len(item[0].path), item[0].port is not None))[1]


class WebhookChannel(Channel):
    """POSTs `message_payload(message)` to the address (a URL); also usable as an exercise sink.

    With a `policy`, the address must keep the outbound rules (infra/channels/outbound.py) and the request goes to
    the address that was checked. With `signing`, every request is signed and a target without a secret is refused;
    without it (an operator's own sink, tests) requests go unsigned.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        name: str = "webhook",
        *,
        policy: OutboundPolicy | None = None,
        signing: WebhookSecrets | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self._client = client
        self._policy = policy
        self._signing = signing
        self._wall = wall

    def circuit(self, address: str) -> str:
        """Each address is an endpoint of its own: one recipient's failing endpoint does not pause the others."""
        return endpoint_circuit(self.name, address)

    async def _transmit(self, message: OutboundMessage, address: str) -> None:
        url, extra, extensions = address, {}, {}
        if self._policy is not None:
            pinned = await pin("webhook", address, self._policy)
            url, extra, extensions = pinned.url, pinned.headers, pinned.extensions
        body = encode_json(message_payload(message))
        headers = {**message_headers(message), **extra}
        if self._signing is not None:
            try:
                secret = self._signing.for_url(httpx.URL(address))
            except httpx.InvalidURL:
                raise PermanentDeliveryError(f"invalid URL {safe_url(address)}") from None
            if secret is None or not secret.get_secret_value():
                raise OutboundRefused(
                    "webhook_secret", f"no signing secret for {safe_url(address)} in TOCSIN_CHANNEL_SECRETS_FILE"
                )
            timestamp = str(int(self._wall()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = signature(secret.get_secret_value(), timestamp, body)
        await post_body(self._client, Destination(url, safe_url(address), extensions), body, headers)
