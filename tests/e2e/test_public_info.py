"""Nothing reaches the public unapproved, through the real broker: drafts, approval, the anonymous CAP feed,
warnings issued/adjusted/lifted, and the expert assessment a lowering or a termination needs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from infra.channels.cap import CAP_NS
from infra.wire import CommandType, EventType
from infra.wire.incident import command_envelope
from playbooks.commands import Actor, DecideLevel, Role
from playbooks.levels import Level
from tests.e2e.kafka_io import produce_raw
from tests.e2e.platform import Platform, incident_for_venue, timeline
from tests.factories import report_dict
from tests.unit.channels.cap_schema import assert_valid_cap

pytestmark = pytest.mark.e2e
TASK_TITLE = "发布权威信息，开展舆情监测与引导"
"""The public_info step's internal title, which must never be public text."""


def open_incident(platform: Platform, report: dict[str, Any]) -> dict[str, Any]:
    """Post a report and wait for its incident."""
    with platform.client() as client:
        assert client.post("/api/v1/reports", json=report).status_code == 202
    return platform.wait_for(lambda: incident_for_venue(platform, report["location"]["venue"]), what="the incident")


def public_alerts(platform: Platform, incident_id: str) -> list[ET.Element]:
    """The CAP alerts of `incident_id` on the public feed, read anonymously (no token)."""
    with httpx.Client(base_url=platform.base_url, timeout=10) as anonymous:
        reply = anonymous.get("/api/v1/cap/feed")
    assert reply.status_code == 200, reply.text
    alerts = ET.fromstring(reply.content).iter(f"{{{CAP_NS}}}alert")
    return [a for a in alerts if a.findtext(f"{{{CAP_NS}}}incidents") == incident_id]


def cap(alert: ET.Element, path: str) -> str:
    """The text of a CAP element (`info/headline`) of an alert."""
    found = alert.find("/".join(f"{{{CAP_NS}}}{part}" for part in path.split("/")))
    return found.text or "" if found is not None else ""


def valid(alert: ET.Element) -> None:
    """The alert as the feed embeds it validates against the OASIS CAP 1.2 schema."""
    assert_valid_cap(ET.tostring(alert, encoding="unicode"))


def bulletins(client: httpx.Client, incident_id: str) -> dict[str, dict[str, Any]]:
    """The incident's drafts and publications by id."""
    reply = client.get(f"/api/v1/incidents/{incident_id}/public-info")
    assert reply.status_code == 200, reply.text
    return {b["id"]: b for b in reply.json()["items"]}


def in_state(platform: Platform, client: httpx.Client, incident_id: str, draft_id: str, state: str) -> dict[str, Any]:
    """Wait until the bulletin is in `state`."""

    def probe() -> dict[str, Any] | None:
        found = bulletins(client, incident_id).get(draft_id)
        return found if found is not None and found["state"] == state else None

    return platform.wait_for(probe, what=f"{draft_id} {state}", timeout=60)


