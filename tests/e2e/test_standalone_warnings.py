"""A warning on its own (预警 from a sampling trend, no incident), through the real broker: issued by the duty
officer, absent from the anonymous feed until approved, then adjusted (Update) and lifted (Cancel), each public
only after approval and each valid CAP 1.2 (docs/adr/0027)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest

from tests.e2e.platform import Platform
from tests.e2e.test_public_info import applied, cap, public_alerts, valid

pytestmark = pytest.mark.e2e


def the_warning(client: httpx.Client, warning_id: str) -> dict[str, Any]:
    """The warning as the API shows it."""
    reply = client.get(f"/api/v1/warnings/{warning_id}")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def until(platform: Platform, client: httpx.Client, warning_id: str, status: str, level: str | None) -> dict[str, Any]:
    """Wait until the warning has `status` and `level` (its publication came back from the notifier)."""

    def probe() -> dict[str, Any] | None:
        found = the_warning(client, warning_id)
        return found if (found["status"], found["level"]) == (status, level) else None

    return platform.wait_for(probe, what=f"{warning_id} {status} {level}", timeout=60)


def test_a_standalone_warning_is_public_only_after_approval_then_adjusted_and_lifted(platform: Platform) -> None:
    duty = platform.client_as(platform.add_user("duty-wrn", "duty_officer"))
    publicity = platform.client_as(platform.add_user("publicity-wrn", "publicity"))
    with duty, publicity:
        issued = duty.post(
            "/api/v1/warnings",
            params={"wait": 20},
            json={
                "hazard": "野生毒蘑菇中毒",
                "warning_level": "yellow",
                "areas": ["城关街道", "东城街道"],
                "basis": "近两周抽检发现多批次野生菌含毒",
            },
        )
        body = applied(issued)
        warning_id, alert_id = body["warning_id"], body["draft_id"]
        drafted = platform.wait_for(
            lambda: next((w for w in [the_warning(duty, warning_id)] if w["bulletins"]), None), what="its draft"
        )
        assert (drafted["status"], drafted["level"], drafted["issued_by"]) == ("draft", None, "duty-wrn")
        assert [b["state"] for b in drafted["bulletins"]] == ["draft"]
        assert warning_id in {w["id"] for w in duty.get("/api/v1/warnings").json()["items"]}

        refused = duty.post(f"/api/v1/warnings/{warning_id}/public-info/{alert_id}/approve", params={"wait": 20})
        assert refused.status_code == 403, refused.text
        assert public_alerts(platform, warning_id) == []

        applied(publicity.post(f"/api/v1/warnings/{warning_id}/public-info/{alert_id}/approve", params={"wait": 20}))
        active = until(platform, publicity, warning_id, "active", "yellow")
        assert active["current"] == alert_id

        adjusted = applied(
            duty.post(f"/api/v1/warnings/{warning_id}/adjust", params={"wait": 20}, json={"warning_level": "orange"})
        )["draft_id"]
        assert len(public_alerts(platform, warning_id)) == 1, "the adjustment is not public before approval"
        applied(publicity.post(f"/api/v1/warnings/{warning_id}/public-info/{adjusted}/approve", params={"wait": 20}))
        until(platform, publicity, warning_id, "active", "orange")

        lift = applied(
            publicity.post(f"/api/v1/warnings/{warning_id}/lift", params={"wait": 20}, json={"reason": "抽检已合格"})
        )["draft_id"]
        assert len(public_alerts(platform, warning_id)) == 2, "the lifting is not public before approval"
        applied(publicity.post(f"/api/v1/warnings/{warning_id}/public-info/{lift}/approve", params={"wait": 20}))
        lifted = until(platform, publicity, warning_id, "lifted", None)
        states = {b["id"]: b["state"] for b in lifted["bulletins"]}
        assert states == {alert_id: "withdrawn", adjusted: "withdrawn", lift: "published"}

        assert warning_id in {
            w["id"] for w in duty.get("/api/v1/warnings", params={"status": "lifted"}).json()["items"]
        }

    def three() -> list[ET.Element] | None:
        found = public_alerts(platform, warning_id)
        return found if len(found) == 3 else None

    alerts = {cap(a, "msgType"): a for a in platform.wait_for(three, what="alert, update and cancel on the feed")}
    for alert in alerts.values():
        valid(alert)
        assert cap(alert, "status") == "Actual"
        assert cap(alert, "scope") == "Public"
    assert cap(alerts["Alert"], "info/headline") == "城关街道、东城街道野生毒蘑菇中毒黄色预警"
    assert cap(alerts["Alert"], "info/severity") == "Moderate"
    assert "橙色预警" in cap(alerts["Update"], "info/event")
    assert cap(alerts["Update"], "info/severity") == "Severe"
    assert cap(alerts["Alert"], "identifier") in cap(alerts["Update"], "references")
    assert cap(alerts["Update"], "identifier") in cap(alerts["Cancel"], "references")
    assert "解除" in cap(alerts["Cancel"], "info/headline")
