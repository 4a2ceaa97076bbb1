"""The incident aggregate under commands: grading, live level changes, escalation, termination."""

from __future__ import annotations

from datetime import timedelta

import pytest

from playbooks.assessment import Recommendation
from playbooks.commands import (
    AcknowledgeAlert,
    AddNote,
    ApproveTermination,
    CheckDeadlines,
    DecideLevel,
    Delivery,
    RecordDelivery,
    SetVerifiedFacts,
    SignalValue,
    UpdateTerminationSignals,
)
from playbooks.events import (
    ActionsPlanned,
    ActionUpdated,
    IncidentOpened,
    ItemChange,
    LevelChanged,
    NoteAdded,
    NotificationFailed,
    NotificationSent,
    ReportReceived,
)
from playbooks.facts import Facts
from playbooks.handlers import CommandRefused, handle
from playbooks.incident import IncidentStatus
from playbooks.levels import Level
from tests.unit.domain.factories import (
    COMMANDER,
    DUTY_OFFICER,
    T0,
    assessed,
    ctx,
    incident_with,
    receive,
    report,
    status_of,
)


def test_sixty_pupils_at_a_school_canteen_grade_level_two_and_plan_the_response() -> None:
    outcome = receive(None, report(60))
    assert outcome.incident.level is Level.II
    assert outcome.incident.status is IncidentStatus.ACTIVE
    assert [type(e) for e in outcome.events[:3]] == [IncidentOpened, ReportReceived, LevelChanged]
    assert any(isinstance(e, ActionsPlanned) for e in outcome.events)
    assert {"notify_education"} <= set(outcome.incident.items)


def test_a_few_cases_are_monitored_with_the_minimal_response() -> None:
    state = incident_with(report(25, venue_type="restaurant"))
    assert (state.level, state.status) == (Level.NON_GRADED, IncidentStatus.MONITORING)
    assert set(state.items) == {"unit_report", "epidemiological_investigation", "seal_suspect_food", "case_watch"}


def test_reaching_a_level_keeps_the_minimal_steps_and_adds_the_levels_own() -> None:
    first = receive(None, report(12, venue_type="restaurant"))
    minimal = dict(first.incident.items)
    raised = receive(first.incident, report(35, venue_type="restaurant", at=T0 + timedelta(minutes=30)), 30)
    assert raised.incident.level is Level.IV
    assert {k: raised.incident.items[k] for k in minimal} == minimal
    planned = [e for e in raised.events if isinstance(e, ActionsPlanned)]
    assert {i.key for e in planned for i in e.items}.isdisjoint(minimal)
    assert "notify_leading_group" in raised.incident.items


def test_rising_figures_raise_the_level_on_the_same_incident_without_duplicate_steps() -> None:
    state = incident_with(report(25, venue_type="restaurant"))
    state = receive(state, report(40, venue_type="restaurant"), 30).incident
    assert state.level is Level.IV
    planned_at_iv = set(state.items)
    outcome = receive(state, report(40, deaths=1, venue_type="restaurant"), 60)
    assert outcome.incident.level is Level.III
    assert [h["to"] for h in outcome.incident.level_history] == ["IV", "III"]
    added = [i.key for e in outcome.events if isinstance(e, ActionsPlanned) for i in e.items]
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
    assert receive(state, first, 5).events == []


def test_a_missed_acknowledgement_escalates_along_the_chain() -> None:
    state = incident_with(report(40, venue_type="restaurant"))
    key, item = min(state.items.items(), key=lambda kv: kv[1].due_at)
    minutes = (item.due_at - T0).total_seconds() / 60 + 1
    events = handle(state, CheckDeadlines(), ctx(minutes)).events
    escalated = [e for e in events if isinstance(e, ActionUpdated) and e.key == key]
    assert escalated and escalated[0].change is ItemChange.ESCALATED
    assert escalated[0].to_role == item.escalation[0]
    again = handle(state, CheckDeadlines(), ctx(minutes)).events
    assert all(not isinstance(e, ActionUpdated) or e.key != key for e in again), "the same step escalated twice"


