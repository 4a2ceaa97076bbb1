"""Termination: every criterion must hold; time criteria come from the playbook's parameters."""

from __future__ import annotations

from datetime import datetime, timedelta

from playbooks import signal_names, termination_check
from tests.unit.playbooks.factories import MONDAY_8AM, food_safety

NOW = MONDAY_8AM + timedelta(days=5)


def _signals(**overrides: datetime | bool | None) -> dict[str, datetime | bool | None]:
    signals: dict[str, datetime | bool | None] = {
        "patients_stable_since": NOW - timedelta(hours=30),
        "last_case_at": NOW - timedelta(hours=80),
        "site_controlled": True,
        "hazards_removed": True,
        "approved": True,
    }
    return {**signals, **overrides}


def test_the_response_may_end_when_every_criterion_holds() -> None:
    assert termination_check(food_safety(), signals=_signals(), now=NOW).ready


def test_a_case_within_the_longest_incubation_period_blocks_the_end() -> None:
    status = termination_check(food_safety(), signals=_signals(last_case_at=NOW - timedelta(hours=71)), now=NOW)
    assert status.missing == ("no_new_cases",)


def test_the_incubation_period_is_the_playbook_parameter() -> None:
    status = termination_check(food_safety(), signals=_signals(last_case_at=NOW - timedelta(hours=72)), now=NOW)
    assert status.ready


def test_patients_stable_for_less_than_a_day_block_the_end() -> None:
    status = termination_check(
        food_safety(), signals=_signals(patients_stable_since=NOW - timedelta(hours=23)), now=NOW
    )
    assert status.missing == ("patients_stable",)


def test_the_end_needs_approval() -> None:
    status = termination_check(food_safety(), signals=_signals(approved=False), now=NOW)
    assert status.missing == ("approved",)


def test_unknown_signals_do_not_hold() -> None:
    status = termination_check(food_safety(), signals={}, now=NOW)
    assert status.missing == ("patients_stable", "no_new_cases", "site_controlled", "hazards_removed", "approved")


def test_earliest_end_is_when_the_last_time_criterion_will_hold() -> None:
    last_case = NOW - timedelta(hours=10)
    status = termination_check(food_safety(), signals=_signals(last_case_at=last_case), now=NOW)
    assert status.earliest_at == last_case + timedelta(hours=72)


def test_playbook_lists_the_signals_a_termination_form_asks_for() -> None:
    assert signal_names(food_safety()) == (
        "patients_stable_since",
        "last_case_at",
        "site_controlled",
        "hazards_removed",
        "approved",
    )


def test_status_is_json_ready() -> None:
    data = termination_check(food_safety(), signals=_signals(), now=NOW).to_dict()
    assert data["ready"] is True and len(data["criteria"]) == 5
