"""`tocsin kafka start --brokers 3`: three local KRaft nodes whose topics survive the loss of one broker.

A cluster of this test's own (its own data dir and free ports), so the suite's shared broker is never touched. The
test creates a topic the way the platform does (3 replicas, min.insync.replicas=2 chosen from the cluster's size),
writes with acks=all, SIGKILLs the leader of the partition, and writes and reads on with two brokers left: every
acknowledged message is read back exactly once. Then the killed node comes back and rejoins.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from bench.receivers import free_port_run
from infra.kafka.admin import ensure_topics
from infra.kafka.cluster import LocalCluster
from infra.kafka.security import KafkaSecurity
from infra.settings import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.subprocess]

NODES = 3
TOPIC = "cluster-test.reports"


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    """A secured three-node cluster under tmp_path, stopped at the end."""
    settings = Settings(data_dir=tmp_path, kafka_bootstrap=f"127.0.0.1:{free_port_run(2 * NODES)}")
    local = LocalCluster(settings, nodes=NODES, heap="256m")
    try:
        local.start(timeout=300)
        yield local
    finally:
        local.stop()


def options(cluster: LocalCluster) -> dict[str, object]:
    """aiokafka options: every node as bootstrap, signed in as the admin principal."""
    security: KafkaSecurity = cluster.node(1).admin_security()
    return {"bootstrap_servers": cluster.bootstrap, **security.aiokafka_options()}


async def leader_and_config(cluster: LocalCluster) -> tuple[int, int, str]:
    """The topic's partition-0 leader, its replica count and its min.insync.replicas."""
    admin = AIOKafkaAdminClient(**options(cluster))
    await admin.start()
    try:
        described = await admin.describe_topics([TOPIC])
        partition = described[0]["partitions"][0]
        configs = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, TOPIC)])
        entries = {entry[0]: entry[1] for entry in configs[0].resources[0][4]}
        return int(partition["leader"]), len(partition["replicas"]), str(entries["min.insync.replicas"])
    finally:
        await admin.close()


async def produce(cluster: LocalCluster, values: list[str]) -> None:
    """Write `values` with acks=all and idempotence, waiting for each acknowledgement."""
    producer = AIOKafkaProducer(**options(cluster), acks="all", enable_idempotence=True, request_timeout_ms=30_000)
    await producer.start()
    try:
        for value in values:
            await asyncio.wait_for(producer.send_and_wait(TOPIC, value.encode(), key=value.encode()), timeout=120)
    finally:
        await producer.stop()


async def consume_all(cluster: LocalCluster, expected: int) -> list[str]:
    """Read the topic from the start until `expected` messages (or nothing more for a while)."""
    consumer = AIOKafkaConsumer(TOPIC, **options(cluster), auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    seen: list[str] = []
    try:
        while len(seen) < expected:
            batch = await consumer.getmany(timeout_ms=30_000)
            if not batch:
                break
            seen += [m.value.decode() for messages in batch.values() for m in messages if m.value is not None]
    finally:
        await consumer.stop()
    return seen


def test_three_brokers_replicate_and_keep_producing_and_consuming_when_the_leader_is_killed(
    cluster: LocalCluster,
) -> None:
    asyncio.run(ensure_topics(cluster.bootstrap, [TOPIC], 1, security=cluster.node(1).admin_security()))
    leader, replicas, min_isr = asyncio.run(leader_and_config(cluster))
    assert (replicas, min_isr) == (3, "2")
    before = [f"before-{n}" for n in range(50)]
    asyncio.run(produce(cluster, before))

    killed = cluster.node(leader)
    pid = killed.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    after = [f"after-{n}" for n in range(50)]
    asyncio.run(produce(cluster, after))
    read = asyncio.run(consume_all(cluster, len(before) + len(after)))
    assert sorted(read) == sorted(before + after)

    cluster.start(timeout=300)
    assert all(node.pid is not None for node in cluster.status())
    new_leader, replicas, _ = asyncio.run(leader_and_config(cluster))
    assert replicas == 3 and new_leader in range(1, NODES + 1)
