"""`ensure_topics` and `probe` against the running broker at TOCSIN_KAFKA_BOOTSTRAP.

Start one with `make kafka-start` (or `tocsin kafka start`). Without a broker these tests are skipped,
except under CI=true, where an unreachable broker is a failure (the `kafka_bootstrap` fixture of
tests/conftest.py decides).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from infra.kafka.admin import TopicCreationError, ensure_topics, probe
from infra.kafka.security import client_options


@pytest.fixture
async def topic_prefix(kafka_bootstrap: str) -> AsyncIterator[str]:
    prefix = f"test.admin.{uuid.uuid4().hex[:12]}."
    yield prefix
    admin = AIOKafkaAdminClient(**client_options(kafka_bootstrap), metadata_max_age_ms=1000)
    await admin.start()
    try:
        ours = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()


async def _partitions(bootstrap: str, names: list[str]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(**client_options(bootstrap), metadata_max_age_ms=1000)
    await admin.start()
    try:
        topics = await admin.describe_topics(names)
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in topics}


async def test_missing_topics_are_created_with_the_requested_partitions(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    names = [f"{topic_prefix}reports", f"{topic_prefix}incident-events"]

    created = await ensure_topics(kafka_bootstrap, names, partitions=3)

    assert sorted(created) == sorted(names)
    assert await _partitions(kafka_bootstrap, names) == {name: 3 for name in names}


async def test_ensuring_existing_topics_again_creates_nothing(kafka_bootstrap: str, topic_prefix: str) -> None:
    first, second = f"{topic_prefix}a", f"{topic_prefix}b"
    assert await ensure_topics(kafka_bootstrap, [first], partitions=2) == [first]

    assert await ensure_topics(kafka_bootstrap, [first], partitions=2) == []
    assert await ensure_topics(kafka_bootstrap, [first, second, second], partitions=2) == [second]
    assert await _partitions(kafka_bootstrap, [first, second]) == {first: 2, second: 2}


async def test_a_refused_topic_raises_with_the_topic_and_the_brokers_reason(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    name = f"{topic_prefix}three-replicas"
    with pytest.raises(TopicCreationError, match=rf"{name}: InvalidReplicationFactor"):
        await ensure_topics(kafka_bootstrap, [name], partitions=1, replication=3)


async def test_no_names_means_no_broker_call() -> None:
    assert await ensure_topics("127.0.0.1:1", [], partitions=1) == []


async def test_probe_says_no_when_nothing_listens() -> None:
    assert await probe("127.0.0.1:1", timeout=1.0) is False


async def test_probe_says_yes_for_the_running_broker(kafka_bootstrap: str) -> None:
    assert await probe(kafka_bootstrap, timeout=10.0) is True
