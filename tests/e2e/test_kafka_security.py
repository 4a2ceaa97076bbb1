"""Attacks on the secured broker (docs/adr/0022): who cannot write commands, who cannot read, and a reporter that can
still report.

The issue's forged command — a hand-written `DecideLevel` lowering a live incident, sent with kcat to
`<prefix>incident-commands` — is replayed by an unauthenticated client, by a reporter principal and with a wrong
password: the broker refuses each one, the topic's end offsets do not move and the incident keeps its level. These
tests need the local broker `tocsin kafka start` runs (the one `make test` starts); against an unsecured broker they
fail, they never pass vacuously.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupAuthorizationFailedError, KafkaConnectionError, TopicAuthorizationFailedError
from pydantic import SecretStr

from infra.kafka.admin import partition_count
from infra.kafka.config import parse_bootstrap
from infra.kafka.credentials import LocalCredentials, read_credentials
from infra.kafka.reading import from_start
from infra.kafka.security import PLAINTEXT, KafkaSecurity, client_options, credentials_dir, local_credentials
from infra.settings import Settings
from infra.wire import Envelope
from infra.wire.incident import command_envelope
from playbooks.commands import Actor, DecideLevel, Role
from playbooks.levels import Level
from tests.e2e.platform import Platform, incident_for_venue
from tests.factories import report_dict

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def secured(platform: Platform) -> None:
    """The test broker is the secured local broker (else every test here fails, naming what to do)."""
    if local_credentials(Settings(), platform.bootstrap) is None:
        pytest.fail(
            f"{platform.bootstrap} is not the secured local broker (no credentials in {credentials_dir(Settings())}): "
            "run the tests against `tocsin kafka start`'s broker (make test does)"
        )


@pytest.fixture(scope="module")
def reporter(platform: Platform, secured: None) -> Iterator[LocalCredentials]:
    """A reporter principal added with `tocsin kafka user add NAME --role reporter` (removed afterwards)."""
    name = f"reporter-e2e-{uuid.uuid4().hex[:8]}"
    printed = platform.tocsin("kafka", "user", "add", name, "--role", "reporter")
    stored = read_credentials(credentials_dir(Settings()), name)
    assert stored is not None, f"user add stored no credentials for {name}"
    assert f"sasl.username={name}" in printed
    assert f"sasl.password={stored.password.get_secret_value()}" in printed  # the config it prints works as is
    assert "security.protocol=SASL_PLAINTEXT" in printed
    yield stored
    platform.tocsin("kafka", "user", "remove", name)


def as_user(credentials: LocalCredentials, password: str | None = None) -> KafkaSecurity:
    """The security of `credentials` (with another password, when given)."""
    secret = SecretStr(password) if password is not None else credentials.password
    return KafkaSecurity(protocol=credentials.protocol, username=credentials.username, password=secret)


async def end_offsets(platform: Platform, topic: str) -> dict[int, int]:
    """The end offset of every partition of `topic`, read as the operator (admin)."""
    partitions = [TopicPartition(topic, p) for p in range(await partition_count(platform.bootstrap, topic))]
    assert partitions, f"{topic} has no partitions"
    consumer = AIOKafkaConsumer(**client_options(platform.bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        return {tp.partition: offset for tp, offset in (await consumer.end_offsets(partitions)).items()}
    finally:
        await consumer.stop()


def level_ii_incident(platform: Platform) -> dict[str, Any]:
    """A live level-II incident (60 cases at a school), made through the API."""
    report = report_dict(venue_type="school", facts={"cases": 60})
    with platform.client() as client:
        assert client.post("/api/v1/reports", json=report).status_code == 202
    venue = report["location"]["venue"]
    incident: dict[str, Any] = platform.wait_for(lambda: incident_for_venue(platform, venue), what="the incident")
    assert incident["level"] == "II"
    return incident


def forged_lowering(incident: dict[str, Any]) -> Envelope:
    """The issue's attack: a hand-written DecideLevel by an invented commander, lowering the incident to IV."""
    commander = Actor("invented-commander", frozenset({Role.COMMANDER}), None)
    forged = command_envelope(
        DecideLevel(level=Level.IV, reason="lowered by kcat", actor=commander),
        incident_id=incident["id"],
        at=datetime.now(UTC),
        mode=incident["mode"],
    )
    return forged


async def send(platform: Platform, security: KafkaSecurity, topic: str, value: bytes, key: str) -> None:
    """Produce one message as `security`'s principal, like `kcat -P`."""
    producer = AIOKafkaProducer(**client_options(platform.bootstrap, security), acks="all", request_timeout_ms=10_000)
    try:
        await producer.start()
        await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()


async def written_since(platform: Platform, topic: str, before: dict[int, int]) -> list[dict[str, Any]]:
    """Every JSON message written to `topic` after the offsets `before` (the platform keeps writing there too)."""
    end = await end_offsets(platform, topic)
    if all(end[p] <= before.get(p, 0) for p in end):
        return []
    found: list[dict[str, Any]] = []
    async with from_start(platform.bootstrap, topic) as (consumer, _partitions):
        for _ in range(100):  # bounded: a few thousand messages at most on a test prefix
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                found.extend(json.loads(r.value) for r in records if before.get(tp.partition, 0) <= r.offset)
            positions = {p: await consumer.position(TopicPartition(topic, p)) for p in end}
            if all(positions[p] >= end[p] for p in end):
                return found
    raise AssertionError(f"could not read {topic} up to {end}")


