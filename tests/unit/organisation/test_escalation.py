"""Escalation chains resolve step by step for the owning unit."""

from __future__ import annotations

from tests.unit.organisation.factories import MONDAY, local, small_org


def test_the_default_chain_climbs_from_duty_officer_to_the_leading_group() -> None:
    steps = small_org().escalation_targets(["duty_officer", "unit_leader", "leading_group"], "cdc", local(MONDAY, 22))
    assert [[p.id for p in s.people] for s in steps] == [["cdc-b"], ["cdc-head"], ["chair", "cdc-head"]]
    assert [s.role for s in steps] == ["duty_officer", "leader_on_duty", "leading_group"]


def test_a_chain_ending_with_the_commander_reaches_the_district_head() -> None:
    steps = small_org().escalation_targets(["duty_officer", "commander"], "cdc", local(MONDAY, 10))
    assert [[p.id for p in s.people] for s in steps] == [["cdc-a"], ["chair"]]


def test_a_chain_for_the_incidents_town_resolves_in_that_town() -> None:
    steps = small_org().escalation_targets(
        ["duty_officer", "unit_leader"], "town_office", local(MONDAY, 10), town="城关街道"
    )
    assert [[p.id for p in s.people] for s in steps] == [["town-officer"], ["town-head"]]


def test_each_step_explains_itself() -> None:
    steps = small_org().escalation_targets(["duty_officer", "unit_leader"], "cdc", local(MONDAY, 10))
    assert steps[0].explanation == "cdc duty officer on 2026-11-23 day shift: CDC-A"
    assert steps[1].explanation == "cdc leader on duty on 2026-11-23 day shift: CDC-HEAD"
