"""The notifier's delivery logic, framework-free: planned steps and escalations become messages to whoever is on duty.

Recipients are resolved on the duty roster; deliveries go through the Dispatcher only (exercise guard, retries,
durable de-duplication); a repeated delivery follows docs/adr/0016 (a logged key is not sent again, a key left
`sending` by a crash is reported `in_doubt`). Each event's outcomes go back to the incident's writer as one
RecordDelivery command, so the timeline shows them. The clock, the delivery log, the exercise participants and
the send function are injected: the faust agent (streams/notifier.py) passes the worker's, a test its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from infra.channels import (
    DeliveryResult,
    DeliveryStatus,
    Dispatcher,
    ExerciseIsolationViolation,
    ExerciseRegistry,
    MessageTemplate,
    Mode,
    OutboundMessage,
    Recipient,
    compose_message,
    delivery_key,
    idempotency_key,
)
from infra.channels.scheduler import PageKind, page_priority
from infra.clock import Clock
from infra.db.engine import Database
from infra.district import load_organisation
from infra.notify.cap_store import SqlCapAlertStore
from infra.notify.factory import build_dispatcher
from infra.notify.public_info import PUBLIC_FEED, bulletin_message
from infra.notify.recipients import channels_for, recipient_of
from infra.notify.stores import SENDING, SqlDeliveryStore, exercise_registry
from infra.settings import Settings
from infra.wire import CommandType, Envelope, EventType, stable_id
from playbooks.levels import Level
from playbooks.organisation import Organisation, OrganisationError, Person, Resolution
from playbooks.public_info import Bulletin
from playbooks.publishing import BULLETIN_FIELD

# Event payloads and delivery records are JSON objects read from and written to the wire: Any is that boundary.
JsonObject = dict[str, Any]

Send = Callable[[str, Envelope], Awaitable[None]]
"""Publish a command on `incident-commands` under the incident id."""
Participants = Callable[[str], Awaitable[Iterable[str]]]
"""The person ids registered in an exercise, read afresh for each of its events."""

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
PUBLIC_PERSON = Person(id="cap:public", name="公众（CAP 预警）", unit="publicity", roles=())

IN_DOUBT = "in_doubt"
IN_DOUBT_REASON = (
    "outcome unknown: the worker stopped during this send; not sent again to avoid a duplicate "
    "page — confirm receipt with the recipient"
)


class DeliveryLog(Protocol):
    """What the notifier reads of the Dispatcher's store: the logged status and result of a delivery key."""

    async def logged(self, key: str) -> tuple[str, JsonObject] | None:
        """The logged status and result of `key`, or None."""
        ...


@dataclass(frozen=True)
class Delivery:
    """The Dispatcher and what the notifier shares with it: its exercise registry and its delivery log."""

    dispatcher: Dispatcher
    registry: ExerciseRegistry
    """The registry the dispatcher guards with; refreshed from `participants` before each exercise event."""
    log: DeliveryLog
    """The dispatcher's store, read when it reports a duplicate (the replay and in-doubt rules)."""
    participants: Participants


@dataclass(frozen=True)
class NotifierSettings:
    """The deployment's delivery choices the notifier needs."""

    channels: tuple[str, ...]
    """The enabled channels, in order (TOCSIN_NOTIFY_CHANNELS)."""
    cap_sender: str
    """The CAP `sender` of published bulletins (TOCSIN_CAP_SENDER)."""

    @classmethod
    def of(cls, settings: Settings) -> NotifierSettings:
        """The notifier's part of the deployment settings."""
        return cls(tuple(settings.notify_channel_list), settings.cap_sender)


@dataclass(frozen=True)
class Unreachable:
    """A target or person a step could not reach, and why (DESIGN.md invariant 10)."""

    id: str
    name: str
    reason: str


@dataclass(frozen=True)
class _Page:
    """One page of a step: the message's values and its attempt key."""

    values: dict[str, object]
    attempt: str


@dataclass(frozen=True)
class _Job:
    """Deliveries one step calls for: the item, who it goes to, the attempt key and the template."""

    item: JsonObject
    resolutions: list[Resolution | Unreachable]
    attempt: str
    template: MessageTemplate
    kind: PageKind


