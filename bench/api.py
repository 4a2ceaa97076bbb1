"""API read benchmark: `GET /api/v1/incidents/{id}` at a fixed, open-loop request rate.

Starts its own API (`tocsin api`, real processes, through bench/platform.py) on a fresh SQLite database
with one incident, and prints the achieved rate, p50/p99 latency and errors for each worker count:

    .venv/bin/python -m bench.api [--rate 200] [--seconds 10] [--workers 1 2]

The API needs the Kafka broker to start (TOCSIN_KAFKA_BOOTSTRAP, default the local one). Figures, not
assertions. `measure_api_get` is also used by bench/pipeline.py against a platform it started.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.platform import Platform
from infra.db.engine import Database
from infra.db.models import IncidentRow, LevelHistoryRow, TimelineRow
from infra.wire import EventType

LOOPBACK = ("127.0.0.1", "localhost", "::1")
REQUEST_TIMEOUT = 5.0
"""Seconds a request may wait for a connection, or for each step of its exchange, before it counts as an error."""
LANES = 32
"""Keep-alive connections of the load generator: far more than 200 requests/s at a few ms each need."""
GRACE = 30.0
"""Seconds past the measured period after which requests still due are counted as errors, not sent."""
MAX_REQUESTS = 100_000
"""Upper bound of one measurement's requests (rate × seconds)."""
INCIDENT_ID = "inc-bench-api"


async def measure_api_get(base_url: str, token: str, incident_id: str, rate: float, seconds: float) -> dict[str, Any]:
    """Send `GET /api/v1/incidents/{incident_id}` at `rate` requests/s for `seconds` to an API on this machine.

    Open loop: request n is due at start + n/rate whatever became of the earlier ones, and its latency is
    timed from that due time, so queueing in the client or the server counts (no coordinated omission).
    `LANES` keep-alive connections carry the requests; a request whose connections are all busy waits, and
    that wait counts too. Bounded: rate × seconds requests, and none is sent after `seconds` + `GRACE`.
    Returns `rps` (200s answered per second, from the first due time to the last answer), `p50_ms`, `p99_ms`
    (of the 200s) and `errors` (other statuses, timeouts, connection errors, requests never sent).
    """
    host = urlsplit(base_url).hostname
    if host not in LOOPBACK:
        raise ValueError(f"measure_api_get loads only an API on this machine (127.0.0.1), not {host!r}")
    count = int(rate * seconds)
    if not 0 < count <= MAX_REQUESTS:
        raise ValueError(f"rate × seconds is {count} requests; give 1 to {MAX_REQUESTS}")
    path = f"/api/v1/incidents/{incident_id}"
    latencies: list[float] = []
    errors = 0
    next_request = 0
    limits = httpx.Limits(max_connections=LANES, max_keepalive_connections=LANES)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT, limits=limits) as client:
        start = time.perf_counter()
        last_send = start + seconds + GRACE

        async def lane() -> None:
            nonlocal errors, next_request
            while next_request < count:
                due = start + next_request / rate
                next_request += 1
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                elif time.perf_counter() > last_send:
                    errors += 1
                    continue
                try:
                    reply = await client.get(path)
                except httpx.HTTPError:
                    errors += 1
                    continue
                if reply.status_code == 200:
                    latencies.append(time.perf_counter() - due)
                else:
                    errors += 1

        await asyncio.gather(*(lane() for _ in range(LANES)))
        elapsed = time.perf_counter() - start
    return {
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": _percentile_ms(latencies, 50),
        "p99_ms": _percentile_ms(latencies, 99),
        "errors": errors,
    }


def _percentile_ms(samples: list[float], pct: int) -> float | None:
    """The `pct`th percentile of `samples` (seconds) in milliseconds; None with fewer than 2 samples."""
    if len(samples) < 2:
        return None
    return round(statistics.quantiles(samples, n=100, method="inclusive")[pct - 1] * 1000, 2)


async def seed_incident(database_url: str, incident_id: str = INCIDENT_ID) -> str:
    """Write one level-III incident with a level change and verified facts, as the projector would."""
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            session.add_all(
                [
                    IncidentRow(
                        id=incident_id,
                        incident_type="food_safety",
                        mode="actual",
                        exercise_id=None,
                        status="active",
                        level="III",
                        rule_id="III.cases_100",
                        explanation="≥100 harmed",
                        playbook_id="food_safety",
                        playbook_version="bench",
                        location={"venue": "bench canteen", "town": "Qingshan"},
                        venue_type="school",
                        town="Qingshan",
                        facts={"cases": 120},
                        report_count=3,
                        opened_at=at,
                        first_report_at=at,
                        updated_at=at,
                        seq=3,
                    ),
                    LevelHistoryRow(
                        event_id=f"{incident_id}-2",
                        incident_id=incident_id,
                        seq=2,
                        from_level="IV",
                        to_level="III",
                        rule_id="III.cases_100",
                        explanation="≥100 harmed",
                        decided_by=None,
                        at=at,
                    ),
                    TimelineRow(
                        event_id=f"{incident_id}-3",
                        incident_id=incident_id,
                        seq=3,
                        type=EventType.FACTS_VERIFIED,
                        at=at,
                        mode="actual",
                        causation=None,
                        data={"facts": {"cases": 118}, "by": "bench", "reason": "lists reconciled"},
                    ),
                ]
            )
    finally:
        await db.dispose()
    return incident_id


async def bench_workers(bootstrap: str, workers: int, rate: float, seconds: float, warmup: float) -> dict[str, Any]:
    """Start `tocsin api` with `workers` processes on a fresh database with one incident and measure it."""
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        platform = Platform(bootstrap=bootstrap, workdir=Path(tmp), extra_env={"TOCSIN_API_WORKERS": str(workers)})
        try:
            await asyncio.to_thread(platform.create_api_user)
            incident_id = await seed_incident(platform.env["TOCSIN_DATABASE_URL"])
            platform.start("api")
            await asyncio.to_thread(platform.wait_ready)
            if warmup > 0:  # every worker prepares its routes and caches the token
                await measure_api_get(platform.base_url, platform.token, incident_id, rate, warmup)
            figures = await measure_api_get(platform.base_url, platform.token, incident_id, rate, seconds)
        finally:
            platform.stop_all()
    return {"workers": workers, "rate": rate, "seconds": seconds, **figures}


async def main(args: argparse.Namespace) -> None:
    """Measure each worker count in turn and print the figures."""
    bootstrap = os.environ.get("TOCSIN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    for workers in args.workers:
        figures = await bench_workers(bootstrap, workers, args.rate, args.seconds, args.warmup)
        print(
            f"GET /api/v1/incidents/{{id}}  workers {workers}  rate {args.rate:g}/s for {args.seconds:g} s: "
            f"{figures['rps']} answered/s  p50 {figures['p50_ms']} ms  p99 {figures['p99_ms']} ms  "
            f"errors {figures['errors']}",
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second (open loop)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to send")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="API worker counts to measure")
    asyncio.run(main(parser.parse_args()))