def test_an_acknowledged_alert_does_not_escalate() -> None:
    state = incident_with(report(40, venue_type="restaurant"))
    alerts = [k for k, i in state.items.items() if i.kind == "notify"]
    for key in alerts:
        handle(state, AcknowledgeAlert(action_key=key, actor=DUTY_OFFICER), ctx(1))
    events = handle(state, CheckDeadlines(), ctx(24 * 60)).events
    assert not {e.key for e in events if isinstance(e, ActionUpdated)} & set(alerts)


def test_lowering_needs_a_reason() -> None:
    state = incident_with(report(60))
    with pytest.raises(CommandRefused, match="reason"):
        handle(state, DecideLevel(level=Level.IV, reason=" ", actor=COMMANDER), ctx(10))


def test_a_commander_lowers_the_level_and_the_same_facts_do_not_raise_it_again() -> None:
    state = assessed(incident_with(report(60)), Recommendation.LOWER_LEVEL, 5)
    handle(state, DecideLevel(level=Level.III, reason="专家组核实", actor=COMMANDER), ctx(10))
    assert state.level is Level.III
    assert state.level_history[-1]["decided_by"] == COMMANDER.user
    receive(state, report(60, unit="区中医院"), 20)
    assert state.level is Level.III


def test_verified_facts_override_the_aggregate_and_are_attributed() -> None:
    state = incident_with(report(60))
    command = SetVerifiedFacts(facts=Facts(cases=120), reason="核实", actor=DUTY_OFFICER)
    handle(state, command, ctx(5))
    assert state.facts.cases == 120
    assert state.aggregated_facts.cases == 60
    assert state.verified is not None and state.verified["by"] == DUTY_OFFICER.user


def test_a_note_without_text_is_refused() -> None:
    state = incident_with(report(40))
    with pytest.raises(CommandRefused, match="text"):
        handle(state, AddNote(text="  ", actor=DUTY_OFFICER), ctx(1))
    events = handle(state, AddNote(text=" 已通知学校 ", actor=DUTY_OFFICER), ctx(2)).events
    assert events == [NoteAdded(at=ctx(2).now, text="已通知学校", by=DUTY_OFFICER.user)]


def test_deliveries_go_on_the_timeline_as_sent_or_failed() -> None:
    state = incident_with(report(40))
    sent = Delivery(idempotency_key="k1", action_key="notify_x", status="delivered")
    sink = Delivery(idempotency_key="k2", action_key="notify_x", status="diverted_to_exercise_sink")
    failed = Delivery(idempotency_key="k3", action_key="notify_x", status="failed", reason="smtp down")
    events = handle(state, RecordDelivery(deliveries=(sent, sink, failed)), ctx(1)).events
    assert [type(e) for e in events] == [NotificationSent, NotificationSent, NotificationFailed]


def test_approval_before_a_proposal_is_rejected() -> None:
    state = incident_with(report(40))
    with pytest.raises(CommandRefused, match="proposed"):
        handle(state, ApproveTermination(actor=COMMANDER), ctx(10))


def test_termination_closes_the_incident_and_plans_the_after_response_steps() -> None:
    state = incident_with(report(40))
    signals: dict[str, SignalValue] = {
        "patients_stable_since": T0.isoformat(),
        "site_controlled": True,
        "hazards_removed": True,
    }
    handle(state, UpdateTerminationSignals(signals=signals, actor=DUTY_OFFICER), ctx(60))
    week_later = 7 * 24 * 60
    events = handle(state, CheckDeadlines(), ctx(week_later)).events
    assert status_of(state) is IncidentStatus.TERMINATION_PROPOSED, [e.type for e in events]
    assessed(state, Recommendation.TERMINATE, week_later)
    events = handle(state, ApproveTermination(reason="达到终止条件", actor=COMMANDER), ctx(week_later)).events
    assert status_of(state) is IncidentStatus.CLOSED
    assert any(isinstance(e, ActionsPlanned) and e.cause == "termination" for e in events)
