"""Rebuild benchmark: how fast `tocsin projector rebuild` replays the incident event log into an empty database.

    .venv/bin/python -m bench.rebuild [--events 40000] [--database-url URL] [--json FILE]

It makes N realistic incident events with the real domain on a fixed clock (reports through intake and
correlation to the incident writer; each event through the notifier, over a channel that accepts everything,
so deliveries come back as NotificationSent events; a second report, a deadline sweep that escalates, task
acknowledgements), writes them to a fresh topic of 6 partitions on the broker, then times a rebuild
(`infra.db.rebuild.replay`, in one process as the CLI by default, or `--processes N`) into an empty database: a
new SQLite file by default, or the database `--database-url` names, which must hold no projected rows (`--clear`
deletes them first). It prints events/s and the CPU seconds spent (the machine is shared: a low rate with little
CPU means the work waited for a core). Each rebuild is preceded by a pass that only reads and decodes the topic in
one process, the ceiling of one process on this machine at that moment. `--repeat N` does it N times, each into
an emptied database. Figures, not assertions.

`measure_rebuild(bootstrap, events, database_url)` and `time_rebuild(bootstrap, topic, database_url)` are the same
measurement for other benchmarks (bench/pipeline.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import json
import os
import resource
import tempfile
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from infra.channels import (
    CapChannel,
    Channel,
    Dispatcher,
    ExerciseRegistry,
    InMemoryCapAlertStore,
    InMemoryDeliveryStore,
    MemorySink,
    OutboundMessage,
)
from infra.db.engine import Database
from infra.db.migrate import upgrade
from infra.db.models import Base, CommandResultRow
from infra.db.rebuild import PROJECTED_TABLES, REPLAY_PROCESSES, read_log, replay
from infra.district import load_organisation
from infra.kafka.admin import ensure_topics
from infra.kafka.security import client_options
from infra.logs import configure_logging
from infra.wire import Envelope, stable_id
from infra.wire.incident import command_envelope
from playbooks import Playbook, PlaybookLibrary, load_library
from playbooks.commands import AcknowledgeTask, Actor, CheckDeadlines, CompleteTask, Role
from streams.correlation import Correlator
from streams.delivery import Delivery, Notifier, NotifierSettings
from streams.intake import Destination, Routed, take_in
from streams.writer import IncidentWriter, StoredState, WriterTopics

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
"""The fixed clock's start: every run makes the same incidents at the same times."""
PARTITIONS = 6
"""Partitions of the benchmark's topic, as a deployment's incident-events has by default (TOCSIN_PARTITIONS)."""
PROJECTED: tuple[type[Base], ...] = (*PROJECTED_TABLES, CommandResultRow)
DUTY_OFFICER = Actor("值班员", frozenset({Role.DUTY_OFFICER}))
STORIES: tuple[tuple[str, int, int], ...] = (
    ("restaurant", 5, 12),
    ("school", 35, 70),
    ("rural_collective_dinner", 40, 110),
    ("canteen", 12, 31),
)
"""Incident shapes, in turn: venue type, cases at the first report, cases at the hospital's later report."""


class FixedClock:
    """The writer's and the notifier's clock: it moves only when the story moves it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        """The story's current time."""
        return self.at


class Accepting(Channel):
    """A channel that takes every message (the benchmark measures the read model, not delivery)."""

    name = "outbox"

    async def _transmit(self, message: OutboundMessage, address: str) -> None:
        return None


class NothingLogged:
    """The notifier's view of the delivery log: every key of a story is new, so nothing was logged before."""

    async def logged(self, key: str) -> tuple[str, dict[str, Any]] | None:
        """Nothing, for any key."""
        return None


@functools.cache
def library() -> PlaybookLibrary:
    """The playbook library (loaded on first use: a worker process of the replay imports this module too)."""
    return load_library()


@functools.cache
def sample_report() -> dict[str, Any]:
    """The product's sample report (infra/sample/reports.json), the base of every benchmark report."""
    reports: list[dict[str, Any]] = json.loads(resources.files("infra.sample").joinpath("reports.json").read_text())
    return {k: v for k, v in reports[0].items() if k != "reported_minutes_ago"}


