"""The crash matrix: a steady report stream with a ledger, a fault at a random moment, and the ledger checked after.

    .venv/bin/python -m bench.faults [--quick] [--seeds N] [--faults kill-writer,kill-broker] [--json var/faults.json]

Everything runs on a three-broker KRaft cluster of the matrix's own (`LocalCluster` on free ports, its data dir
under var/faults/; the shared broker is never touched), with replication factor 3 and min.insync.replicas=2. Each
run is a fresh platform (its own topic prefix and SQLite read model): the API and one process per worker role,
paging by webhook to a real local receiver. A generator posts level-IV reports at a steady rate (new venues, and
second reports joining earlier venues) and keeps a ledger of every report answered 202; any other answer (503 in
doubt, no answer while the API is down) is sent again with the same report_id, as the runbook tells reporters.

At a moment chosen from the run's seed the fault strikes (`FAULTS`): SIGKILL of a worker role or of the API,
restarted a second later as systemd would; SIGKILL of one broker, of the leader of incident-events' partition 0,
or of one broker then the leader (writes stop: min.insync.replicas=2), restarted seconds later; or a rebalance in
the middle of delivery (a second notifier joins, then leaves). At the fault a probe report is posted (retried
until 202); the recovery time is from the fault until the probe is on the read model and its first page arrived.

After the stream, the run waits until every group has committed everything, rebuilds the read model from the log
into a fresh database (`tocsin projector rebuild`), and checks (bench/ledger.py): every accepted report on
exactly one incident (the one at its venue), no idempotency key received twice, every planned step's delivery on
its timeline (delivered, failed or in doubt), and the read model equal to the rebuild. It prints a table and
writes every run's figures as JSON. Figures, not assertions; the exit status is 1 when a run broke an invariant.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import shutil
import signal
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from bench.district import district_on_receivers
from bench.ledger import Ledger, Quiescence, Rows, first_page_latencies, verdict
from bench.platform import Platform
from bench.postgres import PrivatePostgres
from bench.receivers import NO_ANSWER, HttpReceiver, free_port_run
from infra.db.engine import Database
from infra.db.models import TimelineRow
from infra.db.rebuild import table_rows
from infra.kafka.cluster import LocalCluster
from infra.kafka.security import client_options
from infra.settings import Settings
from infra.wire import EventType
from tocsin.cli_platform import sample_reports

ROLES = ("intake", "writer", "notifier", "projector")
FAULTS = (
    *(f"kill-{role}" for role in ROLES),
    "kill-api",
    "kill-broker",
    "kill-leader",
    "kill-broker-then-leader",
    "rebalance-notifier",
    "postgres-down",
    "channel-hangs",
    "channel-500",
)
CHANNEL_FAULTS = {"channel-hangs": NO_ANSWER, "channel-500": 500}
"""Faults that break the webhook of the person paged most so far: held unanswered, or answered 500."""
CHANNEL_DOWN = 90.0
"""How long that webhook stays broken; the report stream runs on through it and for a while after."""
PARTITIONS = 4
RESTART_SECONDS = 1.0
"""How long a killed process stays down: systemd's RestartSec in infra/systemd/tocsin-worker@.service."""
STARTUP = 300.0
SETTLE = 420.0
RETRY_FOR = 180.0
"""How long the generator resends one report that is not answered 202 before giving up on it."""
SAMPLE = sample_reports()[0]
POSTGRES_DOWN = 60.0
"""How long PostgreSQL stays stopped in the postgres-down fault (the platform runs on a private PostgreSQL then)."""


@dataclass(frozen=True)
class Plan:
    """The size of each run: how many reports, how fast."""

    reports: int
    rate: float

    @property
    def seconds(self) -> float:
        """The stream's nominal length."""
        return self.reports / self.rate


QUICK = Plan(reports=24, rate=1.5)
FULL = Plan(reports=48, rate=2.0)


def say(message: str) -> None:
    """Progress on stderr, stamped with the wall clock."""
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------- reports


def opening(tag: str) -> dict[str, Any]:
    """A new level-IV restaurant report (35 cases) at a venue of its own: pages about 26 people."""
    return {
        **SAMPLE,
        "report_id": f"{tag}-open",
        "reported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "location": {**SAMPLE["location"], "venue": f"venue-{tag}"},
        "venue_type": "restaurant",
        "source": "hospital",
        "reporter": {"name": "接诊医生", "unit": "区人民医院"},
        "facts": {"cases": 35},
    }


