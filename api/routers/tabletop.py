"""Discussion-based exercises (docs/adr/0029): the facilitator's phases, participants' answers, evaluators' ratings.

Writes publish drill commands (AdvancePhase, AnswerQuestion, RecordObservation) on `drill-commands` and return
202 with the command id; the drill host applies them (with `?wait=N`: 200 applied, 409 rejected with the reason).
Reads come from the run's newest snapshot in the `drill_runs` read model.

Who: the facilitator is a drill_controller (or a commander); a participant answers for their own unit, in their
own exercise; an evaluator (scoped to one exercise) rates questions and capabilities P/S/M/U with a note.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.auth import CurrentUser, requires
from api.commands.service import CommandSender, SenderDep, Target
from api.deps import DbDep
from api.errors import AUTH, Conflict, Forbidden, NotFound, Problem, Responses
from api.routers.drills import CONTROL_RESPONSES, READERS, RUN_NOT_FOUND, WRITERS, ExerciseId, run_or_404
from api.schemas import DrillCommandOut
from infra.db.drills import ENDED
from infra.db.models import DrillRunRow
from infra.db.users import Identity
from infra.wire import DrillCommandType
from infra.wire.drill import (
    ADVANCE_PHASE,
    ANSWER_QUESTION,
    IMPROVEMENT_PLAN_COLUMNS,
    RECORD_OBSERVATION,
    UPDATE_IMPROVEMENT_ITEM,
)

router = APIRouter(tags=["drills"], responses=AUTH)

ANSWERERS = ("unit_responder", "duty_officer", "commander", "drill_controller", "publicity")
"""Who may answer a question (for their own unit, in their own exercise)."""
EVALUATORS = ("evaluator",)
"""Who rates: evaluators only (a controller runs the exercise, an evaluator judges it)."""
DISCUSSION_READERS = tuple(dict.fromkeys((*READERS, *ANSWERERS)))
"""Who reads a run's phases, questions, answers and ratings."""

Id = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Rating = Literal["P", "S", "M", "U"]
ItemStatus = Literal["open", "in_progress", "done"]
ItemId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^ip-[0-9]+$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AnswerIn(_Body):
    """A unit's answer to a question of the phase in play (or an earlier one)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": "2 小时内向区食安办报告，组织就医", "unit": "town_office"}]},
    )

    text: Text
    unit: str | None = Field(
        None,
        pattern=r"^[a-z][a-z0-9_]*$",
        max_length=64,
        description="the answering unit; defaults to (and must match) the caller's own unit",
    )


class ObservationIn(_Body):
    """An evaluator's observation: a question or a capability, rated P/S/M/U, with a note."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"question_id": "town_first_hour", "rating": "S", "note": "未提 2 小时时限"}]},
    )

    question_id: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    capability: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    rating: Rating = Field(
        description="P performed without challenges, S with some, M with major challenges, U unable to perform"
    )
    note: str = Field("", max_length=4000)

    @model_validator(mode="after")
    def _one_target(self) -> ObservationIn:
        if (self.question_id is None) == (self.capability is None):
            raise ValueError("give exactly one of question_id or capability")
        return self


class DiscussionOut(BaseModel):
    """A run's discussion as its newest snapshot shows it."""

    exercise_id: str
    state: str
    elapsed_seconds: float
    awaiting_facilitator: bool
    discussion: dict[str, Any] | None = Field(
        description="current_phase, capabilities, phases [{id, title, state, start_seconds, end_seconds, narrative, "
        "jump, started_at, closed_at, questions [{id, to, text, capability, expect}]}], answers, ratings; "
        "null for an operations-only scenario"
    )


class PlanItemIn(_Body):
    """A change of an improvement item's status (open → in_progress → done; a reopen goes back), with a note."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "in_progress", "note": "已修订接报流程，6 月底前组织复训"}]},
    )

    status: ItemStatus
    note: str = Field("", max_length=2000)


class PlanItemOut(BaseModel):
    """One improvement item and how it is tracked."""

    id: str
    issue: str
    action: str
    owner: str
    owner_name: str
    due: str
    source: str
    status: str = Field(description="open | in_progress | done")
    history: list[dict[str, Any]] = Field(description="each change: {from, status, note, by, at}")


class PlanOut(BaseModel):
    """A finished run's improvement plan with each item's tracking."""

    exercise_id: str
    items: list[PlanItemOut]


PLAN_CONTENT: Responses = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The improvement plan as CSV"},
    404: {"model": Problem, "description": "No such run, or it has not ended yet"},
}


def _snapshot_ids(row: DrillRunRow, kind: str) -> set[str] | None:
    """The ids of the run's phases, questions or capabilities; None when the snapshot has no discussion."""
    discussion = (row.snapshot or {}).get("discussion")
    if not isinstance(discussion, dict):
        return None
    phases = [p for p in discussion.get("phases") or [] if isinstance(p, dict)]
    if kind == "phase":
        return {str(p.get("id")) for p in phases}
    if kind == "question":
        return {str(q.get("id")) for p in phases for q in p.get("questions") or [] if isinstance(q, dict)}
    return {str(c.get("id")) for c in discussion.get("capabilities") or [] if isinstance(c, dict)}


