"""The notifier agent: planned steps and escalations become messages to whoever is on duty.

Deliveries go through the Dispatcher only (exercise guard, retries, durable de-duplication); each outcome
goes back to the incident's writer as a RecordDelivery command, so the timeline shows it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

import faust
import httpx
import structlog

from infra.channels import (
    CapDetails,
    DeliveryResult,
    DeliveryStatus,
    Dispatcher,
    ExerciseIsolationViolation,
    ExerciseRegistry,
    MessageTemplate,
    OutboundMessage,
    Recipient,
    compose_message,
    delivery_key,
    idempotency_key,
)
from infra.district import load_organisation
from infra.notify.cap_store import SqlCapAlertStore
from infra.notify.factory import build_dispatcher
from infra.notify.recipients import channels_for, recipient_of
from infra.notify.stores import SENDING, SqlDeliveryStore, exercise_registry
from infra.wire import CommandType, Envelope, stable_id
from playbooks.levels import Level
from playbooks.organisation import Organisation, OrganisationError, Person, Resolution
from streams import topics
from streams.app import app, clock, settings
from streams.projector import database
from streams.records import envelopes, send

log = structlog.get_logger("tocsin.notifier")

ISSUE = MessageTemplate(
    name="issue",
    subject="【${level_name}】${incident_title}：${action_title}",
    body="${action_title}\n事件：${incident_title}（${incident_id}）\n${message}\n请在 ${deadline} 前处置并回执。",
)
ESCALATION = MessageTemplate(
    name="escalation",
    subject="【逾期升级】${incident_title}：${action_title}",
    body="${action_title} 已逾期（应于 ${deadline} 前完成，负责单位 ${owner}）。\n"
    "事件：${incident_title}（${incident_id}）\n请督促落实并回执。",
)


CAP_TEMPLATE = MessageTemplate(
    name="cap",
    subject="${incident_title}：${action_title}",
    body="${action_title}（${level_name}）。${message}",
)
PUBLIC_FEED = Recipient(id="cap:public", name="公众（CAP 预警）", contacts={"cap": "public"})
PUBLIC_PERSON = Person(id="cap:public", name="公众（CAP 预警）", unit="publicity", roles=())


class Notifier:
    """Resolves recipients on the duty roster and delivers through the Dispatcher."""

    def __init__(
        self, organisation: Organisation, dispatcher: Dispatcher, registry: ExerciseRegistry, store: SqlDeliveryStore
    ) -> None:
        self.organisation = organisation
        self.dispatcher = dispatcher
        self.registry = registry
        self.store = store

    async def handle(self, event: Envelope) -> list[dict[str, Any]]:
        """Deliver what an incident event calls for; return the delivery records for the timeline."""
        data = event.payload.get("event") or {}
        incident = event.payload.get("incident") or {}
        if event.type == "ActionsPlanned":
            jobs = [(item, self._targets(item, incident, event), "issue", ISSUE) for item in data.get("items", [])]
        elif event.type == "ActionUpdated" and data.get("change") == "escalated":
            item = data["item"]
            resolution = self._resolve(str(data["to_role"]), item["owner"], incident, event)
            jobs = [(item, [resolution], f"escalation-{data['step']}", ESCALATION)]
        else:
            return []
        if event.mode == "exercise" and event.exercise_id:
            fresh = await exercise_registry(database(), event.exercise_id)
            # the drill's own CAP feed ("exercise:<id>") is part of the exercise
            self.registry.register(event.exercise_id, {*fresh.participants(event.exercise_id), PUBLIC_FEED.id})
        work = [
            self._deliver_to(item, resolution, attempt, template, incident, event)
            for item, resolutions, attempt, template in jobs
            for resolution in resolutions
        ]
        if event.type == "ActionsPlanned":
            work.extend(
                self._publish_cap(item, incident, event)
                for item in data.get("items", [])
                if item["kind"] == "public_info"
            )
        return [record for records in await asyncio.gather(*work) for record in records]

    async def _publish_cap(
        self, item: dict[str, Any], incident: dict[str, Any], event: Envelope
    ) -> list[dict[str, Any]]:
        """A public-information step also publishes a CAP 1.2 alert (a drill's goes to its own feed)."""
        location = incident.get("location") or {}
        details = CapDetails(
            event=str(incident.get("incident_type", "")),
            category="Health",
            sender_name=settings.cap_sender_name,
            instruction=item.get("message") or "",
            area_desc=str(location.get("town") or location.get("venue") or ""),
            admin_code=location.get("admin_code"),
        )
        message = compose_message(
            CAP_TEMPLATE,
            _values(item, incident),
            incident_id=str(event.incident_id),
            action_key=item["key"],
            recipient_id=PUBLIC_FEED.id,
            created_at=datetime.fromisoformat(event.time),
            mode="exercise" if event.mode == "exercise" else "actual",
            exercise_id=event.exercise_id,
            level=incident.get("level"),
            attempt_key="cap",
            cap=details,
        )
        return await self._deliver(message, PUBLIC_FEED, "cap", item, PUBLIC_PERSON)

    def _targets(self, item: dict[str, Any], incident: dict[str, Any], event: Envelope) -> list[Resolution | str]:
        targets = item["recipients"] if item["kind"] == "notify" else [item["owner"]]
        return [self._resolve(target, item["owner"], incident, event) for target in targets]

    def _resolve(self, target: str, unit: str, incident: dict[str, Any], event: Envelope) -> Resolution | str:
        town = (incident.get("location") or {}).get("town")
        try:
            return self.organisation.resolve(target, datetime.fromisoformat(event.time), unit=unit, town=town)
        except OrganisationError as exc:
            return f"{target}: {exc}"

    async def _deliver_to(
        self,
        item: dict[str, Any],
        resolution: Resolution | str,
        attempt: str,
        template: MessageTemplate,
        incident: dict[str, Any],
        event: Envelope,
    ) -> list[dict[str, Any]]:
        if isinstance(resolution, str) or not resolution.people:
            reason = resolution if isinstance(resolution, str) else f"no one on duty: {resolution.explanation}"
            return [_unresolved(item, reason, attempt, event)]
        values = _values(item, incident)
        sends: list[Awaitable[list[dict[str, Any]]]] = []
        for person in resolution.people:
            message = compose_message(
                template,
                values,
                incident_id=str(event.incident_id),
                action_key=item["key"],
                recipient_id=person.id,
                created_at=datetime.fromisoformat(event.time),
                mode="exercise" if event.mode == "exercise" else "actual",
                exercise_id=event.exercise_id,
                level=incident.get("level"),
                attempt_key=attempt,
            )
            recipient = recipient_of(person)
            sends.extend(
                self._deliver(message, recipient, channel, item, person)
                for channel in channels_for(recipient, settings.notify_channel_list)
            )
        return [record for records in await asyncio.gather(*sends) for record in records]

    async def _deliver(
        self, message: OutboundMessage, recipient: Recipient, channel: str, item: dict[str, Any], person: Person
    ) -> list[dict[str, Any]]:
        """One delivery; a repeat is silent unless an earlier attempt was cut off by a crash (then it is flagged)."""
        key = delivery_key(message, channel)
        try:
            result = await self.dispatcher.deliver(message, recipient, channel)
        except ExerciseIsolationViolation as exc:
            return [{**_base(item, person, channel, message.subject, key), "status": "failed", "reason": str(exc)}]
        if result.status is not DeliveryStatus.DUPLICATE:
            return [_record(result, item, person, message.subject)]
        logged = await self.store.logged(key)
        if logged is not None and logged[0] == SENDING:
            reason = (
                "outcome unknown: the worker stopped during this send; not sent again to avoid a duplicate "
                "page — confirm receipt with the recipient"
            )
            return [{**_base(item, person, channel, message.subject, key), "status": "in_doubt", "reason": reason}]
        if logged is not None:  # sent before a restart: report it again so the timeline is complete
            return [
                {
                    **_base(item, person, channel, message.subject, key),
                    "status": logged[0],
                    "reason": logged[1].get("reason"),
                    "replayed": True,
                    "attempts": [
                        {k: a.get(k) for k in ("number", "at", "outcome", "error")}
                        for a in logged[1].get("attempts") or []
                    ],
                }
            ]
        return []


def _base(item: dict[str, Any], person: Person, channel: str, subject: str, key: str) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "action_key": item["key"],
        "recipient_id": person.id,
        "recipient_name": person.name,
        "channel": channel,
        "routed_to": "",
        "subject": subject,
        "attempts": [],
    }


