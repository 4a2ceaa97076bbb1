"""The drill host (ADR 0018): one live drill, steerable over Kafka, its state published as it goes.

`DrillHost(request, settings).run()` registers the participants, plays the scenario with a `LiveDrill`, feeds it
the controller commands of its exercise from `<prefix>drill-commands` (its own consumer, no group, from the end
offsets — or from just after the StartDrill — taken before the first snapshot), delivers message injects
through the Dispatcher (drills/messages.py), and publishes on `<prefix>drill-events`: `DrillUpdated` snapshots
(on start, after each command, each inject change or message, every ~2 s, at the end), `DrillCommandRejected`,
and `DrillReportWritten`. It writes run.json and the after-action report under `<data_dir>/drills/<exercise>/`.
On an error (or when cancelled) it publishes `DrillUpdated` with state `failed` and the reason.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from drills.control import (
    DRILL_COMMAND_REJECTED,
    DRILL_REPORT_WRITTEN,
    DRILL_UPDATED,
    START,
    STATE_FAILED,
    STATE_FINISHED,
    STATE_PAUSED,
    STATE_RUNNING,
    DrillCommand,
    command_from_envelope,
    envelope,
)
from drills.effects import DeliverMessage, Effect
from drills.improvement import improvement_plan
from drills.live import (
    Clock,
    DrillHooks,
    LiveDrill,
    LiveResult,
    Progress,
    participants_of,
    prepare_participants,
    result_to_dict,
    wall_clock,
)
from drills.messages import Courier, Failure, MessageDelivery, open_courier
from drills.model import Scenario
from drills.report import write_report
from drills.runner import DrillCommandError
from drills.scoring import score_run
from infra.kafka.admin import ensure_topics
from infra.kafka.reading import read_from_end
from infra.kafka.security import client_options
from infra.settings import Settings
from infra.wire import DrillEventType
from infra.wire.drill import UPDATE_IMPROVEMENT_ITEM
from playbooks.organisation import Organisation

log = structlog.get_logger("tocsin.drills.host")

COMMANDS_TOPIC = "drill-commands"
EVENTS_TOPIC = "drill-events"
HEARTBEAT_SECONDS = 2.0
"""Real seconds between snapshots while nothing else happens (so the controller sees the time move)."""


def drill_topics(settings: Settings) -> tuple[str, str]:
    """The drill-commands and drill-events topics under the configured prefix."""
    return settings.topic(COMMANDS_TOPIC), settings.topic(EVENTS_TOPIC)


async def ensure_drill_topics(settings: Settings) -> None:
    """Create the two drill topics if they are missing."""
    await ensure_topics(settings.kafka_bootstrap, drill_topics(settings), settings.partitions)


async def publish_drill_event(  # noqa: PLR0913 - the producer and the drill event's fields
    producer: AIOKafkaProducer,
    settings: Settings,
    kind: DrillEventType,
    exercise_id: str,
    payload: Mapping[str, Any],
    at: datetime,
    causation: str | None = None,
) -> None:
    """Publish one drill event (envelope of ADR 0018) on drill-events, keyed by exercise id, and wait for acks."""
    message = envelope(kind, exercise_id=exercise_id, payload=payload, at=at, causation=causation)
    await producer.send_and_wait(drill_topics(settings)[1], message.to_json(), key=exercise_id.encode())


@dataclass(frozen=True)
class DrillRequest:
    """What a StartDrill asks for: the validated scenario and how to play it."""

    exercise_id: str
    scenario: Scenario
    scenario_text: str
    speed: float
    bot: str | None = None
    participants: tuple[str, ...] | None = None
    requested_by: Mapping[str, Any] = field(default_factory=dict)
    command_id: str | None = None
    """The StartDrill's id: the causation of the first snapshot."""
    start_position: tuple[int, int] | None = None
    """(partition, offset) of the StartDrill on drill-commands: commands are read from just after it."""


