"""Pipeline benchmark (issue 11): a bare aiokafka relay vs Tocsin's intake, report → first page, API reads, rebuild.

One run, one broker (TOCSIN_KAFKA_BOOTSTRAP, default 127.0.0.1:9092), real processes, loopback only:

    .venv/bin/python -m bench.pipeline [--workers 1] [--rate 20 --seconds 60] [--json var/bench-w1.json]
    .venv/bin/python -m bench.pipeline --workers 2 --rate 100 --seconds 30     # the surge target
    .venv/bin/python -m bench.pipeline --compare-workers 1,2                   # intake, 1 vs 2 per role

Phases, in order (`--phases` picks some):
- baseline: `baseline_rps`, a relay process (aiokafka: consume, parse the JSON report, produce a ReportReceived
  envelope) between two fresh topics; timed from the first report written to the last event read back.
- intake: `intake_rps`, Tocsin's worker processes (`--workers N` per role: intake, writer, notifier, projector;
  `--workers 0` runs the single `all` process); reports at distinct venues that grade no level and page nobody
  (QUIET_TYPE; the baseline relays the same bodies), timed the same way, from the first report written to the
  last ReportReceived read back from incident-events.
- api: `api_get`, `GET /api/v1/incidents/{id}` at a fixed open-loop rate on the idle platform (bench/api.py).
- first_page: `first_page`, level-IV reports at a fixed rate from scheduled send times; latency from each
  report's scheduled time to the first page for its incident on a local webhook receiver (bench/receivers.py),
  the sample district wired to it (bench/district.py). Percentiles are nearest-rank over every incident sent,
  an unpaged incident counting as infinitely late: a percentile that falls on one is null.
- rebuild: `rebuild_eps`, a replay (bench/rebuild.py's `time_rebuild`: what `tocsin projector rebuild` runs) of
  this run's own incident-events into an empty SQLite database; timed from the start of the replay to its end.

Between phases the platform settles (every role's consumer group has no lag, the logs stop growing), so each
phase starts on an idle pipeline. Progress goes to stderr; figures to stdout and `--json FILE`.
Figures, not assertions: on a shared machine compare ratios within one run, and note the load (recorded).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NoReturn

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from bench.api import measure_api_get
from bench.district import district_on_receivers
from bench.platform import Platform
from bench.rebuild import time_rebuild
from bench.receivers import HttpReceiver, ReceivedRequest
from infra.kafka.admin import ensure_topics
from infra.kafka.reading import read_from_end
from infra.kafka.security import client_options
from infra.wire import Envelope, EventType
from streams.roles import ROLES
from tocsin.cli_platform import sample_reports

PHASES = ("baseline", "intake", "api", "first_page", "rebuild")
VENUE = re.compile(r"】(\S+) ")
"""A page's subject reads '【level】<venue> <incident type>：<action>'; bench venues have no spaces."""
QUIET_TYPE = "sampling_recall"
"""Intake's reports: a sampling result with no hazard and no cases grades no level and plans nothing, so nobody is
paged. (A non-graded food-safety outbreak is not quiet: its playbook's non_graded level plans a minimal response
that pages about four people; `--intake-type food_safety` measures that.)"""
LEVEL_IV_CASES = 35
"""A restaurant with 35 cases and no deaths is level IV (IV.cases): about 26 people of the sample district paged."""
SAMPLE = sample_reports()[0]
MAX_REPORTS = 200_000
"""Upper bound of the reports of any one phase."""
STARTUP_SECONDS = 180.0
SETTLE_SECONDS = 180.0
RUNNING: list[Platform] = []
"""Every platform this run made: stopped on the way out, however the run ends (SIGTERM, Ctrl-C, an error)."""
"""How long a phase may wait for the platform to finish the previous one's work."""


def say(message: str) -> None:
    """Progress on stderr, stamped with the wall clock."""
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load() -> list[float]:
    """The machine's 1/5/15-minute load averages (2 shared cores: anything above ~2 means queueing)."""
    return [round(x, 2) for x in os.getloadavg()]


