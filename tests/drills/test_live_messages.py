"""The live drill speaks the wire contract: its bot commands are `Envelope`s, and it reads the platform's events
as envelopes, tying each to the report or command that caused it (through `stable_id`, ADR 0005/0015).

Kafka and the worker are replaced by an in-memory stand-in that answers like the platform: a report with
`ActionsPlanned` (caused by the report's ReceiveReport), a command with `ActionUpdated` (caused by the command).
The real pipeline is exercised in tests/e2e/test_drills.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from drills.live import LiveDrill
from drills.observations import ACKNOWLEDGED, COMPLETED, PLANNED, ActionObserved
from infra.wire import CommandType, Envelope, EventType, stable_id
from tests.drills.factories import T0, at, small

REAL = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
INCIDENT = "INC-1"
STEPS = {"notify_leading_group": "leading_group", "medical_treatment": "health_commission", "phone_report": "cdc"}
"""The steps the stand-in plans for every report, and their owners."""


@dataclass(frozen=True)
class Sent:
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Record:
    value: bytes


class Platform:
    """Producer and consumer at once: what the drill sends is answered on the next read, as the worker would."""

    def __init__(self, clock: list[datetime]) -> None:
        self.clock = clock
        self.sent: list[tuple[str, bytes]] = []
        self.answers: list[Envelope] = []
        self.seq = 0

    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None = None) -> Sent:
        offset = len(self.sent)
        self.sent.append((topic, value))
        if topic == "t.reports":
            accepted = stable_id("accepted", f"{topic}:0:{offset}")
            items = [{"key": k, "owner": owner, "status": "pending"} for k, owner in STEPS.items()]
            self._answer(EventType.ACTIONS_PLANNED, stable_id("receive", accepted, INCIDENT), {"items": items})
        elif topic == "t.incident-commands":
            command = Envelope.from_json(value)
            step = str(command.payload["action_key"])
            change = COMPLETED if command.type == CommandType.COMPLETE_TASK else ACKNOWLEDGED
            item = {"key": step, "owner": STEPS.get(step), "status": change}
            event = {"key": step, "change": change, "item": item, "by": "bot"}
            self._answer(EventType.ACTION_UPDATED, command.id, event)
        return Sent(topic, 0, offset)

    def _answer(self, kind: EventType, causation: str, event: dict[str, Any]) -> None:
        self.seq += 1
        payload = {"event": event, "incident": {"id": INCIDENT, "level": "IV", "status": "active"}, "seq": self.seq}
        self.answers.append(
            Envelope.new(
                kind,
                at=self.clock[0],
                mode="exercise",
                payload=payload,
                causation=causation,
                exercise_id="ex-1",
                incident_id=INCIDENT,
            )
        )

    async def getmany(self, timeout_ms: int = 0) -> dict[Any, list[Record]]:
        self.clock[0] += timedelta(milliseconds=max(timeout_ms, 1))
        answers, self.answers = self.answers, []
        return {"incident-events": [Record(a.to_json()) for a in answers]} if answers else {}

    def commands(self) -> list[Envelope]:
        """The commands the drill sent to the incident writers, decoded."""
        return [Envelope.from_json(value) for topic, value in self.sent if topic == "t.incident-commands"]


async def played() -> tuple[LiveDrill, Platform]:
    """The small scenario played to its end at 600× with the perfect bot against the stand-in."""
    clock = [REAL]
    drill = LiveDrill(
        small(),
        bootstrap="unused:9092",
        topic_prefix="t.",
        exercise_id="ex-1",
        speed=600,
        bot="perfect",
        clock=lambda: clock[0],
        scenario_start=T0,
        settle=0,
        answer_timeout=5,
    )
    platform = Platform(clock)
    drill._producer = platform
    drill._consumer = platform
    await drill.play()
    return drill, platform


async def test_the_bot_sends_each_command_as_an_exercise_envelope_to_the_incident() -> None:
    drill, platform = await played()
    commands = platform.commands()
    assert [(c.type, c.payload["action_key"], c.causation) for c in commands] == [
        (CommandType.ACKNOWLEDGE_ALERT, "notify_leading_group", "drill:ex-1:alert"),
        (CommandType.COMPLETE_TASK, "medical_treatment", "drill:ex-1:treat"),
        (CommandType.COMPLETE_TASK, "phone_report", "drill:ex-1:phone"),
    ]
    for command in commands:
        assert (command.mode, command.exercise_id, command.incident_id, command.v) == ("exercise", "ex-1", INCIDENT, 1)
        assert command.payload["actor"]["user"] == "bot"
        assert T0 < command.at < at(180), "a bot command carries the scenario moment it was taken at"
    assert drill.unanswered == [] and drill.rejected == []


async def test_an_event_is_observed_at_the_scenario_moment_of_the_report_or_command_that_caused_it() -> None:
    drill, platform = await played()
    seen = [o for o in drill.result().observations if isinstance(o, ActionObserved)]
    planned = sorted({(o.at, o.action_key) for o in seen if o.change == PLANNED})
    assert planned == [(at(0), k) for k in sorted(STEPS)] + [(at(90), k) for k in sorted(STEPS)]
    done = {(o.action_key, o.change): o.at for o in seen if o.change != PLANNED}
    sent_at = {str(c.payload["action_key"]): c.at for c in platform.commands()}
    assert done == {
        ("notify_leading_group", ACKNOWLEDGED): sent_at["notify_leading_group"],
        ("medical_treatment", COMPLETED): sent_at["medical_treatment"],
        ("phone_report", COMPLETED): sent_at["phone_report"],
    }