def _known(row: DrillRunRow, kind: str, value: str) -> None:
    ids = _snapshot_ids(row, kind)
    if ids is None:
        raise NotFound(f"drill run {row.exercise_id!r} is not a discussion-based exercise (its scenario has no phases)")
    if value not in ids:
        raise NotFound(f"drill run {row.exercise_id!r} has no {kind} {value!r}")


async def _running(send: CommandSender, exercise_id: str) -> DrillRunRow:
    row = await run_or_404(send.svc.db, exercise_id, send.identity)
    if row.state in ENDED:
        raise Conflict(f"drill run {exercise_id!r} is {row.state}; it takes no more commands")
    return row


async def _publish(
    send: CommandSender, exercise_id: str, kind: DrillCommandType, payload: dict[str, Any], *, unit: str | None = None
) -> DrillCommandOut:
    identity = send.identity
    who: dict[str, Any] = {"user": identity.name, "roles": list(identity.roles)}
    if unit is not None:
        who["unit"] = unit
    body = {**payload, "requested_by": who}
    target = Target(send.svc.settings.topic("drill-commands"), exercise_id, None, "exercise", exercise_id)
    outcome = await send.submit(kind, target, body)
    return DrillCommandOut(**outcome.model_dump(), exercise_id=exercise_id)


def _in_exercise(identity: Identity, exercise_id: str) -> None:
    """403 unless the caller belongs to this exercise (a district-wide commander may act for anyone)."""
    if identity.exercise_id == exercise_id or (identity.exercise_id is None and identity.has("commander")):
        return
    raise Forbidden(
        f"{identity.name} is not a participant of exercise {exercise_id!r}: answers come from its participants "
        "(users added with --exercise)"
    )


def _answering_unit(identity: Identity, unit: str | None) -> str:
    if identity.unit is not None:
        if unit is not None and unit != identity.unit:
            raise Forbidden(f"{identity.name} answers for {identity.unit}, not {unit}")
        return identity.unit
    if unit is None:
        raise Conflict(f"{identity.name} belongs to no unit: name the answering unit (`unit`)")
    return unit


@router.post(
    "/drills/{exercise_id}/phases/{phase_id}/advance",
    status_code=202,
    response_model=DrillCommandOut,
    responses=CONTROL_RESPONSES,
    summary="Close the phase in play; the next one begins",
    **requires(*WRITERS),
)
async def advance_phase(exercise_id: ExerciseId, phase_id: Id, send: SenderDep) -> DrillCommandOut:
    """The facilitator closes `phase_id` (it must be the phase in play); the scenario clock jumps to the next
    phase's start, or after the last phase the exercise ends and is scored. Publishes `AdvancePhase`."""
    row = await _running(send, exercise_id)
    _known(row, "phase", phase_id)
    return await _publish(send, exercise_id, ADVANCE_PHASE, {"phase_id": phase_id})


@router.post(
    "/drills/{exercise_id}/questions/{question_id}/answers",
    status_code=202,
    response_model=DrillCommandOut,
    responses=CONTROL_RESPONSES,
    summary="Answer a question",
    **requires(*ANSWERERS),
)
async def answer_question(exercise_id: ExerciseId, question_id: Id, body: AnswerIn, send: SenderDep) -> DrillCommandOut:
    """A participant answers a question put in this or an earlier phase, for their unit. Publishes `AnswerQuestion`."""
    _in_exercise(send.identity, exercise_id)
    unit = _answering_unit(send.identity, body.unit)
    row = await _running(send, exercise_id)
    _known(row, "question", question_id)
    return await _publish(
        send, exercise_id, ANSWER_QUESTION, {"question_id": question_id, "unit": unit, "text": body.text}
    )


@router.post(
    "/drills/{exercise_id}/observations",
    status_code=202,
    response_model=DrillCommandOut,
    responses=CONTROL_RESPONSES,
    summary="Record an evaluator's observation",
    **requires(*EVALUATORS),
)
async def record_observation(exercise_id: ExerciseId, body: ObservationIn, send: SenderDep) -> DrillCommandOut:
    """An evaluator rates a question or a capability P/S/M/U with a note; the newest rating per evaluator counts.
    Publishes `RecordObservation`."""
    _in_exercise(send.identity, exercise_id)
    row = await _running(send, exercise_id)
    if body.question_id is not None:
        _known(row, "question", body.question_id)
    if body.capability is not None:
        _known(row, "capability", body.capability)
    payload = {
        "question_id": body.question_id,
        "capability": body.capability,
        "rating": body.rating,
        "note": body.note,
    }
    return await _publish(send, exercise_id, RECORD_OBSERVATION, payload)


