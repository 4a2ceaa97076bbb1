"""Response bodies of the read endpoints (request bodies of commands are in api/commands/bodies.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.commands.service import CommandOutcome
from api.drill_catalog import ScenarioSummary
from api.errors import Problem
from infra.wire import DrillCommandType, EventType

__all__ = [
    "AssessmentList",
    "AssessmentOut",
    "AuditEntryOut",
    "AuditPage",
    "BulletinList",
    "BulletinOut",
    "DraftOutcome",
    "DrillCommandOut",
    "DrillDetail",
    "DrillList",
    "DrillStarted",
    "DrillSummary",
    "IncidentDetail",
    "IncidentList",
    "IncidentSummary",
    "LevelChangeOut",
    "NotificationOut",
    "Problem",
    "ReportReceipt",
    "ScenarioDetail",
    "TaskOut",
    "TimelineEntry",
]


def as_utc(moment: datetime) -> datetime:
    """An aware time: SQLite hands back naive datetimes, which the read model stores in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


Instant = Annotated[datetime, AfterValidator(as_utc)]
"""A point in time, always serialised with its offset (RFC 3339)."""

_FACTS_EXAMPLE = {"cases": 52, "hospitalized": 3, "deaths": 0, "regions": {"townships": 1}}


class ReportReceipt(BaseModel):
    """The report is durably on the reports topic and will be processed."""

    report_id: str
    status: str = "accepted"
    topic: str
    partition: int
    offset: int


class LevelChangeOut(BaseModel):
    """One entry of the level history: from, to, the rule or the person's reason, who and when."""

    model_config = ConfigDict(from_attributes=True)

    from_level: str = Field(examples=["IV"])
    to_level: str = Field(examples=["III"])
    rule_id: str | None = Field(examples=["III.cases_100"])
    explanation: str
    decided_by: str | None = Field(description="the commander, or null when a rule raised the level")
    at: Instant


class IncidentSummary(BaseModel):
    """An incident as listed."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    incident_type: str = Field(examples=["food_safety"])
    status: str = Field(examples=["active"])
    level: str = Field(examples=["III"])
    mode: str = Field(examples=["actual"])
    exercise_id: str | None
    rule_id: str | None
    explanation: str
    facts: dict[str, Any] = Field(description="the facts the response works from", examples=[_FACTS_EXAMPLE])
    location: dict[str, Any]
    venue_type: str | None
    town: str | None = None
    report_count: int
    opened_at: Instant
    updated_at: Instant


class IncidentDetail(IncidentSummary):
    """One incident with its level history, facts (aggregated and verified) and playbook version."""

    playbook_id: str
    playbook_version: str
    first_report_at: Instant
    level_history: list[LevelChangeOut]
    aggregated_facts: dict[str, Any] | None = Field(
        None,
        description="sum over sources of each source's newest figures (null when verified figures replaced "
        "them and the read model does not keep the aggregate)",
    )
    verified: dict[str, Any] | None = Field(
        None, description="a duty officer's verified figures: facts, by, reason, at"
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="what the reports name that the district does not know, e.g. a town not in the district",
    )
    routing_warnings: list[dict[str, Any]] = Field(
        default_factory=list,
        description="who a step could not reach and why, and who was paged instead: "
        "action_key, who, reason, fallback_to (the district duty officer), fallback_error, at",
    )


class IncidentList(BaseModel):
    """A page of incidents; pass `next_cursor` as `cursor` for the next page (null on the last page)."""

    items: list[IncidentSummary]
    next_cursor: str | None = None


class TimelineEntry(BaseModel):
    """One event on an incident's timeline."""

    model_config = ConfigDict(from_attributes=True)

    event_id: str
    seq: int
    type: str = Field(examples=[EventType.LEVEL_CHANGED.value])
    at: Instant
    mode: str
    causation: str | None = None
    data: dict[str, Any]


class TaskOut(BaseModel):
    """A planned response step (task order, alert, report up the chain, ...) and its progress."""

    model_config = ConfigDict(from_attributes=True)

    key: str
    kind: str = Field(examples=["task"])
    title: str
    owner: str = Field(description="the unit that owns the step", examples=["cdc"])
    level: str
    group: str | None
    status: str = Field(examples=["pending"])
    due_at: Instant
    deadline: str = Field(examples=["2h"])
    escalation_step: int
    planned_at: Instant
    acknowledged_at: Instant | None
    acknowledged_by: str | None
    completed_at: Instant | None
    completed_by: str | None
    overdue: bool = False


