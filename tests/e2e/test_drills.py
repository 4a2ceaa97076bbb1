"""Drills through the real pipeline: a scored run, the same score at two speeds, and exercise isolation under load."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drills.live import LiveResult, result_from_dict, result_to_dict, run_live
from drills.scenario import SCENARIO_DIR, load_scenario
from drills.scoring import score_run
from drills.simulate import simulate
from infra.wire import EventType
from tests.e2e.platform import Platform
from tests.integration.channels.receivers import HttpReceiver, SmtpReceiver

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def drills_platform(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpReceiver, district: Path
) -> Iterator[Platform]:
    """A platform like the shared one (clock at 120×), its database migrated before the API starts."""
    running = Platform(
        bootstrap=kafka_bootstrap,
        workdir=Path(tmp_path_factory.mktemp("drills")),
        extra_env={
            "TOCSIN_DISTRICT_DIR": str(district),
            "TOCSIN_NOTIFY_CHANNELS": "email,webhook",
            "TOCSIN_SMTP_HOST": smtp.host,
            "TOCSIN_SMTP_PORT": str(smtp.port),
            "TOCSIN_NOTIFY_RETRY_BASE_DELAY": "0.2",
            "TOCSIN_NOTIFY_RETRY_MAX_DELAY": "1",
            "TOCSIN_SWEEP_INTERVAL": "1",
            "TOCSIN_CLOCK_SPEED": "120",
        },
    )
    subprocess.run([sys.executable, "-m", "tocsin", "db", "upgrade"], env=running.env, check=True, capture_output=True)
    # Every model's table exists before the worker starts, so its agents never race to create one.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import asyncio, os; from infra.db.engine import Database; "
            "asyncio.run(Database(os.environ['TOCSIN_DATABASE_URL']).create_schema())",
        ],
        env=running.env,
        check=True,
        capture_output=True,
    )
    try:
        running.start("worker")
        running.start("api")
        running.wait_ready()
        running.wait_worker_ready()
        yield running
    finally:
        running.stop_all()


SCENARIO_FILE = SCENARIO_DIR / "school_canteen.yaml"
SCENARIO = load_scenario(SCENARIO_FILE)
PARTICIPANTS = ["p-district_office-01", "p-district_office-02", "p-education-04"]


def exercise(tag: str) -> str:
    """A fresh exercise id."""
    return f"EX-{tag}-{uuid.uuid4().hex[:8]}"


async def drill(
    platform: Platform, *, speed: float, bot: str | None, exercise_id: str, participants: list[str] | None = None
) -> LiveResult:
    """Run the sample scenario through `platform`."""
    return await run_live(
        SCENARIO,
        bootstrap=platform.bootstrap,
        topic_prefix=platform.prefix,
        database_url=platform.env["TOCSIN_DATABASE_URL"],
        speed=speed,
        bot=bot,
        exercise_id=exercise_id,
        participants=participants or PARTICIPANTS,
    )


TOKENS: dict[tuple[str, str], str | None] = {}


def api_token(platform: Platform, exercise_id: str) -> str | None:
    """A bearer token of a drill controller scoped to the exercise (None where the API has no users)."""
    if (platform.prefix, exercise_id) not in TOKENS:
        tocsin, name = [sys.executable, "-m", "tocsin"], f"ctl-{exercise_id}"
        added = subprocess.run(
            [*tocsin, "user", "add", name, "--role", "drill_controller", "--exercise", exercise_id],
            env=platform.env,
            capture_output=True,
            text=True,
            check=False,
        )
        issued = subprocess.run(
            [*tocsin, "token", "issue", name], env=platform.env, capture_output=True, text=True, check=False
        )
        words = issued.stdout.split()
        ok = added.returncode == issued.returncode == 0 and words
        TOKENS[platform.prefix, exercise_id] = words[-1] if ok else None
    return TOKENS[platform.prefix, exercise_id]


def api_get(platform: Platform, exercise_id: str, path: str, **params: Any) -> Any:
    """GET an API path as the exercise's controller and return its JSON."""
    token = api_token(platform, exercise_id)
    with platform.client() as client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        reply = client.get(path, params=params, headers=headers)
        reply.raise_for_status()
        return reply.json()


def header(headers: dict[str, str], name: str) -> str | None:
    """A header value, whatever the case of its name."""
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


