"""What a decision will do, before it is taken: a level change's new steps and pages, and termination's criteria.

Both are reads. The incident's writer decides again when the command arrives (it holds the incident's true
state); these answers are computed from the read model with the same domain functions, so the console can
show a commander what they are about to set off and what still stands in the way of ending the response.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.access import incident_or_404
from api.auth import READ_ROLES, CurrentUser, requires
from api.deps import ClockDep, ServicesDep
from api.errors import NOT_FOUND, NotFound
from api.routers.incidents import IncidentId, LevelParam
from api.schemas import Instant, as_utc
from infra.db import public_info, queries
from infra.db.models import IncidentRow
from infra.wire import EventType
from playbooks import Facts, LevelDecisionError, Playbook, PlaybookLibrary, UnknownPlaybook, decide_level
from playbooks.assessment import Assessment, Decision, supporting
from playbooks.levels import Level
from playbooks.planning import PlannedAction
from playbooks.termination import Signal, termination_check

router = APIRouter(tags=["decisions"], responses=NOT_FOUND)

APPROVAL_SIGNAL = "approved"
"""The criterion the commander's approval itself fulfils (the writer sets it when approving)."""


class PlaybookNames(BaseModel):
    """The words a person reads for a playbook's ids: units, roles, steps, termination criteria."""

    id: str
    title: str
    units: dict[str, str]
    roles: dict[str, str]
    steps: dict[str, str]
    criteria: dict[str, str]
    rules: dict[str, str] = Field(default_factory=dict, description="grading rules' titles by id, every rule set")


class PlannedStep(BaseModel):
    """A step the change would start: who owns it, whom it pages, when it would be due."""

    key: str
    kind: str
    title: str
    owner: str
    owner_name: str
    recipients: list[str]
    recipient_names: list[str]
    due_at: Instant
    deadline: str


class StoppedStep(BaseModel):
    """A running step the change would replace by a stricter one."""

    key: str
    title: str


class LevelPreview(BaseModel):
    """What changing the level to `to_level` would do now; `refusal` says why it would be refused."""

    from_level: str
    to_level: str
    is_raise: bool
    lead: str = Field("", description="who leads the response at the new level")
    refusal: str | None = None
    start: list[PlannedStep] = Field(default_factory=list)
    stop: list[StoppedStep] = Field(default_factory=list)
    paged: list[str] = Field(default_factory=list, description="units and roles the new alerts go to")
    needs_assessment: bool = Field(
        False, description="lowering waits for an expert assessment recommending it (POST .../assessments)"
    )


class CriterionState(BaseModel):
    """One termination criterion, the signal it reads, its value and whether it holds now."""

    id: str
    title: str
    signal: str
    kind: str = Field(description="`since` (a moment held long enough) or `confirmed` (a yes)")
    at_least: str | None = None
    value: Any = None
    holds: bool
    holds_from: Instant | None = None
    detail: str
    settable: bool = Field(description="false for what the approval itself fulfils")


class TerminationState(BaseModel):
    """The playbook's termination criteria against the incident's signals now."""

    status: str
    ready: bool = Field(description="every criterion holds and, where the playbook asks, an assessment supports it")
    missing: list[str]
    assessment_required: bool = Field(False, description="approval waits for an expert assessment recommending it")
    assessment_ok: bool = Field(True, description="a recorded assessment since the last level change supports it")
    signals: dict[str, Any]
    criteria: list[CriterionState]


def playbook_of(library: PlaybookLibrary, row: IncidentRow) -> Playbook:
    """The playbook version the incident runs under (the current one when that version is not loaded)."""
    try:
        return library.get(row.incident_type, row.playbook_version)
    except UnknownPlaybook:
        return library.get(row.incident_type)


def rule_titles(playbook: Playbook) -> dict[str, str]:
    """The title of each grading rule of every rule set, by rule id."""
    return {r.id: r.title for rule_set in playbook.rule_sets.values() for r in rule_set.rules if r.title}


def _names(playbook: Playbook, ids: tuple[str, ...] | list[str]) -> list[str]:
    return [playbook.units.get(i) or playbook.roles.get(i) or i for i in ids]


def _step(playbook: Playbook, action: PlannedAction) -> PlannedStep:
    return PlannedStep(
        key=action.key,
        kind=action.kind,
        title=action.title,
        owner=action.owner,
        owner_name=_names(playbook, [action.owner])[0],
        recipients=list(action.recipients),
        recipient_names=_names(playbook, action.recipients),
        due_at=action.due_at,
        deadline=action.deadline_text,
    )


@router.get("/playbooks/{playbook_id}/names", response_model=PlaybookNames, **requires(*READ_ROLES))
async def playbook_names(
    playbook_id: Annotated[str, Path(min_length=1, max_length=64)], svc: ServicesDep
) -> PlaybookNames:
    """Names of a playbook's units, roles, steps and termination criteria, so a screen shows no bare ids."""
    for playbook in svc.playbooks.all():
        if playbook_id in (playbook.id, playbook.incident_type):
            return PlaybookNames(
                id=playbook.id,
                title=playbook.title,
                units=dict(playbook.units),
                roles=dict(playbook.roles),
                steps={a.id: a.title for a in playbook.all_actions()},
                criteria={c.id: c.title for c in playbook.termination},
                rules=rule_titles(playbook),
            )
    raise NotFound(f"no playbook {playbook_id!r}; the library has {', '.join(svc.playbooks.ids())}")


