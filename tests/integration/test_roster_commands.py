"""Roster commands from the API change who is on duty (applied by every worker)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from infra.district import load_organisation
from infra.district.commands import apply_roster_command
from infra.wire import CommandType
from playbooks.organisation import OrganisationError

ORG = load_organisation()


def test_assigning_a_shift_puts_that_officer_on_duty() -> None:
    day = date(2026, 12, 1)
    command = {
        "type": CommandType.ASSIGN_SHIFT,
        "payload": {
            "unit": "cdc",
            "date": day.isoformat(),
            "shift": "day",
            "leader_on_duty": "p-cdc-02",
            "duty_officer": "p-cdc-07",
        },
    }
    changed = apply_roster_command(ORG, command)
    on_duty = changed.resolve("cdc", datetime(2026, 12, 1, 4, 0, tzinfo=UTC))  # 12:00 in Asia/Shanghai
    assert [p.id for p in on_duty.people] == ["p-cdc-07"]


def test_updating_contacts_changes_the_address() -> None:
    command = {
        "type": CommandType.UPDATE_CONTACTS,
        "payload": {"person_id": "p-cdc-04", "contacts": {"email": "x@example.org"}},
    }
    assert apply_roster_command(ORG, command).person("p-cdc-04").contacts["email"] == "x@example.org"


def test_an_unknown_command_is_refused() -> None:
    with pytest.raises(OrganisationError):
        apply_roster_command(ORG, {"type": "Promote", "payload": {}})
