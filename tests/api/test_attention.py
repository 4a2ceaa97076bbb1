"""GET /attention: what needs a person now, most urgent first, across the open incidents they may see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from infra.db.engine import Database
from infra.db.models import NotificationRow
from infra.wire import EventType
from tests.api.conftest import EXERCISE, Tokens
from tests.integration.db import seed


def failed(incident_id: str, at: datetime, *, reason: str = "SMS gateway answered 503") -> NotificationRow:
    row = seed.notification(incident_id, "x", status="failed", channel="sms")
    row.recipient_name, row.reason, row.at = "王芳", reason, at
    return row


async def attention(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    reply = await client.get("/api/v1/attention", headers=headers)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def test_overdue_steps_and_unacknowledged_alerts_come_first_with_counts(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    now = datetime.now(UTC)
    await seed.add(
        db,
        seed.incident("inc-a", level="II", opened_at=now - timedelta(days=1)),
        seed.action("inc-a", "sampling", due_at=now - timedelta(minutes=20)),
        seed.action("inc-a", "treatment", due_at=now + timedelta(hours=2)),
        seed.action("inc-a", "notify_leading_group", kind="notify", due_at=now + timedelta(minutes=10)),
        seed.action("inc-a", "done_step", status="completed", due_at=now - timedelta(hours=3)),
        failed("inc-a", now - timedelta(minutes=5)),
    )
    body = await attention(client, tokens.role("duty_officer"))
    kinds = [(i["kind"], i.get("key")) for i in body["items"]]
    assert kinds == [("overdue", "sampling"), ("alert", "notify_leading_group"), ("failed_delivery", "notify")]
    assert body["counts"]["overdue"] == 1
    assert body["counts"]["alert"] == 1
    assert body["counts"]["failed_delivery"] == 1
    assert body["counts"]["draft"] == 0
    delivery = body["items"][2]
    assert (delivery["recipient"], delivery["channel"]) == ("王芳", "sms")
    assert delivery["reason"] == "SMS gateway answered 503"


async def test_an_incident_raised_within_the_hour_is_listed_with_its_levels(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    now = datetime.now(UTC)
    change = seed.level_change("inc-r", 2, "IV", "II", explanation="≥50 harmed at a school")
    change.at, change.rule_id = now - timedelta(minutes=10), "II.school"
    old = seed.level_change("inc-old", 2, "IV", "III")
    old.at = now - timedelta(hours=3)
    await seed.add(
        db,
        seed.incident("inc-r", level="II", opened_at=now - timedelta(hours=5)),
        seed.incident("inc-old", level="III", opened_at=now - timedelta(hours=5)),
        seed.incident("inc-new", level="IV", opened_at=now - timedelta(minutes=3)),
        change,
        old,
    )
    body = await attention(client, tokens.role("duty_officer"))
    recent = [(i["kind"], i["incident_id"], i.get("to_level")) for i in body["items"]]
    assert recent == [("raised", "inc-r", "II"), ("opened", "inc-new", None)]
    assert body["items"][0]["rule_title"] == "学校或托幼机构 50 人以上", "the rule that raised it, in the plan's words"


async def test_closed_incidents_and_other_scopes_ask_for_nothing(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    now = datetime.now(UTC)
    await seed.add(
        db,
        seed.incident("inc-closed", status="closed", opened_at=now - timedelta(days=1)),
        seed.action("inc-closed", "sampling", due_at=now - timedelta(hours=1)),
        seed.incident("inc-drill", mode="exercise", exercise_id=EXERCISE, opened_at=now - timedelta(days=1)),
        seed.action("inc-drill", "sampling", due_at=now - timedelta(hours=1), mode="exercise"),
    )
    assert (await attention(client, tokens.role("duty_officer")))["items"] == []
    drill = await attention(client, tokens.headers("drill_duty"))
    assert [(i["incident_id"], i["mode"]) for i in drill["items"]] == [("inc-drill", "exercise")]


async def test_a_unit_responder_sees_only_its_unit_s_steps_and_no_deliveries(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    now = datetime.now(UTC)
    await seed.add(
        db,
        seed.incident("inc-u", opened_at=now - timedelta(days=1)),
        seed.action("inc-u", "sampling", owner="cdc", due_at=now - timedelta(minutes=5)),
        seed.action("inc-u", "sealing", owner="market_regulation", due_at=now - timedelta(minutes=5)),
        failed("inc-u", now),
    )
    body = await attention(client, tokens.role("unit_responder"))
    assert [(i["kind"], i["key"], i["owner_name"]) for i in body["items"]] == [("overdue", "sampling", "区疾控中心")]


async def test_attention_needs_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/attention")).status_code == 401


async def test_drafts_to_approve_are_listed_for_those_who_approve_them(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    now = datetime.now(UTC)
    bulletin = {
        "id": "pi-1",
        "kind": "information",
        "state": "draft",
        "headline": "关于城关街道一起食品安全事件的情况通报",
        "created_at": (now - timedelta(minutes=3)).isoformat(),
        "created_by": "duty",
    }
    await seed.add(
        db,
        seed.incident("inc-d", level="III", opened_at=now - timedelta(days=1)),
        seed.event("inc-d", 5, EventType.PUBLIC_INFO_DRAFTED, {"bulletin": bulletin}),
    )
    chief = await attention(client, tokens.role("commander"))
    drafts = [i for i in chief["items"] if i["kind"] == "draft"]
    assert [(d["key"], d["title"], d["draft_kind"]) for d in drafts] == [("pi-1", bulletin["headline"], "information")]
    assert chief["counts"]["draft"] == 1
    officer = await attention(client, tokens.role("duty_officer"))
    assert officer["counts"]["draft"] == 0, "a duty officer drafts but does not approve"


def warning_issued(warning_id: str, *, mode: str = "actual", exercise_id: str | None = None) -> dict[str, Any]:
    """A `WarningIssued` event's data (playbooks/events.py)."""
    return {
        "warning_id": warning_id,
        "hazard": "野生毒蘑菇中毒",
        "areas": ["城关街道", "东城街道"],
        "basis": "近两周抽检发现多批次野生菌含毒",
        "incident_type": "food_safety",
        "by": "duty",
        "mode": mode,
        "exercise_id": exercise_id,
    }


