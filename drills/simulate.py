"""A drill without Kafka: the pure runner, player bots, and the real incident aggregate in memory.

For demos (`tocsin drill score-demo`) and tests. Real time is simulated and converted through a
`ScenarioClock`, so a run at 1× and at 600× differ only in how often the driver ticks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from drills.bots import PlayerAction, bot_actions, bot_discussion, check_behaviour
from drills.clock import ScenarioClock
from drills.effects import Effect, PhaseChanged, PublishReport
from drills.model import Scenario
from drills.observations import ACKNOWLEDGED, COMPLETED, PLANNED, ActionObserved, IncidentObserved, Observation
from drills.result import RunResult
from drills.runner import DrillRun
from infra.wire import EventType, WireError
from infra.wire.incident import command_from_payload
from infra.wire.report import ReportIn
from playbooks import Level, PlaybookLibrary, load_library
from playbooks.commands import ReceiveReport
from playbooks.events import Event
from playbooks.handlers import CommandRefused, Context, handle, receive_report
from playbooks.incident import Incident
from playbooks.response import ItemStatus

REAL_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""The simulated real clock starts here (any moment would do)."""
DEFAULT_START = datetime(2026, 11, 30, 8, 0, tzinfo=timezone(timedelta(hours=8)))
"""T+0 when neither the caller nor the scenario names one."""


class SimulatedPlatform:
    """The incident pipeline in memory: reports and commands go through the real incident aggregate."""

    def __init__(self, library: PlaybookLibrary, incident_type: str) -> None:
        self.library, self.incident_type = library, incident_type
        self.incidents: dict[str, Incident] = {}
        self.rejected: list[str] = []

    def publish(self, report: Mapping[str, Any], at: datetime) -> list[Observation]:
        """Receive an inject's report at `at`, as the intake, correlation and incident agents would."""
        domain = ReportIn.model_validate(dict(report)).to_domain()
        incident = self.incidents.get(domain.correlation_key)
        incident_id = incident.id if incident else f"INC-{len(self.incidents) + 1}"
        ctx = Context(self.library.get(domain.incident_type), at)
        outcome = receive_report(incident, incident_id, ReceiveReport(report=domain), ctx)
        self.incidents[domain.correlation_key] = outcome.incident
        return _observations(outcome.incident, outcome.events)

    def act(self, action: PlayerAction) -> list[Observation]:
        """Apply a player's command, as the API and incident agent would; a rejection is recorded."""
        incident = self._incident_for(action)
        if incident is None:
            self.rejected.append(f"{action.expectation_id}: no incident has step {action.action_key!r}")
            return []
        if action.level is not None and incident.level >= Level.parse(action.level):
            return []
        live = [
            k
            for k in (action.action_key, *action.alternatives)
            if k in incident.items and incident.items[k].status is not ItemStatus.SUPERSEDED
        ]
        action = action.on(live[0]) if live else action
        actor = {"user": f"bot:{action.unit}", "roles": ["commander"], "unit": action.unit}
        ctx = Context(self.library.get(incident.incident_type), action.at)
        try:
            command = command_from_payload(action.command, {**action.payload(), "actor": actor})
            outcome = handle(incident, command, ctx)
        except (WireError, CommandRefused) as error:
            self.rejected.append(f"{action.expectation_id}: {error}")
            return []
        return _observations(incident, outcome.events)

    def _incident_for(self, action: PlayerAction) -> Incident | None:
        mine = [i for i in self.incidents.values() if i.incident_type == self.incident_type]
        if action.action_key is None:
            return mine[0] if mine else None
        keys = (action.action_key, *action.alternatives)
        return next((i for i in mine if any(k in i.items for k in keys)), None)


def _observations(incident: Incident, events: Iterable[Event]) -> list[Observation]:
    found: list[Observation] = []
    for event in events:
        data = event.to_data()
        if event.type == EventType.LEVEL_CHANGED:
            found.append(IncidentObserved(incident.id, data["to"], incident.status, event.at))
        elif event.type == EventType.INCIDENT_CLOSED:
            found.append(IncidentObserved(incident.id, incident.level.value, "closed", event.at))
        elif event.type == EventType.ACTIONS_PLANNED:
            found += [
                ActionObserved(i["key"], PLANNED, event.at, unit=i["owner"], incident_id=incident.id)
                for i in data["items"]
            ]
        elif event.type == EventType.ACTION_UPDATED and data["change"] in (ACKNOWLEDGED, COMPLETED):
            found.append(
                ActionObserved(
                    data["key"],
                    data["change"],
                    event.at,
                    unit=data["item"]["owner"],
                    incident_id=incident.id,
                    by=data.get("by"),
                )
            )
    return found