class Notifier:
    """Resolves recipients on the duty roster, delivers through the Dispatcher and reports every outcome."""

    def __init__(
        self, organisation: Organisation, delivery: Delivery, settings: NotifierSettings, clock: Clock, send: Send
    ) -> None:
        self.organisation = organisation
        """The duty roster; the worker replaces it as roster commands arrive (streams/roster.py)."""
        self.delivery = delivery
        self.settings = settings
        self.clock = clock
        self.send = send

    async def process(self, event: Envelope) -> Envelope | None:
        """Deliver what `event` calls for and send its RecordDelivery command to the writer; return that command."""
        command = record_delivery(event, await self.handle(event), self.clock.now())
        if command is not None:
            await self.send(str(event.incident_id), command)
        return command

    async def handle(self, event: Envelope) -> list[JsonObject]:
        """Deliver what an incident event calls for; return the delivery records for the timeline."""
        data: JsonObject = event.payload.get("event") or {}
        incident: JsonObject = event.payload.get("incident") or {}
        jobs = self._jobs(event, data, incident)
        approved = event.type == EventType.PUBLIC_INFO_APPROVED
        if not jobs and not approved:
            return []
        if event.mode == "exercise" and event.exercise_id:
            participants = await self.delivery.participants(event.exercise_id)
            # the drill's own CAP feed ("exercise:<id>") is part of the exercise
            self.delivery.registry.register(event.exercise_id, {*participants, PUBLIC_FEED.id})
        work = [self._deliver_job(job, incident, event) for job in jobs]
        if approved:
            work.append(self._publish(data, event))
        # every job runs to its end before a failure is raised, so a retry of the event (the worker waiting out a
        # database outage) never overlaps a send still in flight from this attempt
        outcomes = await asyncio.gather(*work, return_exceptions=True)
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if failures:
            raise failures[0]
        return [record for records in outcomes if not isinstance(records, BaseException) for record in records]

    def _jobs(self, event: Envelope, data: JsonObject, incident: JsonObject) -> list[_Job]:
        """A planned step goes to its recipients (a task to its owner); an escalation to the next role up."""
        if event.type == EventType.ACTIONS_PLANNED:
            kind = PageKind.FIRST if str(data.get("cause", "")).startswith("level") else PageKind.BULK
            return [
                _Job(item, self._targets(item, incident, event), "issue", ISSUE, kind) for item in data.get("items", [])
            ]
        if event.type == EventType.ACTION_UPDATED and data.get("change") == "escalated":
            item = data["item"]
            resolution = self._resolve(str(data["to_role"]), item["owner"], incident, event)
            return [_Job(item, [resolution], f"escalation-{data['step']}", ESCALATION, PageKind.REMINDER)]
        return []

    async def _publish(self, data: JsonObject, event: Envelope) -> list[JsonObject]:
        """An approved bulletin is published as a CAP 1.2 alert (a drill's to its own feed only); the record names
        the bulletin, so the writer marks it published (DESIGN.md invariant 9: nothing public before approval)."""
        bulletin = Bulletin.from_dict(data["bulletin"])
        referenced = {b["id"]: Bulletin.from_dict(b) for b in data.get("referenced") or ()}
        message = bulletin_message(
            bulletin,
            incident_id=str(event.incident_id),
            sender=self.settings.cap_sender,
            mode=_mode(event),
            exercise_id=event.exercise_id,
            sent=bulletin.approved_at or datetime.fromisoformat(event.time),
            referenced=referenced,
        )
        item = {"key": message.action_key}
        records = await self._deliver(message, PUBLIC_FEED, "cap", item, PUBLIC_PERSON)
        return [{**record, BULLETIN_FIELD: bulletin.id} for record in records]

    def _targets(self, item: JsonObject, incident: JsonObject, event: Envelope) -> list[Resolution | Unreachable]:
        targets = item["recipients"] if item["kind"] == "notify" else [item["owner"]]
        return [self._resolve(target, item["owner"], incident, event) for target in targets]

    def _resolve(self, target: str, unit: str, incident: JsonObject, event: Envelope) -> Resolution | Unreachable:
        """The people `target` names at the event's time, or who could not be reached and why."""
        town = (incident.get("location") or {}).get("town")
        try:
            resolution = self.organisation.resolve(target, datetime.fromisoformat(event.time), unit=unit, town=town)
        except OrganisationError as exc:
            return Unreachable(target, target, f"{target}: {exc}")
        if not resolution.people:
            return Unreachable(target, target, f"no one on duty: {resolution.explanation}")
        return resolution

    async def _deliver_job(self, job: _Job, incident: JsonObject, event: Envelope) -> list[JsonObject]:
        """One step to everyone its resolutions name, on each enabled channel that reaches them.

        Whoever cannot be reached (no one resolved, no contact on an enabled channel) gets a failed record
        saying why, and the district duty officer is paged in their place (DESIGN.md invariant 10).
        """
        page = _Page(_values(job.item, incident), job.attempt)
        unreachable: list[Unreachable] = []
        sends: list[Awaitable[list[JsonObject]]] = []
        for resolution in job.resolutions:
            if isinstance(resolution, Unreachable):
                unreachable.append(resolution)
                continue
            for person in resolution.people:
                pages = self._page(job, page, person, incident, event)
                if not pages:
                    enabled = ", ".join(self.settings.channels) or "none"
                    unreachable.append(
                        Unreachable(person.id, person.name, f"no contact on an enabled channel ({enabled})")
                    )
                sends.extend(pages)
        if unreachable:
            sends.append(self._fall_back(job, unreachable, incident, event))
        return [record for records in await asyncio.gather(*sends) for record in records]

    def _page(
        self, job: _Job, page: _Page, person: Person, incident: JsonObject, event: Envelope
    ) -> list[Awaitable[list[JsonObject]]]:
        """The deliveries of one page to one person: one per enabled channel with their address (maybe none)."""
        message = compose_message(
            job.template,
            page.values,
            incident_id=str(event.incident_id),
            action_key=job.item["key"],
            recipient_id=person.id,
            created_at=datetime.fromisoformat(event.time),
            mode=_mode(event),
            exercise_id=event.exercise_id,
            level=incident.get("level"),
            attempt_key=page.attempt,
            priority=page_priority(job.kind, incident.get("level")),
        )
        recipient = recipient_of(person)
        return [
            self._deliver(message, recipient, channel, job.item, person)
            for channel in channels_for(recipient, self.settings.channels)
        ]

    async def _fall_back(
        self, job: _Job, unreachable: list[Unreachable], incident: JsonObject, event: Envelope
    ) -> list[JsonObject]:
        """Record who could not be reached and page the district duty officer (the roster's fallback) instead.

        The fallback page has its own attempt key (`<attempt>-fallback`), so it is de-duplicated on its own and
        never taken for a repeat of a page the duty officer got as an ordinary recipient of the step.
        """
        try:
            fallback = self.organisation.fallback(datetime.fromisoformat(event.time))
        except OrganisationError as exc:
            return [_unreached(job.item, u, job.attempt, event, fallback_error=str(exc)) for u in unreachable]
        who = "、".join(u.name for u in unreachable)
        why = "; ".join(u.reason for u in unreachable)
        names = "、".join(p.name for p in fallback.people)
        records = [_unreached(job.item, u, job.attempt, event, fallback_to=names) for u in unreachable]
        values = _values(job.item, incident)
        values["message"] = f"{values['message']}\n【转值班】{who} 无法送达（{why}），请代为处置或转达。".lstrip()
        page = _Page(values, f"{job.attempt}-fallback")
        sends = [send for person in fallback.people for send in self._page(job, page, person, incident, event)]
        if not sends:
            problem = Unreachable(fallback.target, names, "the fallback has no contact on an enabled channel")
            return [*records, _unreached(job.item, problem, job.attempt, event)]
        for delivered in await asyncio.gather(*sends):
            for record in delivered:
                record.update(fallback_for=who, fallback_reason=why, reason=record.get("reason") or why)
                records.append(record)
        return records

    async def _deliver(
        self, message: OutboundMessage, recipient: Recipient, channel: str, item: JsonObject, person: Person
    ) -> list[JsonObject]:
        """One delivery; a repeat is reported from the log, never sent again (docs/adr/0016)."""
        key = delivery_key(message, channel)
        try:
            result = await self.delivery.dispatcher.deliver(message, recipient, channel)
        except ExerciseIsolationViolation as exc:
            return [{**_base(item, person, channel, message.subject, key), "status": "failed", "reason": str(exc)}]
        if result.status is not DeliveryStatus.DUPLICATE:
            return [_record(result, item, person, message.subject)]
        base = _base(item, person, channel, message.subject, key)
        return repeated(base, await self.delivery.log.logged(key))


