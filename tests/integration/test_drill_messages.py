"""A drill's message inject goes through the real delivery layer to a real SMTP server: participants only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from drills.effects import DeliverMessage
from drills.messages import open_courier
from infra.channels import EXERCISE_MARK
from infra.db.engine import Database
from infra.db.migrate import upgrade
from infra.district import load_organisation
from infra.notify.stores import register_participants
from infra.settings import Settings
from tests.e2e.district import district_on_receivers
from tests.integration.channels.receivers import SmtpReceiver

EXERCISE = "EX-school_canteen-20261130043000-ab12"
PARTICIPANTS = ["p-education-01", "p-district_office-01"]
MESSAGE = DeliverMessage(
    EXERCISE,
    "parents_gather",
    datetime(2026, 11, 30, 6, 0, tzinfo=UTC),
    "message",
    "城关街道",
    ("education",),
    "家长在校门口聚集",
    "约 50 名家长在校门口聚集，要求学校说明情况。",
)


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    """A real SMTP server on 127.0.0.1."""
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
async def settings(tmp_path: Path, smtp: SmtpReceiver) -> Settings:
    """A platform whose people are reachable by e-mail on the local receiver, the exercise's participants set."""
    district = district_on_receivers(tmp_path / "district", webhook_base="http://127.0.0.1:9")
    configured = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'tocsin.db'}",
        data_dir=tmp_path / "var",
        district_dir=district,
        notify_channels="email",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        notify_max_attempts=2,
        notify_retry_base_delay=0.05,
    )
    await upgrade(configured.database_url)
    db = Database(configured.database_url)
    try:
        await register_participants(db, EXERCISE, PARTICIPANTS)
    finally:
        await db.dispose()
    return configured


async def test_a_participant_of_the_receiving_unit_gets_one_marked_mail_and_the_others_go_to_the_sink(
    settings: Settings,
    smtp: SmtpReceiver,
) -> None:
    organisation = load_organisation(settings.district_dir)
    async with open_courier(settings, EXERCISE, organisation, PARTICIPANTS) as courier:
        outcome = await courier.deliver(MESSAGE)
        again = await courier.deliver(MESSAGE)  # at-least-once: a repeat is deduplicated, not sent twice

    assert outcome.delivered_to == ("p-education-01",)
    assert set(outcome.diverted) == {p.id for p in organisation.people_in("education")} - {"p-education-01"}
    assert outcome.failed == ()
    assert again.delivered_to == ("p-education-01",)

    mails = smtp.mails
    assert [m.rcpt_tos for m in mails] == [("p-education-01@district.test",)]
    mail = mails[0].message
    assert str(mail["Subject"]).startswith(f"{EXERCISE_MARK} 家长在校门口聚集")
    assert mail["X-Tocsin-Mode"] == "exercise"
    assert mail["X-Tocsin-Exercise-Id"] == EXERCISE
    body = mail.get_body()
    assert body is not None and "约 50 名家长" in body.get_content()

    sink = settings.data_dir / "outbox" / "exercise-sink.jsonl"
    diverted = [json.loads(line) for line in sink.read_text(encoding="utf-8").splitlines()]
    assert {d["diversion"].split("'")[1] for d in diverted} == set(outcome.diverted)
    assert all(d["mode"] == "exercise" and d["exercise_id"] == EXERCISE for d in diverted)
    assert "p-education-02@district.test" not in {r for m in mails for r in m.rcpt_tos}

    entry = outcome.to_dict()
    assert (entry["inject_id"], entry["delivered_to"], entry["receivers"]) == (
        "parents_gather",
        ["p-education-01"],
        ["education"],
    )


async def test_a_receiver_without_participants_and_an_unreachable_server_are_reported_as_failures(
    settings: Settings,
    smtp: SmtpReceiver,
) -> None:
    organisation = load_organisation(settings.district_dir)
    smtp.fail_next(2, "550 5.1.1 no such mailbox")
    message = DeliverMessage(
        EXERCISE,
        "call",
        MESSAGE.at,
        "phone_call",
        "区人民医院",
        ("district_office", "police"),
        "医院来电",
        "已接收 18 名学生。",
    )
    async with open_courier(settings, EXERCISE, organisation, PARTICIPANTS) as courier:
        outcome = await courier.deliver(message)
    assert outcome.delivered_to == ()
    assert [(f.recipient, f.channel) for f in outcome.failed] == [("p-district_office-01", "email")]
    assert "550" in outcome.failed[0].reason
    assert smtp.mails == []
