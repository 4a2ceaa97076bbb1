"""The edge refuses what it will not parse, with 4xx and a reason, before any route sees it."""

from __future__ import annotations

import httpx

from api.guard import MAX_BODY_BYTES, json_depth
from tests.api.conftest import Tokens


async def test_an_oversized_body_is_413(client: httpx.AsyncClient, tokens: Tokens) -> None:
    body = b'{"text": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}'
    reply = await client.post(
        "/api/v1/reports", content=body, headers={**tokens.role("duty_officer"), "Content-Type": "application/json"}
    )
    assert reply.status_code == 413
    assert "limit" in reply.json()["detail"]


async def test_a_form_body_is_415(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await client.post("/api/v1/reports", data={"report_id": "r"}, headers=tokens.role("duty_officer"))
    assert reply.status_code == 415
    assert "application/json" in reply.json()["detail"]


async def test_deeply_nested_json_is_400(client: httpx.AsyncClient, tokens: Tokens) -> None:
    body = "[" * 10_000 + "]" * 10_000
    reply = await client.post(
        "/api/v1/reports", content=body, headers={**tokens.role("duty_officer"), "Content-Type": "application/json"}
    )
    assert reply.status_code == 400
    assert "nested" in reply.json()["detail"]


async def test_malformed_json_is_422(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await client.post(
        "/api/v1/reports",
        content=b'{"report_id": ',
        headers={**tokens.role("duty_officer"), "Content-Type": "application/json"},
    )
    assert reply.status_code == 422


async def test_nul_in_the_url_is_400(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await client.get("/api/v1/incidents/inc%00x", headers=tokens.role("observer"))
    assert reply.status_code == 400


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    assert len((await client.get("/healthz")).headers["x-request-id"]) == 32
    assert (await client.get("/healthz", headers={"X-Request-ID": "abc-1"})).headers["x-request-id"] == "abc-1"
    assert (await client.get("/healthz", headers={"X-Request-ID": "bad id\n"})).headers["x-request-id"] != "bad id"


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert json_depth(b'{"a": "[[[[{{{{", "b": [1, {"c": "\\"]"}]}') == 3
