"""The live drill driver: plays a scenario through the real pipeline (Kafka, worker, SQL DB) on a scenario clock.

It performs the pure runner's effects (ADR 0013) against the real topics and feeds what the platform does back
as observations. Scoring depends on scenario times only (ADR 0015):

- the driver works through the scenario in scenario-time order — the runner's due moments and the bot's actions —
  and after each step it pauses the scenario clock until the platform's answer (the events the step caused) is
  back, so conditions and the bot always see the same state at the same scenario moment, at 1× or at 600×;
- an event caused by the driver (matched by its `causation`: the ReceiveReport of an inject's report, or a bot's
  command) is observed at the scenario moment of its cause, never at the worker's wall-clock stamp;
- an event nobody of ours caused (a human player acting through the API or console) is observed at the scenario
  moment it is read.

Controller commands (drills/control.py, ADR 0018) are queued with `submit` and applied between steps, never
during one: while the drill waits for its next due moment, or while the controller has it paused. A step's own
pause of the clock never undoes the controller's.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from drills.bots import PlayerAction, bot_actions, check_behaviour
from drills.clock import PAUSED, RUNNING, ClockError, ScenarioClock
from drills.control import DrillCommand, apply_command
from drills.effects import DeliverMessage, Effect, ExerciseEnded, InjectStateChanged, PhaseChanged, PublishReport
from drills.model import Scenario
from drills.observations import ACKNOWLEDGED, COMPLETED, PLANNED, ActionObserved, IncidentObserved, Observation
from drills.result import RunResult
from drills.runner import DrillCommandError, DrillRun
from drills.scoring import Score, score_run
from drills.simulate import DEFAULT_START, facilitate, phase_begins
from drills.stored import discussion_from_dict, discussion_to_dict
from infra.db.engine import Database
from infra.db.migrate import upgrade
from infra.kafka.reading import read_from_end
from infra.kafka.security import client_options
from infra.notify.stores import register_participants
from infra.wire import Envelope, EventType, WireError, stable_id
from playbooks.levels import Level
from playbooks.organisation import Organisation
from playbooks.response import ItemStatus

Progress = Callable[["LiveDrill"], None]
"""Called after every step of the drill (and while waiting), with the driver, for a live view."""
Clock = Callable[[], datetime]

BOT_ROLES = ("commander", "duty_officer", "unit_leader")


def wall_clock() -> datetime:
    """The real clock (the driver's only source of real time; tests inject another)."""
    return datetime.now(UTC)


def participants_of(scenario: Scenario, organisation: Organisation) -> list[str]:
    """The people of the scenario's participating units."""
    found: list[str] = []
    for unit in scenario.units:
        try:
            people = organisation.people_in(unit)
        except Exception:
            continue
        found += [p.id for p in people if p.id not in found]
    return found


class DrillHooks:
    """What a host does around a live drill (deliver messages, publish its state); every hook does nothing here."""

    async def deliver(self, drill: LiveDrill, message: DeliverMessage) -> None:
        """Deliver a message inject to its receivers (called inside the step, with the scenario clock paused)."""

    async def changed(self, drill: LiveDrill, effects: Sequence[Effect]) -> None:
        """Injects changed state or messages went out during a step of the drill."""

    async def applied(self, drill: LiveDrill, command: DrillCommand, effects: Sequence[Effect]) -> None:
        """A controller command was applied (its effects performed)."""

    async def rejected(self, drill: LiveDrill, command: DrillCommand, reason: str) -> None:
        """A controller command did not apply, for `reason`."""


@dataclass(frozen=True)
class LiveResult:
    """A live run's result and score, with what the platform did with the driver's commands."""

    result: RunResult
    score: Score
    participants: tuple[str, ...]
    incidents: tuple[str, ...]
    rejected: tuple[str, ...] = ()
    unanswered: tuple[str, ...] = ()
    messages: tuple[DeliverMessage, ...] = ()
    speed: float = 60.0
    bot: str | None = None

    @property
    def exercise_id(self) -> str:
        """The exercise id."""
        return self.result.exercise_id


@dataclass
class _Incident:
    level: str = "non_graded"
    status: str = "active"
    seq: int = 0
    items: dict[str, str] = field(default_factory=dict)  # step key -> status


class LiveDrill:
    """One live run. Use `run_live` unless you need the driver object (e.g. for controller commands)."""

    def __init__(  # noqa: PLR0913 - the run's options, keyword-only
        self,
        scenario: Scenario,
        *,
        bootstrap: str,
        topic_prefix: str,
        exercise_id: str,
        speed: float,
        bot: str | None,
        clock: Clock = wall_clock,
        scenario_start: datetime | None = None,
        settle: float = 0.4,
        answer_timeout: float = 20.0,
        hooks: DrillHooks | None = None,
    ) -> None:
        self.scenario, self.bootstrap, self.prefix = scenario, bootstrap, topic_prefix
        self.exercise_id, self.bot = exercise_id, check_behaviour(bot) if bot else None
        self.real = clock
        self.start = scenario_start or scenario.start or DEFAULT_START
        self.run = DrillRun(scenario, exercise_id, self.start)
        self.speed = speed
        self.clock = ScenarioClock(clock(), speed, self.start)  # restarted when play begins
        self.settle, self.answer_timeout = settle, answer_timeout
        self.incidents: dict[str, _Incident] = {}
        self.causes: dict[str, datetime] = {}  # command id -> scenario moment of what caused it
        self.reports: dict[str, datetime] = {}  # accepted id of a published report -> its scenario moment
        self.answered: set[str] = set()  # causes that have produced at least one event
        self.rejected: list[str] = []
        self.unanswered: list[str] = []
        self.messages: list[DeliverMessage] = []
        self.changes: list[InjectStateChanged] = []
        self.taken: set[str] = set()
        self.hooks = hooks or DrillHooks()
        self.commands: asyncio.Queue[DrillCommand] = asyncio.Queue()
        self.held = False  # paused by the controller (not just for a step)
        self.refused: list[str] = []  # controller commands that did not apply, with the reason
        self.ended: ExerciseEnded | None = None
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None

    def topic(self, name: str) -> str:
        """A platform topic under the prefix."""
        return f"{self.prefix}{name}"

    def scenario_now(self) -> datetime:
        """The scenario moment now."""
        return self.clock.now(self.real())

    def submit(self, command: DrillCommand) -> None:
        """Queue a controller command; it is applied between steps, in order."""
        self.commands.put_nowait(command)

    async def reject_pending(self, reason: str) -> None:
        """Refuse every queued command with `reason` (the drill is over and nobody will apply them)."""
        while not self.commands.empty():
            command = self.commands.get_nowait()
            self.refused.append(f"{command.describe()}: {reason}")
            await self.hooks.rejected(self, command, reason)

    async def open(self) -> None:
        """Connect; the events are read from their end offsets as of now (before the first publish)."""
        self._producer = AIOKafkaProducer(
            **client_options(self.bootstrap), acks="all", enable_idempotence=True, metadata_max_age_ms=2_000
        )
        await self._producer.start()
        consumer = AIOKafkaConsumer(
            **client_options(self.bootstrap), group_id=None, enable_auto_commit=False, metadata_max_age_ms=2_000
        )
        await consumer.start()
        self._consumer = consumer
        topic = self.topic("incident-events")
        try:
            await read_from_end(consumer, topic)
        except RuntimeError:
            raise RuntimeError(
                f"topic {topic} does not exist: is the worker running with prefix {self.prefix!r}?"
            ) from None

    async def close(self) -> None:
        """Disconnect."""
        if self._producer is not None:
            await self._producer.stop()
        if self._consumer is not None:
            await self._consumer.stop()

    async def play(self, progress: Progress | None = None) -> None:
        """Play the scenario to its end, in scenario-time order."""
        run = self.run
        self.clock = ScenarioClock(self.real(), self.speed, self.start)
        self.held = False
        while not run.finished:
            await self._read(0)
            if self.held:  # paused by the controller: read events and commands, fire nothing
                if not await self._control():
                    await self._read(0.2)
            else:
                await self._step()
            if progress is not None:
                progress(self)
        if progress is not None:
            progress(self)

    def result(self) -> RunResult:
        """The run's result so far."""
        return self.run.result()

    async def _step(self) -> None:
        """Do the next thing due (a bot action or the runner's tick), else apply commands or wait."""
        run = self.run
        now = min(self.scenario_now(), run.horizon)
        action = self._next_action(now)
        due = run.next_due()
        if action is not None and (due is None or action.at <= due):
            self.taken.add(action.expectation_id)
            await self._paused(self._act(action))
        elif due is not None and due <= now:
            effects = run.tick(due)
            await self._paused(self._perform(effects))
        elif run.awaiting_facilitator and self.bot is not None:
            await self._paused(self._facilitate(self.bot))
        elif not await self._control():
            await self._wait(due)

    async def _facilitate(self, bot: str) -> None:
        """The bots discuss the phase in play and the bot facilitator closes it (the clock jumps to the next)."""
        effects = facilitate(self.run, bot)
        begins = phase_begins(effects)
        if begins is not None:
            self.clock.jump(begins, self.real())
        await self._perform(effects)

    async def _control(self) -> bool:
        """Apply the queued controller commands, in order; return whether there were any."""
        if self.commands.empty():
            return False
        while not self.commands.empty():
            await self._apply(self.commands.get_nowait())
        return True

    async def _apply(self, command: DrillCommand) -> None:
        real = self.real()
        try:
            effects = apply_command(
                self.run,
                self.clock,
                command.type,
                command.payload,
                real_now=real,
                scenario_now=min(self.clock.now(real), self.run.horizon),
                command_id=command.id,
            )
        except (DrillCommandError, ClockError) as error:
            self.refused.append(f"{command.describe()}: {error}")
            await self.hooks.rejected(self, command, str(error))
            return
        self.held, self.speed = self.clock.state == PAUSED, self.clock.speed
        await self._paused(self._perform(effects, notify=False))
        await self.hooks.applied(self, command, effects)

    async def _paused(self, step: Any) -> None:
        """Run a step with the scenario clock paused, so the platform's answer takes no scenario time.

        Only a clock this step paused is resumed: a clock the controller paused (or stopped) stays so.
        """
        mine = self.clock.state == RUNNING
        if mine:
            self.clock.pause(self.real())
        try:
            await step
        finally:
            if mine and self.clock.state == PAUSED and not self.held:
                self.clock.resume(self.real())

    async def _wait(self, due: datetime | None) -> None:
        upcoming = [t for t in (due, *(a.at for a in self._pending())) if t is not None]
        target = self.clock.real_time_at(min(upcoming)) if upcoming else None
        seconds = 0.2 if target is None else (target - self.real()).total_seconds()
        await self._read(max(0.0, min(seconds, 0.2)))

    def _pending(self) -> list[PlayerAction]:
        if self.bot is None:
            return []
        return [a for a in bot_actions(self.bot, self.run.windows()) if a.expectation_id not in self.taken]

    def _next_action(self, limit: datetime) -> PlayerAction | None:
        pending = [a for a in self._pending() if a.at <= limit]
        return pending[0] if pending else None

    async def _perform(self, effects: Iterable[Effect], *, notify: bool = True) -> None:
        done = list(effects)
        for effect in done:
            if isinstance(effect, PublishReport):
                await self._publish(effect)
            elif isinstance(effect, DeliverMessage):
                self.messages.append(effect)
                await self.hooks.deliver(self, effect)
            elif isinstance(effect, InjectStateChanged):
                self.changes.append(effect)
            elif isinstance(effect, ExerciseEnded):
                self.ended = effect
        if notify and any(
            isinstance(e, InjectStateChanged | DeliverMessage | PhaseChanged | ExerciseEnded) for e in done
        ):
            await self.hooks.changed(self, done)

    async def _publish(self, effect: PublishReport) -> None:
        assert self._producer is not None
        topic = self.topic("reports")
        body = json.dumps(dict(effect.report), ensure_ascii=False).encode()
        sent = await self._producer.send_and_wait(topic, body, key=str(effect.report["report_id"]).encode())
        accepted = stable_id("accepted", f"{sent.topic}:{sent.partition}:{sent.offset}")
        self.reports[accepted] = effect.at
        await self._await_answer(accepted, f"report of inject {effect.inject_id}")

    async def _act(self, action: PlayerAction) -> None:
        """Send the bot's command to the incident's writer; its effects are observed at `action.at`."""
        assert self._producer is not None
        incident_id = self._incident_for(action)
        if incident_id is None:
            self.rejected.append(f"{action.expectation_id}: no incident has step {action.action_key!r}")
            return
        state = self.incidents[incident_id]
        if (
            action.level is not None
            and state.level != "non_graded"
            and Level.parse(state.level) >= Level.parse(action.level)
        ):
            return
        live = [
            k
            for k in (action.action_key, *action.alternatives)
            if k is not None and k in state.items and state.items[k] != ItemStatus.SUPERSEDED
        ]
        action = action.on(live[0]) if live else action
        command_id = str(uuid.uuid4())
        self.causes[command_id] = action.at
        payload = {
            **action.payload(),
            "actor": {"user": "bot", "roles": list(BOT_ROLES), "unit": action.unit, "ip": None},
        }
        command = Envelope.new(
            action.command,
            at=action.at,
            mode="exercise",
            payload=payload,
            causation=f"drill:{self.exercise_id}:{action.expectation_id}",
            exercise_id=self.exercise_id,
            incident_id=incident_id,
            id_=command_id,
        )
        await self._producer.send_and_wait(self.topic("incident-commands"), command.to_json(), key=incident_id.encode())
        await self._await_answer(command_id, f"{action.command} for {action.expectation_id}")

    def _incident_for(self, action: PlayerAction) -> str | None:
        if action.action_key is None:
            return next(iter(self.incidents), None)
        keys = (action.action_key, *action.alternatives)
        return next((i for i, s in self.incidents.items() if any(k in s.items for k in keys)), None)

    async def _await_answer(self, cause: str, what: str) -> None:
        """Read events until `cause` has produced one, then until the platform is quiet for `settle` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.answer_timeout
        while cause not in self.answered:
            if loop.time() >= deadline:
                self.unanswered.append(what)
                return
            await self._read(0.2)
        quiet_until = loop.time() + self.settle
        while loop.time() < quiet_until:
            if await self._read(quiet_until - loop.time()):
                quiet_until = loop.time() + self.settle

    async def _read(self, timeout: float) -> int:  # noqa: ASYNC109
        """Read available incident events (waiting up to `timeout` s); return how many were this exercise's."""
        assert self._consumer is not None
        batch = await self._consumer.getmany(timeout_ms=int(timeout * 1000))
        mine = 0
        for records in batch.values():
            for record in records:
                try:
                    event = Envelope.from_json(record.value or b"")
                except WireError:
                    continue
                if event.exercise_id == self.exercise_id:
                    mine += 1
                    self._take(event)
        return mine

    def _cause_of(self, event: Envelope) -> tuple[str | None, datetime | None]:
        causation, incident_id = event.causation or "", event.incident_id or ""
        if causation in self.causes:
            return causation, self.causes[causation]
        for accepted, at in self.reports.items():
            if stable_id("receive", accepted, incident_id) == causation:
                return accepted, at
        return None, None

    def _take(self, event: Envelope) -> None:
        cause, at = self._cause_of(event)
        if cause is not None:
            self.answered.add(cause)
        payload = event.payload
        data, snapshot = payload.get("event") or {}, payload.get("incident") or {}
        incident_id = str(event.incident_id or snapshot.get("id") or "")
        state = self.incidents.setdefault(incident_id, _Incident())
        seq = int(payload.get("seq") or 0)
        if seq >= state.seq:
            state.seq, state.level = seq, str(snapshot.get("level") or state.level)
            state.status = str(snapshot.get("status") or state.status)
        kind = event.type
        if kind == EventType.ACTIONS_PLANNED:
            for item in data.get("items", []):
                state.items[item["key"]] = item.get("status", "pending")
        elif kind == EventType.ACTION_UPDATED:
            state.items[str(data["key"])] = str((data.get("item") or {}).get("status") or data.get("change"))
        elif kind == EventType.COMMAND_REJECTED:
            self.rejected.append(f"{data.get('command')}: {data.get('reason')}")
        moment = at if at is not None else min(self.scenario_now(), self.run.horizon)
        for seen in observations(event, moment):
            self.run.observe(seen)


def observations(event: Envelope, at: datetime) -> list[Observation]:
    """What an incident event tells the runner, at scenario moment `at`."""
    payload = event.payload
    data, snapshot = payload.get("event") or {}, payload.get("incident") or {}
    incident_id = str(event.incident_id or snapshot.get("id") or "")
    kind = event.type
    if kind == EventType.LEVEL_CHANGED:
        return [IncidentObserved(incident_id, str(data["to"]), str(snapshot.get("status") or "active"), at)]
    if kind == EventType.INCIDENT_CLOSED:
        return [IncidentObserved(incident_id, str(snapshot.get("level") or "non_graded"), "closed", at)]
    if kind == EventType.ACTIONS_PLANNED:
        return [
            ActionObserved(i["key"], PLANNED, at, unit=i.get("owner"), incident_id=incident_id)
            for i in data.get("items", [])
        ]
    if kind == EventType.ACTION_UPDATED and data.get("change") in (ACKNOWLEDGED, COMPLETED):
        return [
            ActionObserved(
                str(data["key"]),
                str(data["change"]),
                at,
                unit=(data.get("item") or {}).get("owner"),
                incident_id=incident_id,
                by=data.get("by"),
            )
        ]
    return []


async def prepare_participants(
    scenario: Scenario,
    database_url: str,
    exercise_id: str,
    participants: Sequence[str] | None = None,
    organisation: Organisation | None = None,
) -> list[str]:
    """Register the exercise's participants where the notifier reads them; return them.

    `participants` if given, else the people of the scenario's units in `organisation` (default: the configured
    district). The database is migrated first (idempotent).
    """
    if participants is None:
        if organisation is None:
            from infra.district import load_organisation
            from infra.settings import Settings

            organisation = load_organisation(Settings().district_dir)
        participants = participants_of(scenario, organisation)
    await upgrade(database_url)  # idempotent; a fresh database gets the platform's schema
    db = Database(database_url)
    try:
        await register_participants(db, exercise_id, list(participants))
    finally:
        await db.dispose()
    return list(participants)


async def run_live(  # noqa: PLR0913 - the run's options, keyword-only
    scenario: Scenario,
    *,
    bootstrap: str,
    topic_prefix: str,
    database_url: str,
    speed: float = 60.0,
    bot: str | None = None,
    exercise_id: str | None = None,
    participants: Sequence[str] | None = None,
    organisation: Organisation | None = None,
    progress: Progress | None = None,
    clock: Clock = wall_clock,
    scenario_start: datetime | None = None,
    settle: float = 0.4,
) -> LiveResult:
    """Play `scenario` through the platform at `speed` with an optional player bot; return the scored result.

    Participants: `participants` if given, else the people of the scenario's units in `organisation` (default:
    the configured district). They are registered before the first report, so the notifier delivers the
    drill's messages to them only; everyone else's go to the exercise sink.
    """
    exercise = exercise_id or f"EX-{scenario.id}-{clock():%Y%m%d%H%M%S}"
    participants = await prepare_participants(scenario, database_url, exercise, participants, organisation)
    drill = LiveDrill(
        scenario,
        bootstrap=bootstrap,
        topic_prefix=topic_prefix,
        exercise_id=exercise,
        speed=speed,
        bot=bot,
        clock=clock,
        scenario_start=scenario_start,
        settle=settle,
    )
    await drill.open()
    try:
        await drill.play(progress)
    finally:
        await drill.close()
    result = drill.result()
    return LiveResult(
        result,
        score_run(result),
        tuple(participants),
        tuple(drill.incidents),
        tuple(drill.rejected),
        tuple(drill.unanswered),
        tuple(drill.messages),
        speed,
        bot,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _time(text: Any) -> datetime | None:
    return datetime.fromisoformat(str(text)) if text else None


def result_to_dict(live: LiveResult, scenario_text: str) -> dict[str, Any]:
    """The stored form of a live run (`run.json`): enough to re-render the report without the platform."""
    result = live.result
    observed: list[dict[str, Any]] = []
    for seen in result.observations:
        if isinstance(seen, IncidentObserved):
            observed.append(
                {
                    "kind": "incident",
                    "incident_id": seen.incident_id,
                    "level": seen.level,
                    "status": seen.status,
                    "at": seen.at.isoformat(),
                }
            )
        else:
            observed.append(
                {
                    "kind": "action",
                    "action_key": seen.action_key,
                    "change": seen.change,
                    "at": seen.at.isoformat(),
                    "unit": seen.unit,
                    "incident_id": seen.incident_id,
                    "by": seen.by,
                }
            )
    return {
        "v": 1,
        "exercise_id": result.exercise_id,
        "scenario_id": result.scenario.id,
        "scenario_text": scenario_text,
        "scenario_start": result.scenario_start.isoformat(),
        "ended_at": result.ended_at.isoformat(),
        "speed": live.speed,
        "bot": live.bot,
        "participants": list(live.participants),
        "incidents": list(live.incidents),
        "rejected": list(live.rejected),
        "unanswered": list(live.unanswered),
        "injects": [
            {
                "id": i.id,
                "title": i.title,
                "type": i.type,
                "delivery": i.delivery,
                "at": i.at.total_seconds() if i.at is not None else None,
                "state": i.state,
                "executed_at": _iso(i.executed_at),
                "fire_at": _iso(i.fire_at),
                "note": i.note,
            }
            for i in result.injects
        ],
        "windows": [
            {"expectation": w.expectation.id, "anchor_at": _iso(w.anchor_at), "due_at": _iso(w.due_at)}
            for w in result.windows
        ],
        "observations": observed,
        "log": [{"at": e.at.isoformat(), "kind": e.kind, "subject": e.subject, "text": e.text} for e in result.log],
        "discussion": discussion_to_dict(result.discussion),
        "score": live.score.to_dict(),
    }


def result_from_dict(data: dict[str, Any], library: Any = None) -> RunResult:
    """Rebuild a stored run's result (the scenario is re-parsed from the stored text)."""
    from datetime import timedelta

    from drills.result import InjectStatus, LogEntry, Window
    from drills.scenario import parse_scenario
    from playbooks import load_library

    scenario = parse_scenario(
        str(data["scenario_text"]), f"{data['scenario_id']}.yaml", library if library is not None else load_library()
    )
    expectations = {e.id: e for e in scenario.expectations()}
    observed: list[Observation] = []
    for o in data["observations"]:
        at = datetime.fromisoformat(o["at"])
        if o["kind"] == "incident":
            observed.append(IncidentObserved(o["incident_id"], o["level"], o["status"], at))
        else:
            observed.append(
                ActionObserved(
                    o["action_key"],
                    o["change"],
                    at,
                    unit=o.get("unit"),
                    incident_id=o.get("incident_id"),
                    by=o.get("by"),
                )
            )
    return RunResult(
        scenario,
        str(data["exercise_id"]),
        datetime.fromisoformat(data["scenario_start"]),
        datetime.fromisoformat(data["ended_at"]),
        tuple(
            InjectStatus(
                i["id"],
                i["title"],
                i["type"],
                i["delivery"],
                timedelta(seconds=i["at"]) if i["at"] is not None else None,
                i["state"],
                _time(i["executed_at"]),
                _time(i["fire_at"]),
                i["note"],
            )
            for i in data["injects"]
        ),
        tuple(
            Window(expectations[w["expectation"]], _time(w["anchor_at"]), _time(w["due_at"])) for w in data["windows"]
        ),
        tuple(observed),
        tuple(LogEntry(datetime.fromisoformat(e["at"]), e["kind"], e["subject"], e["text"]) for e in data["log"]),
        discussion_from_dict(data.get("discussion") or {}),
    )