async def test_a_drill_with_the_perfect_bot_scores_through_the_real_broker(drills_platform: Platform) -> None:
    platform = drills_platform
    started = time.monotonic()
    live = await drill(platform, speed=600, bot="perfect", exercise_id=exercise("perfect"))
    took = time.monotonic() - started

    expected = simulate(SCENARIO, "perfect").result
    assert live.score.percent == 100.0, (live.score.to_dict(), live.rejected, live.unanswered)
    assert live.score.percent is not None and live.score.percent > 0
    assert [s.state for s in live.result.injects] == [s.state for s in expected.injects]
    assert live.incidents and not live.unanswered
    stored = json.loads(json.dumps(result_to_dict(live, SCENARIO_FILE.read_text(encoding="utf-8"))))
    assert score_run(result_from_dict(stored)).to_dict() == live.score.to_dict()
    incident_id = live.incidents[0]
    incident = platform.wait_for(
        lambda: api_get(platform, live.exercise_id, f"/api/v1/incidents/{incident_id}"), what="the drill's incident"
    )
    assert incident["mode"] == "exercise"
    assert incident["exercise_id"] == live.exercise_id
    assert took < 60


async def test_the_same_play_scores_the_same_at_two_speeds(drills_platform: Platform) -> None:
    platform = drills_platform
    slow, fast = await asyncio.gather(
        drill(platform, speed=300, bot="late", exercise_id=exercise("late300")),
        drill(platform, speed=600, bot="late", exercise_id=exercise("late600")),
    )
    assert slow.score.percent is not None
    assert slow.score.percent == fast.score.percent == score_of_simulation("late")
    assert [(a.expectation.id, a.status, a.value) for a in slow.score.assessments] == [
        (a.expectation.id, a.status, a.value) for a in fast.score.assessments
    ]
    assert [(s.id, s.state, s.executed_at) for s in slow.result.injects] == [
        (s.id, s.state, s.executed_at) for s in fast.result.injects
    ]


def score_of_simulation(bot: str) -> float | None:
    """The in-memory simulation's score of the same play (the live run must agree with it)."""
    return score_run(simulate(SCENARIO, bot).result).percent


async def test_concurrent_drills_deliver_to_their_participants_only(
    drills_platform: Platform,
    smtp: SmtpReceiver,
    http: HttpReceiver,
) -> None:
    platform = drills_platform
    ids = [exercise(f"flood{n}") for n in range(3)]
    runs = await asyncio.gather(
        *(
            drill(platform, speed=600, bot=bot, exercise_id=ex)
            for ex, bot in zip(ids, ("absent", "late", "perfect"), strict=True)
        )
    )
    incident_ids = [(run.exercise_id, i) for run in runs for i in run.incidents]
    assert len(incident_ids) >= 3

    def sent() -> list[dict[str, Any]] | None:
        found = [
            e["data"]
            for ex, i in incident_ids
            for e in api_get(platform, ex, f"/api/v1/incidents/{i}/timeline")
            if e["type"] in (EventType.NOTIFICATION_SENT, EventType.NOTIFICATION_FAILED)
        ]
        return found if len(found) >= 30 else None

    deliveries = platform.wait_for(sent, what="the drills' deliveries", timeout=60)
    # People only: the CAP feed ("cap:public") publishes drill alerts with status=Exercise by design (ADR 0008).
    people = [d for d in deliveries if d["recipient_id"] and d["channel"] != "cap"]
    outside = [d for d in people if d["recipient_id"] not in PARTICIPANTS]
    inside = [d for d in people if d["recipient_id"] in PARTICIPANTS]
    assert outside, "the flood should have paged people outside the exercise"
    leaked = [d for d in outside if d["status"] != "diverted_to_exercise_sink"]
    assert not leaked, leaked[:3]
    assert inside and {d["status"] for d in inside} <= {"delivered", "duplicate"}

    mails = [m for m in smtp.messages if m.get("X-Tocsin-Exercise-Id") in ids]
    hooks = [r for r in http.requests if header(r.headers, "X-Tocsin-Exercise-Id") in ids]
    assert mails and hooks
    assert {str(m["To"]).split("@")[0] for m in mails} <= set(PARTICIPANTS)
    assert {r.path.rstrip("/").rsplit("/", 1)[-1] for r in hooks} <= set(PARTICIPANTS)
    assert all(m["X-Tocsin-Mode"] == "exercise" and "【演练】" in str(m["Subject"]) for m in mails)
    assert all(header(r.headers, "X-Tocsin-Mode") == "exercise" for r in hooks)
    # Other tests' drills mail their own participants (under their own exercise ids); a marked mail without an
    # exercise id would be a leak, so it counts here too.
    marked = [
        m
        for m in smtp.messages
        if (m.get("X-Tocsin-Mode") == "exercise" or "【演练】" in str(m["Subject"]))
        and m.get("X-Tocsin-Exercise-Id") in (*ids, None)
    ]
    assert {str(m["To"]).split("@")[0] for m in marked} <= set(PARTICIPANTS)
