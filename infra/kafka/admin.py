"""Kafka admin helpers over aiokafka: create topics before workers start, and probe a broker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, for_code

__all__ = ["ADMIN_METADATA_MAX_AGE_MS", "TopicCreationError", "ensure_topics", "probe"]

log = structlog.get_logger(__name__)

ADMIN_METADATA_MAX_AGE_MS = 1_000
"""Metadata refresh period of our admin clients: low, so a fresh broker is picked up at once."""

_TOPIC_ALREADY_EXISTS = 36


class TopicCreationError(RuntimeError):
    """The broker refused to create a topic, or did not show it in its metadata in time."""


def _admin(bootstrap: str, request_timeout_ms: int) -> Any:
    return AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="tocsin-admin",
        request_timeout_ms=request_timeout_ms,
        metadata_max_age_ms=ADMIN_METADATA_MAX_AGE_MS,
        retry_backoff_ms=100,
    )


async def probe(bootstrap: str, timeout: float) -> bool:  # noqa: ASYNC109 - a bounded retry loop
    """True when an admin call (cluster metadata with a controller) succeeds within `timeout` seconds.

    Retries until the deadline, so it also serves as "wait until the broker answers".
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        client = _admin(bootstrap, request_timeout_ms=max(1_000, int(remaining * 1000)))
        try:
            async with asyncio.timeout(remaining):
                await client.start()
                cluster = await client.describe_cluster()
            if cluster.get("brokers") and cluster.get("controller_id", -1) >= 0:
                return True
        except (KafkaError, OSError, TimeoutError) as exc:
            log.debug("kafka.probe.failed", bootstrap=bootstrap, error=repr(exc))
        finally:
            await client.close()
        await asyncio.sleep(min(0.25, max(0.0, deadline - loop.time())))


def _create_errors(response: Any) -> list[tuple[str, int, str]]:
    errors: list[tuple[str, int, str]] = []
    for entry in response.topic_errors:
        topic, code = str(entry[0]), int(entry[1])
        message = entry[2] if len(entry) > 2 and isinstance(entry[2], str) else ""
        if code != 0:
            errors.append((topic, code, message))
    return errors


async def _partition_counts(client: Any) -> dict[str, int]:
    """Partition count per topic, over all topics (never asks for a missing one by name, which
    would auto-create it on a broker with auto.create.topics.enable)."""
    topics = await client.describe_topics()
    return {t["topic"]: len(t["partitions"]) for t in topics if t.get("error_code", 0) == 0}


async def ensure_topics(
    bootstrap: str,
    names: Iterable[str],
    partitions: int,
    *,
    replication: int = 1,
    configs: Mapping[str, str] | None = None,
    timeout: float = 30.0,  # noqa: ASYNC109 - bounds retries and the metadata wait
) -> list[str]:
    """Create the missing topics among `names`; return those this call created.

    Topics that already exist are left as they are (also when another client creates them
    concurrently). Returns once the broker's metadata shows every topic in `names` with all its
    partitions; raises `TopicCreationError` on any other broker error or on timeout.
    """
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return []
    client = _admin(bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        async with asyncio.timeout(timeout):
            await client.start()
            existing = await _partition_counts(client)
            missing = [name for name in wanted if name not in existing]
            created: list[str] = []
            if missing:
                response = await client.create_topics(
                    [NewTopic(name, num_partitions=partitions, replication_factor=replication,
                              topic_configs=dict(configs or {}))
                     for name in missing]
                )  # fmt: skip
                errors = _create_errors(response)
                failed = [e for e in errors if e[1] != _TOPIC_ALREADY_EXISTS]
                if failed:
                    detail = "; ".join(f"{t}: {for_code(c).__name__} {m}".strip() for t, c, m in failed)
                    raise TopicCreationError(f"could not create topics on {bootstrap}: {detail}")
                raced = {e[0] for e in errors}
                created = [name for name in missing if name not in raced]
            await _wait_visible(client, wanted, {name: partitions for name in created})
    except TimeoutError as exc:
        raise TopicCreationError(f"topics {wanted} not ready on {bootstrap} within {timeout:g}s") from exc
    finally:
        await client.close()
    if created:
        log.info("kafka.topics.created", bootstrap=bootstrap, topics=created, partitions=partitions)
    return created


async def _wait_visible(client: Any, names: list[str], expected_partitions: dict[str, int]) -> None:
    """Poll metadata until every topic is listed (and created ones show all their partitions)."""
    while True:
        counts = await _partition_counts(client)
        if all(name in counts and counts[name] >= expected_partitions.get(name, 1) for name in names):
            return
        await asyncio.sleep(0.1)


async def partition_count(bootstrap: str, topic: str, *, timeout: float = 30.0) -> int:  # noqa: ASYNC109
    """How many partitions `topic` has; 0 when it does not exist (never auto-creates it)."""
    client = _admin(bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        async with asyncio.timeout(timeout):
            await client.start()
            return (await _partition_counts(client)).get(topic, 0)
    finally:
        await client.close()