def repeated(base: JsonObject, logged: tuple[str, JsonObject] | None) -> list[JsonObject]:
    """The timeline record of a delivery the Dispatcher refused to repeat, from its logged status (ADR 0016).

    A key still `sending` was cut off by a crash: its outcome is unknown, so it is reported `in_doubt` and not
    sent again. Any other logged key was sent before a restart: it is reported again (`replayed`) so the
    timeline is complete. Nothing logged: nothing to report.
    """
    if logged is None:
        return []
    status, result = logged
    if status == SENDING:
        return [{**base, "status": IN_DOUBT, "reason": IN_DOUBT_REASON}]
    attempts = [{k: a.get(k) for k in ("number", "at", "outcome", "error")} for a in result.get("attempts") or []]
    return [{**base, "status": status, "reason": result.get("reason"), "replayed": True, "attempts": attempts}]


def record_delivery(event: Envelope, records: list[JsonObject], now: datetime) -> Envelope | None:
    """The RecordDelivery command carrying an event's delivery records to its writer; None when there are none.

    One command per event, so the writer puts a page burst on the timeline in one step; its id follows from the
    event's, so a replayed event's command has the same id.
    """
    if not records:
        return None
    return Envelope.new(
        CommandType.RECORD_DELIVERY,
        at=now,
        mode=event.mode,
        exercise_id=event.exercise_id,
        causation=event.id,
        incident_id=event.incident_id,
        payload={"deliveries": records},
        id_=stable_id("deliveries", event.id),
    )


