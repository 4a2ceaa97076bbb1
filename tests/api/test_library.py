"""Playbooks (list, one, what-if), the organisation and roster, and the CAP feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

from tests.api.conftest import Tokens


async def test_playbooks_are_listed_with_versions(client: httpx.AsyncClient, tokens: Tokens) -> None:
    listed = (await client.get("/api/v1/playbooks", headers=tokens.role("observer"))).json()
    food = next(p for p in listed if p["id"] == "food_safety")
    assert food["version"] and food["rule_set"] == "family_a"


async def test_one_playbook_and_an_unknown_one(client: httpx.AsyncClient, tokens: Tokens) -> None:
    one = (await client.get("/api/v1/playbooks/food_safety", headers=tokens.role("observer"))).json()
    assert "levels:" in one["source"]
    missing = await client.get("/api/v1/playbooks/volcano", headers=tokens.role("observer"))
    assert missing.status_code == 404
    assert "food_safety" in missing.json()["detail"]


async def test_what_if_grading(client: httpx.AsyncClient, tokens: Tokens) -> None:
    body = {"facts": {"cases": 120, "deaths": 0}, "venue_type": "restaurant", "now": "2026-06-01T08:00:00+08:00"}
    reply = await client.post("/api/v1/playbooks/food_safety/evaluate", json=body, headers=tokens.role("observer"))
    assert reply.status_code == 200, reply.text
    assert reply.json()["level"] == "III"


async def test_organisation_and_roster(client: httpx.AsyncClient, tokens: Tokens) -> None:
    org = (await client.get("/api/v1/organisation", headers=tokens.role("observer"))).json()
    assert any(u["id"] == "cdc" for u in org["units"])
    assert org["people"]
    roster = (await client.get("/api/v1/roster", headers=tokens.role("observer"))).json()
    assert {"shifts", "rotation", "overrides"} <= set(roster)


async def test_the_cap_feed_is_atom(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await client.get("/api/v1/cap/feed", headers=tokens.role("observer"))
    assert reply.headers["content-type"].startswith("application/atom+xml")
    assert ET.fromstring(reply.text).tag == "{http://www.w3.org/2005/Atom}feed"
    refused = await client.get("/api/v1/cap/feed", params={"feed": "exercise-x"}, headers=tokens.role("observer"))
    assert refused.status_code == 403
