"""The incident aggregate: its state, and the rules for applying reports and level changes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum

from playbooks.assessment import Assessment
from playbooks.cases import Case, count_cases, merge_cases
from playbooks.events import IncidentOpened, LevelChanged, ReportReceived
from playbooks.facts import Facts, Regions, aggregate
from playbooks.json_types import JsonObject
from playbooks.levels import Level
from playbooks.public_info import Bulletin
from playbooks.report import Report
from playbooks.response import Item


class IncidentStatus(StrEnum):
    """Where an incident stands (its wire string is the value)."""

    MONITORING = "monitoring"
    ACTIVE = "active"
    TERMINATION_PROPOSED = "termination_proposed"
    CLOSED = "closed"


STATUS_TRANSITIONS: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    IncidentStatus.MONITORING: frozenset({IncidentStatus.ACTIVE, IncidentStatus.CLOSED}),
    IncidentStatus.ACTIVE: frozenset({IncidentStatus.TERMINATION_PROPOSED}),
    IncidentStatus.TERMINATION_PROPOSED: frozenset({IncidentStatus.ACTIVE, IncidentStatus.CLOSED}),
    IncidentStatus.CLOSED: frozenset(),
}
"""Allowed status changes. Non-graded incidents are monitored; a graded one is active until closed."""


class InvalidTransition(ValueError):
    """A status change the transition table does not allow."""


@dataclass
class SourceFigures:
    """The newest figures one reporting unit has given."""

    report_id: str
    reported_at: datetime
    facts: Facts
    listed: bool = False
    """True when this report carried a case list: its persons, not its figures, count."""


CASE_LIST = "case_list"
PER_SOURCE = "sources"
DERIVED_FIGURES = ("cases", "hospitalized", "deaths", "regions.townships", "regions.counties")
"""The figures a case list gives; `facts_basis` says, for each, whether the list or the per-source sum did."""


def derive_facts(sources: Iterable[SourceFigures], cases: Mapping[str, Case]) -> tuple[Facts, dict[str, str]]:
    """An incident's facts from its sources' newest figures and its case list, and the basis of each figure.

    Without a case list, figures aggregate per source (summed counts, widest regions). With one, each figure
    of `DERIVED_FIGURES` is the larger of the persons counted from the list and the aggregate of the sources
    that sent no list (a report without a list may describe the same persons, so the two are never added).
    """
    held = list(sources)
    every = aggregate(s.facts for s in held)
    if not cases:
        return every, dict.fromkeys(DERIVED_FIGURES, PER_SOURCE)
    unlisted = aggregate(s.facts for s in held if not s.listed)
    counted = count_cases(cases.values())
    pairs = {
        "cases": (counted.cases, unlisted.cases),
        "hospitalized": (counted.hospitalized, unlisted.hospitalized),
        "deaths": (counted.deaths, unlisted.deaths),
        "regions.townships": (counted.townships, unlisted.regions.townships),
        "regions.counties": (counted.counties, unlisted.regions.counties),
    }
    value = {name: max(pair) for name, pair in pairs.items()}
    basis = {name: CASE_LIST if listed >= other else PER_SOURCE for name, (listed, other) in pairs.items()}
    facts = replace(
        every,
        cases=value["cases"],
        hospitalized=value["hospitalized"],
        deaths=value["deaths"],
        regions=Regions(
            townships=value["regions.townships"],
            counties=value["regions.counties"],
            prefectures=every.regions.prefectures,
            provinces=every.regions.provinces,
        ),
    )
    return facts, basis


@dataclass
class Incident:
    """State of one incident, owned by the single writer for its id."""

    id: str
    incident_type: str
    mode: str
    exercise_id: str | None
    opened_at: datetime
    first_report_at: datetime
    playbook_id: str
    playbook_version: str
    location: JsonObject = field(default_factory=dict)
    venue_type: str | None = None
    status: IncidentStatus = IncidentStatus.MONITORING
    level: Level = Level.NON_GRADED
    rule_id: str | None = None
    explanation: str = ""
    sources: dict[str, SourceFigures] = field(default_factory=dict)
    report_ids: list[str] = field(default_factory=list)
    level_history: list[JsonObject] = field(default_factory=list)
    seq: int = 0
    rule_set: str = ""
    correlation_key: str = ""
    automatic_level: Level = Level.NON_GRADED
    suggested_level: str | None = None
    items: dict[str, Item] = field(default_factory=dict)
    verified: JsonObject | None = None
    signals: JsonObject = field(default_factory=dict)
    last_case_at: datetime | None = None
    closed_at: datetime | None = None
    termination: JsonObject | None = None
    cases: dict[str, Case] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """What the reports name that the district does not know (e.g. a town not in the district)."""
    routing_warnings: list[JsonObject] = field(default_factory=list)
    """Who a step could not reach, why, and who was paged instead (DESIGN.md invariant 10)."""
    bulletins: dict[str, Bulletin] = field(default_factory=dict)
    """Public information, refutations and warnings by id: drafts and publications (playbooks/public_info.py)."""
    assessments: list[Assessment] = field(default_factory=list)
    """The expert group's recorded assessments (playbooks/assessment.py)."""

    @property
    def level_changed_at(self) -> datetime | None:
        """When the level last changed (None while it never has)."""
        return datetime.fromisoformat(self.level_history[-1]["at"]) if self.level_history else None

    @property
    def aggregated_facts(self) -> Facts:
        """The aggregate: each source's newest figures, summed, or the persons of the case list (`derive_facts`)."""
        return derive_facts(self.sources.values(), self.cases)[0]

    @property
    def facts_basis(self) -> dict[str, str]:
        """For each figure a case list can give, where it comes from: `case_list` or `sources` (or `verified`)."""
        if self.verified is not None:
            return dict.fromkeys(DERIVED_FIGURES, "verified")
        return derive_facts(self.sources.values(), self.cases)[1]

    @property
    def facts(self) -> Facts:
        """The facts the response works from: a duty officer's verified figures if set, else the aggregate."""
        if self.verified is not None:
            return Facts.from_mapping(self.verified["facts"])
        return self.aggregated_facts

    def next_seq(self) -> int:
        """Number the next event of this incident."""
        self.seq += 1
        return self.seq

    def move_to(self, status: IncidentStatus) -> None:
        """Change status if the transition table allows it; raise InvalidTransition otherwise."""
        if status == self.status:
            return
        if status not in STATUS_TRANSITIONS[self.status]:
            raise InvalidTransition(f"incident {self.id}: cannot go from {self.status} to {status}")
        self.status = status

    def snapshot(self) -> JsonObject:
        """A JSON-ready picture of the incident, carried on every event for the read model."""
        return {
            "id": self.id,
            "incident_type": self.incident_type,
            "mode": self.mode,
            "exercise_id": self.exercise_id,
            "status": self.status.value,
            "level": self.level.value,
            "rule_id": self.rule_id,
            "explanation": self.explanation,
            "playbook_id": self.playbook_id,
            "playbook_version": self.playbook_version,
            "location": dict(self.location),
            "venue_type": self.venue_type,
            "facts": self.facts.to_mapping(),
            "aggregated_facts": self.aggregated_facts.to_mapping(),
            "facts_basis": self.facts_basis,
            "case_count": len(self.cases),
            "verified": self.verified,
            "rule_set": self.rule_set,
            "suggested_level": self.suggested_level,
            "signals": dict(self.signals),
            "termination": self.termination,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "open_items": sum(1 for i in self.items.values() if not i.done),
            "opened_at": self.opened_at.isoformat(),
            "first_report_at": self.first_report_at.isoformat(),
            "report_count": len(self.report_ids),
            "seq": self.seq,
            "warnings": list(self.warnings),
            "routing_warnings": [dict(w) for w in self.routing_warnings],
            "public_info_drafts": sum(1 for b in self.bulletins.values() if b.open),
            "assessment_count": len(self.assessments),
        }