def warning_bulletin(draft_id: str, state: str, level: str, at: datetime) -> dict[str, Any]:
    """A standalone warning's bulletin as its `PublicInfo*` event carries it."""
    return {
        "id": draft_id,
        "kind": "warning",
        "msg_type": "Alert",
        "state": state,
        "headline": f"城关街道、东城街道野生毒蘑菇中毒{level}预警",
        "warning_level": level,
        "hazard": "野生毒蘑菇中毒",
        "areas": ["城关街道", "东城街道"],
        "created_at": at.isoformat(),
        "created_by": "duty",
    }


async def test_standalone_warning_drafts_are_listed_and_counted_with_incident_drafts(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    now = datetime.now(UTC)
    incident_draft = {
        "id": "pi-1",
        "kind": "information",
        "state": "draft",
        "headline": "情况通报",
        "created_at": (now - timedelta(minutes=9)).isoformat(),
        "created_by": "duty",
    }
    await seed.add(
        db,
        seed.incident("inc-d", level="III", opened_at=now - timedelta(days=1)),
        seed.event("inc-d", 5, EventType.PUBLIC_INFO_DRAFTED, {"bulletin": incident_draft}),
        seed.event("WRN-draft", 1, EventType.WARNING_ISSUED, warning_issued("WRN-draft")),
        seed.event(
            "WRN-draft", 2, EventType.PUBLIC_INFO_DRAFTED, {"bulletin": warning_bulletin("a1", "draft", "yellow", now)}
        ),
        seed.event("WRN-live", 1, EventType.WARNING_ISSUED, warning_issued("WRN-live")),
        seed.event(
            "WRN-live",
            2,
            EventType.PUBLIC_INFO_PUBLISHED,
            {"bulletin": warning_bulletin("a2", "published", "blue", now)},
        ),
        seed.event(
            "WRN-drill",
            1,
            EventType.WARNING_ISSUED,
            warning_issued("WRN-drill", mode="exercise", exercise_id=EXERCISE),
            mode="exercise",
        ),
        seed.event(
            "WRN-drill",
            2,
            EventType.PUBLIC_INFO_DRAFTED,
            {"bulletin": warning_bulletin("a3", "draft", "red", now - timedelta(minutes=1))},
            mode="exercise",
        ),
    )
    chief = await attention(client, tokens.role("commander"))
    drafts = [i for i in chief["items"] if i["kind"] == "draft"]
    assert [(d["incident_id"], d["key"]) for d in drafts] == [
        ("inc-d", "pi-1"),
        ("WRN-draft", "a1"),
        ("WRN-drill", "a3"),
    ]
    warning = drafts[1]
    assert (warning["warning_id"], warning["warning_level"], warning["hazard"]) == (
        "WRN-draft",
        "yellow",
        "野生毒蘑菇中毒",
    )
    assert (warning["level"], warning["place"], warning["draft_kind"]) == ("", "城关街道、东城街道", "warning")
    assert warning["title"] == "城关街道、东城街道野生毒蘑菇中毒yellow预警"
    assert drafts[0]["warning_id"] is None, "an incident's draft names no warning"
    assert chief["counts"]["draft"] == 3, "the published warning waits for nobody"
    officer = await attention(client, tokens.role("duty_officer"))
    assert officer["counts"]["draft"] == 0, "a duty officer issues warnings but does not approve them"
    drill = await attention(client, tokens.headers("drill_duty"))
    assert [i for i in drill["items"] if i.get("warning_id")] == [], "a drill's duty officer approves nothing either"