class DrillHost(DrillHooks):
    """Hosts one live drill; `run()` plays it to the end and returns the scored result."""

    def __init__(
        self,
        request: DrillRequest,
        settings: Settings,
        *,
        organisation: Organisation | None = None,
        directory: Path | None = None,
        clock: Clock = wall_clock,
        settle: float = 0.4,
    ) -> None:
        self.request, self.settings, self.clock = request, settings, clock
        self.exercise_id = request.exercise_id
        self.directory = directory or settings.data_dir / "drills" / request.exercise_id
        self.organisation = organisation
        self.drill = LiveDrill(
            request.scenario,
            bootstrap=settings.kafka_bootstrap,
            topic_prefix=settings.topic_prefix,
            exercise_id=request.exercise_id,
            speed=request.speed,
            bot=request.bot,
            clock=clock,
            settle=settle,
            hooks=self,
        )
        self.participants: list[str] = list(request.participants or ())
        self.deliveries: list[MessageDelivery] = []
        self.started_at = clock()
        self.stop_reason: str | None = None
        """Set before cancelling the run: the reason its final (failed) snapshot gives."""
        self.failure: str | None = None
        self.seq = 0
        self._playing = False
        self._done = asyncio.Event()
        self._lock = asyncio.Lock()
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._courier: Courier | None = None
        self._log = log.bind(exercise_id=request.exercise_id, scenario_id=request.scenario.id)

    # -- the run -----------------------------------------------------------------------------------------

    async def run(self, progress: Progress | None = None) -> LiveResult:
        """Play the drill to its end (or stop); publish its state, write its files; return the scored result."""
        async with AsyncExitStack() as stack:
            try:
                await self._open(stack)
                await self.publish_update(causation=self.request.command_id)
                self._log.info(
                    "drill.started", speed=self.request.speed, bot=self.request.bot, participants=len(self.participants)
                )
                await self._play(progress)
                return await self._finish()
            except asyncio.CancelledError:
                await self._fail(self.stop_reason or "drill host cancelled")
                raise
            except Exception as error:
                await self._fail(_reason(error))
                raise
        raise AssertionError("unreachable")  # pragma: no cover - AsyncExitStack does not swallow exceptions

    async def _open(self, stack: AsyncExitStack) -> None:
        settings, request = self.settings, self.request
        await ensure_drill_topics(settings)
        self._producer = AIOKafkaProducer(
            **client_options(settings.kafka_bootstrap), acks="all", enable_idempotence=True, metadata_max_age_ms=2_000
        )
        await self._producer.start()
        stack.push_async_callback(self._producer.stop)
        if self.organisation is None:
            from infra.district import load_organisation

            self.organisation = load_organisation(settings.district_dir)
        if request.participants is None:
            self.participants = participants_of(request.scenario, self.organisation)
        self.participants = await prepare_participants(
            request.scenario, settings.database_url, self.exercise_id, self.participants
        )
        self._courier = await stack.enter_async_context(
            open_courier(settings, self.exercise_id, self.organisation, self.participants)
        )
        self._consumer = await self._commands_consumer()
        stack.push_async_callback(self._consumer.stop)
        await self.drill.open()
        stack.push_async_callback(self.drill.close)

    async def _commands_consumer(self) -> AIOKafkaConsumer:
        """A consumer of drill-commands without a group, positioned at the end (or just after the StartDrill)."""
        topic = drill_topics(self.settings)[0]
        consumer = AIOKafkaConsumer(
            **client_options(self.settings.kafka_bootstrap),
            group_id=None,
            enable_auto_commit=False,
            metadata_max_age_ms=2_000,
        )
        await consumer.start()
        try:
            await read_from_end(consumer, topic, self.request.start_position)
        except BaseException:
            await consumer.stop()
            raise
        return consumer

    async def _play(self, progress: Progress | None) -> None:
        self._playing = True
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._pump())
            tasks.create_task(self._heartbeat())
            try:
                await self.drill.play(progress)
            finally:
                self._done.set()

    async def _finish(self) -> LiveResult:
        drill, request = self.drill, self.request
        await drill.reject_pending(f"exercise {self.exercise_id} has ended")
        result = drill.result()
        live = LiveResult(
            result,
            score_run(result),
            tuple(self.participants),
            tuple(drill.incidents),
            tuple(drill.rejected),
            tuple(drill.unanswered),
            tuple(drill.messages),
            drill.clock.speed,
            request.bot,
        )
        await self.publish_update()
        stored = await asyncio.to_thread(self._write_files, live)
        await self._emit(DRILL_REPORT_WRITTEN, stored)
        self._log.info(
            "drill.finished",
            reason=drill.ended.reason if drill.ended else None,
            score=live.score.percent,
            directory=str(self.directory),
        )
        return live

    def _write_files(self, live: LiveResult) -> dict[str, str]:
        """Write run.json and the report; return the report as Markdown and self-contained HTML."""
        self.directory.mkdir(parents=True, exist_ok=True)
        data = {
            **result_to_dict(live, self.request.scenario_text),
            "messages": [d.to_dict() for d in self.deliveries],
            "refused": list(self.drill.refused),
        }
        (self.directory / "run.json").write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        markdown, page, image = write_report(live.result, self.directory, score=live.score)
        return {
            "scenario_id": self.request.scenario.id,
            "markdown": markdown.read_text(encoding="utf-8"),
            "html": inline_image(page.read_text(encoding="utf-8"), image),
        }

    async def _fail(self, reason: str) -> None:
        self.failure = reason
        self._done.set()
        self._log.error("drill.failed", reason=reason)
        try:
            await self.publish_update()
        except Exception:
            self._log.exception("drill.failed.unpublished")

    # -- commands and heartbeat --------------------------------------------------------------------------

    async def _pump(self) -> None:
        """Feed this exercise's commands to the drill until it is over."""
        assert self._consumer is not None
        while not self._done.is_set():
            batch = await self._consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    await self._take(record.value)

    async def _take(self, value: bytes | None) -> None:
        try:
            message = json.loads(value or b"")
        except ValueError:
            return
        if not isinstance(message, dict) or message.get("exercise_id") != self.exercise_id:
            return
        if message.get("type") in (START, UPDATE_IMPROVEMENT_ITEM):
            return  # the drill service's business (a repeated start, the plan of a finished run)
        try:
            command = command_from_envelope(message)
        except DrillCommandError as error:
            await self._emit(
                DRILL_COMMAND_REJECTED,
                {"command_id": message.get("id"), "command": message.get("type"), "reason": str(error)},
                causation=str(message.get("id") or "") or None,
            )
            return
        self._log.info("drill.command.received", command_id=command.id, command=command.describe())
        self.drill.submit(command)

    async def _heartbeat(self) -> None:
        while not self._done.is_set():
            try:
                await asyncio.wait_for(self._done.wait(), HEARTBEAT_SECONDS)
            except TimeoutError:
                await self.publish_update()

    # -- hooks of the live drill -------------------------------------------------------------------------

    async def deliver(self, drill: LiveDrill, message: DeliverMessage) -> None:
        """Deliver a message inject through the Dispatcher and keep what became of it for the snapshot."""
        assert self._courier is not None
        try:
            outcome = await self._courier.deliver(message)
        except Exception as error:  # the delivery layer is down: the drill goes on, the controller sees why
            self._log.exception("drill.message.failed", inject_id=message.inject_id)
            outcome = MessageDelivery(message, (), (), (Failure("*", _reason(error)),))
        self.deliveries.append(outcome)

    async def changed(self, drill: LiveDrill, effects: Sequence[Effect]) -> None:
        """Injects moved or messages went out: publish the new state."""
        await self.publish_update()

    async def applied(self, drill: LiveDrill, command: DrillCommand, effects: Sequence[Effect]) -> None:
        """A controller command applied: publish the new state, caused by the command."""
        self._log.info("drill.command.applied", command_id=command.id, command=command.describe())
        await self.publish_update(causation=command.id)

    async def rejected(self, drill: LiveDrill, command: DrillCommand, reason: str) -> None:
        """A controller command did not apply: say why, caused by the command."""
        self._log.info("drill.command.rejected", command_id=command.id, command=command.describe(), reason=reason)
        await self._emit(
            DRILL_COMMAND_REJECTED,
            {"command_id": command.id, "command": command.type, "inject_id": command.inject_id, "reason": reason},
            causation=command.id,
        )

    # -- events ------------------------------------------------------------------------------------------

    def state(self) -> str:
        """running | paused | finished | failed."""
        if self.failure is not None:
            return STATE_FAILED
        if self.drill.run.finished:
            return STATE_FINISHED
        return STATE_PAUSED if self.drill.held else STATE_RUNNING

    def snapshot(self, seq: int) -> dict[str, Any]:
        """The run's whole state: the DrillUpdated payload (ADR 0018)."""
        drill, run, request, scenario = self.drill, self.drill.run, self.request, self.request.scenario
        real = self.clock()
        if run.finished:
            now = run.ended_at or run.now
        elif self._playing:
            now = min(drill.clock.now(real), run.horizon)
        else:
            now = run.start
        state = self.state()
        reason = (
            self.failure
            if state == STATE_FAILED
            else (drill.ended.reason if state == STATE_FINISHED and drill.ended else None)
        )
        return {
            "exercise_id": self.exercise_id,
            "scenario_id": scenario.id,
            "title": scenario.title,
            "state": state,
            "reason": reason,
            "speed": drill.clock.speed,
            "bot": request.bot,
            "seq": seq,
            "started_at": self.started_at.isoformat(),
            "updated_at": real.isoformat(),
            "scenario_start": run.start.isoformat(),
            "scenario_now": now.isoformat(),
            "elapsed_seconds": (now - run.start).total_seconds(),
            "end_seconds": scenario.end.total_seconds(),
            "objectives": [{"id": o.id, "title": o.title} for o in scenario.objectives],
            "units": list(scenario.units),
            "unit_names": {u: scenario.unit_name(u) for u in scenario.units},
            "participants": list(self.participants),
            "incidents": [i for i in drill.incidents if i],
            "injects": [_inject(i) for i in run.states()],
            "messages": [d.to_dict() for d in self.deliveries],
            "rejected": [*drill.rejected, *drill.refused],
            "unanswered": list(drill.unanswered),
            "requested_by": dict(request.requested_by),
            "awaiting_facilitator": run.awaiting_facilitator,
            "discussion": run.discussion.snapshot() if scenario.phases else None,
            **self._scored(),
        }

    def _scored(self) -> dict[str, Any]:
        """The score and the improvement plan once the run is over (both null before)."""
        run = self.drill.run
        if not run.finished:
            return {"score": None, "improvement_plan": None}
        result = run.result()
        score = score_run(result)
        plan = improvement_plan(result.scenario, score, result.ended_at.date())
        return {"score": score.to_dict(), "improvement_plan": [i.to_dict() for i in plan]}

    async def publish_update(self, causation: str | None = None) -> None:
        """Publish a DrillUpdated snapshot with the next seq."""
        async with self._lock:
            self.seq += 1
            await self._send(DRILL_UPDATED, self.snapshot(self.seq), causation)

    async def _emit(self, kind: DrillEventType, payload: Mapping[str, Any], causation: str | None = None) -> None:
        async with self._lock:
            await self._send(kind, payload, causation)

    async def _send(self, kind: DrillEventType, payload: Mapping[str, Any], causation: str | None) -> None:
        if self._producer is None:
            raise RuntimeError(f"drill host of {self.exercise_id} is not connected to Kafka")
        await publish_drill_event(
            self._producer, self.settings, kind, self.exercise_id, payload, self.clock(), causation
        )


def _inject(status: Any) -> dict[str, Any]:
    return {
        "id": status.id,
        "title": status.title,
        "type": status.type,
        "delivery": status.delivery,
        "at_seconds": status.at.total_seconds() if status.at is not None else None,
        "state": status.state,
        "executed_at": _iso(status.executed_at),
        "fire_at": _iso(status.fire_at),
        "note": status.note,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _reason(error: BaseException) -> str:
    if isinstance(error, BaseExceptionGroup) and error.exceptions:
        return _reason(error.exceptions[0])
    return f"{type(error).__name__}: {error}"


def inline_image(page: str, image: Path) -> str:
    """The report page with its chart image inlined as a data: URI, so the HTML stands alone."""
    mime = "image/svg+xml" if image.suffix == ".svg" else "image/png"
    uri = f"data:{mime};base64,{base64.b64encode(image.read_bytes()).decode('ascii')}"
    return page.replace(f'src="{html.escape(image.name)}"', f'src="{uri}"')
