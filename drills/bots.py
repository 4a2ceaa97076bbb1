"""Player bots: scripted players that follow the playbook perfectly, late, or not at all.

Pure: given the expected actions' windows, a bot says which player actions it takes and when (on the
scenario clock). The driver turns each into an API command (`command`, `payload`) or, without a platform,
straight into the observation it would cause.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from drills.discussion import Answer, Rating
from drills.model import Scenario
from drills.observations import ACKNOWLEDGED, COMPLETED, ActionObserved, IncidentObserved, Observation
from drills.result import Window
from infra.wire import CommandType

BEHAVIOURS: dict[str, tuple[int, int] | None] = {"perfect": (1, 2), "late": (3, 2), "absent": None}
"""When a bot acts, as a fraction of the time allowed after the inject: perfect at ½, late at 1½, absent never."""


@dataclass(frozen=True)
class PlayerAction:
    """One thing a player does: acknowledge or complete a step, or decide a level, at scenario moment `at`."""

    at: datetime
    expectation_id: str
    command: CommandType  # ACKNOWLEDGE_ALERT | ACKNOWLEDGE_TASK | COMPLETE_TASK | DECIDE_LEVEL
    unit: str
    action_key: str | None = None
    level: str | None = None
    alternatives: tuple[str, ...] = ()  # steps that supersede `action_key`: act on the first one that is live

    def payload(self) -> dict[str, Any]:
        """The command payload for the API (the actor is added by the caller)."""
        if self.command == CommandType.DECIDE_LEVEL:
            return {"level": self.level, "reason": f"演练玩家决定（{self.expectation_id}）"}
        if self.command == CommandType.COMPLETE_TASK:
            return {"action_key": self.action_key, "result": "演练：已完成"}
        return {"action_key": self.action_key}

    def on(self, action_key: str) -> PlayerAction:
        """The same action on another step (one that superseded the expected step)."""
        return replace(self, action_key=action_key)

    def observation(self, incident_id: str | None = None) -> Observation:
        """What the platform would report back once the command applied."""
        if self.command == CommandType.DECIDE_LEVEL:
            return IncidentObserved(incident_id or "", self.level or "", "active", self.at)
        change = COMPLETED if self.command == CommandType.COMPLETE_TASK else ACKNOWLEDGED
        return ActionObserved(
            self.action_key or "", change, self.at, unit=self.unit, incident_id=incident_id, by=f"bot:{self.unit}"
        )


def check_behaviour(behaviour: str) -> str:
    """The behaviour if a bot knows it; raise ValueError naming the choices otherwise."""
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"{behaviour!r} is not a bot behaviour (choose from {', '.join(BEHAVIOURS)})")
    return behaviour


def bot_actions(behaviour: str, windows: Iterable[Window]) -> list[PlayerAction]:
    """Every action a bot of this behaviour takes for the anchored windows, in time order."""
    fraction = BEHAVIOURS[check_behaviour(behaviour)]
    if fraction is None:
        return []
    actions = []
    for window in windows:
        allowed = window.allowed
        if window.anchor_at is None or allowed is None:
            continue
        numerator, denominator = fraction
        actions.append(_action(window, window.anchor_at + allowed * numerator / denominator))
    return sorted(actions, key=lambda a: (a.at, a.expectation_id))


def _action(window: Window, at: datetime) -> PlayerAction:
    exp = window.expectation
    if exp.kind == "level_at_least":
        return PlayerAction(at, exp.id, CommandType.DECIDE_LEVEL, exp.unit, level=exp.target)
    if exp.kind == "complete":
        return PlayerAction(
            at, exp.id, CommandType.COMPLETE_TASK, exp.unit, action_key=exp.target, alternatives=exp.superseded_by
        )
    command = CommandType.ACKNOWLEDGE_ALERT if exp.action_kind == "notify" else CommandType.ACKNOWLEDGE_TASK
    return PlayerAction(at, exp.id, command, exp.unit, action_key=exp.target, alternatives=exp.superseded_by)


DISCUSSION_RATINGS = {
    "perfect": ("P", "回答覆盖预案要点"),
    "late": ("S", "要点基本覆盖，部分环节迟缓"),
    "absent": ("U", "未作答"),
}
"""How a bot evaluator rates a bot's answers, by behaviour (absent players do not answer)."""
BOT_EVALUATOR = "bot:evaluator"


def bot_discussion(
    behaviour: str, scenario: Scenario, phase_id: str, at: datetime
) -> tuple[list[Answer], list[Rating]]:
    """What bots say in a phase at `at`: each addressee answers with the plan's points; a bot evaluator rates."""
    rating, note = DISCUSSION_RATINGS[check_behaviour(behaviour)]
    answers: list[Answer] = []
    ratings: list[Rating] = []
    for question in (q for p in scenario.phases if p.id == phase_id for q in p.questions):
        if behaviour != "absent":
            text = "；".join(p.text for p in question.points) or "按预案处置"
            answers += [Answer(f"bot:{question.id}:{u}", question.id, u, f"bot:{u}", text, at) for u in question.to]
        ratings.append(Rating(f"bot:{question.id}", BOT_EVALUATOR, rating, note, at, question_id=question.id))
    return answers, ratings