def open_incident(
    incident_id: str, report: Report, *, playbook_id: str, playbook_version: str, rule_set: str, now: datetime
) -> tuple[Incident, IncidentOpened]:
    """Open an incident from its first report, recording the playbook version and rule set it runs under."""
    incident = Incident(
        id=incident_id,
        incident_type=report.incident_type,
        mode=report.mode,
        exercise_id=report.exercise_id,
        opened_at=now,
        first_report_at=report.reported_at,
        playbook_id=playbook_id,
        playbook_version=playbook_version,
        rule_set=rule_set,
        correlation_key=report.correlation_key,
        location=dict(report.location),
        venue_type=report.venue_type,
    )
    opened = IncidentOpened(
        at=now,
        report_id=report.report_id,
        playbook_id=playbook_id,
        playbook_version=playbook_version,
        rule_set=rule_set,
    )
    return incident, opened


def attach_report(incident: Incident, report: Report, *, now: datetime) -> list[ReportReceived]:
    """Record a report's figures as its source's newest; an already-seen report changes nothing."""
    if report.report_id in incident.report_ids:
        return []
    incident.report_ids.append(report.report_id)
    previous = incident.sources.get(report.source_key)
    newer = previous is None or report.reported_at >= previous.reported_at
    listed = report.case_list is not None
    if newer:
        incident.sources[report.source_key] = SourceFigures(
            report.report_id, report.reported_at, report.facts, listed=listed
        )
    if report.venue_type and not incident.venue_type:
        incident.venue_type = report.venue_type
    changed: list[Case] = []
    if report.case_list:
        incident.cases, changed = merge_cases(incident.cases, report.case_list)
        last_onset = max(case.onset for case in report.case_list)
        incident.last_case_at = max(incident.last_case_at or last_onset, last_onset)
    elif not listed and newer and report.facts.cases > (previous.facts.cases if previous else 0):
        incident.last_case_at = max(incident.last_case_at or report.reported_at, report.reported_at)
    incident.first_report_at = min(incident.first_report_at, report.reported_at)
    return [
        ReportReceived(
            at=now,
            report_id=report.report_id,
            source=report.source_key,
            reported_at=report.reported_at,
            facts=report.facts,
            superseded=not newer,
            description=report.description,
            cases=tuple(changed),
        )
    ]