def bench_report(cases: int, incident_type: str = "food_safety") -> dict[str, Any]:
    """The sample report made into a new restaurant report of `incident_type` with `cases` cases at a venue of
    its own."""
    unique = uuid.uuid4().hex[:12]
    return {
        **SAMPLE,
        "report_id": f"bench-{unique}",
        "incident_type": incident_type,
        "reported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "location": {**SAMPLE["location"], "venue": f"bench-{unique}"},
        "venue_type": "restaurant",
        "facts": {"cases": cases},
    }


def intake_report(incident_type: str) -> dict[str, Any]:
    """One report of the intake phase (and of the baseline): graded nothing, paging nobody (QUIET_TYPE)."""
    return bench_report(0 if incident_type == QUIET_TYPE else 3, incident_type)


def encoded(report: dict[str, Any]) -> tuple[bytes, bytes]:
    """A report's Kafka key (its id) and value (UTF-8 JSON), as a reporting system writes them."""
    return report["report_id"].encode(), json.dumps(report, ensure_ascii=False).encode()


def check_count(count: int, what: str) -> int:
    """`count` if it is 1..MAX_REPORTS; ValueError naming `what` otherwise."""
    if not 0 < count <= MAX_REPORTS:
        raise ValueError(f"{what}: {count} reports; give 1 to {MAX_REPORTS}")
    return count


# ---------------------------------------------------------------------------------------------------- throughput


@dataclass
class Throughput:
    """Reports written and read back as events, and the seconds from the first write to the last event read."""

    written: int
    read_back: int
    seconds: float
    incident_id: str | None = None
    """One incident the events named (for the API phase)."""

    @property
    def rps(self) -> float:
        """Reports per second, counting only those read back."""
        return self.read_back / self.seconds if self.seconds > 0 else 0.0


def report_id_of(event: Envelope) -> str | None:
    """The report id of a ReportReceived envelope (payload `{"seq", "event": {"report_id", ...}, "incident"}`)."""
    inner = event.payload.get("event")
    found = inner.get("report_id") if isinstance(inner, dict) else None
    return None if found is None else str(found)


async def write_and_read_back(
    bootstrap: str, source: str, sink: str, reports: Sequence[dict[str, Any]], limit: float, label: str
) -> Throughput:
    """Write `reports` to `source` as fast as the producer takes them while reading `sink` for their
    ReportReceived events; time from the first write to the last matching event read (at most `limit` s)."""
    wanted = {r["report_id"] for r in reports}
    payloads = [encoded(r) for r in reports]
    reader = AIOKafkaConsumer(**client_options(bootstrap), group_id=None, enable_auto_commit=False)
    producer = AIOKafkaProducer(**client_options(bootstrap), acks="all", linger_ms=5)
    await reader.start()
    await producer.start()
    try:
        await read_from_end(reader, sink)
        for tp in reader.assignment():
            await reader.position(tp)  # resolve the end offsets now, not after the first write
        seen: set[str] = set()
        incident_id: str | None = None

        async def write() -> None:
            for n, (key, value) in enumerate(payloads, 1):
                await producer.send(source, value, key=key)
                if n % 2000 == 0:
                    say(f"{label}: {n}/{len(payloads)} written")
            await producer.flush()

        started = time.perf_counter()
        last, deadline, shown = started, started + limit, started
        writing = asyncio.create_task(write())
        while len(seen) < len(wanted) and time.perf_counter() < deadline:
            batch = await reader.getmany(timeout_ms=500, max_records=2000)
            events = [Envelope.from_json(m.value) for messages in batch.values() for m in messages]
            received = [e for e in events if e.type == EventType.REPORT_RECEIVED and report_id_of(e) in wanted]
            if received:
                seen.update(str(report_id_of(e)) for e in received)
                incident_id = incident_id or received[0].incident_id
                last = time.perf_counter()
            if time.perf_counter() - shown > 5:
                shown = time.perf_counter()
                say(f"{label}: {len(seen)}/{len(wanted)} read back after {shown - started:.0f} s")
        await asyncio.wait_for(writing, timeout=max(1.0, deadline - time.perf_counter()))
    finally:
        await producer.stop()
        await reader.stop()
    if len(seen) < len(wanted):
        say(f"{label}: only {len(seen)} of {len(wanted)} read back within {limit:.0f} s")
    return Throughput(len(wanted), len(seen), round(last - started, 3), incident_id)