def applied(reply: httpx.Response) -> dict[str, Any]:
    """A command the writer applied (the call waited for it)."""
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def test_a_level_four_incident_drafts_information_that_is_public_only_after_approval(platform: Platform) -> None:
    incident = open_incident(platform, report_dict(venue_type="restaurant", facts={"cases": 31}))
    assert incident["level"] == "IV"
    publicity = platform.client_as(platform.add_user(f"publicity-{incident['id']}", "publicity"))
    with publicity:
        draft = platform.wait_for(
            lambda: next(iter(bulletins(publicity, incident["id"]).values()), None), what="the step's draft"
        )
        assert (draft["state"], draft["action_key"], draft["created_by"]) == ("draft", "public_information", None)
        assert TASK_TITLE not in draft["headline"] + draft["description"]
        assert "31" in draft["description"] and "12315" in draft["instruction"]
        assert public_alerts(platform, incident["id"]) == [], "a draft is not public"
        preview = publicity.get(f"/api/v1/incidents/{incident['id']}/public-info/{draft['id']}/cap")
        assert_valid_cap(preview.text)
        assert "<status>Draft</status>" in preview.text

        edited = "城关街道发生一起疑似食物中毒事件，31 名就餐者出现症状，均已就医。"
        path = f"/api/v1/incidents/{incident['id']}/public-info/{draft['id']}"
        applied(publicity.put(path, params={"wait": 20}, json={"description": edited}))
        applied(publicity.post(f"{path}/approve", params={"wait": 20}, json={"note": "核稿无误"}))
        published = in_state(platform, publicity, incident["id"], draft["id"], "published")
    assert (published["approved_by"], published["revision"]) == (f"publicity-{incident['id']}", 2)
    assert [h["change"] for h in published["history"]] == ["drafted", "edited", "approved", "published"]

    [alert] = platform.wait_for(lambda: public_alerts(platform, incident["id"]), what="the alert on the public feed")
    valid(alert)
    assert (cap(alert, "status"), cap(alert, "msgType"), cap(alert, "scope")) == ("Actual", "Alert", "Public")
    assert cap(alert, "info/event") == "食品安全事故"
    assert cap(alert, "info/headline") == draft["headline"] and TASK_TITLE not in cap(alert, "info/headline")
    assert cap(alert, "info/description") == edited
    assert cap(alert, "info/area/areaDesc") == "城关街道"
    assert cap(alert, "info/severity") == "Minor"

    step = platform.wait_for(
        lambda: [
            e
            for e in timeline(platform, incident["id"], EventType.ACTION_UPDATED)
            if e["data"]["key"] == "public_information" and e["data"]["change"] == "completed"
        ],
        what="the public_info step completed by the publication",
    )
    assert step
    kinds = [e["type"] for e in timeline(platform, incident["id"]) if e["type"].startswith("PublicInfo")]
    assert kinds == ["PublicInfoDrafted", "PublicInfoEdited", "PublicInfoApproved", "PublicInfoPublished"]
    with platform.client() as client:
        audit = client.get("/api/v1/audit", params={"incident_id": incident["id"]}).json()
    audited = {entry["command_type"] for entry in audit["items"]}
    assert {CommandType.EDIT_PUBLIC_INFO, CommandType.APPROVE_PUBLIC_INFO} <= audited


def test_a_duty_officer_drafts_but_cannot_approve(platform: Platform) -> None:
    incident = open_incident(platform, report_dict(venue_type="restaurant", facts={"cases": 33}))
    duty = platform.client_as(platform.add_user(f"duty-{incident['id']}", "duty_officer"))
    with duty:
        reply = duty.post(
            f"/api/v1/incidents/{incident['id']}/public-info",
            params={"wait": 20},
            json={"kind": "refutation", "rumour": "该饭店已有人死亡"},
        )
        draft_id = applied(reply)["draft_id"]
        draft = bulletins(duty, incident["id"])[draft_id]
        assert draft["kind"] == "refutation" and "该饭店已有人死亡" in draft["headline"]
        refused = duty.post(f"/api/v1/incidents/{incident['id']}/public-info/{draft_id}/approve")
    assert refused.status_code == 403


def test_a_warning_is_issued_adjusted_and_lifted_each_a_valid_cap_message_after_approval(platform: Platform) -> None:
    incident = open_incident(platform, report_dict(venue_type="market", facts={"cases": 4}))
    base = f"/api/v1/incidents/{incident['id']}/public-info"
    with platform.client() as chief:
        issued = applied(
            chief.post(
                base,
                params={"wait": 20},
                json={"kind": "warning", "warning_level": "yellow", "hazard": "野生毒蘑菇", "areas": ["城关街道"]},
            )
        )["draft_id"]
        assert public_alerts(platform, incident["id"]) == []
        applied(chief.post(f"{base}/{issued}/approve", params={"wait": 20}))
        in_state(platform, chief, incident["id"], issued, "published")

        adjusted = applied(
            chief.post(
                base, params={"wait": 20}, json={"kind": "warning", "updates": issued, "warning_level": "orange"}
            )
        )["draft_id"]
        applied(chief.post(f"{base}/{adjusted}/approve", params={"wait": 20}))
        in_state(platform, chief, incident["id"], adjusted, "published")

        applied(chief.post(f"{base}/{adjusted}/withdraw", params={"wait": 20}, json={"reason": "已无新发病例"}))
        lift = f"{adjusted}-cancel"
        assert bulletins(chief, incident["id"])[lift]["state"] == "draft"
        applied(chief.post(f"{base}/{lift}/approve", params={"wait": 20}))
        in_state(platform, chief, incident["id"], lift, "published")
        lifted = in_state(platform, chief, incident["id"], adjusted, "withdrawn")
        assert lifted["superseded_by"] == lift

    def three() -> list[ET.Element] | None:
        found = public_alerts(platform, incident["id"])
        return found if len(found) == 3 else None

    alerts = {cap(a, "msgType"): a for a in platform.wait_for(three, what="alert, update and cancel on the feed")}
    for alert in alerts.values():
        valid(alert)
    assert cap(alerts["Alert"], "info/severity") == "Moderate"
    assert "黄色预警" in cap(alerts["Alert"], "info/headline")
    assert cap(alerts["Update"], "info/severity") == "Severe"
    assert "橙色预警" in cap(alerts["Update"], "info/event")
    assert cap(alerts["Alert"], "identifier") in cap(alerts["Update"], "references")
    assert cap(alerts["Update"], "identifier") in cap(alerts["Cancel"], "references")
    assert "解除" in cap(alerts["Cancel"], "info/headline")