def joining(first: dict[str, Any]) -> dict[str, Any]:
    """A second source's report at `first`'s venue (5 more cases: the incident stays level IV)."""
    return {
        **first,
        "report_id": first["report_id"].replace("-open", "-join"),
        "source": "cdc",
        "reporter": {"name": "流调员", "unit": "区疾控中心"},
        "facts": {"cases": 5},
    }


def stream_of(count: int, run_tag: str) -> list[dict[str, Any]]:
    """`count` reports: openings, each fourth a joining report to the opening six reports back."""
    out: list[dict[str, Any]] = []
    openings: list[dict[str, Any]] = []
    while len(out) < count:
        if len(out) % 4 == 3 and len(openings) > 3:
            out.append(joining(openings[-4]))
        else:
            openings.append(opening(f"{run_tag}-{len(out)}"))
            out.append(openings[-1])
    return out


def post_until_accepted(platform: Platform, report: dict[str, Any], ledger: Ledger, stop: threading.Event) -> bool:
    """Post `report` until the API answers 202 (a 503 or no answer: the same report_id again a second later)."""
    deadline = time.monotonic() + RETRY_FOR
    with platform.client() as client:
        while time.monotonic() < deadline and not stop.is_set():
            try:
                reply = client.post("/api/v1/reports", json=report, timeout=15)
            except httpx.HTTPError:
                ledger.refuse("error")
            else:
                if reply.status_code == 202:
                    ledger.accept(report["report_id"], report["location"]["venue"])
                    return True
                ledger.refuse(str(reply.status_code))
            time.sleep(1.0)
    return False


# ---------------------------------------------------------------------------------------------------- faults


@dataclass
class Run:
    """One run of the matrix: a platform, its receiver, the cluster, the ledger and what the fault did."""

    fault: str
    seed: int
    platform: Platform
    hooks: HttpReceiver
    cluster: LocalCluster
    database_url: str
    postgres: PrivatePostgres | None = None
    ledger: Ledger = field(default_factory=Ledger)
    reads: Counter[str] = field(default_factory=Counter)
    """Statuses of the API reads made while PostgreSQL was down."""
    events: list[str] = field(default_factory=list)
    recovery: float | None = None
    restored_after: float | None = None
    """Seconds from the fault until it was undone (the process or broker restarted, PostgreSQL started)."""
    fault_error: str | None = None
    """Why the fault could not be done as planned (the run then counts as failed)."""
    crashes: Counter[str] = field(default_factory=Counter)
    """Processes that exited on their own (not killed by the fault), restarted by `supervise` as systemd would."""
    broken: tuple[str, float, float] | None = None
    """A channel fault's broken webhook path, and when it broke and was mended (time.perf_counter())."""

    def note(self, what: str) -> None:
        """Log a step of the fault, with the time since the run's start."""
        self.events.append(what)
        say(f"  {self.fault} seed {self.seed}: {what}")


def restart_worker(run: Run, role: str) -> None:
    """SIGKILL a worker process and start it again RESTART_SECONDS later, as systemd would."""
    run.platform.kill(f"worker-{role}-a", signal.SIGKILL)
    run.note(f"SIGKILL worker-{role}-a")
    time.sleep(RESTART_SECONDS)
    run.platform.start_worker(role, "a")
    run.note(f"restarted worker-{role}-a")


def restart_api(run: Run) -> None:
    """SIGKILL the API and start it again RESTART_SECONDS later."""
    run.platform.kill("api", signal.SIGKILL)
    run.note("SIGKILL api")
    time.sleep(RESTART_SECONDS)
    run.platform.start("api")
    run.note("restarted api")


async def leader_of(cluster: LocalCluster, topic: str) -> int:
    """The node id leading partition 0 of `topic`."""
    admin = AIOKafkaAdminClient(**client_options(cluster.bootstrap, cluster.node(1).admin_security()))
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
        return int(described[0]["partitions"][0]["leader"])
    finally:
        await admin.close()


