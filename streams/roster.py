"""The worker follows the roster's log so the notifier resolves recipients on the edited roster."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog

from infra.db.models import CommandResultRow
from infra.district.commands import apply_roster_command, follow_roster_commands
from playbooks.organisation import OrganisationError
from streams.app import app, settings
from streams.db import database
from streams.topics import ROSTER_COMMANDS

log = structlog.get_logger("tocsin.roster")


async def _apply(command: dict[str, Any]) -> None:
    """Apply one roster command to the notifier's organisation and record the outcome for `?wait`."""
    from streams.notifier import notifier

    current = notifier()
    status, reason = "applied", ""
    try:
        current.organisation = apply_roster_command(current.organisation, command)
    except OrganisationError as exc:
        status, reason = "rejected", str(exc)
    log.info("roster.command", type=command.get("type"), id=command.get("id"), status=status, reason=reason)
    if command.get("id"):
        async with database().transaction() as session:
            await session.execute(
                database()
                .insert(CommandResultRow)
                .values(
                    command_id=str(command["id"])[:64],
                    incident_id=None,
                    status=status,
                    reason=reason,
                    at=datetime.now(UTC),
                )
                .on_conflict_do_nothing(index_elements=[CommandResultRow.command_id])
            )


@app.task  # type: ignore[untyped-decorator]
async def follow_roster() -> None:
    """Replay and follow tocsin.roster-commands for the whole life of the worker."""
    await follow_roster_commands(settings.kafka_bootstrap, ROSTER_COMMANDS, _apply)
