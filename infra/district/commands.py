"""Roster edits as commands on `tocsin.roster-commands` (the roster's log): apply them, and follow the topic.

Every worker and every API process replays the topic from the start onto the district loaded from files,
so an edit made through the API reaches the notifier and the roster views, and survives restarts.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import structlog

from infra.kafka.reading import from_start
from infra.wire import CommandType
from playbooks.organisation import Organisation, OrganisationError, assign_shift, update_contacts

log = structlog.get_logger("tocsin.roster")

OnCommand = Callable[[dict[str, Any]], Awaitable[None]]


def apply_roster_command(org: Organisation, command: dict[str, Any]) -> Organisation:
    """The organisation after one roster command; raise OrganisationError if it cannot apply."""
    payload = command.get("payload") or {}
    try:
        if command.get("type") == CommandType.ASSIGN_SHIFT:
            leader, officer = payload.get("leader_on_duty"), payload.get("duty_officer")
            if not leader or not officer:
                raise OrganisationError("AssignShift needs both leader_on_duty and duty_officer")
            return assign_shift(
                org,
                payload["unit"],
                date.fromisoformat(payload["date"]),
                payload["shift"],
                leader_on_duty=leader,
                duty_officer=officer,
            )
        if command.get("type") == CommandType.UPDATE_CONTACTS:
            return update_contacts(org, payload["person_id"], payload["contacts"])
    except (KeyError, TypeError, ValueError) as exc:
        raise OrganisationError(f"{command.get('type')}: malformed payload ({exc})") from exc
    raise OrganisationError(f"unknown roster command {command.get('type')!r}")


async def follow_roster_commands(bootstrap: str, topic: str, on_command: OnCommand) -> None:
    """Call `on_command` for every roster command on `topic`, from the first, then keep following."""
    async with from_start(bootstrap, topic) as (consumer, partitions):
        if not partitions:
            log.warning("roster.topic.missing", topic=topic)
            return
        async for message in consumer:
            try:
                command = json.loads(message.value)
            except ValueError:
                log.warning("roster.command.unreadable", offset=message.offset, partition=message.partition)
                continue
            await on_command(command)
