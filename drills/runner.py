"""The drill runner's pure core: the MSEL as a state machine driven by scenario time and fed observations.

`tick(now)` fires every inject due up to `now`, in scenario-time order, each at its own scheduled moment, so
the outcome does not depend on how often or how late the driver ticks (1× or 600×). Commands and
observations change state; every call returns the effects the driver must perform (see effects.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta

from drills.discussion import Answer, Discussion, Rating
from drills.effects import DeliverMessage, Effect, ExerciseEnded, InjectStateChanged, PhaseChanged, PublishReport
from drills.errors import DrillCommandError as DrillCommandError
from drills.model import Condition, Expectation, IncidentCondition, Inject, InjectCondition, Scenario
from drills.observations import ACKNOWLEDGED, COMPLETED, IncidentObserved, Observation, first_met
from drills.result import (
    CANCELLED,
    EXECUTED,
    INJECT_TRANSITIONS,
    ON_HOLD,
    SCHEDULED,
    InjectStatus,
    LogEntry,
    RunResult,
    Window,
)
from playbooks.levels import Level


@dataclass
class _State:
    status: str
    released_at: datetime | None = None
    executed_at: datetime | None = None
    cancelled_at: datetime | None = None
    note: str = ""


def report_id(exercise_id: str, inject_id: str) -> str:
    """The deterministic report id of an inject in an exercise (a re-publish deduplicates)."""
    return f"{exercise_id}:{inject_id}"


class DrillRun:
    """One run of a scenario as exercise `exercise_id`, T+0 at `scenario_start` on the scenario clock."""

    def __init__(self, scenario: Scenario, exercise_id: str, scenario_start: datetime) -> None:
        self.scenario, self.exercise_id, self.start = scenario, exercise_id, scenario_start
        self.end_at = scenario_start + scenario.end
        self.now = scenario_start
        self.ended_at: datetime | None = None
        self.observations: list[Observation] = []
        self.log: list[LogEntry] = []
        self._states = {i.id: _State(ON_HOLD if i.delivery == "manual" else SCHEDULED) for i in scenario.injects}
        self._expectations = {e.id: e for e in scenario.expectations()}
        self.discussion = Discussion(scenario, scenario_start)

    @property
    def horizon(self) -> datetime:
        """How far scenario time may go now: the end of the phase in play, else the end of the scenario."""
        return self.discussion.horizon or self.end_at

    @property
    def awaiting_facilitator(self) -> bool:
        """True when the phase in play has reached its end and only the facilitator can move the exercise on."""
        return bool(self.scenario.phases) and not self.finished and self.now >= self.horizon

    @property
    def finished(self) -> bool:
        """True once the scenario reached its end or the controller stopped it."""
        return self.ended_at is not None

    def states(self) -> list[InjectStatus]:
        """The live inject list, in MSEL order."""
        return [
            InjectStatus(
                i.id,
                i.title,
                i.type,
                i.delivery,
                i.at,
                s.status,
                s.executed_at,
                self._fire_time(i) if s.status == SCHEDULED else None,
                s.note,
            )
            for i, s in ((i, self._states[i.id]) for i in self.scenario.injects)
        ]

    def windows(self) -> list[Window]:
        """Every expected action's window (unanchored ones have no times yet)."""
        return [self._window(e) for e in self._expectations.values()]

    def next_due(self) -> datetime | None:
        """The earliest scenario moment at which `tick` has something to do; None once finished."""
        if self.finished or self.awaiting_facilitator:
            return None
        horizon = self.horizon
        times = [
            t
            for i in self.scenario.injects
            if self._states[i.id].status == SCHEDULED
            for t in [self._fire_time(i)]
            if t is not None and t <= horizon
        ]
        return min([*times, horizon])

    def tick(self, now: datetime) -> list[Effect]:
        """Advance scenario time to `now`: fire what is due in time order; end the exercise at its end."""
        if self.finished:
            return []
        now = max(now, self.now)
        limit = min(now, self.horizon)
        effects: list[Effect] = []
        while True:
            effects += self._sweep_contingencies(limit)
            due = [
                (t, n, i)
                for n, i in enumerate(self.scenario.injects)
                if self._states[i.id].status == SCHEDULED
                for t in [self._fire_time(i)]
                if t is not None and t <= limit
            ]
            if not due:
                break
            moment, _, inject = min(due, key=lambda d: (d[0], d[1]))
            effects += self._execute(inject, moment, "due")
        if self.scenario.phases:
            self.now = limit
        else:
            self.now = now
            if now >= self.end_at:
                effects += self._end(self.end_at, "end of scenario")
        return effects

    def advance_phase(self, phase_id: str, now: datetime) -> list[Effect]:
        """Facilitator: close the phase in play; the next begins (maybe after a time jump), or the exercise ends."""
        effects = self.tick(now)
        if self.finished:
            raise DrillCommandError(f"exercise {self.exercise_id} has ended")
        begins = self.discussion.advance(phase_id, self.now)
        opened = self.discussion.phase.id if begins is not None and self.discussion.phase else None
        self._log(self.now, "phase", phase_id, f"phase {phase_id} closed" + (f"; {opened} begins" if opened else ""))
        effects.append(PhaseChanged(self.exercise_id, phase_id, opened, self.now, begins))
        if begins is None:
            effects += self._end(self.now, "the facilitator closed the last phase")
        return effects

    def answer(self, answer: Answer) -> None:
        """A participant answers a question (at `answer.at`, already on the scenario clock)."""
        self._open()
        self.discussion.answer(answer)
        self._log(answer.at, "answer", answer.question_id, f"{answer.unit} answered {answer.question_id}")

    def rate(self, rating: Rating) -> None:
        """An evaluator records an observation rated P/S/M/U."""
        self._open()
        self.discussion.rate(rating)
        self._log(rating.at, "evaluation", rating.target, f"{rating.evaluator} rated {rating.target} {rating.rating}")

    def _open(self) -> None:
        if self.finished:
            raise DrillCommandError(f"exercise {self.exercise_id} has ended")

    def observe(self, observation: Observation) -> None:
        """Record what happened in the exercise; conditions and contingencies use it from the next tick."""
        self.observations.append(observation)
        if isinstance(observation, IncidentObserved):
            self._log(
                observation.at,
                "incident",
                observation.incident_id,
                f"level {observation.level}, status {observation.status}",
            )
        elif observation.change in (ACKNOWLEDGED, COMPLETED):
            self._log(
                observation.at,
                "player",
                observation.action_key,
                f"{observation.action_key} {observation.change}" + (f" by {observation.by}" if observation.by else ""),
            )

    def inject_now(self, inject_id: str, now: datetime) -> list[Effect]:
        """Controller: fire a scheduled or held inject at once."""
        effects = self.tick(now)
        self._check(inject_id, EXECUTED)
        effects += self._execute(self.scenario.inject(inject_id), self.now, "injected now by the controller")
        return effects + self.tick(self.now)

    def hold(self, inject_id: str, now: datetime) -> list[Effect]:
        """Controller: keep a scheduled inject from firing until it is released."""
        return self._move(inject_id, now, ON_HOLD, "held by the controller")

    def release(self, inject_id: str, now: datetime) -> list[Effect]:
        """Controller: let a held (or manual) inject fire at its time, or at once if that has passed."""
        effects = self._move(inject_id, now, SCHEDULED, "released by the controller")
        self._states[inject_id].released_at = self.now
        return effects + self.tick(self.now)

    def cancel(self, inject_id: str, now: datetime, reason: str = "cancelled by the controller") -> list[Effect]:
        """Controller: cancel an inject; expected actions anchored to it are not scored."""
        effects = self._move(inject_id, now, CANCELLED, reason)
        self._states[inject_id].cancelled_at = self.now
        return effects + self.tick(self.now)

    def skip(self, inject_id: str, now: datetime) -> list[Effect]:
        """Controller: skip an inject (a cancellation recorded as a skip)."""
        return self.cancel(inject_id, now, "skipped by the controller")

    def stop(self, now: datetime) -> list[Effect]:
        """Controller: end the exercise now; expected actions not yet due are left out of the score."""
        effects = self.tick(now)
        return effects + self._end(self.now, "stopped by the controller")

    def report_body(self, inject: Inject, at: datetime) -> dict[str, object]:
        """The full report an inject publishes at `at`: its content plus id, time, mode and exercise id."""
        body = copy.deepcopy(dict(inject.report or {}))
        body.update(
            report_id=report_id(self.exercise_id, inject.id),
            reported_at=at.isoformat(),
            mode="exercise",
            exercise_id=self.exercise_id,
        )
        return body

    def result(self) -> RunResult:
        """Everything scoring and the after-action report need (the end is now if the run is not over)."""
        log = sorted(self.log, key=lambda e: e.at)
        return RunResult(
            self.scenario,
            self.exercise_id,
            self.start,
            self.ended_at or self.now,
            tuple(self.states()),
            tuple(self.windows()),
            tuple(self.observations),
            tuple(log),
            self.discussion.record(),
        )

    def _check(self, inject_id: str, target: str) -> _State:
        if self.finished:
            raise DrillCommandError(f"exercise {self.exercise_id} has ended")
        state = self._states.get(inject_id)
        if state is None:
            raise DrillCommandError(f"scenario {self.scenario.id} has no inject {inject_id!r}")
        if target not in INJECT_TRANSITIONS[state.status]:
            raise DrillCommandError(f"inject {inject_id!r} is {state.status}; it cannot become {target}")
        return state

    def _move(self, inject_id: str, now: datetime, target: str, reason: str) -> list[Effect]:
        effects = self.tick(now)
        state = self._check(inject_id, target)
        old, state.status, state.note = state.status, target, reason
        self._log(self.now, "controller", inject_id, f"{inject_id}: {old} → {target} ({reason})")
        return [*effects, InjectStateChanged(self.exercise_id, inject_id, self.now, old, target, reason)]

    def _execute(self, inject: Inject, at: datetime, reason: str) -> list[Effect]:
        state = self._states[inject.id]
        old, state.status, state.executed_at = state.status, EXECUTED, at
        kind = "contingency" if inject.delivery == "contingency" else "inject"
        self._log(
            at,
            kind,
            inject.id,
            f"{inject.title} ({inject.type}, {inject.sender} → {', '.join(inject.receivers) or 'players'})",
        )
        effects: list[Effect] = [InjectStateChanged(self.exercise_id, inject.id, at, old, EXECUTED, reason)]
        if inject.report is not None:
            effects.append(PublishReport(self.exercise_id, inject.id, at, self.report_body(inject, at)))
        else:
            effects.append(
                DeliverMessage(
                    self.exercise_id,
                    inject.id,
                    at,
                    inject.type,
                    inject.sender,
                    inject.receivers,
                    inject.title,
                    inject.text,
                )
            )
        return effects

    def _end(self, at: datetime, reason: str) -> list[Effect]:
        if self.finished:
            return []
        self.ended_at = at
        self._log(at, "end", self.scenario.id, f"exercise ended: {reason}")
        return [ExerciseEnded(self.exercise_id, at, reason)]

    def _fire_time(self, inject: Inject) -> datetime | None:
        state = self._states[inject.id]
        earliest = self.start + (inject.at or timedelta(0))
        if inject.delivery == "manual" and state.released_at is None:
            return None
        if inject.delivery == "conditional":
            since = self._since(inject.condition)
            if since is None:
                return None
            earliest = max(earliest, since)
        if inject.delivery == "contingency":
            earliest_or_none = self._contingency_time(inject)
            if earliest_or_none is None:
                return None
            earliest = earliest_or_none
        return max(earliest, state.released_at) if state.released_at else earliest

    def _contingency_time(self, inject: Inject) -> datetime | None:
        window = self._window(self._expectations[inject.unless or ""])
        if window.due_at is None:
            return None
        by = max(self.start + inject.at, window.anchor_at or self.start) if inject.at is not None else window.due_at
        met = first_met(window.expectation, self.observations)
        return None if met is not None and met <= by else by

    def _sweep_contingencies(self, limit: datetime) -> list[Effect]:
        effects: list[Effect] = []
        for inject in self.scenario.injects:
            state = self._states[inject.id]
            if inject.delivery != "contingency" or state.status != SCHEDULED:
                continue
            window = self._window(self._expectations[inject.unless or ""])
            met = first_met(window.expectation, self.observations)
            needed = self._contingency_time(inject) is not None
            if window.due_at is not None and met is not None and met <= limit and not needed:
                state.status, state.cancelled_at = CANCELLED, max(met, window.anchor_at or met)
                state.note = f"not needed: {window.expectation.id} was done in time"
                self._log(state.cancelled_at, "controller", inject.id, f"{inject.id}: {state.note}")
                effects.append(
                    InjectStateChanged(
                        self.exercise_id, inject.id, state.cancelled_at, SCHEDULED, CANCELLED, state.note
                    )
                )
        return effects

    def _since(self, condition: Condition | None) -> datetime | None:
        if isinstance(condition, InjectCondition):
            other = self._states[condition.inject]
            moment = other.executed_at if condition.state == EXECUTED else other.cancelled_at
            return moment + condition.after if other.status == condition.state and moment else None
        if isinstance(condition, IncidentCondition):
            times = [o.at for o in self.observations if isinstance(o, IncidentObserved) and _holds(condition, o)]
            return min(times) + condition.after if times else None
        return None

    def _window(self, expectation: Expectation) -> Window:
        anchor = self._states[expectation.inject_id].executed_at
        if anchor is None:
            return Window(expectation, None, None)
        due = (
            self.start + expectation.due
            if expectation.due is not None
            else anchor + (expectation.deadline or timedelta(0))
        )
        return Window(expectation, anchor, due)

    def _log(self, at: datetime, kind: str, subject: str, text: str) -> None:
        self.log.append(LogEntry(at, kind, subject, text))


def _holds(condition: IncidentCondition, seen: IncidentObserved) -> bool:
    if condition.status is not None and seen.status != condition.status:
        return False
    if condition.level_at_least is None:
        return True
    return seen.level != "non_graded" and Level.parse(seen.level) >= condition.level_at_least
