"""Prometheus metrics: API counters, and read-model and Kafka gauges computed at scrape time.

Exercise incidents and deliveries are left out of every statistic (DESIGN.md invariant 5).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import structlog
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from infra.db import queries
from infra.db.engine import Database
from infra.kafka.security import client_options

log = structlog.get_logger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ApiMetrics:
    """One registry per app (so tests can build many apps), with the platform's metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.reports = Counter(
            "tocsin_reports",
            "Reports taken by the API, by outcome (accepted|rejected|unavailable)",
            ["outcome"],
            registry=r,
        )
        self.commands = Counter(
            "tocsin_commands",
            "Commands taken by the API, by type and outcome (accepted|rejected|applied|failed)",
            ["command", "outcome"],
            registry=r,
        )
        self.incidents = Gauge(
            "tocsin_incidents_open", "Open actual incidents by level and status", ["level", "status"], registry=r
        )
        self.deliveries = Gauge(
            "tocsin_notification_deliveries",
            "Actual notifications by channel and status (delivered, failed, ...)",
            ["channel", "status"],
            registry=r,
        )
        self.overdue = Gauge(
            "tocsin_overdue_items",
            "Actual response steps past their deadline and not done, by kind",
            ["kind"],
            registry=r,
        )
        self.lag = Gauge(
            "tocsin_consumer_lag", "Messages the worker has yet to consume, by topic", ["topic"], registry=r
        )
        self.scrape_errors = Counter(
            "tocsin_metrics_scrape_errors", "Parts of a scrape that failed, by part", ["part"], registry=r
        )

    async def render(self, db: Database, *, now: datetime, bootstrap: str, group: str) -> bytes:
        """Refresh the gauges and return the exposition text."""
        try:
            _set(self.incidents, {k: float(v) for k, v in (await queries.incidents_by_level(db)).items()})
            _set(self.deliveries, {k: float(v) for k, v in (await queries.notification_counts(db)).items()})
            _set(self.overdue, {(k,): float(v) for k, v in (await queries.overdue_count(db, now)).items()})
        except Exception as exc:  # a scrape must not fail because the database is down; readyz says so
            log.warning("metrics.database_failed", error=repr(exc))
            self.scrape_errors.labels("database").inc()
        try:
            async with asyncio.timeout(3):
                lag = await consumer_lag(bootstrap, group)
            _set(self.lag, {(topic,): float(v) for topic, v in lag.items()})
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning("metrics.kafka_failed", error=repr(exc))
            self.scrape_errors.labels("kafka").inc()
        return generate_latest(self.registry)


def _set(gauge: Gauge, values: dict[tuple[str, ...], float]) -> None:
    gauge.clear()
    for labels, value in values.items():
        gauge.labels(*labels).set(value)


async def consumer_lag(bootstrap: str, group: str) -> dict[str, int]:
    """End offset minus committed offset of `group`, summed per topic (topics the group has committed on)."""
    admin = AIOKafkaAdminClient(**client_options(bootstrap), request_timeout_ms=3000)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    if not committed:
        return {}
    consumer = AIOKafkaConsumer(**client_options(bootstrap), enable_auto_commit=False, request_timeout_ms=3000)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(list(committed))
    finally:
        await consumer.stop()
    lag: dict[str, int] = {}
    for tp, meta in committed.items():
        if meta.offset >= 0:
            lag[tp.topic] = lag.get(tp.topic, 0) + max(0, ends.get(tp, 0) - meta.offset)
    return lag