class NotificationOut(BaseModel):
    """One message to one recipient over one channel and how its delivery went."""

    model_config = ConfigDict(from_attributes=True)

    idempotency_key: str
    action_key: str
    recipient_id: str
    recipient_name: str
    channel: str
    status: str
    attempts: list[Any]
    subject: str
    at: Instant
    reason: str = Field("", description="why the delivery failed, or why this page went to the fallback")
    fallback_for: str = Field("", description="who this fallback page stands in for; empty for an ordinary page")


class AuditEntryOut(BaseModel):
    """One command as the API took it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: Instant
    actor: str
    roles: list[str]
    unit: str | None
    ip: str | None
    request_id: str | None
    command_id: str
    command_type: str
    topic: str
    incident_id: str | None
    mode: str
    exercise_id: str | None
    payload: dict[str, Any]
    outcome: str
    detail: str


class AuditPage(BaseModel):
    """A page of the audit trail; pass `next_after` as `after` for the next page."""

    items: list[AuditEntryOut]
    next_after: int | None = None


# -- drills (docs/adr/0018) ---------------------------------------------------------------------------------

_EXERCISE_EXAMPLE = "EX-school_canteen-20261130043000-3f9a"
_SNAPSHOT_EXAMPLE = {
    "exercise_id": _EXERCISE_EXAMPLE,
    "scenario_id": "school_canteen",
    "title": "城关实验小学食堂集体食物中毒桌面推演",
    "state": "running",
    "reason": "",
    "speed": 60,
    "bot": None,
    "seq": 12,
    "started_at": "2026-11-30T04:30:00+00:00",
    "updated_at": "2026-11-30T04:31:10+00:00",
    "scenario_start": "2026-11-30T12:30:00+08:00",
    "scenario_now": "2026-11-30T13:40:00+08:00",
    "elapsed_seconds": 4200,
    "end_seconds": 14400,
    "objectives": [{"id": "alerting", "title": "及时预警"}],
    "units": ["district_office", "cdc"],
    "participants": ["p-cdc-01"],
    "incidents": ["INC-20261130-1a2b3c4d"],
    "injects": [
        {
            "id": "first_report",
            "title": "First report: 35 pupils ill",
            "type": "report",
            "delivery": "automatic",
            "at_seconds": 0,
            "state": "executed",
            "executed_at": "2026-11-30T12:30:00+08:00",
            "fire_at": None,
            "note": "",
        }
    ],
    "messages": [],
    "rejected": [],
    "score": None,
}


class DrillSummary(BaseModel):
    """A drill run as listed: its state, speed and progress (scenario seconds), who started it."""

    model_config = ConfigDict(from_attributes=True)

    exercise_id: str = Field(examples=[_EXERCISE_EXAMPLE])
    scenario_id: str = Field(examples=["school_canteen"])
    title: str
    state: str = Field(description="running | paused | finished | failed", examples=["running"])
    speed: float = Field(description="scenario seconds per real second", examples=[60.0])
    elapsed_seconds: float = Field(description="scenario time played so far", examples=[4200.0])
    end_seconds: float = Field(description="scenario time at which the drill ends", examples=[14400.0])
    bot: str | None = Field(None, description="the player bot's behaviour, or null (people play)")
    seq: int = Field(description="the snapshot's number; it only grows")
    started_at: Instant
    updated_at: Instant
    ended_at: Instant | None = None
    requested_by: str | None = Field(None, description="the user who started it, when the host reports it")
    score: dict[str, Any] | None = Field(None, description="the score once finished (null before)")
    has_report: bool = Field(False, description="the after-action report is available (GET .../report)")


class DrillDetail(DrillSummary):
    """A drill run with its whole newest snapshot: injects and their states, messages, incidents, rejections."""

    snapshot: dict[str, Any] = Field(
        description="the newest DrillUpdated payload (docs/adr/0018)", examples=[_SNAPSHOT_EXAMPLE]
    )


class DrillList(BaseModel):
    """Drill runs, newest start first."""

    items: list[DrillSummary]


class DrillStarted(BaseModel):
    """A StartDrill command on Kafka. With `?wait`: the run's first snapshot (201), its rejection (409), or
    still pending (202)."""

    exercise_id: str = Field(examples=[_EXERCISE_EXAMPLE])
    command_id: str = Field(examples=["0f8c2b7e-2d5b-4b8e-9c39-3c1f0f4b9a61"])
    type: str = DrillCommandType.START.value
    status: Literal["accepted", "pending", "applied", "rejected"]
    detail: str = ""
    drill: DrillDetail | None = Field(None, description="the run as first reported by the drill host (with ?wait)")


class DrillCommandOut(CommandOutcome):
    """What became of a drill command so far (see CommandOutcome), and the run it is for."""

    exercise_id: str = Field(examples=[_EXERCISE_EXAMPLE])


class ScenarioDetail(BaseModel):
    """A scenario's summary and its YAML text (a starting point for a controller's own scenario)."""

    scenario: ScenarioSummary
    yaml: str


class BulletinHistoryOut(BaseModel):
    """One change of a bulletin: drafted, edited, approved, published or withdrawn; by whom, when, why."""

    model_config = ConfigDict(extra="allow")

    change: str = Field(examples=["approved"])
    by: str | None = Field(None, description="the person; null for the platform (a step's draft, the feed)")
    at: Instant
    reason: str | None = None
    fields: list[str] | None = Field(None, description="the fields an edit changed")


class BulletinOut(BaseModel):
    """Public information, a rumour refutation or a warning: a draft or a publication, with its CAP fields."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(examples=["step-public_information"], description="the draft id (stable through its life)")
    incident_id: str
    mode: Literal["actual", "exercise"]
    kind: Literal["information", "refutation", "warning"]
    msg_type: Literal["Alert", "Update", "Cancel"] = Field(description="its CAP msgType")
    state: Literal["draft", "approved", "published", "withdrawn"]
    headline: str
    description: str
    instruction: str
    event: str = Field(description="CAP event in words, e.g. 食品安全事故")
    areas: list[str] = Field(description="CAP areaDesc of each affected area (the incident's towns)")
    admin_code: str | None = None
    urgency: str
    severity: str
    certainty: str
    category: str
    sender: str = Field(description="CAP senderName: who speaks to the public")
    references: list[str] = Field(description="ids of the publications an Update or Cancel refers to")
    warning_level: Literal["blue", "yellow", "orange", "red"] | None = None
    hazard: str = ""
    rumour: str = ""
    action_key: str | None = Field(None, description="the public_info step it was drafted for")
    revision: int
    created_at: Instant
    created_by: str | None = Field(None, description="null when a public_info step drafted it")
    updated_at: Instant | None = None
    updated_by: str | None = None
    approved_at: Instant | None = None
    approved_by: str | None = None
    published_at: Instant | None = None
    withdrawn_at: Instant | None = None
    withdrawn_by: str | None = None
    withdraw_reason: str = ""
    superseded_by: str | None = Field(None, description="the Update or Cancel that replaced this publication")
    cap_identifier: str = Field(description="its CAP identifier (on the feed once published)")
    history: list[BulletinHistoryOut]


