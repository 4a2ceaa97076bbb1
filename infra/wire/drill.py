"""The drill control plane's wire contract (docs/adr/0018), shared by the API and the drill host: command and
event types, the controller's verbs, and how an exercise is named."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from infra.wire.types import DrillCommandType, DrillEventType

START = DrillCommandType.START
PAUSE = DrillCommandType.PAUSE
RESUME = DrillCommandType.RESUME
STOP = DrillCommandType.STOP
SET_SPEED = DrillCommandType.SET_SPEED
INJECT_NOW = DrillCommandType.INJECT_NOW
HOLD = DrillCommandType.HOLD
RELEASE = DrillCommandType.RELEASE
SKIP = DrillCommandType.SKIP
CANCEL = DrillCommandType.CANCEL
ADVANCE_PHASE = DrillCommandType.ADVANCE_PHASE
ANSWER_QUESTION = DrillCommandType.ANSWER_QUESTION
RECORD_OBSERVATION = DrillCommandType.RECORD_OBSERVATION
UPDATE_IMPROVEMENT_ITEM = DrillCommandType.UPDATE_IMPROVEMENT_ITEM
"""Tracks an item of a finished run's improvement plan; the drill service applies it (not a run's host)."""

RUN_COMMANDS = (PAUSE, RESUME, STOP, SET_SPEED)
"""Commands on the whole run (no inject id)."""
INJECT_COMMANDS = (INJECT_NOW, HOLD, RELEASE, SKIP, CANCEL)
"""Commands on one inject (`payload.inject_id`)."""
DISCUSSION_COMMANDS = (ADVANCE_PHASE, ANSWER_QUESTION, RECORD_OBSERVATION)
"""Commands of a discussion-based exercise (ADR 0028): the facilitator's, the participants' and the evaluators'."""
COMMAND_TYPES = (START, *RUN_COMMANDS, *INJECT_COMMANDS, *DISCUSSION_COMMANDS)
"""Every type on the drill-commands topic."""

RUN_ACTIONS: dict[str, DrillCommandType] = {"pause": PAUSE, "resume": RESUME, "stop": STOP, "speed": SET_SPEED}
"""The controller's verbs on a run (CLI and API paths) and the command each one publishes."""
INJECT_ACTIONS: dict[str, DrillCommandType] = {
    "fire": INJECT_NOW,
    "hold": HOLD,
    "release": RELEASE,
    "skip": SKIP,
    "cancel": CANCEL,
}
"""The controller's verbs on one inject and the command each one publishes."""
ACTIONS: dict[str, DrillCommandType] = {**RUN_ACTIONS, **INJECT_ACTIONS}
"""Every controller verb and its command."""

IMPROVEMENT_PLAN_COLUMNS = ("issue", "action", "owner", "owner_name", "due", "source", "id", "status")
"""The improvement plan's CSV columns (ADR 0029): the drill service writes them, the API serves them."""

DRILL_UPDATED = DrillEventType.UPDATED
DRILL_COMMAND_REJECTED = DrillEventType.COMMAND_REJECTED
DRILL_REPORT_WRITTEN = DrillEventType.REPORT_WRITTEN
IMPROVEMENT_ITEM_UPDATED = DrillEventType.IMPROVEMENT_ITEM_UPDATED
"""Event types on the drill-events topic."""


def new_exercise_id(scenario_id: str, now: datetime) -> str:
    """A fresh exercise id: `EX-<scenario id>-<UTC yyyymmddHHMMSS>-<4 hex>`."""
    return f"EX-{scenario_id}-{now.astimezone(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(2)}"
