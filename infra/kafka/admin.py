"""Kafka admin helpers over aiokafka: create topics before workers start, and probe a broker.

Each takes an optional `security` (infra.kafka.security.KafkaSecurity); by default the process's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, for_code

from infra.kafka.security import KafkaSecurity, client_options

__all__ = ["ADMIN_METADATA_MAX_AGE_MS", "TopicCreationError", "admin_client", "ensure_topics", "probe"]

log = structlog.get_logger(__name__)

ADMIN_METADATA_MAX_AGE_MS = 1_000
"""Metadata refresh period of our admin clients: low, so a fresh broker is picked up at once."""

_TOPIC_ALREADY_EXISTS = 36
_TOPIC_AUTHORIZATION_FAILED = 29
_GRANT_HINT = "no ACL lets this principal create them: `tocsin kafka grant` grants the components' ACLs"


class TopicCreationError(RuntimeError):
    """The broker refused to create a topic, or did not show it in its metadata in time."""


def _admin(bootstrap: str, request_timeout_ms: int, security: KafkaSecurity | None = None) -> Any:
    return AIOKafkaAdminClient(
        **client_options(bootstrap, security),
        client_id="tocsin-admin",
        request_timeout_ms=request_timeout_ms,
        metadata_max_age_ms=ADMIN_METADATA_MAX_AGE_MS,
        retry_backoff_ms=100,
    )


@asynccontextmanager
async def admin_client(
    bootstrap: str, security: KafkaSecurity | None = None, *, request_timeout: float = 30.0
) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client of `bootstrap` (closed on exit)."""
    client = _admin(bootstrap, int(request_timeout * 1000), security)
    try:
        await client.start()
        yield client
    finally:
        await client.close()


async def probe(bootstrap: str, timeout: float, security: KafkaSecurity | None = None) -> bool:  # noqa: ASYNC109
    """True when an admin call (cluster metadata with a controller) succeeds within `timeout` seconds.

    Retries until the deadline, so it also serves as "wait until the broker answers". A broker that refuses our
    credentials does not answer.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        client = _admin(bootstrap, max(1_000, int(remaining * 1000)), security)
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


def _creation_failure(bootstrap: str, failed: list[tuple[str, int, str]]) -> TopicCreationError:
    detail = "; ".join(f"{t}: {for_code(c).__name__} {m}".strip() for t, c, m in failed)
    if any(code == _TOPIC_AUTHORIZATION_FAILED for _t, code, _m in failed):
        detail += f" ({_GRANT_HINT})"
    return TopicCreationError(f"could not create topics on {bootstrap}: {detail}")


async def _partition_counts(client: Any) -> dict[str, int]:
    """Partition count per topic, over all topics (never asks for a missing one by name, which
    would auto-create it on a broker with auto.create.topics.enable)."""
    topics = await client.describe_topics()
    return {t["topic"]: len(t["partitions"]) for t in topics if t.get("error_code", 0) == 0}


async def ensure_topics(  # noqa: PLR0913 - topic settings, a bound and the security: all optional keywords
    bootstrap: str,
    names: Iterable[str],
    partitions: int,
    *,
    replication: int | None = None,
    configs: Mapping[str, str] | None = None,
    timeout: float = 30.0,  # noqa: ASYNC109 - bounds retries and the metadata wait
    security: KafkaSecurity | None = None,
) -> list[str]:
    """Create the missing topics among `names`; return those this call created.

    Topics that already exist are left as they are (also when another client creates them
    concurrently). `replication` None: 3 replicas with `min.insync.replicas=2` on a cluster of three
    brokers or more, else one per broker (docs/adr/0025). Returns once the broker's metadata shows every topic
    in `names` with all its partitions; raises `TopicCreationError` on any other broker error or on timeout.
    """
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return []
    client = _admin(bootstrap, int(timeout * 1000), security)
    try:
        async with asyncio.timeout(timeout):
            await client.start()
            existing = await _partition_counts(client)
            missing = [name for name in wanted if name not in existing]
            created: list[str] = []
            if missing:
                replicas, topic_configs = await _replication(client, replication, configs)
                response = await client.create_topics(
                    [NewTopic(name, num_partitions=partitions, replication_factor=replicas,
                              topic_configs=topic_configs)
                     for name in missing]
                )  # fmt: skip
                errors = _create_errors(response)
                failed = [e for e in errors if e[1] != _TOPIC_ALREADY_EXISTS]
                if failed:
                    raise _creation_failure(bootstrap, failed)
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


async def _replication(
    client: Any, replication: int | None, configs: Mapping[str, str] | None
) -> tuple[int, dict[str, str]]:
    """The replication factor and topic configs to create with: `replication`, or chosen from the cluster's size."""
    chosen = dict(configs or {})
    if replication is not None:
        return replication, chosen
    brokers = len((await client.describe_cluster())["brokers"])
    replicas = max(1, min(3, brokers))
    if replicas >= 3:
        chosen.setdefault("min.insync.replicas", "2")
    return replicas, chosen


async def _wait_visible(client: Any, names: list[str], expected_partitions: dict[str, int]) -> None:
    """Poll metadata until every topic is listed (and created ones show all their partitions)."""
    while True:
        counts = await _partition_counts(client)
        if all(name in counts and counts[name] >= expected_partitions.get(name, 1) for name in names):
            return
        await asyncio.sleep(0.1)


async def partition_count(
    bootstrap: str,
    topic: str,
    *,
    timeout: float = 30.0,  # noqa: ASYNC109
    security: KafkaSecurity | None = None,
) -> int:
    """How many partitions `topic` has; 0 when it does not exist or this principal may not see it (never creates)."""
    client = _admin(bootstrap, int(timeout * 1000), security)
    try:
        async with asyncio.timeout(timeout):
            await client.start()
            return (await _partition_counts(client)).get(topic, 0)
    finally:
        await client.close()