class Driver:
    """Feeds a run in scenario-time order: inject effects to the platform, bot actions, observations back."""

    def __init__(self, run: DrillRun, platform: SimulatedPlatform, behaviour: str) -> None:
        self.run, self.platform, self.behaviour = run, platform, check_behaviour(behaviour)
        self.taken: set[str] = set()
        self.jump_to: datetime | None = None
        """Set when the bot facilitator opened a phase: the scenario clock jumps to its start."""

    def advance(self, now: datetime) -> None:
        """Process everything due up to scenario moment `now`, earliest first (bot actions before injects)."""
        run = self.run
        while not run.finished:
            action = self._next_action(min(now, run.horizon))
            due = run.next_due()
            if action is not None and (due is None or action.at <= due):
                self.taken.add(action.expectation_id)
                for seen in self.platform.act(action):
                    run.observe(seen)
            elif due is not None and due <= now:
                self.perform(run.tick(due))
            elif run.awaiting_facilitator:
                self.jump_to = phase_begins(facilitate(run, self.behaviour))
                return
            else:
                break
        self.perform(run.tick(now))

    def perform(self, effects: Iterable[Effect]) -> None:
        """Carry out the runner's effects: reports go to the simulated platform; messages need nothing."""
        for effect in effects:
            if isinstance(effect, PublishReport):
                for seen in self.platform.publish(effect.report, effect.at):
                    self.run.observe(seen)

    def _next_action(self, limit: datetime) -> PlayerAction | None:
        pending = [
            a
            for a in bot_actions(self.behaviour, self.run.windows())
            if a.expectation_id not in self.taken and a.at <= limit
        ]
        return pending[0] if pending else None


def phase_begins(effects: Iterable[Effect]) -> datetime | None:
    """When the phase a PhaseChanged among `effects` opened begins (the scenario clock jumps there), else None."""
    return next((e.begins for e in effects if isinstance(e, PhaseChanged)), None)


def facilitate(run: DrillRun, behaviour: str) -> list[Effect]:
    """Bots discuss the phase in play (answers and ratings), then the bot facilitator closes it; its effects."""
    phase = run.discussion.phase
    assert phase is not None, "only a phased scenario awaits its facilitator"
    answers, ratings = bot_discussion(behaviour, run.scenario, phase.id, run.now)
    for answer in answers:
        run.answer(answer)
    for rating in ratings:
        run.rate(rating)
    return run.advance_phase(phase.id, run.now)


@dataclass(frozen=True)
class Simulation:
    """A simulated run's result, and the player commands the platform refused (a scenario bug if any)."""

    result: RunResult
    rejected: tuple[str, ...] = field(default_factory=tuple)


def simulate(  # noqa: PLR0913 - the simulation's options, keyword-only
    scenario: Scenario,
    behaviour: str,
    *,
    library: PlaybookLibrary | None = None,
    speed: float = 60.0,
    step: timedelta = timedelta(seconds=1),
    scenario_start: datetime | None = None,
    exercise_id: str | None = None,
) -> Simulation:
    """Run a scenario with a bot on a simulated real clock stepping by `step` at `speed`; no Kafka, no I/O."""
    start = scenario_start or scenario.start or DEFAULT_START
    run = DrillRun(scenario, exercise_id or f"demo-{scenario.id}-{behaviour}", start)
    platform = SimulatedPlatform(library if library is not None else load_library(), scenario.incident_type)
    driver = Driver(run, platform, behaviour)
    clock = ScenarioClock(REAL_EPOCH, speed, start)
    real = REAL_EPOCH
    for _ in range(math.ceil(scenario.end / (step * speed)) + 2 + 2 * len(scenario.phases)):
        if run.finished:
            break
        real += step
        driver.advance(clock.now(real))
        if driver.jump_to is not None:
            clock.jump(driver.jump_to, real)
            driver.jump_to = None
    return Simulation(run.result(), tuple(platform.rejected))