def sql_participants(db: Database) -> Participants:
    """Exercise participants as the database holds them (registered when a drill starts)."""

    async def participants(exercise_id: str) -> frozenset[str]:
        return (await exercise_registry(db, exercise_id)).participants(exercise_id)

    return participants


def build_notifier(settings: Settings, db: Database, clock: Clock, client: httpx.AsyncClient, send: Send) -> Notifier:
    """The worker's notifier: the district's roster, the configured channels and the delivery log in `db`."""
    registry = ExerciseRegistry()
    store = SqlDeliveryStore(db)
    dispatcher = build_dispatcher(settings, store, registry, clock, client, SqlCapAlertStore(db))
    delivery = Delivery(dispatcher, registry, store, sql_participants(db))
    return Notifier(load_organisation(settings.district_dir), delivery, NotifierSettings.of(settings), clock, send)


def _mode(event: Envelope) -> Mode:
    return "exercise" if event.mode == "exercise" else "actual"


def _base(item: JsonObject, person: Person, channel: str, subject: str, key: str) -> JsonObject:
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


def _values(item: JsonObject, incident: JsonObject) -> dict[str, object]:
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


def _record(result: DeliveryResult, item: JsonObject, person: Person, subject: str) -> JsonObject:
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


def _unreached(
    item: JsonObject,
    who: Unreachable,
    attempt: str,
    event: Envelope,
    *,
    fallback_to: str = "",
    fallback_error: str = "",
) -> JsonObject:
    """The failed record of a target or person a step could not reach: who, why, and who was paged instead."""
    key = idempotency_key(str(event.incident_id), item["key"], f"unreachable:{who.id}", attempt)
    record: JsonObject = {
        "idempotency_key": key,
        "action_key": item["key"],
        "recipient_id": who.id,
        "recipient_name": who.name,
        "channel": "",
        "routed_to": "",
        "status": "failed",
        "reason": who.reason,
        "subject": item["title"],
        "attempts": [],
        "unreachable": True,
        "fallback_to": fallback_to,
    }
    if fallback_error:
        record["fallback_error"] = fallback_error
    return record
