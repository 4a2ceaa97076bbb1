"""The crash matrix's ledger and its verdict: what the API accepted against what the platform did with it.

A `Ledger` holds every report the API answered 202 (report id → venue) and every answer that was not 202. After a
run has settled (`Quiescence`: every role's group has committed all of its topics, twice in a row), `verdict`
reads the live read model and a rebuild of it from the log, and the pages the real webhook receiver got, and
counts what went wrong: reports lost or counted twice, duplicated pages (an idempotency key accepted twice),
planned steps with no delivery record, and tables where the read model differs from the rebuild.

The checks are those of tests/e2e/test_scale_out.py, over the database rows instead of the API (the API may be
the process a fault just killed).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.platform import Platform
from bench.receivers import ReceivedRequest
from infra.channels import DeliveryStatus
from infra.kafka.security import client_options
from infra.wire import EventType, stable_id
from streams.delivery import IN_DOUBT

__all__ = [
    "CONSUMED",
    "Ledger",
    "Quiescence",
    "Verdict",
    "first_page_latencies",
    "lag_by_role",
    "uncommitted",
    "verdict",
]

CONSUMED = {
    "intake": ("reports", "reports.accepted"),
    "writer": ("incident-commands",),
    "notifier": ("incident-events",),
    "projector": ("incident-events",),
}
"""The topics each role's consumer group reads (streams/worker.py)."""
Rows = dict[str, list[dict[str, Any]]]


@dataclass
class Ledger:
    """Every report the API accepted (202), and a count of every other answer, by status ('error' = no answer)."""

    accepted: dict[str, str] = field(default_factory=dict)
    """Report id → venue."""
    accepted_at: dict[str, float] = field(default_factory=dict)
    """Report id → time.perf_counter() of its 202 (the receivers stamp pages on the same clock)."""
    answers: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def accept(self, report_id: str, venue: str) -> None:
        """Record a 202."""
        with self.lock:
            self.accepted[report_id] = venue
            self.accepted_at.setdefault(report_id, time.perf_counter())
            self.answers["202"] += 1

    def refuse(self, status: str) -> None:
        """Record an answer that was not 202 (the generator sends the same report again)."""
        with self.lock:
            self.answers[status] += 1


@dataclass(frozen=True)
class Verdict:
    """What one run's checks found; `clean` when nothing was lost, duplicated, unaccounted for or different."""

    accepted: int
    lost: list[str]
    counted_twice: list[str]
    misplaced: list[str]
    pages: int
    duplicated_pages: int
    unaccounted_steps: int
    in_doubt_pages: int
    rebuild_differs: list[str]

    @property
    def clean(self) -> bool:
        """Whether the run kept every invariant the matrix checks."""
        return not (
            self.lost
            or self.counted_twice
            or self.misplaced
            or self.duplicated_pages
            or self.unaccounted_steps
            or self.rebuild_differs
        )

    def figures(self) -> dict[str, Any]:
        """The verdict as JSON-ready figures (report ids cut to the first ten)."""
        out = asdict(self)
        for key in ("lost", "counted_twice", "misplaced"):
            out[key] = {"count": len(out[key]), "first": out[key][:10]}
        out["clean"] = self.clean
        return out


def verdict(ledger: Ledger, live: Rows, rebuilt: Rows, requests: Sequence[ReceivedRequest]) -> Verdict:
    """Check the ledger and the pages against the live read model and its rebuild from the log."""
    timeline = live["timeline"]
    venue_of = {row["id"]: (row.get("location") or {}).get("venue") for row in live["incidents"]}
    received = [row for row in timeline if row["type"] == EventType.REPORT_RECEIVED]
    counted = Counter(row["data"]["report_id"] for row in received)
    placed = {row["data"]["report_id"]: venue_of.get(row["incident_id"]) for row in received}
    # a page counts once it was answered 2xx: a retry after an error or a hang is not a second page
    keys = Counter(request.json()["idempotency_key"] for request in requests if request.accepted)
    planned = {
        stable_id("deliveries", row["event_id"])
        for row in timeline
        if row["type"] == EventType.ACTIONS_PLANNED and row["data"].get("items")
    }
    records = [row for row in timeline if row["type"] in (EventType.NOTIFICATION_SENT, EventType.NOTIFICATION_FAILED)]
    recorded = {row["causation"] for row in records}
    statuses = [row["data"].get("status") for row in records if row["data"].get("channel") == "webhook"]
    accepted = dict(ledger.accepted)
    return Verdict(
        accepted=len(accepted),
        lost=sorted(set(accepted) - set(counted)),
        counted_twice=sorted(report_id for report_id, n in counted.items() if n > 1),
        misplaced=sorted(r for r, venue in accepted.items() if r in placed and placed[r] != venue),
        pages=len(requests),
        duplicated_pages=sum(n - 1 for n in keys.values() if n > 1),
        unaccounted_steps=len(planned - recorded),
        in_doubt_pages=sum(1 for status in statuses if status == IN_DOUBT),
        rebuild_differs=sorted(table for table in live if live[table] != rebuilt.get(table)),
    )


