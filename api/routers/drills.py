"""Drills (docs/adr/0018): scenarios, starting a run, steering it, and reading runs and their reports.

Writes publish drill commands on `drill-commands` (key = exercise id) and return 202 with the command id;
the drill host applies them. Reads come from the `drill_runs` read model. With `?wait=N` a command waits
for its outcome as incident commands do (200 applied, 409 rejected, 202 pending); starting a drill waits for
the run's first snapshot (201).

Scope: an exercise-scoped caller sees and steers only their own exercise, and a drill they start *is* that
exercise; a caller without one sees every run, and a commander's new run gets a new exercise id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.auth import CurrentUser, requires
from api.commands.service import MAX_WAIT_SECONDS, POLL_SECONDS, CommandSender, SenderDep, Target
from api.deps import DbDep, ServicesDep
from api.drill_catalog import ScenarioCatalog, ScenarioInvalid, ScenarioSummary
from api.errors import AUTH, BODY, KAFKA_DOWN, ApiError, Conflict, NotFound, Problem, Responses
from api.schemas import DrillCommandOut, DrillDetail, DrillList, DrillStarted, DrillSummary, ScenarioDetail
from infra.db import queries
from infra.db.drills import ENDED, DrillFilter, drill_report, get_drill_run, list_drill_runs
from infra.db.engine import Database
from infra.db.models import DrillRunRow
from infra.db.users import Identity
from infra.wire import DrillCommandType
from infra.wire.drill import INJECT_ACTIONS, RUN_ACTIONS, START, new_exercise_id

router = APIRouter(tags=["drills"], responses=AUTH)

WRITERS = ("drill_controller", "commander")
"""Who starts and steers drills."""
READERS = ("drill_controller", "commander", "duty_officer", "observer", "evaluator")
"""Who reads drill runs, scenarios and reports."""
BOTS = ("perfect", "late", "absent")
"""The player bot's behaviours (drills/bots.py BEHAVIOURS; a test keeps the two in step)."""
MIN_SPEED, MAX_SPEED = 1, 600

ExerciseId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        description="the run's exercise id",
        examples=["EX-school_canteen-20261130043000-3f9a"],
    ),
]
InjectId = Annotated[
    str, Path(min_length=1, max_length=120, description="an inject of the run's scenario", examples=["first_report"])
]
ScenarioName = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", examples=["school_canteen"])
]
Speed = Annotated[
    float, Field(ge=MIN_SPEED, le=MAX_SPEED, description="scenario seconds per real second (1–600)", examples=[60])
]

NO_CATALOG: Responses = {
    503: {"model": Problem, "description": "The API was started without a scenario catalog, or Kafka is unreachable"}
}
RUN_NOT_FOUND: Responses = {
    404: {"model": Problem, "description": "No such run (or one outside the caller's exercise)"}
}
CONTROL_RESPONSES: Responses = {
    **BODY,
    **KAFKA_DOWN,
    **RUN_NOT_FOUND,
    200: {"model": DrillCommandOut, "description": "Applied by the drill host (only with ?wait)"},
    409: {
        "model": DrillCommandOut | Problem,
        "description": "The run is finished or failed (Problem), or the drill host rejected the command "
        "(with ?wait; `detail` says why)",
    },
}
START_RESPONSES: Responses = {
    **BODY,
    **NO_CATALOG,
    201: {"model": DrillStarted, "description": "The run has started (only with ?wait): its first snapshot"},
    404: {"model": Problem, "description": "No scenario of that name"},
    409: {
        "model": DrillStarted | Problem,
        "description": "The caller's exercise already has a run (Problem), or the drill host rejected the "
        "start (with ?wait)",
    },
}
REPORT_CONTENT: Responses = {
    200: {
        "content": {"text/markdown": {"schema": {"type": "string"}}, "text/html": {"schema": {"type": "string"}}},
        "description": "The after-action report: Markdown, or self-contained HTML",
    },
    404: {"model": Problem, "description": "No such run, or its report is not written yet"},
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StartDrillIn(_Body):
    """Start a drill from a named scenario or from scenario YAML (exactly one of the two)."""

    # no stripping: the YAML is published as given, and its problems' line numbers are the caller's
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=False,
        json_schema_extra={
            "examples": [{"scenario": "school_canteen", "speed": 60, "bot": None, "participants": None}]
        },
    )

    scenario: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="a scenario of GET /drills/scenarios, by id",
    )
    scenario_yaml: str | None = Field(
        None, min_length=1, max_length=200_000, description="a scenario's YAML text (validated before anything starts)"
    )
    speed: Speed = 60
    bot: Literal["perfect", "late", "absent"] | None = Field(
        None, description="a player bot's behaviour, or null when people play"
    )
    participants: list[Annotated[str, Field(min_length=1, max_length=120)]] | None = Field(
        None,
        min_length=1,
        max_length=1000,
        description="person ids who may receive the drill's messages (null: the people of the scenario's units)",
    )

    @model_validator(mode="after")
    def _one_source(self) -> StartDrillIn:
        if (self.scenario is None) == (self.scenario_yaml is None):
            given = "both" if self.scenario is not None else "neither"
            raise ValueError(f"give exactly one of scenario (a name) or scenario_yaml (a text); {given} was given")
        return self


