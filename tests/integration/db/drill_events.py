"""Drill events as the drill host publishes them on `drill-events` (docs/adr/0018), for projection tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from infra.wire import DrillCommandType, DrillEventType, Envelope
from tests.integration.db import seed

T0 = seed.T0
EXERCISE = "EX-school_canteen-20260601080000-3f9a"


def _envelope(
    type_: DrillEventType, exercise_id: str, payload: dict[str, Any], *, at: datetime, causation: str | None = None
) -> dict[str, Any]:
    """The JSON object of a drill event (a random id, mode exercise, no incident)."""
    message = Envelope.new(type_, at=at, mode="exercise", payload=payload, causation=causation, exercise_id=exercise_id)
    return message.to_dict()


def snapshot(
    seq: int,
    *,
    exercise_id: str = EXERCISE,
    state: str = "running",
    scenario_id: str = "school_canteen",
    elapsed: float = 0.0,
    score: dict[str, Any] | None = None,
    started_at: datetime = T0,
    **extra: Any,
) -> dict[str, Any]:
    """A DrillUpdated payload: the run's whole state at `seq` (real time moves one second per seq)."""
    return {
        "exercise_id": exercise_id,
        "scenario_id": scenario_id,
        "title": "城关实验小学食堂集体食物中毒桌面推演",
        "state": state,
        "reason": "",
        "speed": 60,
        "bot": "perfect",
        "seq": seq,
        "started_at": started_at.isoformat(),
        "updated_at": (started_at + timedelta(seconds=seq)).isoformat(),
        "scenario_start": "2026-11-30T12:30:00+08:00",
        "scenario_now": "2026-11-30T12:30:00+08:00",
        "elapsed_seconds": elapsed,
        "end_seconds": 14400,
        "objectives": [{"id": "alerting", "title": "及时预警"}],
        "units": ["district_office", "cdc"],
        "participants": ["p-cdc-01"],
        "incidents": [],
        "injects": [
            {
                "id": "first_report",
                "title": "First report",
                "type": "report",
                "delivery": "automatic",
                "at_seconds": 0,
                "state": "pending",
                "executed_at": None,
                "fire_at": None,
                "note": "",
            },
            {
                "id": "parents_call",
                "title": "Parents call the hotline",
                "type": "message",
                "delivery": "manual",
                "at_seconds": 1800,
                "state": "on_hold",
                "executed_at": None,
                "fire_at": None,
                "note": "",
            },
        ],
        "messages": [],
        "rejected": [],
        "score": score,
        "requested_by": {"user": "chief", "roles": ["commander"]},
        **extra,
    }


def updated(seq: int, *, causation: str | None = None, **fields: Any) -> dict[str, Any]:
    """A DrillUpdated envelope."""
    payload = snapshot(seq, **fields)
    return _envelope(
        DrillEventType.UPDATED, payload["exercise_id"], payload, at=T0 + timedelta(seconds=seq), causation=causation
    )


def rejected(
    command_id: str, reason: str, *, exercise_id: str = EXERCISE, command: str = DrillCommandType.INJECT_NOW
) -> dict[str, Any]:
    """A DrillCommandRejected envelope."""
    return _envelope(
        DrillEventType.COMMAND_REJECTED,
        exercise_id,
        {"command_id": command_id, "command": command, "reason": reason},
        at=T0,
        causation=command_id,
    )


def report(
    *,
    exercise_id: str = EXERCISE,
    markdown: str = "# After-action report\n",
    html: str = "<!doctype html><h1>After-action report</h1>",
) -> dict[str, Any]:
    """A DrillReportWritten envelope."""
    return _envelope(
        DrillEventType.REPORT_WRITTEN, exercise_id, {"markdown": markdown, "html": html}, at=T0 + timedelta(hours=1)
    )