def live_leader(cluster: LocalCluster, topic: str, killed: set[int], timeout: float = 60.0) -> int:
    """The leader of `topic`[0] once it is none of the `killed` nodes (the controller needs seconds to notice)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            leader = asyncio.run(leader_of(cluster, topic))
        except KafkaError:  # asked a node that is down: ask again
            leader = min(killed) if killed else -1
        if (leader not in killed and leader > 0) or time.monotonic() > deadline:
            return leader
        time.sleep(0.5)


def kill_node(run: Run, node_id: int, why: str) -> None:
    """SIGKILL one broker of the cluster."""
    pid = run.cluster.node(node_id).pid()
    if pid is not None:
        os.kill(pid, signal.SIGKILL)
    run.note(f"SIGKILL broker {node_id} ({why})")


def broker_fault(run: Run, rng: random.Random, *, random_node: bool, then_leader: bool) -> None:
    """Kill one broker (a random one or the leader), maybe the leader after it, and restart them seconds later."""
    topic = run.platform.topic("incident-events")
    killed: set[int] = set()
    try:
        if random_node:
            killed.add(rng.randint(1, len(run.cluster.nodes)))
            kill_node(run, min(killed), "chosen by the seed")
        if then_leader or not random_node:
            leader = live_leader(run.cluster, topic, killed)
            kill_node(run, leader, f"leader of {topic}[0]")
        time.sleep(rng.uniform(5.0, 12.0))
    finally:
        run.cluster.start(timeout=240)
        run.note("restarted the killed broker(s)")


def rebalance(run: Run, rng: random.Random) -> None:
    """A second notifier joins in the middle of delivery, then leaves (SIGTERM): two rebalances of its group."""
    run.platform.start_worker("notifier", "b")
    run.note("notifier b joins")
    time.sleep(rng.uniform(8.0, 15.0))
    run.platform.kill("worker-notifier-b", signal.SIGTERM)
    run.note("notifier b left")


def postgres_down(run: Run) -> None:
    """Stop PostgreSQL (immediate) for POSTGRES_DOWN seconds while reading the API, then start it again."""
    assert run.postgres is not None
    run.postgres.stop()
    run.note(f"PostgreSQL stopped for {POSTGRES_DOWN:.0f} s")
    until = time.monotonic() + POSTGRES_DOWN
    with run.platform.client() as client:
        while time.monotonic() < until:
            try:
                run.reads[str(client.get("/api/v1/incidents", timeout=15).status_code)] += 1
            except httpx.HTTPError:
                run.reads["error"] += 1
            time.sleep(0.5)
    run.postgres.start()
    run.note(f"PostgreSQL started; API reads meanwhile: {dict(run.reads)}")


def most_paged(hooks: HttpReceiver, timeout: float = 60.0) -> str:
    """The webhook path that has accepted the most pages so far (waiting for the first pages if need be)."""
    deadline = time.monotonic() + timeout
    while not (paths := Counter(request.path for request in hooks.accepted)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no page arrived within {timeout:.0f} s: no webhook to break")
        time.sleep(0.5)
    return paths.most_common(1)[0][0]


def channel_down(run: Run, status: int) -> None:
    """Break the most paged person's webhook for CHANNEL_DOWN seconds: it hangs (NO_ANSWER) or answers `status`."""
    path = most_paged(run.hooks)
    run.hooks.break_path(path, status)
    broke = time.perf_counter()
    run.note(f"webhook {path} {'hangs' if status == NO_ANSWER else f'answers {status}'} for {CHANNEL_DOWN:.0f} s")
    time.sleep(CHANNEL_DOWN)
    run.hooks.mend(path)
    run.broken = (path, broke, time.perf_counter())
    run.note(f"webhook {path} mended")


def strike(run: Run, rng: random.Random) -> None:
    """Do the run's fault."""
    if run.fault.startswith("kill-") and run.fault.removeprefix("kill-") in ROLES:
        restart_worker(run, run.fault.removeprefix("kill-"))
    elif run.fault == "kill-api":
        restart_api(run)
    elif run.fault == "kill-broker":
        broker_fault(run, rng, random_node=True, then_leader=False)
    elif run.fault == "kill-leader":
        broker_fault(run, rng, random_node=False, then_leader=True)
    elif run.fault == "kill-broker-then-leader":
        broker_fault(run, rng, random_node=True, then_leader=True)
    elif run.fault == "rebalance-notifier":
        rebalance(run, rng)
    elif run.fault == "postgres-down":
        postgres_down(run)
    elif run.fault in CHANNEL_FAULTS:
        channel_down(run, CHANNEL_FAULTS[run.fault])
    else:
        raise ValueError(f"unknown fault {run.fault!r}: choose from {', '.join(FAULTS)}")