# ---------------------------------------------------------------------------------------------------- baseline


async def relay(bootstrap: str, source: str, sink: str, count: int, limit: float, ready: IO[str]) -> int:
    """What intake does, bare: consume reports, parse the JSON, produce a ReportReceived envelope per report.

    Says "ready" on `ready` once it has joined its group; stops after `count` reports or `limit` seconds."""
    consumer = AIOKafkaConsumer(
        source,
        **client_options(bootstrap),
        group_id=f"bench-relay-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=True,
    )
    producer = AIOKafkaProducer(**client_options(bootstrap), acks="all", linger_ms=5)
    await consumer.start()
    await producer.start()
    relayed, announced = 0, False
    deadline = time.monotonic() + limit
    try:
        while relayed < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=100, max_records=1000)
            if not announced and consumer.assignment():
                print("ready", file=ready, flush=True)
                announced = True
            for tp, messages in batch.items():
                for message in messages:
                    report = json.loads(message.value)
                    event = Envelope.new(
                        EventType.REPORT_RECEIVED,
                        at=datetime.now(UTC),
                        mode=str(report.get("mode", "actual")),
                        payload={"seq": 1, "event": {k: report[k] for k in ("report_id", "source", "facts")}},
                        causation=f"{tp.topic}:{tp.partition}:{message.offset}",
                    )
                    await producer.send(sink, event.to_json(), key=message.key)
                    relayed += 1
        await producer.flush()
    finally:
        await producer.stop()
        await consumer.stop()
    return relayed


