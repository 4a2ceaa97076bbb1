"""The drill control plane on the real broker (ADR 0018): the drill service hosts a StartDrill; pause, resume, fire,
a bad inject and stop come in on drill-commands; snapshots, rejections and the report go out on drill-events."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from drills.control import new_exercise_id
from drills.scenario import SCENARIO_DIR
from infra.kafka.reading import read_from_end
from infra.kafka.security import client_options
from infra.wire import DrillCommandType, DrillEventType
from tests.e2e.platform import Platform
from tests.integration.channels.receivers import SmtpReceiver

pytestmark = pytest.mark.e2e

SCENARIO_TEXT = (SCENARIO_DIR / "school_canteen.yaml").read_text(encoding="utf-8")
PARTICIPANTS = ["p-education-01", "p-district_office-01", "p-health_commission-01"]
CONTROLLER = {"user": "e2e-controller", "roles": ["drill_controller"]}
Event = dict[str, Any]


class DrillIO:
    """Publishes drill commands and reads drill-events (from the start: the prefix is this test run's own)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.events: list[Event] = []
        self.producer = AIOKafkaProducer(**client_options(platform.bootstrap), acks="all", metadata_max_age_ms=2_000)
        self.consumer = AIOKafkaConsumer(
            **client_options(platform.bootstrap), group_id=None, enable_auto_commit=False, metadata_max_age_ms=2_000
        )

    async def __aenter__(self) -> Self:
        await self.producer.start()
        await self.consumer.start()
        await read_from_end(self.consumer, self.platform.topic("drill-events"))
        await self.consumer.seek_to_beginning()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.producer.stop()
        await self.consumer.stop()

    async def send(self, kind: str, exercise_id: str, **payload: Any) -> str:
        """Publish a command envelope (as the API would); return its id."""
        command_id = str(uuid.uuid4())
        message = {
            "id": command_id,
            "type": kind,
            "time": datetime.now(UTC).isoformat(),
            "mode": "exercise",
            "exercise_id": exercise_id,
            "causation": None,
            "incident_id": None,
            "payload": {**payload, "requested_by": CONTROLLER},
            "v": 1,
        }
        await self.producer.send_and_wait(
            self.platform.topic("drill-commands"), json.dumps(message).encode(), key=exercise_id.encode()
        )
        return command_id

    async def wait(self, match: Callable[[Event], bool], what: str, timeout: float = 30) -> Event:  # noqa: ASYNC109
        """The first event (read so far or next) that matches."""
        seen = 0
        async with asyncio.timeout(timeout):
            while True:
                for event in self.events[seen:]:
                    if match(event):
                        return event
                seen = len(self.events)
                for records in (await self.consumer.getmany(timeout_ms=200)).values():
                    self.events.extend(json.loads(r.value) for r in records)
        raise AssertionError(f"no {what}")  # pragma: no cover - the timeout raises first

    async def answer(self, command_id: str, timeout: float = 30) -> Event:  # noqa: ASYNC109
        """The drill's answer to a command: a DrillUpdated or DrillCommandRejected it caused."""
        return await self.wait(lambda e: e.get("causation") == command_id, f"answer to {command_id}", timeout)

    def snapshots(self, exercise_id: str) -> list[dict[str, Any]]:
        """Every DrillUpdated payload of the exercise read so far."""
        return [
            e["payload"] for e in self.events if e["type"] == DrillEventType.UPDATED and e["exercise_id"] == exercise_id
        ]


@pytest.fixture
async def io(drills_platform: Platform) -> AsyncIterator[DrillIO]:
    """The test's Kafka client."""
    async with DrillIO(drills_platform) as client:
        yield client


def inject(snapshot: dict[str, Any], inject_id: str) -> dict[str, Any]:
    """An inject's line in a snapshot."""
    found: dict[str, Any] = next(i for i in snapshot["injects"] if i["id"] == inject_id)
    return found


async def control(platform: Platform, *args: str) -> tuple[int, str]:
    """Run `tocsin drill control ARGS` as an operator would; return its exit code and output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tocsin",
        "drill",
        "control",
        *args,
        env=platform.env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


async def test_a_drill_is_started_steered_stopped_and_reported_over_kafka(
    drills_platform: Platform,
    io: DrillIO,
    smtp: SmtpReceiver,
) -> None:
    platform = drills_platform
    started = time.monotonic()
    ex = new_exercise_id("school_canteen", datetime.now(UTC))
    start = await io.send(
        DrillCommandType.START,
        ex,
        scenario_id="school_canteen",
        scenario_text=SCENARIO_TEXT,
        speed=600,
        bot=None,
        participants=PARTICIPANTS,
    )
    first = (await io.answer(start))["payload"]
    assert (first["state"], first["seq"], first["speed"], first["participants"]) == ("running", 1, 600, PARTICIPANTS)
    assert inject(first, "parents_gather")["state"] == "on_hold"
    assert first["requested_by"] == CONTROLLER

    paused = await io.answer(await io.send(DrillCommandType.PAUSE, ex))
    assert paused["type"] == DrillEventType.UPDATED and paused["payload"]["state"] == "paused"
    still = (
        await io.wait(
            lambda e: e["type"] == DrillEventType.UPDATED and e["payload"]["seq"] > paused["payload"]["seq"],
            "a snapshot while paused",
        )
    )["payload"]
    assert still["state"] == "paused"
    assert still["elapsed_seconds"] == paused["payload"]["elapsed_seconds"]
    assert still["updated_at"] > paused["payload"]["updated_at"]

    fired = (await io.answer(await io.send(DrillCommandType.INJECT_NOW, ex, inject_id="parents_gather")))["payload"]
    assert fired["state"] == "paused"  # firing an inject does not resume the drill
    assert inject(fired, "parents_gather")["state"] == "executed"
    message = next(m for m in fired["messages"] if m["inject_id"] == "parents_gather")
    assert message["delivered_to"] == ["p-education-01"]  # the receiving units' participants; the rest: the sink
    assert "p-education-02" in message["diverted"]
    mails = [m for m in smtp.messages if m["X-Tocsin-Exercise-Id"] == ex and "家长在校门口聚集" in str(m["Subject"])]
    assert [str(m["To"]) for m in mails] == ["p-education-01@district.test"]
    assert all(m["X-Tocsin-Mode"] == "exercise" and str(m["Subject"]).startswith("【演练】") for m in mails)

    resumed = (await io.answer(await io.send(DrillCommandType.RESUME, ex)))["payload"]
    assert resumed["state"] == "running"
    moving = (
        await io.wait(
            lambda e: e["type"] == DrillEventType.UPDATED and e["payload"]["seq"] > resumed["seq"],
            "a snapshot after the resume",
        )
    )["payload"]
    assert moving["elapsed_seconds"] > resumed["elapsed_seconds"]

    code, output = await control(platform, ex, "hold", "no_such_inject", "--wait", "20")
    assert code == 1, output
    assert "'no_such_inject'" in output
    rejected = await io.wait(
        lambda e: e["type"] == DrillEventType.COMMAND_REJECTED and e["exercise_id"] == ex, "rejection"
    )
    assert "no_such_inject" in rejected["payload"]["reason"]
    assert rejected["causation"] == rejected["payload"]["command_id"]

    stopped = (await io.answer(await io.send(DrillCommandType.STOP, ex)))["payload"]
    assert (stopped["state"], stopped["reason"]) == ("finished", "stopped by the controller")
    assert stopped["score"] is not None and "percent" in stopped["score"]
    report = await io.wait(
        lambda e: e["type"] == DrillEventType.REPORT_WRITTEN and e["exercise_id"] == ex, "the report"
    )
    assert report["payload"]["markdown"].startswith("# 演练评估报告")
    assert "data:image/" in report["payload"]["html"] and 'src="aar-' not in report["payload"]["html"]
    run_dir = Path(platform.env["TOCSIN_DATA_DIR"]) / "drills" / ex
    assert (run_dir / "run.json").is_file()
    stored = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert stored["messages"][0]["delivered_to"] == ["p-education-01"]

    seqs = [s["seq"] for s in io.snapshots(ex)]
    assert seqs == sorted(set(seqs)) and seqs[0] == 1

    platform.wait_for(
        lambda: (read_model_state(platform, ex) or ("",))[0] == "finished",
        timeout=20,
        what="the finished run in the read model",
    )
    again = await io.answer(
        await io.send(
            DrillCommandType.START,
            ex,
            scenario_id="school_canteen",
            scenario_text=SCENARIO_TEXT,
            speed=600,
            bot=None,
            participants=PARTICIPANTS,
        )
    )
    assert again["type"] == DrillEventType.COMMAND_REJECTED
    assert again["payload"]["reason"] == f"exercise {ex} was started before (it is finished)"
    assert all(
        e["mode"] == "exercise" and e["incident_id"] is None and e["v"] == 1
        for e in io.events
        if e["exercise_id"] == ex
    )
    assert time.monotonic() - started < 60


async def test_an_invalid_start_is_rejected_naming_the_problem(drills_platform: Platform, io: DrillIO) -> None:
    ex = new_exercise_id("school_canteen", datetime.now(UTC))
    bad = await io.send(
        DrillCommandType.START,
        ex,
        scenario_id="school_canteen",
        scenario_text=SCENARIO_TEXT.replace("end: T+4:00", "end: T+4:7x"),
        speed=600,
        bot=None,
        participants=None,
    )
    answer = await io.answer(bad)
    assert answer["type"] == DrillEventType.COMMAND_REJECTED
    assert "end" in answer["payload"]["reason"] and "T+4:7x" in answer["payload"]["reason"]
    fast = await io.answer(
        await io.send(
            DrillCommandType.START,
            ex,
            scenario_id="school_canteen",
            scenario_text=SCENARIO_TEXT,
            speed=6000,
            bot=None,
            participants=None,
        )
    )
    assert fast["type"] == DrillEventType.COMMAND_REJECTED
    assert fast["payload"]["reason"] == "payload.speed: speed 6000 is outside 1–600"


async def test_a_drill_run_at_the_console_is_steerable_and_still_scores_and_reports(
    drills_platform: Platform,
    io: DrillIO,
) -> None:
    platform = drills_platform
    ex = new_exercise_id("school_canteen", datetime.now(UTC))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tocsin",
        "drill",
        "run",
        "school_canteen",
        "--speed",
        "600",
        "--bot",
        "perfect",
        "--exercise-id",
        ex,
        env=platform.env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        first = await io.wait(
            lambda e: e["type"] == DrillEventType.UPDATED and e["exercise_id"] == ex, "the run's start"
        )
        assert first["payload"]["state"] == "running" and first["payload"]["bot"] == "perfect"
        code, output = await control(platform, ex, "speed", "--speed", "300")
        assert code == 0, output
        assert f"{ex}: running" in output and "speed 300" in output
        stopped = (await io.answer(await io.send(DrillCommandType.STOP, ex)))["payload"]
        assert stopped["state"] == "finished" and stopped["speed"] == 300
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    assert "score " in out.decode() and "expected actions:" in out.decode()
    run_dir = Path(platform.env["TOCSIN_DATA_DIR"]) / "drills" / ex
    assert {p.suffix for p in run_dir.iterdir()} >= {".json", ".md", ".html", ".png"}
    assert f"wrote {run_dir / 'run.json'}" in err.decode()
    await io.wait(
        lambda e: e["type"] == DrillEventType.REPORT_WRITTEN and e["exercise_id"] == ex, "the console run's report"
    )


def read_model_state(platform: Platform, exercise_id: str) -> tuple[str, int] | None:
    """The run's state and seq in the platform's `drill_runs` read model (None until projected)."""
    with sqlite3.connect(Path(platform.workdir) / "tocsin.db") as db:
        row = db.execute("SELECT state, seq FROM drill_runs WHERE exercise_id = ?", (exercise_id,)).fetchone()
    return (str(row[0]), int(row[1])) if row else None


async def test_runs_end_as_failed_when_the_service_stops_or_dies(drills_platform: Platform, io: DrillIO) -> None:
    platform = drills_platform

    async def start() -> str:
        ex = new_exercise_id("school_canteen", datetime.now(UTC))
        start_id = await io.send(
            DrillCommandType.START,
            ex,
            scenario_id="school_canteen",
            scenario_text=SCENARIO_TEXT,
            speed=1,
            bot=None,
            participants=PARTICIPANTS,
        )
        assert (await io.answer(start_id))["payload"]["state"] == "running"
        return ex

    def failed(ex: str) -> Callable[[Event], bool]:
        return lambda e: (
            e["type"] == DrillEventType.UPDATED and e["exercise_id"] == ex and e["payload"]["state"] == "failed"
        )

    # killed outright: the next service finds the run still running in the read model and ends it
    orphan = await start()
    seen = platform.wait_for(lambda: read_model_state(platform, orphan), what="the run in the read model", timeout=30)
    assert seen[0] == "running"
    platform.kill("drills", signal.SIGKILL)
    platform.start("drills")
    platform.wait_drills_ready()
    ended = (await io.wait(failed(orphan), "the orphan marked failed"))["payload"]
    assert ended["reason"] == "drill host restarted"
    assert ended["seq"] > seen[1] and ended["scenario_id"] == "school_canteen"

    # stopped: the service ends its runs itself
    running = await start()
    platform.kill("drills", signal.SIGTERM)
    stopped = (await io.wait(failed(running), "the run ended by the stop"))["payload"]
    assert stopped["reason"] == "drill service stopped"
    assert stopped["seq"] == max(s["seq"] for s in io.snapshots(running))
    platform.start("drills")
    platform.wait_drills_ready()