class SpeedIn(_Body):
    """The run's new speed."""

    speed: Speed


Handler = Callable[..., Awaitable[Any]]


def _catalog(scenarios: ScenarioCatalog | None) -> ScenarioCatalog:
    if scenarios is None:
        raise NoCatalog(
            "this API was started without a scenario catalog (serve it with `tocsin run` or "
            "`uvicorn tocsin.api_factory:create --factory`)"
        )
    return scenarios


class NoCatalog(ApiError):
    """503: no scenario catalog was given to the app."""

    code = status.HTTP_503_SERVICE_UNAVAILABLE


def _invalid(field: tuple[str | int, ...], problems: list[str], kind: str) -> RequestValidationError:
    """A 422 shaped like FastAPI's own: one entry per problem, located at `field`."""
    return RequestValidationError([{"loc": ("body", *field), "msg": p, "type": kind} for p in problems])


def _wire_speed(speed: float) -> int | float:
    """60.0 → 60: whole speeds travel as integers."""
    return int(speed) if float(speed).is_integer() else speed


def _requested_by(identity: Identity) -> dict[str, Any]:
    return {"user": identity.name, "roles": list(identity.roles)}


def _summary(row: DrillRunRow) -> dict[str, Any]:
    return {**DrillSummary.model_validate(row).model_dump(), "has_report": row.report_markdown is not None}


def _detail(row: DrillRunRow) -> DrillDetail:
    return DrillDetail(**_summary(row), snapshot=row.snapshot or {})


def _visible(identity: Identity, exercise_id: str) -> bool:
    return identity.exercise_id is None or identity.exercise_id == exercise_id


async def run_or_404(db: Database, exercise_id: str, identity: Identity) -> DrillRunRow:
    """The run, if it exists and the caller may see it; 404 otherwise."""
    row = await get_drill_run(db, exercise_id) if _visible(identity, exercise_id) else None
    if row is None:
        raise NotFound(f"no drill run {exercise_id!r}")
    return row


# -- scenarios ---------------------------------------------------------------------------------------------


@router.get("/drills/scenarios", response_model=list[ScenarioSummary], responses=NO_CATALOG, **requires(*READERS))
async def list_scenarios(svc: ServicesDep) -> list[ScenarioSummary]:
    """The scenarios a drill can be started from: objectives, units, playbook, injects, duration."""
    return await asyncio.to_thread(_catalog(svc.scenarios).list)


@router.get(
    "/drills/scenarios/{name}",
    response_model=ScenarioDetail,
    responses={**NO_CATALOG, 404: {"model": Problem, "description": "No scenario of that name"}},
    **requires(*READERS),
)
async def get_scenario(name: ScenarioName, svc: ServicesDep) -> ScenarioDetail:
    """One scenario's summary and YAML text."""
    summary, text = await _named_scenario(svc, name)
    return ScenarioDetail(scenario=summary, yaml=text)


async def _named_scenario(svc: ServicesDep, name: str) -> tuple[ScenarioSummary, str]:
    catalog = _catalog(svc.scenarios)
    try:
        return await asyncio.to_thread(catalog.get, name)
    except KeyError:
        known = ", ".join(s.id for s in await asyncio.to_thread(catalog.list)) or "none"
        raise NotFound(f"no scenario {name!r} (available: {known})") from None
    except ScenarioInvalid as exc:
        raise _invalid(("scenario",), exc.problems, "value_error.scenario") from exc


# -- runs ----------------------------------------------------------------------------------------------------


