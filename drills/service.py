"""The drill service (`tocsin drill serve`, ADR 0018): hosts every drill started on Kafka.

It consumes `<prefix>drill-commands` in consumer group `tocsin-drills` and hosts each valid `StartDrill` as an
asyncio task (drills/host.py); an invalid one gets `DrillCommandRejected`. It also tracks finished runs'
improvement plans: `UpdateImprovementItem` becomes `ImprovementItemUpdated` (or a rejection, ADR 0029). Other
command types are left to the hosts, which read the topic themselves. Offsets are committed once a run is started.
On start-up, runs the read model still shows `running` or `paused` (their host is gone) are published as `failed`
("drill host restarted"); on SIGTERM/SIGINT the runs in progress end as `failed` ("drill service stopped").
One drill service per deployment.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from drills.bots import BEHAVIOURS
from drills.clock import ClockError
from drills.control import (
    DRILL_COMMAND_REJECTED,
    DRILL_UPDATED,
    START,
    STATE_FAILED,
    STATE_PAUSED,
    STATE_RUNNING,
    command_from_envelope,
    speed_of,
)
from drills.host import DrillHost, DrillRequest, drill_topics, ensure_drill_topics, publish_drill_event
from drills.improvement import apply_tracking
from drills.runner import DrillCommandError
from drills.scenario import ScenarioError, parse_scenario
from infra.db.drills import DrillFilter, get_drill_run, list_drill_runs
from infra.db.engine import Database
from infra.db.migrate import upgrade
from infra.kafka.security import client_options
from infra.settings import Settings
from infra.wire import DrillCommandType, DrillEventType
from playbooks import PlaybookLibrary, load_library

log = structlog.get_logger("tocsin.drills.service")

GROUP = "tocsin-drills"
RESTARTED = "drill host restarted"
STOPPED = "drill service stopped"


def ready_marker(settings: Settings) -> Path:
    """The file the drill service touches once it is in its group and reading from a known position."""
    return settings.data_dir / "drill-service" / settings.topic_prefix.strip(".") / "ready"


def start_request(
    message: Mapping[str, Any], library: PlaybookLibrary, position: tuple[int, int] | None = None
) -> DrillRequest:
    """The drill a StartDrill envelope asks for; raise DrillCommandError naming the bad field and value."""
    command = command_from_envelope(message)
    payload = command.payload
    scenario_text = payload.get("scenario_text")
    if not isinstance(scenario_text, str) or not scenario_text.strip():
        raise DrillCommandError(f"payload.scenario_text must be a scenario's YAML text, not {scenario_text!r}")
    scenario_id = payload.get("scenario_id")
    if scenario_id is not None and not isinstance(scenario_id, str):
        raise DrillCommandError(f"payload.scenario_id must be a string, not {scenario_id!r}")
    try:
        scenario = parse_scenario(scenario_text, f"{scenario_id or 'scenario'}.yaml", library)
    except ScenarioError as error:
        raise DrillCommandError(f"payload.scenario_text is not a valid scenario:\n{error}") from None
    if scenario_id and scenario.id != scenario_id:
        raise DrillCommandError(f"payload.scenario_id {scenario_id!r} is not the scenario's id {scenario.id!r}")
    try:
        speed = speed_of(payload)
    except ClockError as error:
        raise DrillCommandError(f"payload.speed: {error}") from None
    bot = payload.get("bot")
    if bot is not None and (not isinstance(bot, str) or bot not in BEHAVIOURS):
        raise DrillCommandError(f"payload.bot must be null or one of {', '.join(BEHAVIOURS)}, not {bot!r}")
    participants = payload.get("participants")
    if participants is not None and (
        not isinstance(participants, list) or not all(isinstance(p, str) and p for p in participants)
    ):
        raise DrillCommandError(f"payload.participants must be null or a list of person ids, not {participants!r}")
    requested_by = payload.get("requested_by")
    return DrillRequest(
        command.exercise_id,
        scenario,
        scenario_text,
        speed,
        bot,
        tuple(participants) if participants is not None else None,
        dict(requested_by) if isinstance(requested_by, Mapping) else {},
        command.id,
        position,
    )


async def run_state(db: Database, exercise_id: str) -> str | None:
    """The state the read model shows for an exercise, or None when it has never seen it."""
    row = await get_drill_run(db, exercise_id)
    return row.state if row is not None else None


async def orphaned_runs(db: Database) -> list[tuple[str, int, dict[str, Any]]]:
    """Runs the read model shows running or paused: (exercise id, seq, snapshot)."""
    rows = [
        row
        for state in (STATE_RUNNING, STATE_PAUSED)
        for row in await list_drill_runs(db, DrillFilter(state=state, limit=10_000))
    ]
    return [(row.exercise_id, row.seq, dict(row.snapshot or {})) for row in rows]


class DrillService:
    """Hosts the drills started on drill-commands until `stop` is set."""

    def __init__(self, settings: Settings, *, library: PlaybookLibrary | None = None) -> None:
        self.settings = settings
        self.library = library or load_library(settings.playbook_dir)
        self.hosts: dict[str, tuple[DrillHost, asyncio.Task[Any]]] = {}
        self._producer: AIOKafkaProducer | None = None
        self._db: Database | None = None
        self._plans: dict[str, list[dict[str, Any]]] = {}  # plans this service updated (ahead of the read model)

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set; then end the runs in progress as failed."""
        settings = self.settings
        await upgrade(settings.database_url)  # idempotent: the read model's drill_runs table is there to ask
        self._db = Database(settings.database_url)
        await ensure_drill_topics(settings)
        self._producer = AIOKafkaProducer(
            **client_options(settings.kafka_bootstrap), acks="all", enable_idempotence=True, metadata_max_age_ms=2_000
        )
        await self._producer.start()
        consumer: AIOKafkaConsumer | None = None
        try:
            await self.fail_orphans()
            consumer = await self._join()
            marker = ready_marker(settings)
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
            log.info("drill service ready", topic=drill_topics(settings)[0], group=GROUP)
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=500)
                for tp, records in batch.items():
                    for record in records:
                        await self.handle(record.value, (tp.partition, record.offset))
                if batch:
                    await consumer.commit()
        finally:
            await self.stop_runs(STOPPED)
            if consumer is not None:
                await consumer.stop()
            await self._producer.stop()
            await self._db.dispose()
            ready_marker(settings).unlink(missing_ok=True)

    async def _join(self) -> AIOKafkaConsumer:
        """Join the group and fix the starting positions (committed, else the end), so no start is missed."""
        topic = drill_topics(self.settings)[0]
        consumer = AIOKafkaConsumer(
            topic,
            **client_options(self.settings.kafka_bootstrap),
            group_id=GROUP,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            metadata_max_age_ms=2_000,
        )
        await consumer.start()
        try:
            for _ in range(600):
                if consumer.assignment():
                    break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"no partition of {topic} was assigned to group {GROUP} within 60 s")
            positions: dict[TopicPartition, int] = {tp: await consumer.position(tp) for tp in consumer.assignment()}
            await consumer.commit(positions)
        except BaseException:
            await consumer.stop()
            raise
        return consumer

    async def handle(self, value: bytes | None, position: tuple[int, int] | None = None) -> None:
        """Host a StartDrill (or reject it); ignore every other command."""
        try:
            message = json.loads(value or b"")
        except ValueError:
            log.warning("drill.service.unreadable", position=position)
            return
        if isinstance(message, dict) and message.get("type") == DrillCommandType.UPDATE_IMPROVEMENT_ITEM:
            await self.track(message)
            return
        if not isinstance(message, dict) or message.get("type") != START:
            return
        command_id, exercise_id = message.get("id"), message.get("exercise_id")
        try:
            request = start_request(message, self.library, position)
            assert self._db is not None
            known = await run_state(self._db, request.exercise_id)
            if known is not None:  # e.g. a StartDrill redelivered after a crash: an exercise id is used once
                raise DrillCommandError(f"exercise {request.exercise_id} was started before (it is {known})")
            if request.exercise_id in self.hosts:  # started here, its first snapshot not yet projected
                raise DrillCommandError(f"exercise {request.exercise_id} is already running")
        except DrillCommandError as error:
            log.info("drill.start.rejected", exercise_id=exercise_id, command_id=command_id, reason=str(error))
            if isinstance(exercise_id, str) and exercise_id:
                await self._reject(exercise_id, command_id, START, error)
            return
        self.start(request)

    async def track(self, message: Mapping[str, Any]) -> None:
        """Apply an UpdateImprovementItem to a finished run's plan: publish ImprovementItemUpdated or a rejection."""
        command_id, exercise_id = message.get("id"), message.get("exercise_id")
        if not isinstance(exercise_id, str) or not exercise_id or not isinstance(command_id, str):
            log.warning("drill.track.unaddressed", command_id=command_id)
            return
        payload = message.get("payload")
        try:
            plan = await self._plan(exercise_id)
            now = datetime.now(UTC)
            index, item = apply_tracking(plan, payload if isinstance(payload, Mapping) else {}, now)
        except DrillCommandError as error:
            await self._reject(exercise_id, command_id, message.get("type"), error)
            return
        plan[index] = item
        await self._publish(
            exercise_id,
            DrillEventType.IMPROVEMENT_ITEM_UPDATED,
            {"exercise_id": exercise_id, "item_id": item["id"], "item": item},
            causation=command_id,
        )

    async def _plan(self, exercise_id: str) -> list[dict[str, Any]]:
        """The finished run's improvement plan as this service last left it; DrillCommandError before the end."""
        if exercise_id in self._plans:
            return self._plans[exercise_id]
        assert self._db is not None
        row = await get_drill_run(self._db, exercise_id)
        if row is None:
            raise DrillCommandError(f"no drill run {exercise_id!r}")
        plan = (row.snapshot or {}).get("improvement_plan")
        if row.state != "finished" or not isinstance(plan, list):
            raise DrillCommandError(f"exercise {exercise_id} is {row.state}; its improvement plan comes at its end")
        self._plans[exercise_id] = [dict(i) for i in plan if isinstance(i, dict)]
        return self._plans[exercise_id]

    def start(self, request: DrillRequest) -> DrillHost:
        """Host `request` as a task of this service."""
        host = DrillHost(request, self.settings)
        task = asyncio.create_task(host.run(), name=f"drill {request.exercise_id}")
        self.hosts[request.exercise_id] = (host, task)
        task.add_done_callback(lambda done: self._ended(request.exercise_id, done))
        log.info(
            "drill.hosted",
            exercise_id=request.exercise_id,
            scenario_id=request.scenario.id,
            speed=request.speed,
            bot=request.bot,
        )
        return host

    def _ended(self, exercise_id: str, task: asyncio.Task[Any]) -> None:
        self.hosts.pop(exercise_id, None)
        if task.cancelled():
            log.info("drill.host.cancelled", exercise_id=exercise_id)
        elif task.exception() is not None:
            log.error("drill.host.failed", exercise_id=exercise_id, error=repr(task.exception()))
        else:
            log.info("drill.host.done", exercise_id=exercise_id)

    async def stop_runs(self, reason: str) -> None:
        """End every hosted run: each publishes its final state as failed with `reason`."""
        running = list(self.hosts.values())
        for host, task in running:
            host.stop_reason = reason
            task.cancel()
        if running:
            await asyncio.gather(*(task for _, task in running), return_exceptions=True)

    async def fail_orphans(self) -> list[str]:
        """Publish `failed` for the runs left running or paused by a previous service; return their ids."""
        failed = []
        assert self._db is not None
        for exercise_id, seq, snapshot in await orphaned_runs(self._db):
            now = datetime.now(UTC)
            payload = {
                **snapshot,
                "exercise_id": exercise_id,
                "state": STATE_FAILED,
                "reason": RESTARTED,
                "seq": seq + 1,
                "updated_at": now.isoformat(),
            }
            await self._publish(exercise_id, DRILL_UPDATED, payload)
            failed.append(exercise_id)
        if failed:
            log.warning("drill.service.orphans_failed", exercise_ids=failed, reason=RESTARTED)
        return failed

    async def _reject(self, exercise_id: str, command_id: object, command: object, error: DrillCommandError) -> None:
        """Publish DrillCommandRejected for the command `command_id` of type `command`, with the reason."""
        await self._publish(
            exercise_id,
            DRILL_COMMAND_REJECTED,
            {"command_id": command_id, "command": command, "reason": str(error)},
            causation=command_id if isinstance(command_id, str) else None,
        )

    async def _publish(
        self, exercise_id: str, kind: DrillEventType, payload: Mapping[str, Any], causation: str | None = None
    ) -> None:
        assert self._producer is not None
        await publish_drill_event(
            self._producer, self.settings, kind, exercise_id, payload, datetime.now(UTC), causation
        )
