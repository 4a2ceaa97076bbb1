"""Group bots of DingTalk (钉钉), WeCom (企业微信) and Feishu (飞书): a text message POSTed to the group's webhook.

The address is the bot's webhook URL, or a robot's name that `robots` resolves to a URL (the URL holds the bot's
access token or WeCom key, so it belongs in the secrets file, not in the district files: docs/channels.md).
Hand-rolled on httpx rather than `apprise`: three small JSON shapes do not justify a dependency with ~100
transitive plugins, and we need our own error mapping (retry on rate limits) and the exercise headers.
DingTalk and Feishu "signed" bots are supported through a robot's `secret` (or `secrets`, URL → secret).
With a `policy`, the URL must be on a vendor's official host (TOCSIN_ROBOT_HOSTS) and resolve to public addresses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

from infra.channels._http import Destination, message_headers, post_json
from infra.channels.base import Channel
from infra.channels.circuits import endpoint_circuit
from infra.channels.errors import PermanentDeliveryError, TemporaryDeliveryError
from infra.channels.model import OutboundMessage
from infra.channels.outbound import OutboundPolicy, pin, safe_url
from infra.clock import Clock

__all__ = ["DingTalkChannel", "FeishuChannel", "Robot", "WeComChannel", "bot_text"]


@dataclass(frozen=True)
class Robot:
    """What the secrets file says of one robot: its URL (required when contacts name it) and signing secret."""

    url: SecretStr | None = None
    secret: SecretStr | None = None


def bot_text(message: OutboundMessage) -> str:
    """The text a group sees: subject, then body."""
    return f"{message.subject}\n{message.body}" if message.subject else message.body


def _hmac_b64(key: str, text: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), text.encode(), hashlib.sha256).digest()).decode()


class _BotChannel(Channel):
    vendor: ClassVar[str] = "robot"
    code_field = "errcode"
    rate_limited: frozenset[int] = frozenset()

    def __init__(
        self,
        client: httpx.AsyncClient,
        clock: Clock,
        *,
        secrets: Mapping[str, str] | None = None,
        robots: Mapping[str, Robot] | None = None,
        policy: OutboundPolicy | None = None,
        name: str | None = None,
    ) -> None:
        self.name = name or self.name
        self._client = client
        self._clock = clock
        self._secrets = {address: Robot(secret=SecretStr(secret)) for address, secret in (secrets or {}).items()}
        self._secrets.update(robots or {})
        self._policy = policy

    def circuit(self, address: str) -> str:
        """Each address is an endpoint of its own: one recipient's failing endpoint does not pause the others."""
        return endpoint_circuit(self.name, address)

    @abstractmethod
    def _request(self, text: str, url: str, secret: str | None) -> tuple[str, dict[str, Any]]:
        """The URL to POST to and the JSON body."""

    def _target(self, address: str) -> tuple[str, str | None, str]:
        """The robot's URL, signing secret and how messages name it (never by a URL read from the secrets)."""
        robot = self._secrets.get(address, Robot())
        secret = robot.secret.get_secret_value() if robot.secret else None
        if "://" in address:
            return address, secret, safe_url(address)
        label = f"{self.vendor} robot {address!r}"
        if robot.url is None:
            raise PermanentDeliveryError(f"{label} has no URL in TOCSIN_CHANNEL_SECRETS_FILE")
        return robot.url.get_secret_value(), secret, label

    async def _transmit(self, message: OutboundMessage, address: str) -> None:
        target, secret, label = self._target(address)
        headers, extensions = message_headers(message), {}
        if self._policy is not None:
            pinned = await pin(self.vendor, target, self._policy, label=label)
            target, extensions = pinned.url, pinned.extensions
            headers.update(pinned.headers)
        url, payload = self._request(bot_text(message), target, secret)
        response = await post_json(self._client, Destination(url, label, extensions), payload, headers)
        try:
            answer = response.json()
        except ValueError:
            raise PermanentDeliveryError(f"{self.name} bot answered non-JSON: {response.text[:200]!r}") from None
        code = answer.get(self.code_field, answer.get("StatusCode", 0)) if isinstance(answer, dict) else None
        if code == 0:
            return
        text = f"{self.name} bot refused the message: {answer!r}"[:300]
        if code in self.rate_limited:
            raise TemporaryDeliveryError(text)
        raise PermanentDeliveryError(text)

    def _timestamp_ms(self) -> int:
        return int(self._clock.now().timestamp() * 1000)


class DingTalkChannel(_BotChannel):
    """DingTalk custom robot: {"msgtype":"text","text":{"content":...}}; signed when a secret is set."""

    name = "dingtalk"
    vendor = "dingtalk"
    rate_limited = frozenset({-1, 130101, 130102})

    def _request(self, text: str, url: str, secret: str | None) -> tuple[str, dict[str, Any]]:
        if secret:
            timestamp = str(self._timestamp_ms())
            sign = urllib.parse.quote_plus(_hmac_b64(secret, f"{timestamp}\n{secret}"))
            url = f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"
        return url, {"msgtype": "text", "text": {"content": text}}


class WeComChannel(_BotChannel):
    """WeCom group robot: {"msgtype":"text","text":{"content":...}}."""

    name = "wecom"
    vendor = "wecom"
    rate_limited = frozenset({-1, 45009, 45033})

    def _request(self, text: str, url: str, secret: str | None) -> tuple[str, dict[str, Any]]:
        return url, {"msgtype": "text", "text": {"content": text}}


class FeishuChannel(_BotChannel):
    """Feishu custom bot: {"msg_type":"text","content":{"text":...}}; signed when a secret is set."""

    name = "feishu"
    vendor = "feishu"
    code_field = "code"
    rate_limited = frozenset({9499, 11232, 11233})

    def _request(self, text: str, url: str, secret: str | None) -> tuple[str, dict[str, Any]]:
        payload: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
        if secret:
            timestamp = str(self._timestamp_ms() // 1000)
            payload["timestamp"] = timestamp
            payload["sign"] = _hmac_b64(f"{timestamp}\n{secret}", "")
        return url, payload
