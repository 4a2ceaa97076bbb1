"""The runner fires injects by scenario time, obeys the controller, and reacts to what players do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drills.effects import DeliverMessage, Effect, ExerciseEnded, InjectStateChanged, PublishReport
from drills.result import CANCELLED, EXECUTED, ON_HOLD, SCHEDULED
from drills.runner import DrillCommandError, DrillRun
from infra.wire.report import ReportIn
from tests.drills.factories import SMALL, T0, acked, at, level, small


def _run() -> DrillRun:
    return DrillRun(small(), "ex-1", T0)


def _state(run: DrillRun, inject_id: str) -> str:
    return next(s.state for s in run.states() if s.id == inject_id)


def _fired(effects: list[Effect]) -> list[str]:
    return [e.inject_id for e in effects if isinstance(e, PublishReport | DeliverMessage)]


def test_an_automatic_inject_publishes_a_complete_exercise_report_at_its_time() -> None:
    run = _run()
    (changed, published) = run.tick(T0)
    assert isinstance(changed, InjectStateChanged) and (changed.old, changed.new) == (SCHEDULED, EXECUTED)
    assert isinstance(published, PublishReport)
    report = published.report
    assert (report["report_id"], report["mode"], report["exercise_id"]) == ("ex-1:first_report", "exercise", "ex-1")
    assert report["reported_at"] == T0.isoformat()
    assert ReportIn.model_validate(dict(report)).to_domain().correlation_key.startswith("ex-1|food_safety|")


def test_a_late_tick_fires_each_inject_at_its_own_time_in_order() -> None:
    run = _run()
    effects = run.tick(at(45))
    assert _fired(effects) == ["first_report", "call", "follow_up", "chase"]
    executed = {s.id: s.executed_at for s in run.states()}
    assert executed["call"] == at(20)
    assert executed["follow_up"] == at(30)
    assert executed["chase"] == at(30)


def test_a_conditional_inject_waits_for_its_condition() -> None:
    run = _run()
    run.tick(at(29))
    assert _state(run, "follow_up") == SCHEDULED
    assert _fired(run.tick(at(30))) == ["follow_up", "chase"]
    assert _state(run, "level_two_call") == SCHEDULED
    run.observe(level("II", 50))
    assert _fired(run.tick(at(55))) == ["level_two_call"]
    assert next(s for s in run.states() if s.id == "level_two_call").executed_at == at(50)


def test_a_contingency_fires_when_the_expected_action_is_not_done_by_its_deadline() -> None:
    run = _run()
    run.tick(at(29))
    assert _state(run, "chase") == SCHEDULED
    assert "chase" in _fired(run.tick(at(30)))
    assert next(e for e in run.log if e.subject == "chase").kind == "contingency"


def test_a_contingency_is_cancelled_when_the_action_is_done_in_time() -> None:
    run = _run()
    run.tick(at(5))
    run.observe(acked("notify_leading_group", 12))
    effects = run.tick(at(40))
    assert "chase" not in _fired(effects)
    status = next(s for s in run.states() if s.id == "chase")
    assert (status.state, status.note) == (CANCELLED, "not needed: alert was done in time")


def test_a_manual_inject_waits_on_hold_for_the_controller() -> None:
    run = _run()
    run.tick(at(120))
    assert _state(run, "parents") == ON_HOLD
    assert _fired(run.inject_now("parents", at(125))) == ["parents"]
    assert next(s for s in run.states() if s.id == "parents").executed_at == at(125)


def test_releasing_a_manual_inject_fires_it_at_its_time() -> None:
    run = _run()
    run.tick(at(10))
    run.release("parents", at(10))
    assert _state(run, "parents") == SCHEDULED
    assert next(s for s in run.states() if s.id == "parents").fire_at == at(60)
    assert "parents" in _fired(run.tick(at(61)))


def test_a_held_inject_fires_when_released_after_its_time() -> None:
    run = _run()
    run.tick(at(5))
    run.hold("call", at(5))
    assert "call" not in _fired(run.tick(at(40)))
    assert _fired(run.release("call", at(40))) == ["call"]
    assert next(s for s in run.states() if s.id == "call").executed_at == at(40)


def test_cancelling_an_inject_voids_what_it_expects() -> None:
    run = _run()
    run.tick(at(5))
    (changed,) = run.skip("update", at(5))
    assert isinstance(changed, InjectStateChanged) and changed.reason == "skipped by the controller"
    run.tick(at(200))
    assert _state(run, "update") == CANCELLED
    window = next(w for w in run.windows() if w.expectation.id == "phone")
    assert window.anchor_at is None


def test_commands_that_do_not_apply_are_refused_with_the_reason() -> None:
    run = _run()
    run.tick(at(5))
    with pytest.raises(DrillCommandError, match="'first_report' is executed; it cannot become on_hold"):
        run.hold("first_report", at(5))
    with pytest.raises(DrillCommandError, match="no inject 'nope'"):
        run.cancel("nope", at(5))


def test_the_exercise_ends_at_the_end_of_the_scenario_and_then_does_nothing() -> None:
    run = _run()
    effects = run.tick(at(500))
    ended = [e for e in effects if isinstance(e, ExerciseEnded)]
    assert [(e.at, e.reason) for e in ended] == [(at(180), "end of scenario")]
    assert run.finished and run.next_due() is None
    assert run.tick(at(600)) == []
    with pytest.raises(DrillCommandError, match="has ended"):
        run.inject_now("parents", at(600))


def test_stop_ends_the_exercise_early() -> None:
    run = _run()
    effects = run.stop(at(50))
    assert isinstance(effects[-1], ExerciseEnded) and effects[-1].at == at(50)
    assert run.result().ended_at == at(50)


def test_next_due_is_the_earliest_moment_something_fires() -> None:
    run = _run()
    assert run.next_due() == T0
    run.tick(T0)
    assert run.next_due() == at(20)
    run.tick(at(20))
    assert run.next_due() == at(30)


def test_an_expectation_window_runs_from_its_inject_to_the_deadline() -> None:
    run = _run()
    run.tick(at(100))
    window = next(w for w in run.windows() if w.expectation.id == "phone")
    assert (window.anchor_at, window.due_at, window.allowed) == (at(90), at(110), timedelta(minutes=20))


def test_effects_serialise_as_exercise_messages() -> None:
    run = _run()
    effects = run.tick(at(20))
    message = next(e for e in effects if isinstance(e, DeliverMessage))
    assert message.to_dict()["title"] == "【演练】医院来电"
    assert all(e.to_dict()["mode"] == "exercise" for e in effects)


def test_a_contingency_checked_before_its_inject_fires_is_checked_when_the_inject_fires() -> None:
    text = SMALL.replace("    unless: alert\n", "    unless: phone\n    at: T+0:30\n")
    run = DrillRun(small(text), "ex-1", T0)
    assert "chase" not in _fired(run.tick(at(80)))
    assert "chase" in _fired(run.tick(at(95)))
    assert next(s for s in run.states() if s.id == "chase").executed_at == at(90)