async def baseline(bootstrap: str, count: int, partitions: int, limit: float, incident_type: str) -> Throughput:
    """Reports/s through a bare relay in its own process (as a worker is), written and read back by this one."""
    run = uuid.uuid4().hex[:8]
    source, sink = f"bench-relay-{run}.reports", f"bench-relay-{run}.events"
    await ensure_topics(bootstrap, [source, sink], partitions)
    args = ["-m", "bench.pipeline", "--relay", source, sink, str(count), str(limit + 30)]
    process = await asyncio.create_subprocess_exec(sys.executable, *args, stdout=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        if line.strip() != b"ready":
            raise RuntimeError(f"the relay did not start (exit {process.returncode})")
        reports = [intake_report(incident_type) for _ in range(count)]
        return await write_and_read_back(bootstrap, source, sink, reports, limit, "baseline")
    finally:
        if process.returncode is None:
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        except TimeoutError:
            process.kill()
            await process.wait()


# ---------------------------------------------------------------------------------------------------- platform


def groups(platform: Platform, workers: int) -> list[str]:
    """The consumer groups of the running roles (streams.app.group_id)."""
    return [platform.topic("worker")] if workers == 0 else [platform.topic(role) for role in ROLES]


async def start_platform(platform: Platform, workers: int) -> list[str]:
    """Start the API and `workers` worker processes per role (0: one `all` process); wait until all are ready."""
    await asyncio.to_thread(platform.create_api_user)
    plan = [("all", "")] if workers == 0 else [(role, str(n)) for n in range(1, workers + 1) for role in ROLES]
    names = [platform.start_worker(role, worker_id) for role, worker_id in plan]
    platform.start("api")
    say(f"platform: started {', '.join(names)} and the API; waiting until they are ready")
    for role, worker_id in plan:
        await asyncio.to_thread(platform.wait_role_ready, role, worker_id, STARTUP_SECONDS)
    await asyncio.to_thread(platform.wait_ready, STARTUP_SECONDS)
    return names


async def settle(platform: Platform, workers: int, limit: float = SETTLE_SECONDS) -> float:
    """Wait until every role's group has committed all it was sent and its topics stopped growing; seconds."""
    admin = AIOKafkaAdminClient(**client_options(platform.bootstrap))
    ends_reader = AIOKafkaConsumer(**client_options(platform.bootstrap), group_id=None, enable_auto_commit=False)
    await admin.start()
    await ends_reader.start()
    started = time.monotonic()
    previous_total, shown = -1, started
    try:
        while time.monotonic() - started < limit:
            lags: dict[str, int] = {}
            total = 0
            for group in groups(platform, workers):
                committed = await admin.list_consumer_group_offsets(group)
                mine = [tp for tp in committed if tp.topic.startswith(platform.prefix)]
                ends = await ends_reader.end_offsets(mine) if mine else {}
                for tp in mine:
                    behind = max(0, ends[tp] - max(0, committed[tp].offset))
                    if behind:
                        where = f"{group.removeprefix(platform.prefix)}@{tp.topic.removeprefix(platform.prefix)}"
                        lags[where] = lags.get(where, 0) + behind
                total += sum(ends.values())
            if not lags and total == previous_total:
                return time.monotonic() - started
            previous_total = total
            if time.monotonic() - shown > 10:
                shown = time.monotonic()
                say(f"settling: not yet committed (group@topic: messages) {lags}")
            await asyncio.sleep(1.0)
    finally:
        await ends_reader.stop()
        await admin.close()
    say(f"settling: still busy after {limit:.0f} s; going on")
    return limit


# ---------------------------------------------------------------------------------------------------- first page


@dataclass
class PageTracker:
    """The first page for each bench venue on the webhook receiver, read incrementally."""

    receiver: HttpReceiver
    first: dict[str, float] = field(default_factory=dict)
    pages: int = 0
    incident_ids: dict[str, str] = field(default_factory=dict)

    def update(self) -> None:
        """Read the requests that arrived since the last call."""
        requests = self.receiver.requests
        for request in requests[self.pages :]:
            if not request.accepted:
                continue
            body = request.json()
            found = VENUE.search(str(body.get("subject", "")))
            if found is None:
                continue
            venue = found.group(1)
            if venue not in self.first or request.received_at < self.first[venue]:
                self.first[venue] = request.received_at
                self.incident_ids[venue] = str(body.get("incident_id", ""))
        self.pages = len(requests)


def page_summary(requests: Sequence[ReceivedRequest]) -> dict[str, Any]:
    """How many pages arrived, and the three most frequent actions they were about (the subject's tail)."""
    actions = Counter(str(r.json().get("subject", "")).rsplit("：", 1)[-1] for r in requests)
    return {"count": len(requests), "top_actions": dict(actions.most_common(3))}


def percentile_ms(latencies: Sequence[float], sent: int, pct: float) -> float | None:
    """Nearest-rank `pct`th percentile over `sent` incidents, in ms; the unpaged ones (sent - len(latencies))
    count as infinitely late, so a percentile that falls on one is None."""
    rank = math.ceil(pct / 100 * sent)
    ordered = sorted(latencies)
    if sent == 0 or rank > len(ordered):
        return None
    return round(ordered[max(rank, 1) - 1] * 1000, 1)


def by_send_time(
    scheduled: dict[str, float], first: dict[str, float], start: float, width: float
) -> list[dict[str, Any]]:
    """Per `width` seconds of sending: incidents sent, paged, and p50/p99 first-page latency (unpaged: null)."""
    buckets: dict[int, list[float]] = {}
    sent: Counter[int] = Counter()
    for venue, at in scheduled.items():
        bucket = int((at - start) // width)
        sent[bucket] += 1
        if venue in first:
            buckets.setdefault(bucket, []).append(first[venue] - at)
    return [
        {
            "from_s": bucket * width,
            "sent": sent[bucket],
            "paged": len(buckets.get(bucket, [])),
            "p50_ms": percentile_ms(buckets.get(bucket, []), sent[bucket], 50),
            "p99_ms": percentile_ms(buckets.get(bucket, []), sent[bucket], 99),
        }
        for bucket in sorted(sent)
    ]


async def first_page(
    platform: Platform, receiver: HttpReceiver, rate: float, seconds: float, drain: float
) -> tuple[dict[str, Any], str | None]:
    """Level-IV reports at `rate`/s for `seconds` on a fixed schedule; the first page of each incident."""
    total = check_count(int(rate * seconds), "first page")
    tracker = PageTracker(receiver)
    tracker.update()
    before = tracker.pages
    scheduled: dict[str, float] = {}
    producer = AIOKafkaProducer(**client_options(platform.bootstrap), acks="all", linger_ms=1)
    await producer.start()
    late = 0.0
    try:
        start = time.perf_counter() + 0.5
        shown = start
        for n in range(total):
            at = start + n / rate
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            late = max(late, -delay)
            report = bench_report(LEVEL_IV_CASES)
            scheduled[report["location"]["venue"]] = at
            key, value = encoded(report)
            await producer.send(platform.topic("reports"), value, key=key)
            if time.perf_counter() - shown > 5:
                shown = time.perf_counter()
                tracker.update()
                paged = sum(1 for v in scheduled if v in tracker.first)
                say(f"first page: {n + 1}/{total} sent, {paged} paged, {tracker.pages - before} pages received")
        await producer.flush()
    finally:
        await producer.stop()
    deadline = time.perf_counter() + drain
    shown = time.perf_counter()
    while time.perf_counter() < deadline:
        tracker.update()
        paged = sum(1 for v in scheduled if v in tracker.first)
        if paged >= total:
            break
        if time.perf_counter() - shown > 5:
            shown = time.perf_counter()
            say(f"first page: all {total} sent, {paged} paged, {tracker.pages - before} pages received; draining")
        await asyncio.sleep(0.25)
    tracker.update()
    latencies = [tracker.first[v] - at for v, at in scheduled.items() if v in tracker.first]
    incident_id = next((tracker.incident_ids[v] for v in scheduled if v in tracker.incident_ids), None)
    figures = {
        "rate": rate,
        "seconds": seconds,
        "sent": total,
        "paged": len(latencies),
        "p50_ms": percentile_ms(latencies, total, 50),
        "p95_ms": percentile_ms(latencies, total, 95),
        "p99_ms": percentile_ms(latencies, total, 99),
        "max_ms": round(max(latencies) * 1000, 1) if len(latencies) == total and latencies else None,
        "pages_received": tracker.pages - before,
        "drain_seconds": drain,
        "max_send_lag_ms": round(late * 1000, 1),
        "by_10s": by_send_time(scheduled, tracker.first, start, 10.0),
        "unpaged_as": "nearest-rank percentiles over all `sent` incidents; an unpaged one counts as infinite, "
        "so a percentile (or max) that falls on one is null",
    }
    return figures, incident_id


# ---------------------------------------------------------------------------------------------------- api, rebuild


async def api_get(platform: Platform, incident_id: str, rate: float, seconds: float) -> dict[str, Any]:
    """`measure_api_get` on one incident of this run, once the read model has it (2 s of warm-up first)."""

    def projected() -> bool:
        with platform.client() as client:
            return client.get(f"/api/v1/incidents/{incident_id}").status_code == 200

    await asyncio.to_thread(platform.wait_for, projected, timeout=SETTLE_SECONDS, what=f"incident {incident_id}")
    await measure_api_get(platform.base_url, platform.token, incident_id, rate, 2.0)
    figures = await measure_api_get(platform.base_url, platform.token, incident_id, rate, seconds)
    return {"rate": rate, "seconds": seconds, **figures}


async def rebuild(platform: Platform, limit: float) -> dict[str, Any]:
    """Events/s of `bench.rebuild.time_rebuild` (a replay, what `tocsin projector rebuild` runs) of this run's own
    incident-events into an empty SQLite database; None when it takes longer than `limit` seconds."""
    url = f"sqlite+aiosqlite:///{platform.workdir / 'rebuild.db'}"
    try:
        async with asyncio.timeout(limit):
            built = await time_rebuild(platform.bootstrap, platform.topic("incident-events"), url)
    except TimeoutError:
        say(f"rebuild: not done within {limit:.0f} s")
        return {"events": None, "seconds": None, "eps": None, "timed_out": True}
    return {
        "events": built.events,
        "seconds": round(built.seconds, 2),
        "eps": round(built.events / built.seconds, 1),
        "timed_out": False,
    }


# ---------------------------------------------------------------------------------------------------- runs


def platform_for(bootstrap: str, workdir: Path, receiver: HttpReceiver, partitions: int) -> Platform:
    """A platform under a fresh prefix whose district pages the receiver's webhooks only."""
    district = district_on_receivers(workdir / "district", webhook_base=receiver.url)
    platform = Platform(
        bootstrap=bootstrap,
        workdir=workdir,
        prefix=f"bench-{uuid.uuid4().hex[:8]}.",
        extra_env={
            "TOCSIN_DISTRICT_DIR": str(district),
            "TOCSIN_NOTIFY_CHANNELS": "webhook",
            "TOCSIN_LOG_LEVEL": "WARNING",
            "TOCSIN_PARTITIONS": str(partitions),
        },
    )
    RUNNING.append(platform)
    return platform


def cpu_seconds(platform: Platform | None) -> dict[str, float]:
    """CPU seconds (user + system) used so far by this process and each of the platform's (Linux /proc)."""
    used = {"bench": sum(os.times()[:2])}
    tick = os.sysconf("SC_CLK_TCK")
    for name, process in (platform.processes if platform is not None else {}).items():
        try:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[name] = (int(fields[11]) + int(fields[12])) / tick
    return used


async def timed(
    figures: dict[str, Any], phase: str, work: Callable[[], Awaitable[Any]], platform: Platform | None = None
) -> Any:
    """Run one phase, recording its wall time, the CPU seconds each process used and the load averages after."""
    say(f"{phase}: start (load {load()})")
    started, before = time.monotonic(), cpu_seconds(platform)
    result = await work()
    after = cpu_seconds(platform)
    figures.setdefault("phases", {})[phase] = {
        "seconds": round(time.monotonic() - started, 1),
        "cpu_seconds": {name: round(after[name] - before.get(name, 0.0), 1) for name in after},
        "load_after": load(),
    }
    say(f"{phase}: done in {time.monotonic() - started:.0f} s (load {load()})")
    return result


async def run_intake(
    bootstrap: str, args: argparse.Namespace, workers: int, figures: dict[str, Any], phase: str
) -> Throughput:
    """Start a platform with `workers` per role, measure intake only (as `phase` of the figures), stop it."""
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp, HttpReceiver() as receiver:
        platform = platform_for(bootstrap, Path(tmp), receiver, args.partitions)
        try:
            await start_platform(platform, workers)
            reports = [intake_report(args.intake_type) for _ in range(args.reports)]
            source, sink = platform.topic("reports"), platform.topic("incident-events")
            result: Throughput = await timed(
                figures,
                phase,
                lambda: write_and_read_back(bootstrap, source, sink, reports, args.limit, phase),
                platform,
            )
            return result
        finally:
            platform.stop_all()


async def compare(bootstrap: str, args: argparse.Namespace, figures: dict[str, Any]) -> None:
    """Intake with each worker count of `--compare-workers` on a fresh platform, and the ratio last/first."""
    counts = [int(c) for c in args.compare_workers.split(",")]
    found: dict[str, Any] = {}
    for workers in counts:
        result = await run_intake(bootstrap, args, workers, figures, f"intake_w{workers}")
        found[str(workers)] = {"rps": round(result.rps, 1), "read_back": result.read_back, "written": result.written}
        print(f"intake with --workers {workers}: {result.rps:,.0f} reports/s", flush=True)
    first, last = found[str(counts[0])]["rps"], found[str(counts[-1])]["rps"]
    found["ratio"] = round(last / first, 2) if first else None
    figures["compare_workers"] = found
    print(f"intake --workers {counts[-1]} / --workers {counts[0]}: {found['ratio']}×  (target ≥ 1.5×)", flush=True)


async def full_run(bootstrap: str, args: argparse.Namespace, figures: dict[str, Any]) -> None:
    """Every selected phase on one platform with `--workers` processes per role."""
    phases = set(args.phases.split(","))
    incident_id: str | None = None
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp, HttpReceiver() as receiver:
        platform = platform_for(bootstrap, Path(tmp), receiver, args.partitions)
        try:
            figures["processes"] = await timed(figures, "startup", lambda: start_platform(platform, args.workers))
            if "intake" in phases:
                reports = [intake_report(args.intake_type) for _ in range(args.reports)]
                intake = await timed(
                    figures,
                    "intake",
                    lambda: write_and_read_back(
                        bootstrap,
                        platform.topic("reports"),
                        platform.topic("incident-events"),
                        reports,
                        args.limit,
                        "intake",
                    ),
                    platform,
                )
                incident_id = intake.incident_id
                figures["intake_rps"] = round(intake.rps, 1)
                figures["intake"] = {
                    "written": intake.written,
                    "read_back": intake.read_back,
                    "seconds": intake.seconds,
                }
                print(f"intake (report → ReportReceived): {intake.rps:,.0f} reports/s", flush=True)
                if figures.get("baseline_rps"):
                    ratio = intake.rps / figures["baseline_rps"]
                    figures["intake_vs_baseline"] = round(ratio, 3)
                    print(f"intake / baseline: {ratio:.1%}  (target ≥ 20%)", flush=True)
                await timed(figures, "settle_intake", lambda: settle(platform, args.workers), platform)
                figures["intake"]["pages"] = page_summary(receiver.requests)
            if "api" in phases and incident_id is not None:
                found = incident_id
                api = await timed(
                    figures, "api", lambda: api_get(platform, found, args.api_rate, args.api_seconds), platform
                )
                figures["api_get"] = api
                print(
                    f"GET /api/v1/incidents/{{id}} at {args.api_rate:g}/s for {args.api_seconds:g} s: "
                    f"{api['rps']} answered/s  p50 {api['p50_ms']} ms  p99 {api['p99_ms']} ms  errors {api['errors']}",
                    flush=True,
                )
            elif "api" in phases:
                say("api: skipped (no incident yet: run it with the intake phase)")
            if "first_page" in phases:
                page, _ = await timed(
                    figures,
                    "first_page",
                    lambda: first_page(platform, receiver, args.rate, args.seconds, args.drain),
                    platform,
                )
                figures["first_page"] = page
                print(
                    f"report → first page at {args.rate:g} reports/s for {args.seconds:g} s: "
                    f"{page['paged']}/{page['sent']} incidents paged; p50 {_ms(page['p50_ms'])}  "
                    f"p95 {_ms(page['p95_ms'])}  p99 {_ms(page['p99_ms'])}  ({page['pages_received']} pages)",
                    flush=True,
                )
                if "rebuild" in phases:  # the log is complete once the notifier has recorded every page
                    await timed(figures, "settle_first_page", lambda: settle(platform, args.workers), platform)
            if "rebuild" in phases:
                built = await timed(figures, "rebuild", lambda: rebuild(platform, args.limit), platform)
                figures["rebuild_eps"] = built["eps"]
                figures["rebuild"] = built
                print(f"rebuild into empty SQLite: {built['events']} events in {built['seconds']} s", flush=True)
            platform.check_alive()
        finally:
            platform.stop_all()


def _ms(value: float | None) -> str:
    return "∞ (unpaged)" if value is None else f"{value:,.0f} ms"


async def main(args: argparse.Namespace) -> dict[str, Any]:
    """Run the baseline, then either every phase on one platform or the worker comparison; the figures."""
    bootstrap = os.environ.get("TOCSIN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    host = bootstrap.split(",")[0].rsplit(":", 1)[0]
    if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
        raise SystemExit(f"bench.pipeline loads only a broker on this machine, not {bootstrap}")
    check_count(args.reports, "--reports")
    check_count(args.baseline_reports, "--baseline-reports")
    figures: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "bootstrap": bootstrap,
        "workers": args.workers,
        "partitions": args.partitions,
        "cpus": os.cpu_count(),
        "load_before": load(),
        "worker_log_level": "WARNING",
        "intake_type": args.intake_type,
        "code": code_version(),
    }
    if "baseline" in args.phases.split(",") or args.compare_workers:
        base = await timed(
            figures,
            "baseline",
            lambda: baseline(bootstrap, args.baseline_reports, args.partitions, args.limit, args.intake_type),
        )
        figures["baseline_rps"] = round(base.rps, 1)
        figures["baseline"] = {"written": base.written, "read_back": base.read_back, "seconds": base.seconds}
        print(f"baseline (bare aiokafka relay, report → event): {base.rps:,.0f} reports/s", flush=True)
    if args.compare_workers:
        await compare(bootstrap, args, figures)
    elif set(args.phases.split(",")) - {"baseline"}:
        await full_run(bootstrap, args, figures)
    figures["load_after"] = load()
    return figures


def parser() -> argparse.ArgumentParser:
    """The command line."""
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--workers", type=int, default=1, help="processes per role (0: one `all` process)")
    cli.add_argument("--partitions", type=int, default=6, help="partitions of every topic (≥ --workers)")
    cli.add_argument("--reports", type=int, default=5000, help="reports of the intake phase")
    cli.add_argument(
        "--intake-type",
        default=QUIET_TYPE,
        choices=(QUIET_TYPE, "food_safety"),
        help="incident type of intake's reports",
    )
    cli.add_argument("--baseline-reports", type=int, default=20000, help="reports of the baseline relay")
    cli.add_argument("--rate", type=float, default=20.0, help="first page: level-IV reports per second")
    cli.add_argument("--seconds", type=float, default=60.0, help="first page: how long to send")
    cli.add_argument("--drain", type=float, default=60.0, help="first page: seconds to wait for the last pages")
    cli.add_argument("--api-rate", type=float, default=200.0, help="API reads per second (open loop)")
    cli.add_argument("--api-seconds", type=float, default=10.0, help="how long to send API reads")
    cli.add_argument("--limit", type=float, default=300.0, help="time limit of the intake, baseline and rebuild")
    cli.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated subset of {','.join(PHASES)}")
    cli.add_argument("--compare-workers", default="", help="e.g. 1,2: baseline, then intake per worker count")
    cli.add_argument("--json", type=Path, help="also write the figures to this file")
    cli.add_argument("--relay", nargs=4, help=argparse.SUPPRESS, metavar=("SOURCE", "SINK", "COUNT", "LIMIT"))
    return cli


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt(f"signal {signum}")


def code_version() -> dict[str, Any]:
    """The commit this run measured and the files changed since (others edit the tree while benches run)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False, timeout=30)
        return done.stdout.strip()

    changed = git("status", "--porcelain", "--", "streams", "infra", "api", "playbooks", "tocsin", "bench")
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted": [line[3:] for line in changed.splitlines()]}


def run(argv: Sequence[str] | None = None) -> None:
    """Entry point: the benchmark, or (internal, `--relay`) the baseline's relay process."""
    args = parser().parse_args(argv)
    if args.relay:
        source, sink, count, limit = args.relay
        bootstrap = os.environ.get("TOCSIN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
        asyncio.run(relay(bootstrap, source, sink, int(count), float(limit), sys.stdout))
        return
    unknown = set(args.phases.split(",")) - set(PHASES)
    if unknown or args.workers < 0 or args.partitions < max(1, args.workers):
        raise SystemExit(f"bad --phases {sorted(unknown)} or --workers/--partitions")
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        figures = asyncio.run(main(args))
    finally:
        for platform in RUNNING:
            platform.stop_all()
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        say(f"figures written to {args.json}")


if __name__ == "__main__":
    run()