@router.post("/drills", status_code=202, response_model=DrillStarted, responses=START_RESPONSES, **requires(*WRITERS))
async def start_drill(body: StartDrillIn, send: SenderDep) -> DrillStarted:
    """Validate the scenario, name the exercise and publish StartDrill; the drill service hosts the run.

    A caller scoped to an exercise runs that exercise (once); others get a new exercise id.
    """
    svc, identity = send.svc, send.identity
    if body.scenario is not None:
        summary, text = await _named_scenario(svc, body.scenario)
    else:
        text = body.scenario_yaml or ""
        try:
            summary = await asyncio.to_thread(_catalog(svc.scenarios).check, text, "scenario_yaml")
        except ScenarioInvalid as exc:
            raise _invalid(("scenario_yaml",), exc.problems, "value_error.scenario") from exc
    _check_participants(svc, body.participants)
    if identity.exercise_id is not None:
        exercise_id = identity.exercise_id
        existing = await get_drill_run(svc.db, exercise_id)
        if existing is not None:
            raise Conflict(
                f"exercise {exercise_id!r} already has a run ({existing.state}); {identity.name} may "
                "run only that exercise — a commander starts further runs"
            )
    else:
        exercise_id = new_exercise_id(summary.id, svc.clock.now())
    payload = {
        "scenario_id": summary.id,
        "scenario_text": text,
        "speed": _wire_speed(body.speed),
        "bot": body.bot,
        "participants": body.participants,
        "requested_by": _requested_by(identity),
    }
    outcome = await send.submit(START, _target(svc, exercise_id), payload, wait=0)
    started = DrillStarted(exercise_id=exercise_id, command_id=outcome.command_id, status="accepted")
    if send.wait > 0:
        started = await _wait_for_start(svc.db, started, send.wait)
    send.response.status_code = {"applied": status.HTTP_201_CREATED, "rejected": status.HTTP_409_CONFLICT}.get(
        started.status, status.HTTP_202_ACCEPTED
    )
    return started


def _check_participants(svc: ServicesDep, participants: list[str] | None) -> None:
    """422 naming each participant the loaded organisation does not know."""
    if participants is None or svc.organisation is None:
        return
    unknown: list[tuple[int, str]] = []
    for n, person_id in enumerate(participants):
        try:
            svc.organisation.person(person_id)
        except (KeyError, ValueError):
            unknown.append((n, person_id))
    if unknown:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "participants", n),
                    "msg": f"no person {person_id!r} in the district's organisation",
                    "type": "value_error.person",
                }
                for n, person_id in unknown
            ]
        )


def _target(svc: ServicesDep, exercise_id: str) -> Target:
    return Target(svc.settings.topic("drill-commands"), exercise_id, None, "exercise", exercise_id)


