"""CAP as a channel and the Atom feed: drills never reach an actual feed; every embedded alert validates."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from infra.channels import (
    CapChannel,
    CapDetails,
    DeliveryStatus,
    ExerciseIsolationViolation,
    ExerciseRegistry,
    InMemoryCapAlertStore,
    MemorySink,
    Recipient,
    exercise_feed,
    render_atom_feed,
    render_cap_alert,
)
from infra.channels.cap import CAP_NS
from infra.channels.cap_feed import ATOM_NS
from tests.unit.channels.cap_schema import assert_valid_cap
from tests.unit.channels.fakes import START, dispatcher, message

PUBLIC = Recipient(id="public", name="公众", contacts={"cap": "public"})
DETAILS = CapDetails(
    event="食物中毒",
    category="Health",
    sender_name="某区食安办",
    area_desc="某区某街道",
    admin_code="110105001",
    instruction="停止食用可疑食品。",
)
NS = {"atom": ATOM_NS, "cap": CAP_NS}


async def test_an_actual_alert_is_published_to_the_public_feed_and_validates() -> None:
    store = InMemoryCapAlertStore()
    result = await dispatcher([CapChannel(store, "tocsin@district.example")]).deliver(
        message("public", cap=DETAILS), PUBLIC, "cap"
    )
    assert result.status is DeliveryStatus.DELIVERED
    [published] = await store.alerts("public")
    assert published.status == "Actual"
    assert_valid_cap(render_cap_alert(published))


async def test_a_drill_alert_for_the_public_is_diverted_and_never_published() -> None:
    store, sink = InMemoryCapAlertStore(), MemorySink()
    registry = ExerciseRegistry()
    registry.register("EX-1", {"cdc"})
    result = await dispatcher([CapChannel(store, "tocsin")], registry=registry, sink=sink).deliver(
        message("public", mode="exercise", exercise_id="EX-1", cap=DETAILS), PUBLIC, "cap"
    )
    assert result.status is DeliveryStatus.DIVERTED
    assert store.feeds == {}
    assert len(sink.messages) == 1


async def test_a_drill_alert_goes_to_the_exercise_feed_even_when_public_is_registered_by_mistake() -> None:
    store = InMemoryCapAlertStore()
    registry = ExerciseRegistry()
    registry.register("EX-1", {"public"})
    result = await dispatcher([CapChannel(store, "tocsin")], registry=registry).deliver(
        message("public", mode="exercise", exercise_id="EX-1", cap=DETAILS), PUBLIC, "cap"
    )
    assert result.status is DeliveryStatus.DELIVERED
    assert await store.alerts("public") == []
    [drill] = await store.alerts(exercise_feed("EX-1"))
    assert drill.status == "Exercise"
    assert drill.infos[0].headline.startswith("【演练】 EXERCISE")
    assert_valid_cap(render_cap_alert(drill))


async def test_an_actual_alert_is_refused_on_an_exercise_feed() -> None:
    feed_recipient = Recipient(id="drill-feed", name="演练", contacts={"cap": exercise_feed("EX-1")})
    with pytest.raises(ExerciseIsolationViolation):
        await dispatcher([CapChannel(InMemoryCapAlertStore(), "tocsin")]).deliver(
            message("drill-feed", cap=DETAILS), feed_recipient, "cap"
        )


async def test_a_message_without_cap_details_fails_permanently() -> None:
    result = await dispatcher([CapChannel(InMemoryCapAlertStore(), "tocsin")]).deliver(message("public"), PUBLIC, "cap")
    assert result.status is DeliveryStatus.FAILED
    assert len(result.attempts) == 1
    assert "CAP details" in (result.reason or "")


async def test_the_atom_feed_embeds_every_alert_newest_first_and_each_validates() -> None:
    store = InMemoryCapAlertStore()
    deliver = dispatcher([CapChannel(store, "tocsin@district.example")]).deliver
    await deliver(message("public", action="warn", cap=DETAILS), PUBLIC, "cap")
    update = CapDetails(
        event="食物中毒",
        msg_type="Update",
        references=("tocsin,INC-1-a,2026-11-29T08:00:00+08:00",),
        scope="Restricted",
        restriction="仅限成员单位",
        area_desc="某区",
    )
    await deliver(message("public", action="update", cap=update, subject="更新：患病 40 人"), PUBLIC, "cap")
    alerts = await store.alerts("public")
    xml = render_atom_feed(
        alerts,
        "urn:tocsin:cap:public",
        "某区突发事件预警",
        START,
        self_url="http://127.0.0.1:8000/api/v1/cap/feed",
        alert_url="http://127.0.0.1:8000/api/v1/cap/alerts/{identifier}",
    )
    feed = ET.fromstring(xml.encode())
    assert feed.tag == f"{{{ATOM_NS}}}feed"
    assert feed.findtext("atom:title", namespaces=NS) == "某区突发事件预警"
    entries = feed.findall("atom:entry", NS)
    assert len(entries) == 2
    for entry, expected in zip(entries, alerts, strict=True):
        content = entry.find("atom:content", NS)
        assert content is not None and content.get("type") == "application/cap+xml"
        [embedded] = list(content)
        assert_valid_cap(ET.tostring(embedded, encoding="unicode"))
        assert embedded.findtext("cap:identifier", namespaces=NS) == expected.identifier
        link = entry.find("atom:link", NS)
        assert link is not None and link.get("href", "").endswith(expected.identifier)