async def incident_of(url: str, report_id: str) -> str | None:
    """The incident whose timeline in the read model holds the report (read directly: the API may be down)."""
    db = Database(url)
    try:
        async with db.session() as session:
            found = await session.execute(
                select(TimelineRow.incident_id, TimelineRow.data).where(TimelineRow.type == EventType.REPORT_RECEIVED)
            )
            return next((incident for incident, data in found if data.get("report_id") == report_id), None)
    except (OSError, SQLAlchemyError):
        return None
    finally:
        await db.dispose()


def paged(hooks: HttpReceiver, incident_id: str) -> bool:
    """Whether the webhook receiver has accepted a page about the incident."""
    return any(request.json().get("incident_id") == incident_id for request in hooks.accepted)


def restart(platform: Platform, name: str) -> None:
    """Start the process `name` again: the API, or a worker by its role and id."""
    if name == "api":
        platform.start("api")
        return
    _, role, worker_id = name.split("-", 2)
    platform.start_worker(role, worker_id)


def supervise(run: Run, stop: threading.Event) -> None:
    """Restart any process that exits on its own RESTART_SECONDS later (systemd's Restart=always), counting it."""
    while not stop.wait(0.5):
        for name, process in list(run.platform.processes.items()):
            if process.poll() is None or run.platform.processes.get(name) is not process:
                continue
            run.platform.processes.pop(name, None)
            run.crashes[name] += 1
            run.note(f"{name} exited with {process.returncode}; restarting it (crash {run.crashes[name]})")
            if stop.wait(RESTART_SECONDS):
                return
            restart(run.platform, name)


def settle(platform: Platform) -> None:
    """Wait until every group has committed everything (without failing on a process the supervisor restarts)."""
    quiet = Quiescence(platform, PARTITIONS)
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, RuntimeError):
            if quiet():
                return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {SETTLE:.0f} s waiting for every group to commit everything")


def fault_thread(run: Run, rng: random.Random, at: float, stop: threading.Event) -> None:
    """Wait `at` seconds, strike, post a probe report and time until it is on the read model and paged."""
    if stop.wait(at):
        return
    started = time.monotonic()
    probe = opening(f"probe-{run.seed}")
    poster = threading.Thread(target=post_until_accepted, args=(run.platform, probe, run.ledger, stop))
    poster.start()

    def struck() -> None:
        try:
            strike(run, rng)
        except Exception as exc:
            run.fault_error = repr(exc)
            run.note(f"the fault itself failed: {exc!r}")
        run.restored_after = time.monotonic() - started

    striking = threading.Thread(target=struck, daemon=True)
    striking.start()
    if run.fault not in CHANNEL_FAULTS:  # a broken channel is not undone first: the probe is paged meanwhile
        striking.join()
    poster.join()
    incident = None
    while not stop.is_set() and time.monotonic() - started < SETTLE:
        incident = incident or asyncio.run(incident_of(run.database_url, probe["report_id"]))
        if incident is not None and paged(run.hooks, incident):
            run.recovery = time.monotonic() - started
            run.note(f"probe report on the read model and paged {run.recovery:.1f} s after the fault")
            break
        time.sleep(0.5)
    striking.join()


# ---------------------------------------------------------------------------------------------------- one run


def platform_for(cluster: LocalCluster, workdir: Path, hooks: HttpReceiver, tag: str, database_url: str) -> Platform:
    """A platform on the cluster under a fresh prefix and on `database_url`, paging the receiver's webhooks only."""
    district = district_on_receivers(workdir / "district", webhook_base=hooks.url)
    return Platform(
        bootstrap=cluster.bootstrap,
        workdir=workdir,
        prefix=f"faults-{tag}.",
        credentials=cluster.node(1).credentials_dir,
        extra_env={
            "TOCSIN_PARTITIONS": str(PARTITIONS),
            "TOCSIN_DISTRICT_DIR": str(district),
            "TOCSIN_NOTIFY_CHANNELS": "webhook",
            "TOCSIN_NOTIFY_RETRY_BASE_DELAY": "0.2",
            "TOCSIN_NOTIFY_RETRY_MAX_DELAY": "1",
            "TOCSIN_KAFKA_PUBLISH_TIMEOUT": "5",
            "TOCSIN_LOG_LEVEL": "WARNING",
            "TOCSIN_DATABASE_URL": database_url,
        },
    )


