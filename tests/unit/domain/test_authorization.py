"""The writer's own role rules (defence in depth behind the API's): who may lower, approve, and act on a step."""

from __future__ import annotations

import pytest

from playbooks.assessment import Recommendation
from playbooks.commands import (
    SYSTEM,
    AcknowledgeTask,
    Actor,
    ApproveTermination,
    CompleteTask,
    DecideLevel,
    ProposeTermination,
    Role,
    SignalValue,
    UpdateTerminationSignals,
)
from playbooks.handlers import CommandRefused, handle
from playbooks.incident import Incident, IncidentStatus
from playbooks.levels import Level
from playbooks.response import ItemStatus
from tests.unit.domain.factories import (
    COMMANDER,
    DUTY_OFFICER,
    T0,
    assessed,
    ctx,
    incident_with,
    report,
    responder,
    status_of,
)

WEEK = 7 * 24 * 60


def level_two() -> Incident:
    """Sixty pupils at a school canteen: level II, with task orders for the CDC, market regulation, ..."""
    state = incident_with(report(60))
    assert state.level is Level.II
    return state


def proposed_for_termination() -> Incident:
    """An incident whose termination a duty officer proposed, with every criterion holding a week on."""
    state = incident_with(report(40))
    signals: dict[str, SignalValue] = {
        "patients_stable_since": T0.isoformat(),
        "site_controlled": True,
        "hazards_removed": True,
    }
    handle(state, UpdateTerminationSignals(signals=signals, actor=DUTY_OFFICER), ctx(60))
    if state.status is IncidentStatus.ACTIVE:
        handle(state, ProposeTermination(reason="达到终止条件", actor=DUTY_OFFICER), ctx(WEEK))
    assert status_of(state) is IncidentStatus.TERMINATION_PROPOSED
    return state


def test_a_duty_officer_cannot_lower_the_level_and_is_told_who_can() -> None:
    state = level_two()
    with pytest.raises(CommandRefused) as refused:
        handle(state, DecideLevel(level=Level.IV, reason="专家组核实", actor=DUTY_OFFICER), ctx(10))
    assert str(refused.value) == "only a commander lowers a level (II → IV); 值班员 (duty_officer) is not one"
    assert state.level is Level.II
    assert len(state.level_history) == 1


def test_a_command_without_an_actor_cannot_lower_the_level() -> None:
    state = level_two()
    with pytest.raises(CommandRefused, match="only a commander lowers a level"):
        handle(state, DecideLevel(level=Level.IV, reason="专家组核实", actor=SYSTEM), ctx(10))
    assert state.level is Level.II


def test_a_commander_lowers_the_level() -> None:
    state = assessed(level_two(), Recommendation.LOWER_LEVEL, 5)
    handle(state, DecideLevel(level=Level.IV, reason="专家组核实", actor=COMMANDER), ctx(10))
    assert state.level is Level.IV


def test_a_duty_officer_may_raise_the_level() -> None:
    state = level_two()
    handle(state, DecideLevel(level=Level.I, reason="跨省扩散", actor=DUTY_OFFICER), ctx(10))
    assert state.level is Level.I


def test_a_unit_responder_cannot_complete_another_units_task() -> None:
    state = level_two()
    assert state.items["seal_suspect_food"].owner == "market_regulation"
    with pytest.raises(CommandRefused) as refused:
        handle(state, CompleteTask(action_key="seal_suspect_food", result="已封存", actor=responder("cdc")), ctx(10))
    assert "belongs to 'market_regulation'" in str(refused.value)
    assert "for 'cdc'" in str(refused.value)
    assert state.items["seal_suspect_food"].status is ItemStatus.PENDING


def test_a_unit_responder_cannot_acknowledge_another_units_task() -> None:
    state = level_two()
    with pytest.raises(CommandRefused, match="belongs to 'market_regulation'"):
        handle(state, AcknowledgeTask(action_key="seal_suspect_food", actor=responder("cdc")), ctx(10))
    assert state.items["seal_suspect_food"].status is ItemStatus.PENDING


def test_a_unit_responder_completes_their_own_units_task() -> None:
    state = level_two()
    command = CompleteTask(action_key="seal_suspect_food", result="已封存", actor=responder("market_regulation"))
    handle(state, command, ctx(10))
    item = state.items["seal_suspect_food"]
    assert (item.status, item.completed_by, item.result) == (ItemStatus.COMPLETED, "联络员", "已封存")


def test_a_responder_who_is_also_a_duty_officer_acts_for_any_unit() -> None:
    state = level_two()
    both = Actor("值班员兼联络员", frozenset({Role.UNIT_RESPONDER, Role.DUTY_OFFICER}), "cdc")
    handle(state, CompleteTask(action_key="seal_suspect_food", actor=both), ctx(10))
    assert state.items["seal_suspect_food"].status is ItemStatus.COMPLETED


def test_only_a_commander_approves_termination() -> None:
    state = proposed_for_termination()
    with pytest.raises(CommandRefused) as refused:
        handle(state, ApproveTermination(reason="达到终止条件", actor=DUTY_OFFICER), ctx(WEEK))
    assert str(refused.value) == "only a commander approves termination; 值班员 (duty_officer) is not one"
    assert status_of(state) is IncidentStatus.TERMINATION_PROPOSED
    assessed(state, Recommendation.TERMINATE, WEEK)
    handle(state, ApproveTermination(reason="达到终止条件", actor=COMMANDER), ctx(WEEK))
    assert status_of(state) is IncidentStatus.CLOSED