class BulletinList(BaseModel):
    """Bulletins, in the order they were drafted."""

    items: list[BulletinOut]


class WarningOut(BaseModel):
    """A warning issued on its own (预警): what, where, why, its state and its bulletins (Alert, Updates, Cancel)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(examples=["WRN-3f9a1c2b7d4e"])
    hazard: str = Field(examples=["野生毒蘑菇中毒"])
    areas: list[str]
    basis: str
    incident_type: str
    mode: Literal["actual", "exercise"]
    exercise_id: str | None = None
    issued_at: datetime
    issued_by: str | None
    status: Literal["draft", "active", "lifted", "discarded"] = Field(
        description="draft: nothing published yet; active: a level is on the public feed; lifted: its Cancel is "
        "published; discarded: withdrawn before publication"
    )
    level: Literal["blue", "yellow", "orange", "red"] | None = Field(description="the colour on the feed now")
    current: str | None = Field(description="the id of the publication on the feed now")
    bulletins: list[BulletinOut]


class WarningList(BaseModel):
    """Standalone warnings, oldest first."""

    items: list[WarningOut]


class WarningOutcome(CommandOutcome):
    """The IssueWarning command's outcome, the new warning's id and its first draft's id."""

    warning_id: str = Field(examples=["WRN-3f9a1c2b7d4e"])
    draft_id: str = Field(examples=["3f9a1c2b7d4e-alert"])


class DraftOutcome(CommandOutcome):
    """The DraftPublicInfo command's outcome and the id the new draft has."""

    draft_id: str = Field(examples=["pi-3f9a1c2b7d4e"])


class AssessmentOut(BaseModel):
    """A recorded expert assessment (专家组研判)."""

    id: str
    experts: list[str]
    conclusion: str
    recommendation: Literal["lower_level", "terminate", "maintain", "raise_level"]
    level: str | None = None
    assessed_at: Instant
    recorded_by: str
    recorded_at: Instant


class AssessmentList(BaseModel):
    """An incident's expert assessments, oldest first, and which decisions its playbook makes wait for one."""

    items: list[AssessmentOut]
    required_for: list[Literal["lower_level", "termination"]] = Field(
        description="decisions the playbook allows only after an assessment recommending them"
    )