def first_page_latencies(
    ledger: Ledger, live: Rows, requests: Sequence[ReceivedRequest], *, besides: str | None = None
) -> dict[str, float]:
    """Seconds from each opening report's 202 to its incident's first page answered 2xx (on a path other than
    `besides`): report id → latency, for every opening report whose incident was paged."""
    incident_of = {
        row["data"]["report_id"]: row["incident_id"]
        for row in live["timeline"]
        if row["type"] == EventType.REPORT_RECEIVED
    }
    first: dict[str, float] = {}
    for request in requests:
        if not request.accepted or request.path == besides:
            continue
        incident = request.json().get("incident_id")
        if incident is not None and (incident not in first or request.received_at < first[incident]):
            first[incident] = request.received_at
    with ledger.lock:
        accepted_at = dict(ledger.accepted_at)
    return {
        report_id: first[incident_of[report_id]] - at
        for report_id, at in accepted_at.items()
        if report_id.endswith("-open") and incident_of.get(report_id) in first
    }


def delivered_pages(live: Rows) -> int:
    """Webhook pages the timelines record as delivered."""
    return sum(
        1
        for row in live["timeline"]
        if row["type"] == EventType.NOTIFICATION_SENT
        and row["data"].get("channel") == "webhook"
        and row["data"].get("status") == DeliveryStatus.DELIVERED
    )


class Quiescence:
    """A probe: true once every role's group has committed all of its topics twice in a row, 2 s apart or more."""

    def __init__(self, platform: Platform, partitions: int) -> None:
        self.platform = platform
        self.partitions = partitions
        self.last: tuple[float, dict[TopicPartition, int]] | None = None

    def __call__(self) -> bool:
        """Whether the platform has been idle with nothing uncommitted since the previous idle look."""
        backlog, ends = asyncio.run(uncommitted(self.platform, self.partitions))
        if backlog:
            self.last = None
            return False
        now = time.monotonic()
        if self.last is None or self.last[1] != ends:
            self.last = (now, ends)
            return False
        return now - self.last[0] >= 2.0


async def uncommitted(platform: Platform, partitions: int) -> tuple[int, dict[TopicPartition, int]]:
    """Messages the role groups have not committed yet (over every partition of their topics), and the end offsets."""
    lags, ends = await lag_by_role(platform, partitions)
    return sum(lags.values()), ends


async def lag_by_role(platform: Platform, partitions: int) -> tuple[dict[str, int], dict[TopicPartition, int]]:
    """Each role group's consumer lag (messages not committed on its topics), and the end offsets."""
    topics = {platform.topic(name) for names in CONSUMED.values() for name in names}
    every = [TopicPartition(topic, p) for topic in sorted(topics) for p in range(partitions)]
    consumer = AIOKafkaConsumer(**client_options(platform.bootstrap), enable_auto_commit=False)
    admin = AIOKafkaAdminClient(**client_options(platform.bootstrap))
    await consumer.start()
    await admin.start()
    try:
        ends = await consumer.end_offsets(every)
        starts = await consumer.beginning_offsets(every)
        lags: dict[str, int] = {}
        for role, names in CONSUMED.items():
            committed = await admin.list_consumer_group_offsets(f"{platform.prefix}{role}")
            lags[role] = 0
            for tp in every:
                if tp.topic.removeprefix(platform.prefix) in names:
                    meta = committed.get(tp)
                    done = meta.offset if meta is not None and meta.offset >= 0 else starts[tp]
                    lags[role] += max(0, ends[tp] - done)
        return lags, ends
    finally:
        await admin.close()
        await consumer.stop()