@router.get("/incidents/{incident_id}/level-preview", response_model=LevelPreview, **requires(*READ_ROLES))
async def preview_level(
    incident_id: IncidentId,
    level: Annotated[LevelParam, Query(description="the level being considered")],
    svc: ServicesDep,
    identity: CurrentUser,
    clock: ClockDep,
) -> LevelPreview:
    """What changing the level would do now: the steps it starts, the steps it replaces, whom it pages."""
    row = await incident_or_404(svc.db, incident_id, identity)
    playbook = playbook_of(svc.playbooks, row)
    current, requested = Level.parse(row.level), Level.parse(level)
    plan = playbook.levels.get(requested)
    preview = LevelPreview(
        from_level=current.value,
        to_level=requested.value,
        is_raise=requested > current,
        lead=plan.lead if plan is not None else "",
    )
    if requested < current and not identity.has("commander"):
        preview.refusal = f"only a commander lowers a level ({current.value} → {requested.value})"
    if row.status == "closed":
        preview.refusal = "the incident is closed"
    if requested < current and await _assessment_missing(svc, row, playbook, Decision.LOWER_LEVEL, requested):
        preview.needs_assessment = True
        preview.refusal = preview.refusal or (
            "lowering the level needs a recorded expert assessment recommending it, made since the level last changed"
        )
    running = [a.key for a in await queries.actions(svc.db, incident_id)]
    try:
        change = decide_level(
            playbook,
            current,
            requested,
            reason="preview",
            decided_by=identity.name,
            running=running,
            facts=Facts.from_mapping(row.facts or {}),
            venue_type=row.venue_type,
            now=clock.now(),
            first_report_at=as_utc(row.first_report_at),
        )
    except LevelDecisionError as exc:
        preview.refusal = preview.refusal or str(exc)
        return preview
    titles = {a.key: a.title for a in await queries.actions(svc.db, incident_id)}
    preview.start = [_step(playbook, a) for a in change.added_actions]
    preview.stop = [StoppedStep(key=k, title=titles.get(k, k)) for k in change.superseded]
    paged = [name for a in change.added_actions if a.kind == "notify" for name in _names(playbook, a.recipients)]
    preview.paged = list(dict.fromkeys(paged))
    return preview


@router.get("/incidents/{incident_id}/termination", response_model=TerminationState, **requires(*READ_ROLES))
async def termination_state(
    incident_id: IncidentId, svc: ServicesDep, identity: CurrentUser, clock: ClockDep
) -> TerminationState:
    """Each termination criterion, the signal it reads, the signal's value, and whether it holds now."""
    row = await incident_or_404(svc.db, incident_id, identity)
    playbook = playbook_of(svc.playbooks, row)
    signals = await _signals(svc, row)
    checked: dict[str, Signal] = {k: _as_signal(v) for k, v in signals.items()}
    checked[APPROVAL_SIGNAL] = True  # the approval itself; the writer checks the rest again when it comes
    status = termination_check(playbook, signals=checked, now=clock.now())
    criteria = []
    for criterion, state in zip(playbook.termination, status.criteria, strict=True):
        signal = criterion.since or criterion.confirmed or ""
        criteria.append(
            CriterionState(
                id=criterion.id,
                title=criterion.title,
                signal=signal,
                kind="since" if criterion.since else "confirmed",
                at_least=str(criterion.at_least) if criterion.at_least else None,
                value=signals.get(signal),
                holds=state.holds,
                holds_from=state.holds_from,
                detail=state.detail,
                settable=signal != APPROVAL_SIGNAL,
            )
        )
    required = Decision.TERMINATION in playbook.assessment_required
    assessed = not required or not await _assessment_missing(svc, row, playbook, Decision.TERMINATION, None)
    return TerminationState(
        status=row.status,
        ready=status.ready and assessed,
        missing=list(status.missing),
        assessment_required=required,
        assessment_ok=assessed,
        signals=signals,
        criteria=criteria,
    )


async def _assessment_missing(
    svc: ServicesDep, row: IncidentRow, playbook: Playbook, decision: Decision, to_level: Level | None
) -> bool:
    """True when the playbook asks for an assessment before `decision` and none recorded supports it."""
    if decision not in playbook.assessment_required:
        return False
    history = await queries.level_history(svc.db, row.id)
    since = as_utc(history[-1].at) if history else None
    recorded = [Assessment.from_dict(a) for a in await public_info.assessments(svc.db, row.id)]
    return supporting(recorded, decision, since=since, to_level=to_level) is None


async def _signals(svc: ServicesDep, row: IncidentRow) -> dict[str, Any]:
    """The signals set on the timeline (newest wins), and `last_case_at` as the writer derives it."""
    signals: dict[str, Any] = {}
    reported: list[datetime] = []
    cases_by_source: dict[str, int] = {}
    for entry in await queries.timeline(svc.db, row.id):
        if entry.type == EventType.TERMINATION_SIGNALS_UPDATED.value:
            signals.update({k: v for k, v in (entry.data.get("signals") or {}).items() if k != APPROVAL_SIGNAL})
        elif entry.type == EventType.REPORT_RECEIVED.value and not entry.data.get("superseded"):
            # Like the writer: a source's report that raises its case count is a new case at its report time.
            source, cases = str(entry.data.get("source")), int((entry.data.get("facts") or {}).get("cases") or 0)
            if cases > cases_by_source.get(source, 0):
                reported.append(datetime.fromisoformat(str(entry.data["reported_at"])))
            cases_by_source[source] = max(cases, cases_by_source.get(source, 0))
    if "last_case_at" not in signals:
        onsets = [as_utc(c.onset) for c in await queries.cases(svc.db, row.id)] or [as_utc(t) for t in reported]
        signals["last_case_at"] = max(onsets, default=as_utc(row.first_report_at)).isoformat()
    return signals


def _as_signal(value: Any) -> Signal:
    if isinstance(value, str):
        try:
            return as_utc(datetime.fromisoformat(value))
        except ValueError:
            return None
    return value if isinstance(value, bool) else None
