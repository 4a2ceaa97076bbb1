"""One JSON POST with the error mapping every HTTP channel shares."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from infra.channels.errors import PermanentDeliveryError, TemporaryDeliveryError
from infra.channels.model import OutboundMessage
from infra.channels.outbound import safe_url

_TEMPORARY_STATUS = frozenset({408, 425, 429})


def message_headers(message: OutboundMessage) -> dict[str, str]:
    """Headers that let a receiver deduplicate and tell drills apart."""
    headers = {
        "Idempotency-Key": message.idempotency_key,
        "X-Tocsin-Message-Id": message.id,
        "X-Tocsin-Mode": message.mode,
    }
    if message.exercise_id:
        headers["X-Tocsin-Exercise-Id"] = message.exercise_id
    return headers


def encode_json(payload: object) -> bytes:
    """`payload` as compact UTF-8 JSON: the exact bytes that are sent (and signed)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


@dataclass(frozen=True)
class Destination:
    """Where a POST goes: the URL, how messages name it, httpx request extensions, the setting holding our token."""

    url: str
    label: str | None = None
    """Named in error messages (default: the URL without query string, which often holds a token)."""
    extensions: Mapping[str, str] = field(default_factory=dict)
    credentials: str | None = None
    """The setting to check when the receiver answers 401 or 403."""


async def post_json(
    client: httpx.AsyncClient, to: str | Destination, payload: object, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """POST `payload` as UTF-8 JSON; see `post_body`."""
    return await post_body(client, to, encode_json(payload), headers)


async def post_body(
    client: httpx.AsyncClient, to: str | Destination, body: bytes, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """POST a JSON `body`; 2xx returns, 408/425/429/5xx and transport errors are temporary, 4xx permanent."""
    dest = Destination(to) if isinstance(to, str) else to
    where = dest.label or safe_url(dest.url)
    request_headers = {"Content-Type": "application/json", **(headers or {})}
    try:
        response = await client.post(dest.url, content=body, headers=request_headers, extensions=dict(dest.extensions))
    except httpx.InvalidURL:
        raise PermanentDeliveryError(f"invalid URL {where}") from None
    except httpx.HTTPError as error:
        raise TemporaryDeliveryError(f"POST {where} failed: {type(error).__name__}: {error}") from error
    if response.is_success:
        return response
    text = f"POST {where} answered {response.status_code} {response.reason_phrase}: {response.text[:200]}"
    if response.status_code in (401, 403) and dest.credentials:
        text = f"POST {where} refused our credentials ({response.status_code}); check {dest.credentials}"
    if response.status_code >= 500 or response.status_code in _TEMPORARY_STATUS:
        raise TemporaryDeliveryError(text)
    raise PermanentDeliveryError(text)
