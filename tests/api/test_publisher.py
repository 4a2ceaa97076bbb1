"""The publishers: the in-memory one records what a consumer would read and fails when told to; the Kafka one
reports an unreachable broker as PublishFailed (the API's 503)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.publisher import InMemoryPublisher, KafkaPublisher, Publication, Published, PublishFailed
from tests.api.conftest import NO_BROKER


async def test_the_in_memory_publisher_records_each_message_as_a_consumer_would_read_it() -> None:
    publisher = InMemoryPublisher()
    first = await publisher.send_json("t.reports", "r-1", {"id": "a", "towns": ("Qingshan", "河西")})
    second = await publisher.send_json("t.commands", "inc-1", {"id": "b"})
    third = await publisher.send_json("t.reports", "r-2", {"id": "c"})
    assert (first, second, third) == (
        Published("t.reports", 0, 0),
        Published("t.commands", 0, 0),
        Published("t.reports", 0, 1),
    )
    assert publisher.on("t.reports") == [
        Publication("t.reports", "r-1", {"id": "a", "towns": ["Qingshan", "河西"]}),  # a tuple reads back as a list
        Publication("t.reports", "r-2", {"id": "c"}),
    ]
    assert publisher.find("b") == Publication("t.commands", "inc-1", {"id": "b"})


async def test_a_value_that_is_not_json_is_refused() -> None:
    publisher = InMemoryPublisher()
    with pytest.raises(TypeError, match="datetime"):
        await publisher.send_json("t", "k", {"at": datetime(2026, 6, 1, tzinfo=UTC)})
    assert publisher.published == []


async def test_find_insists_on_exactly_one_publication() -> None:
    publisher = InMemoryPublisher()
    with pytest.raises(AssertionError, match="0 publications with id='x'"):
        publisher.find("x")
    await publisher.send_json("t", "k", {"id": "x"})
    await publisher.send_json("t", "k", {"id": "x"})
    with pytest.raises(AssertionError, match="2 publications with id='x'"):
        publisher.find("x")


async def test_a_failing_publisher_refuses_every_message_until_it_recovers() -> None:
    publisher = InMemoryPublisher()
    publisher.fail("broker down")
    for _ in range(2):
        with pytest.raises(PublishFailed, match="broker down"):
            await publisher.send_json("t", "k", {"id": "x"})
    assert publisher.published == []
    publisher.recover()
    assert await publisher.send_json("t", "k", {"id": "x"}) == Published("t", 0, 0)


async def test_the_kafka_publisher_reports_an_unreachable_broker_as_publish_failed() -> None:
    publisher = KafkaPublisher(NO_BROKER)
    try:
        with pytest.raises(PublishFailed, match=f"Kafka at {NO_BROKER} is unreachable"):
            await publisher.send_json("t", "k", {"id": "x"})
    finally:
        await publisher.close()