async def _playbook_for(incident_type: str, version: str | None, rule_set: str | None) -> Playbook:
    found = library().get(incident_type, version)
    return found.with_rule_set(rule_set) if rule_set and rule_set != found.rule_set else found


class District:
    """Intake, correlation, the incident writer and the notifier of one worker, in process, on a fixed clock."""

    def __init__(self) -> None:
        self.clock = FixedClock(T0)
        self.events: list[Envelope] = []
        self.store: dict[str, StoredState] = {}
        self._commands: deque[Envelope] = deque()
        self.correlator = Correlator({}, timedelta(hours=72))
        self.writer = IncidentWriter(
            self.store, _playbook_for, self.clock, self._publish, WriterTopics("incident-events", "reports.accepted")
        )
        registry = ExerciseRegistry()
        dispatcher = Dispatcher(
            {"outbox": Accepting(), "cap": CapChannel(InMemoryCapAlertStore(), "tocsin@district.example.gov.cn")},
            registry,
            MemorySink(),
            InMemoryDeliveryStore(),
            self.clock,
        )
        delivery = Delivery(dispatcher, registry, NothingLogged(), self._no_participants)
        self.notifier = Notifier(
            load_organisation(), delivery, NotifierSettings(("outbox",), "区食安办"), self.clock, self._send
        )

    @staticmethod
    async def _no_participants(exercise_id: str) -> frozenset[str]:
        return frozenset()

    async def _publish(self, topic: str, key: str, message: Envelope) -> None:
        if topic == "incident-events":
            self.events.append(message)

    async def _send(self, incident_id: str, command: Envelope) -> None:
        self._commands.append(command)

    async def command(self, envelope: Envelope) -> None:
        """Apply a command, then let the notifier deliver what its events call for, until all is quiet."""
        self._commands.append(envelope)
        while self._commands:
            before = len(self.events)
            await self.writer.apply(self._commands.popleft())
            for event in self.events[before:]:
                await self.notifier.process(event)

    async def report(self, number: int, report: dict[str, Any]) -> str:
        """Take a report in as the intake and correlation agents do; return its incident id."""
        raw = json.dumps(report, ensure_ascii=False).encode()
        routed = take_in(raw, source=f"bench.reports:0:{number}", library=library(), now=self.clock.now())
        if not isinstance(routed, Routed):
            raise RuntimeError(f"the bench report was rejected: {routed.reason}")
        if routed.destination is Destination.INCIDENT_COMMANDS:
            command: Envelope | None = routed.message
        else:
            command = self.correlator.handle(routed.message)
        if command is None or command.incident_id is None:
            raise RuntimeError("correlation gave no ReceiveReport command")
        await self.command(command)
        return command.incident_id

    async def story(self, number: int) -> None:
        """One incident: a first report, a hospital's report, an overdue sweep, a task acknowledged and done."""
        venue_type, cases, later_cases = STORIES[number % len(STORIES)]
        start = T0 + timedelta(minutes=17 * number)
        self.clock.at = start
        base = sample_report()
        first = {
            **base,
            "report_id": f"bench-rebuild-{number}",
            "reported_at": start.isoformat(),
            "location": {**base["location"], "venue": f"bench venue {number}"},
            "venue_type": venue_type,
            "facts": {"cases": cases},
        }
        incident_id = await self.report(number * 2, first)
        self.clock.at = start + timedelta(minutes=40)
        hospital = {
            **first,
            "report_id": f"bench-rebuild-{number}-hospital",
            "reported_at": self.clock.at.isoformat(),
            "source": "hospital",
            "reporter": {"name": "急诊科", "phone": "0571-0000-0002", "unit": "区人民医院"},
            "incident_ref": incident_id,
            "facts": {"cases": later_cases, "hospitalized": later_cases // 4},
        }
        await self.report(number * 2 + 1, hospital)
        self.clock.at = start + timedelta(hours=3)
        await self.command(self._command(CheckDeadlines(now=self.clock.at), incident_id, "sweep", number))
        tasks = [k for k, item in self._items(incident_id).items() if item.get("kind") == "task"][:2]
        for key in tasks:
            self.clock.at += timedelta(minutes=5)
            ack = AcknowledgeTask(actor=DUTY_OFFICER, action_key=key, note="已接收")
            await self.command(self._command(ack, incident_id, f"ack-{key}", number))
        for key in tasks[:1]:
            self.clock.at += timedelta(minutes=30)
            done = CompleteTask(actor=DUTY_OFFICER, action_key=key, result="已完成")
            await self.command(self._command(done, incident_id, f"done-{key}", number))

    def _items(self, incident_id: str) -> dict[str, dict[str, Any]]:
        items = self.store[incident_id].get("items") or []
        return {str(item["key"]): item for item in items} if isinstance(items, list) else dict(items)

    def _command(self, command: Any, incident_id: str, what: str, number: int) -> Envelope:
        return command_envelope(
            command,
            incident_id=incident_id,
            at=self.clock.at,
            mode="actual",
            id_=str(uuid.UUID(stable_id("bench-rebuild", what, str(number)))),
        )


async def make_events(count: int) -> list[Envelope]:
    """At least `count` incident events of whole incident stories, cut to `count` (a prefix of a log is a log)."""
    district = District()
    number = 0
    while len(district.events) < count:
        await district.story(number)
        number += 1
    return district.events[:count]


async def write_events(bootstrap: str, topic: str, events: list[Envelope]) -> None:
    """Create `topic` and put `events` on it, keyed by incident id as the writer does."""
    await ensure_topics(bootstrap, [topic], PARTITIONS)
    producer = AIOKafkaProducer(**client_options(bootstrap), acks="all", linger_ms=20, max_batch_size=1 << 20)
    await producer.start()
    try:
        for event in events:
            await producer.send(topic, event.to_json(), key=str(event.incident_id).encode())
        await producer.flush()
    finally:
        await producer.stop()


async def delete_topic(bootstrap: str, topic: str) -> None:
    """Remove the benchmark's topic from the broker."""
    admin = AIOKafkaAdminClient(**client_options(bootstrap))
    await admin.start()
    try:
        await admin.delete_topics([topic])
    finally:
        await admin.close()


@dataclass(frozen=True)
class Rebuilt:
    """One timed rebuild."""

    events: int
    seconds: float
    cpu_seconds: float
    """CPU time of this process and its workers meanwhile (a PostgreSQL server's own work is not in it)."""

    @property
    def rate(self) -> float:
        """Events per second."""
        return self.events / self.seconds


async def time_rebuild(
    bootstrap: str, topic: str, database_url: str, *, clear: bool = False, processes: int = REPLAY_PROCESSES
) -> Rebuilt:
    """Migrate the database, check it holds no projected rows (`clear`: delete them first), then time a replay
    of `topic` into it, with the CLI's default number of worker processes unless told otherwise."""
    await upgrade(database_url)
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            for model in PROJECTED:
                if clear:
                    await session.execute(delete(model))
                elif (await session.execute(select(func.count()).select_from(model))).scalar_one():
                    raise SystemExit(f"{model.__tablename__} is not empty: give an empty database (or --clear)")
        started, cpu = time.perf_counter(), cpu_seconds()
        count = await replay(bootstrap, topic, db, processes=processes)
        return Rebuilt(count, time.perf_counter() - started, cpu_seconds() - cpu)
    finally:
        await db.dispose()


def cpu_seconds() -> float:
    """CPU time of this process and of its finished worker processes."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


async def time_read(bootstrap: str, topic: str) -> Rebuilt:
    """Time reading and decoding `topic` as a rebuild does, writing nothing: the ceiling a rebuild can reach."""
    started, cpu, count = time.perf_counter(), time.process_time(), 0
    async with contextlib.aclosing(read_log(bootstrap, topic)) as batches:
        async for messages, _ in batches:
            count += len(messages)
    return Rebuilt(count, time.perf_counter() - started, time.process_time() - cpu)


async def fresh_topic(bootstrap: str, count: int) -> tuple[str, str]:
    """Make `count` events and write them to a new topic; return its name and a line describing the events.

    The events are not kept: a replay timed in a process holding them pays for the garbage collector walking them
    over and over (a third of its rate here), which `tocsin projector rebuild` never does.
    """
    started = time.perf_counter()
    log = await make_events(count)
    mix = dict(Counter(str(event.type) for event in log))
    size = sum(len(event.to_json()) for event in log) / len(log)
    topic = f"bench.rebuild.{uuid.uuid4().hex[:8]}.incident-events"
    await write_events(bootstrap, topic, log)
    made = f"made {len(log):,} events in {time.perf_counter() - started:.1f} s (mean {size:,.0f} bytes): {mix}"
    del log
    gc.collect()
    return topic, made


async def measure_rebuild(
    bootstrap: str, events: int, database_url: str | None = None, *, processes: int = REPLAY_PROCESSES
) -> float:
    """Events/s of a rebuild of `events` generated incident events, from a fresh topic into an empty database
    (`database_url`, which must hold no projected rows; None: a new SQLite file), with `processes` workers."""
    if not structlog.is_configured():
        configure_logging("WARNING", json=False)  # the notifier logs every page at info
    topic, _ = await fresh_topic(bootstrap, events)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'rebuild.db'}"
            return (await time_rebuild(bootstrap, topic, url, processes=processes)).rate
    finally:
        await delete_topic(bootstrap, topic)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate and write the events; then, `--repeat` times, time reading them alone and a rebuild (into a new
    SQLite file each, or the emptied `--database-url`); print the figures and return them."""
    configure_logging("WARNING", json=False)
    bootstrap = args.bootstrap or os.environ.get("TOCSIN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    topic, made = await fresh_topic(bootstrap, args.events)
    print(made)
    backend = make_url(args.database_url).get_backend_name() if args.database_url else "sqlite"
    runs: list[tuple[Rebuilt, Rebuilt]] = []
    try:
        for number in range(args.repeat):
            read = await time_read(bootstrap, topic)
            with tempfile.TemporaryDirectory() as tmp:
                url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'rebuild.db'}"
                clear = args.clear or number > 0
                result = await time_rebuild(bootstrap, topic, url, clear=clear, processes=args.processes)
            runs.append((read, result))
            print(
                f"read alone (one process, consume + decode): {read.rate:,.0f} events/s (cpu {read.cpu_seconds:.2f} s)"
                f"; rebuild into empty {backend} with {args.processes} process(es): {result.events:,} events in "
                f"{result.seconds:.2f} s = {result.rate:,.0f} events/s (cpu {result.cpu_seconds:.2f} s)"
            )
    finally:
        await delete_topic(bootstrap, topic)
    best = max((result for _, result in runs), key=lambda r: r.rate)
    return {
        "rebuild_eps": round(best.rate, 1),
        "backend": backend,
        "processes": args.processes,
        "events": best.events,
        "runs": [
            {
                "eps": round(result.rate, 1),
                "seconds": round(result.seconds, 3),
                "cpu_seconds": round(result.cpu_seconds, 3),
                "read_eps": round(read.rate, 1),
                "read_cpu_seconds": round(read.cpu_seconds, 3),
            }
            for read, result in runs
        ],
    }


def main() -> None:
    """The command line: run the benchmark, and write its figures as JSON with --json."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=40_000, help="how many incident events to replay")
    parser.add_argument("--database-url", default="", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--clear", action="store_true", help="delete the projected rows of --database-url first")
    parser.add_argument("--bootstrap", default="", help="Kafka (default: TOCSIN_KAFKA_BOOTSTRAP or 127.0.0.1:9092)")
    parser.add_argument("--processes", type=int, default=REPLAY_PROCESSES, help="worker processes (the CLI's default)")
    parser.add_argument("--repeat", type=int, default=1, help="time this many rebuilds (the best is rebuild_eps)")
    parser.add_argument("--json", default="", help="also write the figures to this JSON file")
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
