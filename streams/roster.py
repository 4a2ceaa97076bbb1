"""Roster edits: every worker replays `tocsin.roster-commands` onto the district it loaded from files.

The topic is the roster's log (Kafka is the source of truth): a restarted worker reads it from the start,
so edits made through the API survive restarts and reach every worker, whatever partitions it owns.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from infra.kafka.admin import partition_count
from playbooks.organisation import Organisation, OrganisationError, assign_shift, update_contacts
from streams.app import app, settings
from streams.topics import ROSTER_COMMANDS

log = structlog.get_logger("tocsin.roster")


def apply_roster_command(org: Organisation, command: dict[str, Any]) -> Organisation:
    """The organisation after one roster command; raise OrganisationError (or KeyError) if it cannot apply."""
    payload = command.get("payload") or {}
    if command.get("type") == "AssignShift":
        leader, officer = payload.get("leader_on_duty"), payload.get("duty_officer")
        if not leader or not officer:
            raise OrganisationError("AssignShift needs both leader_on_duty and duty_officer")
        return assign_shift(org, payload["unit"], date.fromisoformat(payload["date"]), payload["shift"],
                            leader_on_duty=leader, duty_officer=officer)
    if command.get("type") == "UpdateContacts":
        return update_contacts(org, payload["person_id"], payload["contacts"])
    raise OrganisationError(f"unknown roster command {command.get('type')!r}")


@app.task  # type: ignore[untyped-decorator]
async def follow_roster_commands() -> None:
    """Apply every roster command, from the first, to this worker's organisation; then keep following."""
    from streams.notifier import notifier

    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False,
                                group_id=None, metadata_max_age_ms=5_000)
    await consumer.start()
    try:
        partitions = [TopicPartition(ROSTER_COMMANDS, p)
                      for p in range(await partition_count(settings.kafka_bootstrap, ROSTER_COMMANDS))]
        if not partitions:
            log.warning("roster.topic.missing", topic=ROSTER_COMMANDS)
            return
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        async for message in consumer:
            command = json.loads(message.value)
            current = notifier()
            try:
                current.organisation = apply_roster_command(current.organisation, command)
                log.info("roster.command.applied", type=command.get("type"), id=command.get("id"))
            except (OrganisationError, KeyError, ValueError) as exc:
                log.warning("roster.command.rejected", type=command.get("type"), id=command.get("id"), reason=str(exc))
    finally:
        await consumer.stop()