async def test_lowering_and_terminating_without_an_expert_assessment_are_rejected_naming_it(
    platform: Platform,
) -> None:
    long_ago = (datetime.now(UTC) - timedelta(days=10)).replace(microsecond=0).isoformat()
    incident = open_incident(platform, report_dict(venue_type="school", facts={"cases": 60}, reported_at=long_ago))
    assert incident["level"] == "II"
    path = f"/api/v1/incidents/{incident['id']}"
    with platform.client() as chief:
        refused = chief.post(f"{path}/level", params={"wait": 20}, json={"level": "IV", "reason": "病例减少"})
        assert refused.status_code == 409, refused.text
        assert "needs a recorded expert assessment (专家组研判) recommending lower_level" in refused.json()["detail"]

    forged = command_envelope(
        DecideLevel(level=Level.III, reason="降级", actor=Actor("chief", frozenset({Role.COMMANDER}))),
        incident_id=incident["id"],
        at=datetime.now(UTC),
        mode="actual",
    )
    topic = platform.topic("incident-commands")
    await produce_raw(platform.bootstrap, topic, forged.to_json(), key=incident["id"].encode())
    rejected = platform.wait_for(
        lambda: [
            e for e in timeline(platform, incident["id"], EventType.COMMAND_REJECTED) if e["causation"] == forged.id
        ],
        what="the writer's rejection of the Kafka command",
    )
    assert "expert assessment" in rejected[0]["data"]["reason"]

    with platform.client() as chief:
        stable = (datetime.now(UTC) - timedelta(days=5)).isoformat()
        signals = {"patients_stable_since": stable, "site_controlled": True, "hazards_removed": True}
        applied(chief.post(f"{path}/termination/signals", params={"wait": 20}, json={"signals": signals}))
        platform.wait_for(
            lambda: chief.get(path).json()["status"] == "termination_proposed", what="termination proposed"
        )
        refused = chief.post(f"{path}/termination/approve", params={"wait": 20}, json={"reason": "达到终止条件"})
        assert refused.status_code == 409, refused.text
        assert "recommending terminate" in refused.json()["detail"]

        assessment = {
            "experts": ["王教授（市疾控中心）"],
            "conclusion": "病例已控制",
            "recommendation": "lower_level",
            "level": "IV",
        }
        applied(chief.post(f"{path}/assessments", params={"wait": 20}, json=assessment))
        recorded = chief.get(f"{path}/assessments").json()
        assert recorded["required_for"] == ["lower_level", "termination"]
        assert [a["recommendation"] for a in recorded["items"]] == ["lower_level"]
        lowered = chief.post(f"{path}/level", params={"wait": 20}, json={"level": "III", "reason": "专家组建议降级"})
        applied(lowered)
        terminate = {**assessment, "recommendation": "terminate", "level": None}
        applied(chief.post(f"{path}/assessments", params={"wait": 20}, json=terminate))
        applied(chief.post(f"{path}/termination/approve", params={"wait": 20}, json={"reason": "达到终止条件"}))
        closed = chief.get(path).json()
    assert (closed["status"], closed["level"]) == ("closed", "III")