async def _wait_for_start(db: Database, started: DrillStarted, seconds: int) -> DrillStarted:
    """Poll until the run's first snapshot (or the start's rejection) is in the read model, or time runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(seconds, MAX_WAIT_SECONDS)
    while True:
        result = await queries.command_result(db, started.command_id)
        if result is not None and result.status == "rejected":
            return started.model_copy(update={"status": "rejected", "detail": result.reason})
        row = await get_drill_run(db, started.exercise_id)
        if row is not None and row.seq >= 0:
            return started.model_copy(update={"status": "applied", "drill": _detail(row)})
        if loop.time() >= deadline:
            return started.model_copy(
                update={
                    "status": "pending",
                    "detail": f"waited {seconds} s; the drill host has not reported the run yet (the command is on "
                    "Kafka; is the drill service running?)",
                }
            )
        await asyncio.sleep(POLL_SECONDS)


@router.get("/drills", response_model=DrillList, **requires(*READERS))
async def list_drills(
    db: DbDep,
    identity: CurrentUser,
    state: Annotated[Literal["running", "paused", "finished", "failed"] | None, Query()] = None,
    scenario: Annotated[str | None, Query(max_length=120, examples=["school_canteen"])] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DrillList:
    """Drill runs the caller may see, newest first; filter by state and scenario."""
    rows = await list_drill_runs(
        db, DrillFilter(state=state, scenario_id=scenario, exercise_id=identity.exercise_id, limit=limit)
    )
    return DrillList(items=[DrillSummary(**_summary(r)) for r in rows])


@router.get("/drills/{exercise_id}", response_model=DrillDetail, responses=RUN_NOT_FOUND, **requires(*READERS))
async def get_drill(exercise_id: ExerciseId, db: DbDep, identity: CurrentUser) -> DrillDetail:
    """One run with its newest snapshot: the inject list and states, messages, incidents, score."""
    return _detail(await run_or_404(db, exercise_id, identity))


@router.get("/drills/{exercise_id}/report", response_class=Response, responses=REPORT_CONTENT, **requires(*READERS))
async def get_drill_report(
    exercise_id: ExerciseId, db: DbDep, identity: CurrentUser, format: Annotated[Literal["md", "html"], Query()] = "md"
) -> Response:
    """The after-action report once the run has ended: Markdown (default) or self-contained HTML."""
    row = await run_or_404(db, exercise_id, identity)
    report = await drill_report(db, exercise_id)
    if report is None:
        raise NotFound(
            f"no report yet for drill run {exercise_id!r} (it is {row.state}; the report is written when the run ends)"
        )
    if format == "html":
        return Response(report.html, media_type="text/html; charset=utf-8")
    return Response(report.markdown, media_type="text/markdown; charset=utf-8")


# -- control -------------------------------------------------------------------------------------------------


def _control_route(path: str, summary: str) -> Callable[[Handler], Handler]:
    decorate: Callable[[Handler], Handler] = router.post(
        path,
        status_code=202,
        response_model=DrillCommandOut,
        responses=CONTROL_RESPONSES,
        summary=summary,
        **requires(*WRITERS),
    )
    return decorate


async def _steer(
    send: CommandSender,
    exercise_id: str,
    type_: DrillCommandType,
    payload: dict[str, Any],
    inject_id: str | None = None,
) -> DrillCommandOut:
    """Publish a command for a run that is still going; 404 unknown run (or inject), 409 run over."""
    row = await run_or_404(send.svc.db, exercise_id, send.identity)
    if row.state in ENDED:
        raise Conflict(f"drill run {exercise_id!r} is {row.state}; it takes no more commands")
    if inject_id is not None:
        injects = (row.snapshot or {}).get("injects")
        if isinstance(injects, list) and inject_id not in {i.get("id") for i in injects if isinstance(i, dict)}:
            raise NotFound(f"drill run {exercise_id!r} has no inject {inject_id!r}")
    body = {**payload, "requested_by": _requested_by(send.identity)}
    outcome = await send.submit(type_, _target(send.svc, exercise_id), body)
    return DrillCommandOut(**outcome.model_dump(), exercise_id=exercise_id)


_RUN_SUMMARIES = {
    "pause": ("Pause a drill", "The scenario clock stops; nothing is injected until the run is resumed."),
    "resume": ("Resume a paused drill", "The scenario clock runs again from where it stopped."),
    "stop": ("Stop a drill", "End the run now; it is scored and its report written as at its end."),
}


def _run_route(action: str) -> None:
    """Register POST /drills/{exercise_id}/<action> (a command on the whole run, without a body)."""
    command = RUN_ACTIONS[action]
    summary, doc = _RUN_SUMMARIES[action]

    async def steer_run(exercise_id: ExerciseId, send: SenderDep) -> DrillCommandOut:
        return await _steer(send, exercise_id, command, {})

    steer_run.__name__ = f"{action}_drill"
    steer_run.__doc__ = doc
    _control_route(f"/drills/{{exercise_id}}/{action}", summary)(steer_run)


for _verb in _RUN_SUMMARIES:
    _run_route(_verb)


@_control_route("/drills/{exercise_id}/speed", "Change a drill's speed")
async def set_drill_speed(exercise_id: ExerciseId, body: SpeedIn, send: SenderDep) -> DrillCommandOut:
    """Scenario seconds per real second from now on (1–600)."""
    return await _steer(send, exercise_id, RUN_ACTIONS["speed"], {"speed": _wire_speed(body.speed)})


_INJECT_SUMMARIES = {
    "fire": ("Fire an inject now", "Deliver the inject now, whatever its planned time."),
    "hold": ("Hold an inject", "Keep the inject from being delivered until it is released."),
    "release": ("Release a held inject", "A held (or manual) inject is delivered at its time, or now if it is due."),
    "skip": ("Skip an inject", "The inject is not delivered; the run goes on without it."),
    "cancel": ("Cancel an inject", "Withdraw the inject for the rest of the run."),
}


def _inject_route(action: str) -> None:
    """Register POST /drills/{exercise_id}/injects/{inject_id}/<action>."""
    command = INJECT_ACTIONS[action]
    summary, doc = _INJECT_SUMMARIES[action]

    async def steer_inject(exercise_id: ExerciseId, inject_id: InjectId, send: SenderDep) -> DrillCommandOut:
        return await _steer(send, exercise_id, command, {"inject_id": inject_id}, inject_id=inject_id)

    steer_inject.__name__ = f"{action}_inject"
    steer_inject.__doc__ = f"{doc} Publishes `{command}`."
    _control_route(f"/drills/{{exercise_id}}/injects/{{inject_id}}/{action}", summary)(steer_inject)


for _action in INJECT_ACTIONS:
    _inject_route(_action)