def assert_level_unchanged(platform: Platform, incident: dict[str, Any]) -> None:
    """The incident is still level II, with no other level decision in its history."""
    with platform.client() as client:
        after = client.get(f"/api/v1/incidents/{incident['id']}").json()
    assert after["level"] == "II"
    assert [h["to_level"] for h in after["level_history"]] == ["II"]


async def test_an_unauthenticated_client_cannot_write_a_forged_command(platform: Platform, secured: None) -> None:
    incident = level_ii_incident(platform)
    topic = platform.topic("incident-commands")
    forged = forged_lowering(incident)
    before = await end_offsets(platform, topic)

    with pytest.raises(KafkaConnectionError):  # the broker closes a connection that does not authenticate
        await send(platform, PLAINTEXT, topic, forged.to_json(), incident["id"])

    assert forged.id not in {message.get("id") for message in await written_since(platform, topic, before)}
    assert_level_unchanged(platform, incident)


async def test_a_reporter_cannot_write_a_forged_command(platform: Platform, reporter: LocalCredentials) -> None:
    incident = level_ii_incident(platform)
    topic = platform.topic("incident-commands")
    forged = forged_lowering(incident)
    before = await end_offsets(platform, topic)

    with pytest.raises(TopicAuthorizationFailedError):
        await send(platform, as_user(reporter), topic, forged.to_json(), incident["id"])

    assert forged.id not in {message.get("id") for message in await written_since(platform, topic, before)}
    assert_level_unchanged(platform, incident)


@pytest.mark.parametrize("user", ["reporter", "admin"])
async def test_a_wrong_password_is_refused(platform: Platform, reporter: LocalCredentials, user: str) -> None:
    credentials = reporter if user == "reporter" else read_credentials(credentials_dir(Settings()), "admin")
    assert credentials is not None
    topic = platform.topic("reports")
    before = await end_offsets(platform, topic)
    report = report_dict()

    with pytest.raises(KafkaConnectionError):  # SaslAuthenticationFailed: the connection is closed
        await send(platform, as_user(credentials, "not-the-password"), topic, json.dumps(report).encode(), "x")

    written = await written_since(platform, topic, before)
    assert report["report_id"] not in {message.get("report_id") for message in written}


async def test_a_reporter_cannot_read_reports(platform: Platform, reporter: LocalCredentials) -> None:
    topic = platform.topic("reports")
    consumer = AIOKafkaConsumer(
        **client_options(platform.bootstrap, as_user(reporter)),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(await partition_count(platform.bootstrap, topic))])
        with pytest.raises(TopicAuthorizationFailedError):
            await consumer.getmany(timeout_ms=10_000)
    finally:
        await consumer.stop()


async def test_a_reporter_cannot_join_a_consumer_group(platform: Platform, reporter: LocalCredentials) -> None:
    consumer = AIOKafkaConsumer(
        platform.topic("reports"),
        **client_options(platform.bootstrap, as_user(reporter)),
        group_id=f"{platform.prefix}worker",  # the worker's group: joining it would steal its partitions
        enable_auto_commit=False,
    )
    try:
        with pytest.raises(GroupAuthorizationFailedError):
            await consumer.start()
            await consumer.getmany(timeout_ms=10_000)
    finally:
        await consumer.stop()


async def test_a_report_sent_by_a_reporter_becomes_an_incident(platform: Platform, reporter: LocalCredentials) -> None:
    report = report_dict(venue_type="school", facts={"cases": 60})

    await send(platform, as_user(reporter), platform.topic("reports"), json.dumps(report).encode(), report["report_id"])

    venue = report["location"]["venue"]
    incident = platform.wait_for(lambda: incident_for_venue(platform, venue), what="the reporter's incident")
    assert incident["level"] == "II"  # graded like any report


async def test_the_controller_listener_refuses_an_unauthenticated_client(platform: Platform, secured: None) -> None:
    address = parse_bootstrap(platform.bootstrap)
    admin = AIOKafkaAdminClient(**client_options(f"{address.host}:{address.controller_port}", PLAINTEXT))
    try:
        with pytest.raises(KafkaConnectionError):
            await admin.start()
    finally:
        await admin.close()


async def test_a_removed_reporter_can_no_longer_sign_in(platform: Platform, secured: None) -> None:
    name = f"reporter-gone-{uuid.uuid4().hex[:8]}"
    platform.tocsin("kafka", "user", "add", name)  # --role reporter is the default
    credentials = read_credentials(credentials_dir(Settings()), name)
    assert credentials is not None
    report = report_dict()
    await send(platform, as_user(credentials), platform.topic("reports"), json.dumps(report).encode(), "r")

    platform.tocsin("kafka", "user", "remove", name)

    assert read_credentials(credentials_dir(Settings()), name) is None
    with pytest.raises(KafkaConnectionError):
        await send(platform, as_user(credentials), platform.topic("reports"), json.dumps(report).encode(), "r")
