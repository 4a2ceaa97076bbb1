"""Player bots act on each anchored expectation: perfect at ½ the time allowed, late at 1½, absent never."""

from __future__ import annotations

from drills.bots import bot_actions
from drills.runner import DrillRun
from infra.wire import CommandType
from tests.drills.factories import T0, at, small


def _windows(minutes: float = 100) -> DrillRun:
    run = DrillRun(small(), "ex-1", T0)
    run.tick(at(minutes))
    return run


def test_a_perfect_bot_acts_at_half_the_time_allowed() -> None:
    actions = bot_actions("perfect", _windows().windows())
    assert [(a.expectation_id, a.at, a.command) for a in actions] == [
        ("alert", at(15), CommandType.ACKNOWLEDGE_ALERT),
        ("treat", at(30), CommandType.COMPLETE_TASK),
        ("phone", at(100), CommandType.COMPLETE_TASK),
    ]
    assert actions[0].payload() == {"action_key": "notify_leading_group"}
    assert actions[0].unit == "district_office"


def test_a_late_bot_acts_at_one_and_a_half_times_the_time_allowed() -> None:
    actions = bot_actions("late", _windows().windows())
    assert [a.at for a in actions] == [at(45), at(90), at(120)]


def test_an_absent_bot_does_nothing() -> None:
    assert bot_actions("absent", _windows().windows()) == []


def test_bots_only_act_on_injects_that_have_fired() -> None:
    assert [a.expectation_id for a in bot_actions("perfect", _windows(10).windows())] == ["alert", "treat"]


def test_a_bot_action_becomes_the_observation_the_platform_would_report() -> None:
    (first, *_) = bot_actions("perfect", _windows().windows())
    seen = first.observation("INC-1")
    assert (seen.at, seen.incident_id) == (at(15), "INC-1")