def _values(item: dict[str, Any], incident: dict[str, Any]) -> dict[str, object]:
    venue = (incident.get("location") or {}).get("venue") or incident.get("id", "")
    level = incident.get("level") or "non_graded"
    return {
        "level_name": Level(level).label,
        "incident_title": f"{venue} {incident.get('incident_type', '')}",
        "incident_id": incident.get("id", ""),
        "action_title": item["title"],
        "message": item.get("message") or "",
        "deadline": item["due_at"],
        "owner": item["owner"],
    }


def _record(result: DeliveryResult, item: dict[str, Any], person: Person, subject: str) -> dict[str, Any]:
    return {
        "idempotency_key": f"{result.idempotency_key}@{result.channel}",
        "action_key": item["key"],  # = delivery_key
        "recipient_id": person.id,
        "recipient_name": person.name,
        "channel": result.channel,
        "routed_to": result.routed_to,
        "status": result.status.value,
        "reason": result.reason,
        "subject": subject,
        "attempts": [
            {"number": a.number, "at": a.at.isoformat(), "outcome": a.outcome.value, "error": a.error}
            for a in result.attempts
        ],
    }


def _unresolved(item: dict[str, Any], reason: str, attempt: str, event: Envelope) -> dict[str, Any]:
    key = idempotency_key(str(event.incident_id), item["key"], "unresolved", attempt)
    return {
        "idempotency_key": key,
        "action_key": item["key"],
        "recipient_id": "",
        "recipient_name": "",
        "channel": "",
        "routed_to": "",
        "status": "failed",
        "reason": reason,
        "subject": item["title"],
        "attempts": [],
    }


_notifier: Notifier | None = None
_client: httpx.AsyncClient | None = None


def notifier() -> Notifier:
    """The worker's notifier, built on first use (inside the worker's event loop)."""
    global _notifier, _client
    if _notifier is None:
        _client = httpx.AsyncClient(timeout=10)
        registry = ExerciseRegistry()
        store = SqlDeliveryStore(database())
        dispatcher = build_dispatcher(settings, store, registry, clock, _client, SqlCapAlertStore(database()))
        _notifier = Notifier(load_organisation(settings.district_dir), dispatcher, registry, store)
    return _notifier


@app.agent(topics.incident_events, concurrency=8)
async def notify(stream: faust.StreamT[bytes]) -> None:
    """Deliver notifications and task orders for planned steps and escalations; record every outcome."""
    async for _event, event in envelopes(stream, topics.reports_dlq, clock):
        records = await notifier().handle(event)
        if records:  # one command per event, so the writer handles a page burst in one step
            recorded = Envelope.new(
                CommandType.RECORD_DELIVERY,
                at=clock.now(),
                mode=event.mode,
                exercise_id=event.exercise_id,
                causation=event.id,
                incident_id=event.incident_id,
                payload={"deliveries": records},
                id_=stable_id("deliveries", event.id),
            )
            await send(topics.incident_commands, str(event.incident_id), recorded)
