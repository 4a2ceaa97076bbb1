"""Every playbook version ever activated, kept on a compacted Kafka topic so incidents keep their version.

A worker publishes the versions it loaded (key `id@version`, value the YAML source) and reads back all
versions, so an incident opened under an older file is still handled by the plan it was activated under.
"""

from __future__ import annotations

import asyncio
import json

from aiokafka import AIOKafkaProducer

from infra.kafka.admin import ensure_topics
from infra.kafka.reading import from_start
from infra.kafka.security import client_options
from playbooks import Playbook, PlaybookLibrary, parse_playbook


async def publish_versions(bootstrap: str, topic: str, library: PlaybookLibrary) -> None:
    """Put the library's current playbook sources on the archive topic (idempotent: same key, same value)."""
    await ensure_topics(bootstrap, [topic], 1, configs={"cleanup.policy": "compact"})
    producer = AIOKafkaProducer(**client_options(bootstrap), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for playbook in library.all():
            value = json.dumps({"filename": playbook.filename, "source": playbook.source}, ensure_ascii=False)
            await producer.send_and_wait(topic, value.encode(), key=f"{playbook.id}@{playbook.version}".encode())
    finally:
        await producer.stop()


async def read_versions(bootstrap: str, topic: str) -> list[Playbook]:
    """Every playbook version on the archive topic, parsed."""
    found: dict[bytes, bytes] = {}
    async with from_start(bootstrap, topic) as (consumer, partitions):
        if not partitions:
            return []
        ends = await consumer.end_offsets(partitions)
        async with asyncio.timeout(30):
            while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                batch = await consumer.getmany(timeout_ms=500)
                for messages in batch.values():
                    for message in messages:
                        if message.key is not None and message.value is not None:
                            found[message.key] = message.value
    archived = []
    for value in found.values():
        entry = json.loads(value)
        archived.append(parse_playbook(entry["source"], entry["filename"]))
    return archived


async def with_archive(bootstrap: str, topic: str, library: PlaybookLibrary) -> PlaybookLibrary:
    """Publish the current versions, then return the library that also knows every archived one."""
    await publish_versions(bootstrap, topic, library)
    return library.including(await read_versions(bootstrap, topic))
