"""Pipeline benchmark: the raw aiokafka relay ceiling vs Tocsin's report intake and report → first page.

Run against a broker (default: the local one `make test` starts):

    .venv/bin/python -m bench.pipeline [--reports 5000] [--rate 100] [--seconds 15]

It prints throughput (reports/s), latency p50/p95/p99 and the ratio to the ceiling. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.district import district_on_receivers
from bench.platform import Platform
from bench.receivers import HttpReceiver
from infra.kafka.admin import ensure_topics
from infra.wire import Envelope, EventType
from tocsin.cli_platform import sample_reports

VENUE = re.compile(r"】(\S+) ")
SAMPLE = sample_reports()[0]


def bench_report(cases: int) -> dict[str, Any]:
    """The product's sample report made into a new restaurant outbreak of `cases` cases at a venue of its own."""
    unique = uuid.uuid4().hex[:10]
    return {
        **SAMPLE,
        "report_id": f"bench-{unique}",
        "reported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "location": {**SAMPLE["location"], "venue": f"bench-{unique}"},
        "venue_type": "restaurant",
        "facts": {"cases": cases},
    }


def percentiles(samples: list[float]) -> str:
    """p50/p95/p99 of `samples` (seconds) in milliseconds."""
    if len(samples) < 2:
        return "n/a"
    cuts = statistics.quantiles(samples, n=100)
    return f"p50 {cuts[49] * 1000:.0f} ms  p95 {cuts[94] * 1000:.0f} ms  p99 {cuts[98] * 1000:.0f} ms"


async def relay_ceiling(bootstrap: str, count: int) -> float:
    """Messages/s of a bare consume-and-produce relay between two topics (the broker's ceiling here)."""
    source, sink = f"bench-{uuid.uuid4().hex[:6]}.in", f"bench-{uuid.uuid4().hex[:6]}.out"
    await ensure_topics(bootstrap, [source, sink], 6)
    payload = json.dumps(bench_report(5), ensure_ascii=False).encode()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    for n in range(count):
        await producer.send(source, payload, key=str(n).encode())
    await producer.flush()
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=f"relay-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=True,
    )
    await consumer.start()
    relayed, started = 0, 0.0
    while relayed < count:
        batch = await consumer.getmany(timeout_ms=1000)
        started = started or time.perf_counter()
        for messages in batch.values():
            for message in messages:
                await producer.send(sink, message.value, key=message.key)
                relayed += 1
    await producer.flush()
    elapsed = time.perf_counter() - started
    await consumer.stop()
    await producer.stop()
    return count / elapsed


async def intake_throughput(platform: Platform, count: int) -> float:
    """Reports/s from the first report written to the last ReportReceived event on the incident log."""
    events = AIOKafkaConsumer(
        platform.topic("incident-events"),
        bootstrap_servers=platform.bootstrap,
        auto_offset_reset="latest",
        group_id=None,
    )
    await events.start()
    await events.getmany(timeout_ms=500)
    producer = AIOKafkaProducer(bootstrap_servers=platform.bootstrap, acks="all", linger_ms=5)
    await producer.start()
    started = time.perf_counter()
    for n in range(count):
        report = bench_report(3)
        await producer.send(
            platform.topic("reports"), json.dumps(report, ensure_ascii=False).encode(), key=report["report_id"].encode()
        )
        if n % 1000 == 0:
            print(f"  intake: {n}/{count} written", file=sys.stderr)
    await producer.flush()
    seen = 0
    while seen < count:
        batch = await events.getmany(timeout_ms=2000)
        seen += sum(
            1 for ms in batch.values() for m in ms if Envelope.from_json(m.value).type == EventType.REPORT_RECEIVED
        )
    elapsed = time.perf_counter() - started
    await producer.stop()
    await events.stop()
    return count / elapsed


async def first_page_latency(platform: Platform, receiver: HttpReceiver, rate: float, seconds: float) -> list[float]:
    """Seconds from writing a level-IV report to the first webhook page for its incident, at `rate` reports/s."""
    producer = AIOKafkaProducer(bootstrap_servers=platform.bootstrap, acks="all")
    await producer.start()
    sent_at: dict[str, float] = {}
    interval, total = 1.0 / rate, int(rate * seconds)
    start = time.perf_counter()
    for n in range(total):
        report = bench_report(35)
        await asyncio.sleep(max(0.0, start + n * interval - time.perf_counter()))
        sent_at[report["location"]["venue"]] = time.perf_counter()
        await producer.send(
            platform.topic("reports"), json.dumps(report, ensure_ascii=False).encode(), key=report["report_id"].encode()
        )
    await producer.stop()
    for _ in range(120):  # up to 60 s for the last pages
        if len(_paged(receiver, sent_at)) >= total:
            break
        await asyncio.sleep(0.5)
    first = _paged(receiver, sent_at)
    return [first[v] - sent_at[v] for v in first]


def _paged(receiver: HttpReceiver, sent_at: dict[str, float]) -> dict[str, float]:
    """Venue → arrival time of the first page that names it (the subject reads '【level】<venue> <type>：...')."""
    first: dict[str, float] = {}
    for request in receiver.requests:
        found = VENUE.search(request.json().get("subject", ""))
        venue = found.group(1) if found else None
        if venue in sent_at:
            first[venue] = min(first.get(venue, float("inf")), request.received_at)
    return first


async def main(args: argparse.Namespace) -> None:
    """Run the three measurements in one process against one broker and print the figures."""
    bootstrap = os.environ.get("TOCSIN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    ceiling = await relay_ceiling(bootstrap, args.reports)
    print(f"relay ceiling (aiokafka consume→produce): {ceiling:,.0f} msg/s")
    with tempfile.TemporaryDirectory() as tmp, HttpReceiver() as receiver:
        district = district_on_receivers(Path(tmp) / "district", webhook_base=receiver.url)
        platform = Platform(
            bootstrap=bootstrap,
            workdir=Path(tmp),
            extra_env={
                "TOCSIN_DISTRICT_DIR": str(district),
                "TOCSIN_NOTIFY_CHANNELS": "webhook",
                "TOCSIN_LOG_LEVEL": "WARNING",
                "TOCSIN_PARTITIONS": "6",
            },
        )
        platform.start("worker")
        platform.start("api")
        platform.wait_ready()
        platform.wait_worker_ready()
        try:
            latencies = await first_page_latency(platform, receiver, args.rate, args.seconds)
            print(
                f"report → first page at {args.rate:.0f} reports/s for {args.seconds:.0f} s: "
                f"{len(latencies)} of {int(args.rate * args.seconds)} incidents paged; {percentiles(latencies)}"
            )
            intake = await intake_throughput(platform, args.reports)
            print(
                f"tocsin intake (report → incident event): {intake:,.0f} reports/s  "
                f"({intake / ceiling:.0%} of the relay ceiling)"
            )
        finally:
            platform.stop_all()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    asyncio.run(main(parser.parse_args()))