def change_level(  # noqa: PLR0913 - the level change's facts, keyword-only
    incident: Incident,
    level: Level,
    *,
    rule_id: str | None,
    explanation: str,
    decided_by: str | None,
    reason: str | None,
    now: datetime,
) -> LevelChanged:
    """Set a new level, record it in the history, and activate the response when it becomes graded."""
    changed = LevelChanged(
        at=now,
        from_level=incident.level,
        to_level=level,
        rule_id=rule_id,
        explanation=explanation,
        decided_by=decided_by,
        reason=reason,
    )
    incident.level_history.append(changed.to_data())
    incident.level = level
    incident.rule_id = rule_id
    incident.explanation = explanation
    if level is not Level.NON_GRADED and incident.status is IncidentStatus.MONITORING:
        incident.move_to(IncidentStatus.ACTIVE)
    return changed


def to_dict(incident: Incident) -> JsonObject:
    """Serialise the full state (for the agent's changelog-backed table)."""
    # those five are written compactly below
    data = asdict(replace(incident, cases={}, items={}, sources={}, bulletins={}, assessments=[]))
    data["status"] = incident.status.value
    data["level"] = incident.level.value
    data["automatic_level"] = incident.automatic_level.value
    for key in ("opened_at", "first_report_at", "last_case_at", "closed_at"):
        value = getattr(incident, key)
        data[key] = value.isoformat() if value else None
    data["items"] = {k: i.to_dict() for k, i in incident.items.items()}
    data["sources"] = {
        k: {
            "report_id": s.report_id,
            "reported_at": s.reported_at.isoformat(),
            "facts": s.facts.to_mapping(),
            **({"listed": True} if s.listed else {}),
        }
        for k, s in incident.sources.items()
    }
    data["cases"] = [case.to_row() for case in incident.cases.values()]
    data["bulletins"] = {k: b.to_dict() for k, b in incident.bulletins.items()}
    data["assessments"] = [a.to_dict() for a in incident.assessments]
    return data


def from_dict(data: JsonObject) -> Incident:
    """Rebuild state serialised by `to_dict`; keys it does not know (added by newer versions) are ignored."""
    known = {f.name for f in fields(Incident)}
    fields_ = {k: v for k, v in data.items() if k in known}
    fields_["status"] = IncidentStatus(data.get("status") or IncidentStatus.MONITORING)
    fields_["level"] = Level(data["level"])
    fields_["automatic_level"] = Level(data.get("automatic_level") or data["level"])
    for key in ("opened_at", "first_report_at", "last_case_at", "closed_at"):
        fields_[key] = datetime.fromisoformat(data[key]) if data.get(key) else None
    fields_["items"] = {k: Item.from_dict(i) for k, i in (data.get("items") or {}).items()}
    fields_["sources"] = {
        k: SourceFigures(
            s["report_id"],
            datetime.fromisoformat(s["reported_at"]),
            Facts.from_mapping(s["facts"]),
            listed=bool(s.get("listed")),
        )
        for k, s in data["sources"].items()
    }
    fields_["cases"] = {row[0]: Case.from_row(row) for row in data.get("cases") or []}
    fields_["bulletins"] = {k: Bulletin.from_dict(b) for k, b in (data.get("bulletins") or {}).items()}
    fields_["assessments"] = [Assessment.from_dict(a) for a in data.get("assessments") or []]
    return Incident(**fields_)
