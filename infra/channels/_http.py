"""One JSON POST with the error mapping every HTTP channel shares."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from infra.channels.errors import PermanentDeliveryError, TemporaryDeliveryError
from infra.channels.model import OutboundMessage

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


async def post_json(
    client: httpx.AsyncClient, url: str, payload: object, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """POST `payload` as UTF-8 JSON; 2xx returns, 408/425/429/5xx and transport errors are temporary, 4xx permanent."""
    try:
        response = await client.post(url, json=payload, headers=dict(headers or {}))
    except httpx.InvalidURL as error:
        raise PermanentDeliveryError(f"invalid URL {url!r}: {error}") from error
    except httpx.HTTPError as error:
        raise TemporaryDeliveryError(f"POST {_safe(url)} failed: {type(error).__name__}: {error}") from error
    if response.is_success:
        return response
    text = f"POST {_safe(url)} answered {response.status_code} {response.reason_phrase}: {response.text[:200]}"
    if response.status_code >= 500 or response.status_code in _TEMPORARY_STATUS:
        raise TemporaryDeliveryError(text)
    raise PermanentDeliveryError(text)


def _safe(url: str) -> str:
    """The URL without its query string, which often holds a bot's access token."""
    return url.split("?", 1)[0]
