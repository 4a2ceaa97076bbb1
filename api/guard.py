"""ASGI middleware at the edge: request ids and access logs, and refusal of bodies the API will not parse.

Pure ASGI (not BaseHTTPMiddleware), so streaming responses such as the SSE feed pass straight through.
"""

from __future__ import annotations

import json
import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("tocsin.api")

MAX_BODY_BYTES = 256 * 1024
"""Largest request body accepted (a report with a long description is a few KiB)."""
MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays/objects accepted in a JSON body."""

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(body: bytes) -> int:
    """Deepest array/object nesting of a JSON text, without parsing it (so no recursion limit is hit)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


async def _refuse(send: Send, status: int, detail: str, request_id: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class EdgeGuard:
    """Adds X-Request-ID, logs each request as one JSON line, and refuses oversized, non-JSON or too deeply
    nested bodies (413, 415, 400) and NUL bytes in the URL (400) before any route sees them."""

    def __init__(self, app: ASGIApp, *, max_body: int = MAX_BODY_BYTES, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_body = max_body
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.monotonic()
        status_holder = {"status": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            refusal, receive = await self._check(scope, headers, receive)
            if refusal is not None:
                status_holder["status"] = refusal[0]
                await _refuse(send, refusal[0], refusal[1], request_id)
                return
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "http.request",
                method=scope["method"],
                path=scope["path"],
                status=status_holder["status"],
                ms=round((time.monotonic() - started) * 1000, 1),
                client=(scope.get("client") or ("", 0))[0],
            )

    async def _check(
        self, scope: Scope, headers: dict[str, str], receive: Receive
    ) -> tuple[tuple[int, str] | None, Receive]:
        """A (status, reason) refusal or None, and the receive callable the app should use."""
        if b"%00" in scope.get("raw_path", b"") or b"%00" in scope.get("query_string", b""):
            return (400, "NUL characters are not allowed in the URL"), receive
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            return None, receive
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            return (413, f"the body is {length} bytes; the limit is {self.max_body}"), receive
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return (400, "the client went away"), receive
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return (413, f"the body is larger than the limit of {self.max_body} bytes"), receive
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        if body.strip():
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
                return (415, f"the body must be application/json, not {media or 'untyped'!r}"), receive
            if json_depth(body) > self.max_depth:
                return (400, f"the JSON body is nested deeper than {self.max_depth} levels"), receive
        return None, _replay(body, receive)


def _replay(body: bytes, original: Receive) -> Receive:
    """A receive that hands over the body already read, then waits on the real connection."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive
