"""Public information (权威信息, 辟谣) and warnings (预警) as bulletins: drafted, edited, approved, published.

A bulletin is what the public may read: a CAP-shaped text (headline, description, instruction, event in words,
urgency/severity/certainty, area). It starts as a draft (from a `public_info` step, written from the playbook's
template, or by a person) and reaches the public only after a person with the `publicity` or `commander` role
approves it (DESIGN.md invariant 9). An update (`Update`) refers to a published bulletin; withdrawing a
published one drafts a `Cancel`, which is approved like any other. States move only along `TRANSITIONS`.
Plain data and functions: the time is passed in, nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from string import Template

from playbooks.duration import Duration
from playbooks.json_types import JsonObject
from playbooks.levels import Level

CHINA = timezone(timedelta(hours=8))
"""Times in public text are China Standard Time."""
URGENCIES = frozenset({"Immediate", "Expected", "Future", "Past", "Unknown"})
SEVERITIES = frozenset({"Extreme", "Severe", "Moderate", "Minor", "Unknown"})
CERTAINTIES = frozenset({"Observed", "Likely", "Possible", "Unlikely", "Unknown"})
CATEGORIES = frozenset(
    {"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"}
)
"""CAP 1.2's enumerations, which a bulletin's fields must come from."""


class BulletinKind(StrEnum):
    """What a bulletin is: authoritative information, a rumour refutation (辟谣), or a warning (预警)."""

    INFORMATION = "information"
    REFUTATION = "refutation"
    WARNING = "warning"


class BulletinState(StrEnum):
    """Where a bulletin stands."""

    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


TRANSITIONS: dict[BulletinState, frozenset[BulletinState]] = {
    BulletinState.DRAFT: frozenset({BulletinState.APPROVED, BulletinState.WITHDRAWN}),
    BulletinState.APPROVED: frozenset({BulletinState.PUBLISHED}),
    BulletinState.PUBLISHED: frozenset({BulletinState.WITHDRAWN}),
    BulletinState.WITHDRAWN: frozenset(),
}
"""Allowed state changes. An approved bulletin is being published and cannot be stopped; a published one is
withdrawn by an approved Cancel."""


class MsgType(StrEnum):
    """The CAP message type of a bulletin."""

    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"


class WarningLevel(StrEnum):
    """A warning's colour (预警级别), independent of the response level."""

    BLUE = "blue"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"

    @property
    def label(self) -> str:
        """The colour's Chinese name: 蓝色, 黄色, 橙色, 红色."""
        return _COLOURS[self]


_COLOURS = {
    WarningLevel.BLUE: "蓝色",
    WarningLevel.YELLOW: "黄色",
    WarningLevel.ORANGE: "橙色",
    WarningLevel.RED: "红色",
}

TEMPLATE_KINDS = ("information", "refutation", "warning", "lift", "cancel")
"""The templates a playbook's `public_info` section writes: one per kind, `lift` (a warning's Cancel) and `cancel`."""
TEMPLATE_NAMES = frozenset(
    {
        "event",
        "sender",
        "hotline",
        "venue",
        "town",
        "area",
        "cases",
        "hospitalized",
        "deaths",
        "response_name",
        "date",
        "time",
        "next_update",
        "rumour",
        "warning_level_name",
        "hazard",
        "original_headline",
        "reason",
    }
)
"""The ${names} a bulletin template may use."""


class PublicInfoError(ValueError):
    """A bulletin change that does not apply (wrong state, a missing template, a CAP value out of range)."""


@dataclass(frozen=True)
class CapFields:
    """CAP urgency, severity and certainty."""

    urgency: str
    severity: str
    certainty: str

    def problems(self) -> list[str]:
        """What is not a CAP 1.2 value, e.g. ["severity 'Big' is not one of ..."] (empty when all are)."""
        found = []
        for name, value, allowed in (
            ("urgency", self.urgency, URGENCIES),
            ("severity", self.severity, SEVERITIES),
            ("certainty", self.certainty, CERTAINTIES),
        ):
            if value not in allowed:
                found.append(f"{name} {value!r} is not one of {', '.join(sorted(allowed))}")
        return found


@dataclass(frozen=True)
class BulletinTemplate:
    """The plain-Chinese text of one kind of bulletin, with ${names} from `TEMPLATE_NAMES`."""

    headline: str
    description: str
    instruction: str


@dataclass(frozen=True)
class PublicInfoSpec:
    """A playbook's `public_info` section: who speaks, the hotline, the templates and the CAP fields."""

    event: str
    sender: str
    hotline: str
    next_update: Duration
    templates: Mapping[str, BulletinTemplate]
    by_level: Mapping[Level, CapFields]
    by_warning: Mapping[WarningLevel, CapFields]
    category: str = "Health"

    def cap_for(self, level: Level, warning: WarningLevel | None) -> CapFields:
        """The CAP fields of a warning's colour, else of the response level (Unknown when the playbook has none)."""
        found = self.by_warning.get(warning) if warning is not None else self.by_level.get(level)
        return found or CapFields("Unknown", "Unknown", "Unknown")


@dataclass(frozen=True)
class Bulletin:
    """One draft or publication of an incident, and everything that happened to it."""

    id: str
    kind: BulletinKind
    msg_type: MsgType
    state: BulletinState
    headline: str
    description: str
    instruction: str
    event: str
    areas: tuple[str, ...]
    urgency: str
    severity: str
    certainty: str
    created_at: datetime
    created_by: str | None
    """The person who drafted it, or None when a `public_info` step did."""
    sender: str = ""
    category: str = "Health"
    admin_code: str | None = None
    references: tuple[str, ...] = ()
    """Ids of the published bulletins this Update or Cancel refers to (the one it replaces first)."""
    warning_level: WarningLevel | None = None
    hazard: str = ""
    rumour: str = ""
    action_key: str | None = None
    """The `public_info` step it was drafted for."""
    revision: int = 1
    updated_at: datetime | None = None
    updated_by: str | None = None
    approved_at: datetime | None = None
    approved_by: str | None = None
    published_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    withdraw_reason: str = ""
    superseded_by: str | None = None
    """The Update or Cancel that replaced this publication."""
    history: tuple[JsonObject, ...] = field(default=())

    def moved(self, state: BulletinState, *, by: str | None, at: datetime, reason: str = "") -> Bulletin:
        """This bulletin in `state` with the change in its history; PublicInfoError if the table forbids it."""
        if state not in TRANSITIONS[self.state]:
            raise PublicInfoError(f"public information {self.id!r} is {self.state}; it cannot become {state}")
        entry: JsonObject = {"change": state.value, "by": by, "at": at.isoformat()}
        if reason:
            entry["reason"] = reason
        return replace(self, state=state, history=(*self.history, entry))

    @property
    def open(self) -> bool:
        """True while the bulletin waits for a person (a draft)."""
        return self.state is BulletinState.DRAFT

    def to_dict(self) -> JsonObject:
        """JSON-ready form (the `bulletin` of the PublicInfo* events, and the stored state)."""

        def when(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "id": self.id,
            "kind": self.kind.value,
            "msg_type": self.msg_type.value,
            "state": self.state.value,
            "headline": self.headline,
            "description": self.description,
            "instruction": self.instruction,
            "event": self.event,
            "areas": list(self.areas),
            "admin_code": self.admin_code,
            "urgency": self.urgency,
            "severity": self.severity,
            "certainty": self.certainty,
            "category": self.category,
            "sender": self.sender,
            "references": list(self.references),
            "warning_level": self.warning_level.value if self.warning_level else None,
            "hazard": self.hazard,
            "rumour": self.rumour,
            "action_key": self.action_key,
            "revision": self.revision,
            "created_at": when(self.created_at),
            "created_by": self.created_by,
            "updated_at": when(self.updated_at),
            "updated_by": self.updated_by,
            "approved_at": when(self.approved_at),
            "approved_by": self.approved_by,
            "published_at": when(self.published_at),
            "withdrawn_at": when(self.withdrawn_at),
            "withdrawn_by": self.withdrawn_by,
            "withdraw_reason": self.withdraw_reason,
            "superseded_by": self.superseded_by,
            "history": [dict(entry) for entry in self.history],
        }

    @classmethod
    def from_dict(cls, data: JsonObject) -> Bulletin:
        """Rebuild a bulletin from `to_dict` output; keys a newer version adds are ignored."""

        def when(key: str) -> datetime | None:
            value = data.get(key)
            return datetime.fromisoformat(value) if value else None

        warning = data.get("warning_level")
        return cls(
            id=data["id"],
            kind=BulletinKind(data["kind"]),
            msg_type=MsgType(data["msg_type"]),
            state=BulletinState(data["state"]),
            headline=data.get("headline") or "",
            description=data.get("description") or "",
            instruction=data.get("instruction") or "",
            event=data.get("event") or "",
            areas=tuple(data.get("areas") or ()),
            admin_code=data.get("admin_code"),
            urgency=data["urgency"],
            severity=data["severity"],
            certainty=data["certainty"],
            category=data.get("category") or "Health",
            sender=data.get("sender") or "",
            references=tuple(data.get("references") or ()),
            warning_level=WarningLevel(warning) if warning else None,
            hazard=data.get("hazard") or "",
            rumour=data.get("rumour") or "",
            action_key=data.get("action_key"),
            revision=int(data.get("revision") or 1),
            created_at=datetime.fromisoformat(data["created_at"]),
            created_by=data.get("created_by"),
            updated_at=when("updated_at"),
            updated_by=data.get("updated_by"),
            approved_at=when("approved_at"),
            approved_by=data.get("approved_by"),
            published_at=when("published_at"),
            withdrawn_at=when("withdrawn_at"),
            withdrawn_by=data.get("withdrawn_by"),
            withdraw_reason=data.get("withdraw_reason") or "",
            superseded_by=data.get("superseded_by"),
            history=tuple(dict(entry) for entry in data.get("history") or ()),
        )


@dataclass(frozen=True)
class BulletinEdit:
    """A person's changes to a draft; None leaves a field as it is."""

    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    areas: tuple[str, ...] | None = None
    urgency: str | None = None
    severity: str | None = None
    certainty: str | None = None
    warning_level: WarningLevel | None = None
    hazard: str | None = None

    def changes(self) -> dict[str, object]:
        """The fields this edit sets, by name."""
        names = (
            "headline",
            "description",
            "instruction",
            "areas",
            "urgency",
            "severity",
            "certainty",
            "warning_level",
            "hazard",
        )
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


@dataclass(frozen=True)
class Situation:
    """What a template says about the incident: where, how many, the level's name, and the time."""

    now: datetime
    level: Level
    response_name: str
    venue: str
    town: str
    areas: tuple[str, ...]
    admin_code: str | None
    cases: int
    hospitalized: int
    deaths: int


def china_date(moment: datetime) -> str:
    """`8月3日` in China Standard Time."""
    local = moment.astimezone(CHINA)
    return f"{local.month}月{local.day}日"


def china_time(moment: datetime) -> str:
    """`14时05分` in China Standard Time."""
    local = moment.astimezone(CHINA)
    return f"{local.hour}时{local.minute:02d}分"


def template_values(spec: PublicInfoSpec, situation: Situation, **extra: str) -> dict[str, str]:
    """Every ${name} a template may use, for this situation (`extra`: rumour, hazard, warning colour, reason...)."""
    next_update = spec.next_update.after(situation.now)
    values = {
        "event": spec.event,
        "sender": spec.sender,
        "hotline": spec.hotline,
        "venue": situation.venue,
        "town": situation.town,
        "area": "、".join(situation.areas),
        "cases": str(situation.cases),
        "hospitalized": str(situation.hospitalized),
        "deaths": str(situation.deaths),
        "response_name": situation.response_name,
        "date": china_date(situation.now),
        "time": china_time(situation.now),
        "next_update": f"{china_date(next_update)}{china_time(next_update)}",
        "rumour": "",
        "warning_level_name": "",
        "hazard": "",
        "original_headline": "",
        "reason": "",
    }
    values.update(extra)
    return values


def render(spec: PublicInfoSpec, template: str, values: Mapping[str, str]) -> BulletinTemplate:
    """The text of template `template` with `values` filled in; PublicInfoError if the playbook lacks it."""
    found = spec.templates.get(template)
    if found is None:
        raise PublicInfoError(f"the playbook has no public_info template {template!r}")

    def fill(text: str) -> str:
        return Template(text).safe_substitute(values).strip()

    return BulletinTemplate(fill(found.headline), fill(found.description), fill(found.instruction))


@dataclass(frozen=True)
class DraftRequest:
    """What a new draft is: its id, kind, what it updates, and what the person wrote (empty fields: template)."""

    id: str
    kind: BulletinKind
    by: str | None
    edit: BulletinEdit = field(default_factory=BulletinEdit)
    updates: Bulletin | None = None
    rumour: str = ""
    action_key: str | None = None


def draft(spec: PublicInfoSpec, situation: Situation, request: DraftRequest) -> Bulletin:
    """A new draft written from the playbook's template, with the person's own text where they gave it."""
    edit = request.edit
    kind = request.kind
    previous = request.updates
    warning = edit.warning_level or (previous.warning_level if previous else None)
    hazard = edit.hazard if edit.hazard is not None else (previous.hazard if previous else "")
    if kind is BulletinKind.WARNING and (warning is None or not hazard):
        raise PublicInfoError("a warning needs a warning_level (blue, yellow, orange or red) and a hazard")
    if kind is BulletinKind.REFUTATION and not request.rumour.strip():
        raise PublicInfoError("a rumour refutation (辟谣) needs the rumour it refutes")
    areas = edit.areas or (previous.areas if previous else situation.areas)
    values = template_values(
        spec,
        replace(situation, areas=areas),
        rumour=request.rumour.strip(),
        hazard=hazard,
        warning_level_name=warning.label if warning else "",
    )
    text = render(spec, kind.value, values)
    cap = spec.cap_for(situation.level, warning if kind is BulletinKind.WARNING else None)
    bulletin = Bulletin(
        id=request.id,
        kind=kind,
        msg_type=MsgType.UPDATE if previous else MsgType.ALERT,
        state=BulletinState.DRAFT,
        headline=text.headline,
        description=text.description,
        instruction=text.instruction,
        event=spec.event,
        areas=areas,
        admin_code=situation.admin_code,
        urgency=cap.urgency,
        severity=cap.severity,
        certainty=cap.certainty,
        category=spec.category,
        sender=spec.sender,
        references=(previous.id, *previous.references) if previous else (),
        warning_level=warning if kind is BulletinKind.WARNING else None,
        hazard=hazard if kind is BulletinKind.WARNING else "",
        rumour=request.rumour.strip(),
        action_key=request.action_key,
        created_at=situation.now,
        created_by=request.by,
        history=({"change": "drafted", "by": request.by, "at": situation.now.isoformat()},),
    )
    return edited(bulletin, replace(edit, areas=None, warning_level=None, hazard=None), by=None, at=None)


def cancel_draft(spec: PublicInfoSpec, situation: Situation, published: Bulletin, *, by: str, reason: str) -> Bulletin:
    """The Cancel draft that withdraws a published bulletin (a warning's is its lifting, 解除预警)."""
    if published.state is not BulletinState.PUBLISHED:
        raise PublicInfoError(f"only a published bulletin is cancelled; {published.id!r} is {published.state}")
    values = template_values(
        spec,
        replace(situation, areas=published.areas),
        hazard=published.hazard,
        warning_level_name=published.warning_level.label if published.warning_level else "",
        original_headline=published.headline,
        reason=reason,
    )
    text = render(spec, "lift" if published.kind is BulletinKind.WARNING else "cancel", values)
    return replace(
        published,
        id=f"{published.id}-cancel",
        msg_type=MsgType.CANCEL,
        state=BulletinState.DRAFT,
        headline=text.headline,
        description=text.description,
        instruction=text.instruction,
        references=(published.id, *published.references),
        action_key=None,
        revision=1,
        created_at=situation.now,
        created_by=by,
        updated_at=None,
        updated_by=None,
        approved_at=None,
        approved_by=None,
        published_at=None,
        withdrawn_at=None,
        withdrawn_by=None,
        withdraw_reason=reason,
        superseded_by=None,
        history=({"change": "drafted", "by": by, "at": situation.now.isoformat(), "reason": reason},),
    )


def edited(bulletin: Bulletin, edit: BulletinEdit, *, by: str | None, at: datetime | None) -> Bulletin:
    """The draft with the edit's fields changed (a new revision when `at` is given); PublicInfoError when it is
    no longer a draft, a text is emptied, or a CAP value is not one of CAP 1.2's."""
    changes = edit.changes()
    if at is not None and not bulletin.open:
        raise PublicInfoError(f"public information {bulletin.id!r} is {bulletin.state}; only a draft is edited")
    for name in ("headline", "description"):
        if name in changes and not str(changes[name]).strip():
            raise PublicInfoError(f"{name} must not be empty")
    if "areas" in changes and not all(str(area).strip() for area in edit.areas or ()):
        raise PublicInfoError("areas must be non-empty names")
    if bulletin.kind is not BulletinKind.WARNING and ("warning_level" in changes or "hazard" in changes):
        raise PublicInfoError("warning_level and hazard belong to a warning")
    result = replace(bulletin, **changes)  # type: ignore[arg-type]  # the names are Bulletin's own fields
    problems = CapFields(result.urgency, result.severity, result.certainty).problems()
    if problems:
        raise PublicInfoError("; ".join(problems))
    if at is None:
        return result
    entry: JsonObject = {"change": "edited", "by": by, "at": at.isoformat(), "fields": sorted(changes)}
    return replace(
        result, revision=bulletin.revision + 1, updated_at=at, updated_by=by, history=(*bulletin.history, entry)
    )


def approved(bulletin: Bulletin, *, by: str, at: datetime, note: str = "") -> Bulletin:
    """The draft approved for publication by `by`."""
    moved = bulletin.moved(BulletinState.APPROVED, by=by, at=at, reason=note)
    return replace(moved, approved_at=at, approved_by=by)


def published(bulletin: Bulletin, *, at: datetime) -> Bulletin:
    """The approved bulletin, now on the feed."""
    return replace(bulletin.moved(BulletinState.PUBLISHED, by=None, at=at), published_at=at)


def withdrawn(bulletin: Bulletin, *, by: str | None, at: datetime, reason: str) -> Bulletin:
    """The draft discarded, or the publication withdrawn by its published Cancel."""
    moved = bulletin.moved(BulletinState.WITHDRAWN, by=by, at=at, reason=reason)
    return replace(moved, withdrawn_at=at, withdrawn_by=by, withdraw_reason=reason)


def latest_information(bulletins: Mapping[str, Bulletin]) -> Bulletin | None:
    """The newest information bulletin that is still current (a draft, approved, or published and not replaced)."""
    current = [
        b
        for b in bulletins.values()
        if b.kind is BulletinKind.INFORMATION
        and b.msg_type is not MsgType.CANCEL
        and b.state is not BulletinState.WITHDRAWN
        and b.superseded_by is None
    ]
    return max(current, key=lambda b: b.created_at, default=None)
