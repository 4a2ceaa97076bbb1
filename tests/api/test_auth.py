"""Authentication: who may call at all (401), and the body always says why."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from api.auth import use_token_cache
from infra.db import users
from infra.db.engine import Database
from infra.settings import Settings
from tests.api.conftest import Tokens
from tests.integration.db import seed


async def test_a_call_without_a_token_gets_401_with_a_challenge(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await client.get("/api/v1/incidents")
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert "bearer token" in reply.json()["detail"]


async def test_an_unknown_token_gets_401(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await client.get("/api/v1/incidents", headers={"Authorization": "Bearer tocsin_not-a-real-token"})
    assert reply.status_code == 401
    assert "unknown, expired or revoked" in reply.json()["detail"]


async def test_basic_auth_is_not_a_bearer_token(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await client.get("/api/v1/incidents", auth=("duty", "password"))
    assert reply.status_code == 401


async def test_an_expired_token_gets_401(client: httpx.AsyncClient, db: Database, tokens: Tokens) -> None:
    past = seed.T0 - timedelta(days=1)
    token = await users.issue_token(db, "duty", now=past - timedelta(days=1), expires_at=past)
    reply = await client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 401


async def test_a_revoked_token_gets_401(app: FastAPI, client: httpx.AsyncClient, db: Database, tokens: Tokens) -> None:
    use_token_cache(app.state.services.db, users.TokenCache(0))  # with the cache on: tests/api/test_token_cache.py
    assert (await client.get("/api/v1/incidents", headers=tokens.role("duty_officer"))).status_code == 200
    await users.revoke_tokens(db, "duty", now=seed.T0)
    assert (await client.get("/api/v1/incidents", headers=tokens.role("duty_officer"))).status_code == 401


async def test_probes_need_no_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_a_valid_token_reads(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await client.get("/api/v1/incidents", headers=tokens.role("observer"))
    assert reply.status_code == 200
    assert reply.json() == {"items": [], "next_cursor": None}


async def test_whoami_names_the_caller_with_roles_and_scope(client: httpx.AsyncClient, tokens: Tokens) -> None:
    responder = (await client.get("/api/v1/whoami", headers=tokens.headers("cdc1"))).json()
    controller = (await client.get("/api/v1/whoami", headers=tokens.headers("controller"))).json()
    assert responder == {
        "name": "cdc1",
        "roles": ["unit_responder"],
        "unit": "cdc",
        "exercise_id": None,
        "time_zone": "Asia/Shanghai",
    }
    assert (controller["roles"], controller["unit"]) == (["drill_controller"], None)
    assert controller["exercise_id"] is not None


async def test_whoami_needs_a_token(client: httpx.AsyncClient, tokens: Tokens) -> None:
    assert (await client.get("/api/v1/whoami")).status_code == 401


def test_an_unknown_district_time_zone_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="not an IANA zone"):
        Settings(district_timezone="Asia/Nowhere")