@router.get(
    "/drills/{exercise_id}/discussion",
    response_model=DiscussionOut,
    responses=RUN_NOT_FOUND,
    **requires(*DISCUSSION_READERS),
)
async def get_discussion(exercise_id: ExerciseId, db: DbDep, identity: CurrentUser) -> DiscussionOut:
    """The run's phases (with the one in play), questions and expected points, answers and ratings so far."""
    if not identity.has(*READERS) and identity.exercise_id != exercise_id:
        raise NotFound(f"no drill run {exercise_id!r}")  # a participant sees only their own exercise
    row = await run_or_404(db, exercise_id, identity)
    snapshot = row.snapshot or {}
    discussion = snapshot.get("discussion")
    return DiscussionOut(
        exercise_id=exercise_id,
        state=row.state,
        elapsed_seconds=float(snapshot.get("elapsed_seconds") or 0.0),
        awaiting_facilitator=bool(snapshot.get("awaiting_facilitator")),
        discussion=discussion if isinstance(discussion, dict) else None,
    )


@router.get(
    "/drills/{exercise_id}/improvement-plan.csv",
    response_class=Response,
    responses=PLAN_CONTENT,
    **requires(*READERS),
)
async def get_improvement_plan(exercise_id: ExerciseId, db: DbDep, identity: CurrentUser) -> Response:
    """The after-action report's improvement plan (issue, action, owner, due date) as CSV, once the run has ended."""
    row = await run_or_404(db, exercise_id, identity)
    plan = (row.snapshot or {}).get("improvement_plan")
    if not isinstance(plan, list):
        raise NotFound(f"drill run {exercise_id!r} is {row.state}; its improvement plan is written when it ends")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(IMPROVEMENT_PLAN_COLUMNS)
    for item in _plan_items(plan):
        writer.writerow(tuple(str(getattr(item, k) or "") for k in IMPROVEMENT_PLAN_COLUMNS))
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="improvement-plan-{exercise_id}.csv"'},
    )


def _plan_items(plan: list[Any]) -> list[PlanItemOut]:
    """The plan's items, each with its id (ip-01... by position for plans written before ids) and status."""
    return [
        PlanItemOut(
            id=str(item.get("id") or f"ip-{n + 1:02d}"),
            issue=str(item.get("issue") or ""),
            action=str(item.get("action") or ""),
            owner=str(item.get("owner") or ""),
            owner_name=str(item.get("owner_name") or ""),
            due=str(item.get("due") or ""),
            source=str(item.get("source") or ""),
            status=str(item.get("status") or "open"),
            history=[h for h in item.get("history") or [] if isinstance(h, dict)],
        )
        for n, item in enumerate(plan)
        if isinstance(item, dict)
    ]


def _plan(row: DrillRunRow) -> list[PlanItemOut]:
    plan = (row.snapshot or {}).get("improvement_plan")
    if not isinstance(plan, list):
        raise NotFound(f"drill run {row.exercise_id!r} is {row.state}; its improvement plan is written when it ends")
    return _plan_items(plan)


def _may_read_plan(identity: Identity, exercise_id: str) -> None:
    if not identity.has(*READERS) and identity.exercise_id not in (None, exercise_id):
        raise NotFound(f"no drill run {exercise_id!r}")  # a participant sees only their own exercise


@router.get(
    "/drills/{exercise_id}/improvement-plan",
    response_model=PlanOut,
    responses=PLAN_CONTENT | {200: {"description": "The improvement plan with each item's status and history"}},
    **requires(*DISCUSSION_READERS),
)
async def get_plan(exercise_id: ExerciseId, db: DbDep, identity: CurrentUser) -> PlanOut:
    """A finished run's improvement plan: issue, action, owner unit, due date, status and its history."""
    _may_read_plan(identity, exercise_id)
    row = await run_or_404(db, exercise_id, identity)
    return PlanOut(exercise_id=exercise_id, items=_plan(row))


@router.post(
    "/drills/{exercise_id}/improvement-plan/{item_id}",
    status_code=202,
    response_model=DrillCommandOut,
    responses=CONTROL_RESPONSES,
    summary="Track an improvement item (status and note)",
    **requires(*DISCUSSION_READERS),
)
async def update_plan_item(
    exercise_id: ExerciseId, item_id: ItemId, body: PlanItemIn, send: SenderDep
) -> DrillCommandOut:
    """A drill controller or commander, or a user of the item's owner unit, sets its status (open, in_progress,
    done) with a note. Publishes `UpdateImprovementItem`; the drill service applies it (`ImprovementItemUpdated`)."""
    identity = send.identity
    _may_read_plan(identity, exercise_id)
    row = await run_or_404(send.svc.db, exercise_id, identity)
    item = next((i for i in _plan(row) if i.id == item_id), None)
    if item is None:
        raise NotFound(f"drill run {exercise_id!r} has no improvement item {item_id!r}")
    if not identity.has(*WRITERS) and (identity.unit is None or identity.unit != item.owner):
        raise Forbidden(
            f"{identity.name} may not update {item_id} of {item.owner}: a drill controller, a commander or "
            "the owner unit's users may"
        )
    if item.status == body.status and not body.note:
        raise Conflict(f"{item_id} is already {item.status}; say what changed in a note")
    payload = {"item_id": item_id, "status": body.status, "note": body.note}
    return await _publish(send, exercise_id, UPDATE_IMPROVEMENT_ITEM, payload, unit=identity.unit)
