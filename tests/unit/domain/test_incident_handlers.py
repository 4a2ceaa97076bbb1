"""The incident aggregate under commands: grading, live level changes, escalation, termination."""

from __future__ import annotations

import pytest

from playbooks.handlers import CommandRejected, handle, receive_report
from playbooks.incident import ACTIVE, CLOSED, MONITORING, TERMINATION_PROPOSED
from playbooks.levels import Level
from tests.unit.domain.factories import T0, ctx, incident_with, report


def test_sixty_pupils_at_a_school_canteen_grade_level_two_and_plan_the_response() -> None:
    outcome = receive_report(None, "INC-1", report(60), ctx())
    assert outcome.incident.level is Level.II
    assert outcome.incident.status == ACTIVE
    types = [e.type for e in outcome.events]
    assert types[:3] == ["IncidentOpened", "ReportReceived", "LevelChanged"]
    assert "ActionsPlanned" in types
    assert {"notify_education"} <= set(outcome.incident.items)


def test_a_few_cases_are_monitored_without_a_response() -> None:
    state = incident_with(report(25, venue_type="restaurant"))
    assert (state.level, state.status, state.items) == (Level.NON_GRADED, MONITORING, {})


def test_rising_figures_raise_the_level_on_the_same_incident_without_duplicate_steps() -> None:
    state = incident_with(report(25, venue_type="restaurant"))
    state = receive_report(state, "INC-1", report(40, venue_type="restaurant"), ctx(30)).incident
    assert state.level is Level.IV
    planned_at_iv = set(state.items)
    outcome = receive_report(state, "INC-1", report(40, deaths=1, venue_type="restaurant"), ctx(60))
    assert outcome.incident.level is Level.III
    assert [h["to"] for h in outcome.incident.level_history] == ["IV", "III"]
    added = [i["key"] for e in outcome.events if e.type == "ActionsPlanned" for i in e.data["items"]]
    assert not set(added) & planned_at_iv


def test_three_hospitals_sum_into_one_incident() -> None:
    state = incident_with(report(12, unit="区人民医院"), report(11, unit="区中医院"), report(9, unit="城关卫生院"))
    assert state.facts.cases == 32
    assert len(state.sources) == 3


def test_a_sources_newer_report_replaces_its_earlier_figures() -> None:
    state = incident_with(report(12, unit="区人民医院"), report(20, unit="区人民医院"))
    assert state.facts.cases == 20


def test_a_repeated_report_changes_nothing() -> None:
    first = report(40)
    state = incident_with(first)
    assert receive_report(state, "INC-1", first, ctx(5)).events == []


def test_a_missed_acknowledgement_escalates_along_the_chain() -> None:
    state = incident_with(report(40, venue_type="restaurant"))
    key, item = min(state.items.items(), key=lambda kv: kv[1].due_at)
    minutes = (item.due_at - T0).total_seconds() / 60 + 1
    events = handle(state, "CheckDeadlines", {}, ctx(minutes)).events
    escalated = [e for e in events if e.type == "ActionUpdated" and e.data["key"] == key]
    assert escalated and escalated[0].data["to_role"] == item.escalation[0]
    again = handle(state, "CheckDeadlines", {}, ctx(minutes)).events
    assert all(e.data.get("key") != key for e in again), "the same step escalated twice at once"


def test_an_acknowledged_alert_does_not_escalate() -> None:
    state = incident_with(report(40, venue_type="restaurant"))
    alerts = [k for k, i in state.items.items() if i.kind == "notify"]
    for key in alerts:
        handle(state, "AcknowledgeAlert", {"action_key": key}, ctx(1, user="值班员"))
    events = handle(state, "CheckDeadlines", {}, ctx(24 * 60)).events
    assert not {e.data.get("key") for e in events} & set(alerts)


def test_lowering_needs_a_reason() -> None:
    state = incident_with(report(60))
    with pytest.raises(CommandRejected, match="reason"):
        handle(state, "DecideLevel", {"level": "IV", "reason": " "}, ctx(10, user="指挥长"))


def test_a_commander_lowers_the_level_and_the_same_facts_do_not_raise_it_again() -> None:
    state = incident_with(report(60))
    handle(state, "DecideLevel", {"level": "III", "reason": "专家组核实"}, ctx(10, user="指挥长"))
    assert state.level is Level.III
    receive_report(state, "INC-1", report(60, unit="区中医院"), ctx(20))
    assert state.level is Level.III


def test_verified_facts_override_the_aggregate_and_are_attributed() -> None:
    state = incident_with(report(60))
    handle(state, "SetVerifiedFacts", {"facts": {"cases": 120}, "reason": "核实"}, ctx(5, user="值班员"))
    assert state.facts.cases == 120
    assert state.aggregated_facts.cases == 60
    assert state.verified is not None and state.verified["by"] == "值班员"


def test_approval_before_a_proposal_is_rejected() -> None:
    state = incident_with(report(40))
    with pytest.raises(CommandRejected, match="proposed"):
        handle(state, "ApproveTermination", {}, ctx(10, user="指挥长"))


def test_termination_closes_the_incident_and_plans_the_after_response_steps() -> None:
    state = incident_with(report(40))
    signals = {"patients_stable_since": T0.isoformat(), "site_controlled": True, "hazards_removed": True}
    handle(state, "UpdateTerminationSignals", {"signals": signals}, ctx(60, user="值班员"))
    week_later = 7 * 24 * 60
    events = handle(state, "CheckDeadlines", {}, ctx(week_later)).events
    assert state.status == TERMINATION_PROPOSED, [e.type for e in events]
    events = handle(state, "ApproveTermination", {"reason": "达到终止条件"}, ctx(week_later, user="指挥长")).events
    assert state.status == CLOSED
    assert any(e.type == "ActionsPlanned" and e.data["cause"] == "termination" for e in events)