def start(platform: Platform) -> None:
    """The API and one process per worker role, each ready."""
    platform.create_api_user()
    platform.start("api")
    for role in ROLES:
        platform.start_worker(role, "a")
    platform.wait_ready(timeout=STARTUP)
    for role in ROLES:
        platform.wait_role_ready(role, "a", timeout=STARTUP)


async def rows_of(url: str) -> Rows:
    """Every projected table of the database at `url`."""
    db = Database(url)
    try:
        return await table_rows(db)
    finally:
        await db.dispose()


def one_run(cluster: LocalCluster, root: Path, fault: str, seed: int, plan: Plan) -> dict[str, Any]:
    """One run of one fault with one seed; its figures."""
    rng = random.Random(f"{fault}/{seed}")
    tag = f"{fault}-{seed}-{uuid.uuid4().hex[:6]}"
    workdir = root / tag
    workdir.mkdir(parents=True)
    if any(node.pid is None for node in cluster.status()):  # a previous run's fault left a broker down
        cluster.start(timeout=240)
    began = time.monotonic()
    with HttpReceiver() as hooks, contextlib.ExitStack() as stack:
        postgres = stack.enter_context(PrivatePostgres(workdir / "pg")) if fault == "postgres-down" else None
        url = postgres.url if postgres is not None else f"sqlite+aiosqlite:///{workdir / 'tocsin.db'}"
        platform = platform_for(cluster, workdir, hooks, tag, url)
        run = Run(fault, seed, platform, hooks, cluster, url, postgres)
        stop = threading.Event()
        try:
            start(platform)
            at = rng.uniform(0.2, 0.6) * plan.seconds
            count = plan.reports
            if fault in CHANNEL_FAULTS:  # the stream runs through the whole break and 10 s beyond
                count = max(count, math.ceil(plan.rate * (at + CHANNEL_DOWN + 10)))
            run.note(f"platform ready in {time.monotonic() - began:.0f} s; fault at {at:.1f} s into the stream")
            striker = threading.Thread(target=fault_thread, args=(run, rng, at, stop), daemon=True)
            striker.start()
            threading.Thread(target=supervise, args=(run, stop), daemon=True).start()
            given_up = 0
            for report in stream_of(count, tag):
                ticked = time.monotonic()
                given_up += not post_until_accepted(platform, report, run.ledger, stop)
                time.sleep(max(0.0, 1.0 / plan.rate - (time.monotonic() - ticked)))
            striker.join(timeout=SETTLE)
            settle(platform)
            settled = time.monotonic()
            rebuilt = f"sqlite+aiosqlite:///{workdir / 'rebuilt.db'}"
            platform.tocsin("projector", "rebuild", "--database-url", rebuilt)
            live = asyncio.run(rows_of(url))
            found = verdict(run.ledger, live, asyncio.run(rows_of(rebuilt)), hooks.requests)
            paging = channel_figures(run, live) if fault in CHANNEL_FAULTS else {}
        except AssertionError as exc:
            run.note(f"run failed: {exc}")
            return {"fault": fault, "seed": seed, "error": str(exc)[-2000:], "events": run.events}
        finally:
            stop.set()
            platform.stop_all()
    say(
        f"  {fault} seed {seed}: {found.accepted} accepted, {len(found.lost)} lost, "
        f"{found.duplicated_pages} duplicated pages, {found.in_doubt_pages} in doubt, "
        f"rebuild {'equal' if not found.rebuild_differs else 'differs: ' + ','.join(found.rebuild_differs)}"
    )
    if found.clean:
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "fault": fault,
        "seed": seed,
        "recovery_s": None if run.recovery is None else round(run.recovery, 2),
        "restored_after_s": None if run.restored_after is None else round(run.restored_after, 2),
        "answers": dict(run.ledger.answers),
        "reads_while_down": dict(run.reads),
        "crashes": dict(run.crashes),
        "fault_error": run.fault_error,
        "given_up": given_up,
        "settle_s": round(settled - began, 1),
        "events": run.events,
        **paging,
        **found.figures(),
    }


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` quantile of `values` (nearest rank), rounded to 0.01 s; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)], 2)


def spread(values: Sequence[float]) -> dict[str, Any]:
    """How many, the median and the p99 of some latencies."""
    return {"count": len(values), "p50": percentile(values, 0.5), "p99": percentile(values, 0.99)}


def channel_figures(run: Run, live: Rows) -> dict[str, Any]:
    """A channel fault's figures: first-page latency to everyone else during the break and outside it, and what
    became of the pages to the broken webhook."""
    if run.broken is None:
        return {}
    path, broke, mended = run.broken
    latency = first_page_latencies(run.ledger, live, run.hooks.requests, besides=path)
    with run.ledger.lock:
        accepted_at = dict(run.ledger.accepted_at)
    during = [seconds for report, seconds in latency.items() if broke <= accepted_at[report] <= mended]
    outside = [seconds for report, seconds in latency.items() if not broke <= accepted_at[report] <= mended]
    to_broken = [request for request in run.hooks.requests if request.path == path]
    person = path.rsplit("/", 1)[-1]
    records = [
        row["data"]
        for row in live["timeline"]
        if row["type"] in (EventType.NOTIFICATION_SENT, EventType.NOTIFICATION_FAILED)
        and row["data"].get("recipient_id") == person
    ]
    return {
        "broken_path": path,
        "first_page_during": spread(during),
        "first_page_outside": spread(outside),
        "requests_to_broken": dict(Counter(str(request.status) for request in to_broken)),
        "broken_person_records": dict(Counter(str(record.get("status")) for record in records)),
    }


# ---------------------------------------------------------------------------------------------------- matrix


def worst(values: Iterable[float | None]) -> float | None:
    """The largest of the values that are known (None when none is)."""
    known = [value for value in values if value is not None]
    return max(known) if known else None


def summarise(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per fault: runs, reports accepted, lost, duplicated pages, in doubt, recovery (median and max)."""
    rows = []
    for fault in dict.fromkeys(r["fault"] for r in runs):
        mine = [r for r in runs if r["fault"] == fault]
        ok = [r for r in mine if "error" not in r]
        recoveries = [r["recovery_s"] for r in ok if r["recovery_s"] is not None]
        rows.append(
            {
                "fault": fault,
                "runs": len(mine),
                "failed_runs": sum(1 for r in mine if "error" in r or r.get("fault_error")),
                "accepted": sum(r["accepted"] for r in ok),
                "lost": sum(r["lost"]["count"] for r in ok),
                "counted_twice": sum(r["counted_twice"]["count"] for r in ok),
                "duplicated_pages": sum(r["duplicated_pages"] for r in ok),
                "unaccounted_steps": sum(r["unaccounted_steps"] for r in ok),
                "in_doubt_pages": sum(r["in_doubt_pages"] for r in ok),
                "answers_503": sum(r["answers"].get("503", 0) for r in ok),
                "answers_500": sum(r["answers"].get("500", 0) + r["reads_while_down"].get("500", 0) for r in ok),
                "reads_503": sum(r["reads_while_down"].get("503", 0) for r in ok),
                "crashes": sum(sum(r["crashes"].values()) for r in ok),
                "rebuild_equal": all(not r["rebuild_differs"] for r in ok),
                "recovery_median_s": round(statistics.median(recoveries), 1) if recoveries else None,
                "recovery_max_s": round(max(recoveries), 1) if recoveries else None,
                "page_p99_during_s": worst(r.get("first_page_during", {}).get("p99") for r in ok),
                "page_p99_outside_s": worst(r.get("first_page_outside", {}).get("p99") for r in ok),
            }
        )
    return rows


COLUMNS = (
    ("fault", 24),
    ("runs", 4),
    ("accepted", 8),
    ("lost", 4),
    ("counted_twice", 7),
    ("duplicated_pages", 9),
    ("unaccounted_steps", 11),
    ("in_doubt_pages", 8),
    ("answers_503", 5),
    ("answers_500", 5),
    ("reads_503", 9),
    ("crashes", 7),
    ("rebuild_equal", 7),
    ("recovery_median_s", 9),
    ("recovery_max_s", 8),
    ("page_p99_during_s", 10),
    ("page_p99_outside_s", 10),
)
HEADS = {
    "counted_twice": "twice",
    "duplicated_pages": "dup.pages",
    "unaccounted_steps": "unaccounted",
    "in_doubt_pages": "in doubt",
    "answers_503": "503s",
    "answers_500": "500s",
    "reads_503": "reads 503",
    "rebuild_equal": "rebuild",
    "recovery_median_s": "recov.med",
    "recovery_max_s": "recov.max",
    "page_p99_during_s": "page p99 in",
    "page_p99_outside_s": "page p99 out",
}


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The summary as a fixed-width text table."""

    def cell(value: Any) -> str:
        if isinstance(value, bool):
            return "equal" if value else "DIFFERS"
        return "-" if value is None else str(value)

    lines = [" ".join(HEADS.get(name, name).ljust(width) for name, width in COLUMNS)]
    for row in rows:
        failed = f" ({row['failed_runs']} failed)" if row["failed_runs"] else ""
        lines.append(" ".join(cell(row[name]).ljust(width) for name, width in COLUMNS) + failed)
    return "\n".join(lines)


def start_cluster(root: Path) -> LocalCluster:
    """Three KRaft nodes of the matrix's own, on free ports, their data under `root`."""
    settings = Settings(data_dir=root / "cluster", kafka_bootstrap=f"127.0.0.1:{free_port_run(6)}")
    cluster = LocalCluster(settings, nodes=3, heap="256m")
    say(f"starting a 3-broker cluster on {cluster.bootstrap} (data in {root / 'cluster'})")
    cluster.start(timeout=300)
    os.environ["TOCSIN_KAFKA_BOOTSTRAP"] = cluster.bootstrap
    os.environ["TOCSIN_KAFKA_CREDENTIALS_DIR"] = str(cluster.node(1).credentials_dir)
    return cluster


def matrix(faults: Sequence[str], seeds: Sequence[int], plan: Plan, root: Path) -> dict[str, Any]:
    """Every fault with every seed on one cluster; the figures."""
    cluster = start_cluster(root)
    runs: list[dict[str, Any]] = []
    started = time.monotonic()
    try:
        total = len(faults) * len(seeds)
        for seed in seeds:
            for fault in faults:
                say(f"run {len(runs) + 1}/{total}: {fault}, seed {seed} ({time.monotonic() - started:.0f} s so far)")
                runs.append(one_run(cluster, root, fault, seed, plan))
    finally:
        cluster.stop()
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "plan": {"reports": plan.reports, "rate": plan.rate, "partitions": PARTITIONS, "brokers": 3},
        "seeds": list(seeds),
        "wall_s": round(time.monotonic() - started, 1),
        "load": [round(x, 2) for x in os.getloadavg()],
        "summary": summarise(runs),
        "runs": runs,
    }


def parser() -> argparse.ArgumentParser:
    """The command line."""
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--quick", action="store_true", help="a smoke run: one seed, fewer reports")
    cli.add_argument("--seeds", type=int, help="runs per fault, seeds 1..N (default 2; 1 with --quick)")
    cli.add_argument("--seed-base", type=int, default=1, help="the first seed")
    cli.add_argument("--faults", default=",".join(FAULTS), help=f"comma-separated subset of {','.join(FAULTS)}")
    cli.add_argument("--reports", type=int, help="reports per run")
    cli.add_argument("--json", type=Path, default=Path("var/faults.json"), help="where to write the figures")
    cli.add_argument("--workdir", type=Path, default=Path("var/faults"), help="runs' files (kept when a run fails)")
    return cli


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt(f"signal {signum}")


def run(argv: Sequence[str] | None = None, *, out: Callable[[str], None] = print) -> int:
    """Entry point: run the matrix, print the table, write the JSON; 1 when any run broke an invariant."""
    args = parser().parse_args(argv)
    faults = [f for f in args.faults.split(",") if f]
    unknown = sorted(set(faults) - set(FAULTS))
    if unknown:
        raise SystemExit(f"unknown faults {unknown}: choose from {', '.join(FAULTS)}")
    plan = QUICK if args.quick else FULL
    if args.reports:
        plan = Plan(args.reports, plan.rate)
    count = args.seeds or (1 if args.quick else 2)
    seeds = range(args.seed_base, args.seed_base + count)
    root = args.workdir.resolve() / datetime.now().strftime("%Y%m%d-%H%M%S")
    signal.signal(signal.SIGTERM, _interrupt)
    figures = matrix(faults, list(seeds), plan, root)
    figures["quick"] = args.quick
    out(table(figures["summary"]))
    out(f"{len(figures['runs'])} runs in {figures['wall_s']:.0f} s; load {figures['load']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    say(f"figures written to {args.json}")
    shutil.rmtree(root / "cluster", ignore_errors=True)
    broken = [r for r in figures["runs"] if "error" in r or r.get("fault_error") or not r.get("clean")]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(run())
