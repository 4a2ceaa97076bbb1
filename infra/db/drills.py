"""The drill runs' read model (docs/adr/0018): projecting `drill-events`, and reading runs and reports.

- `DrillUpdated` carries a run's whole state; the row keeps the newest by `seq` (older or replayed ones
  change nothing), so projection is idempotent and order-tolerant within a run.
- `DrillReportWritten` stores the after-action report (Markdown and self-contained HTML).
- `ImprovementItemUpdated` (ADR 0029) replaces one item of the finished run's `snapshot.improvement_plan` with
  the item as the drill service left it (status and history): replays set the same item again.
- A `DrillUpdated` caused by a command (its `causation` is a command id) records the command as applied in
  `command_results`; `DrillCommandRejected` records it as rejected with the reason. The API's `?wait` reads
  both, exactly as for incident commands.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infra.db.engine import Database
from infra.db.models import CommandResultRow, DrillRunRow
from infra.db.projection import utc
from infra.wire import DrillEventType

__all__ = [
    "DRILL_EVENT_TYPES",
    "ENDED",
    "STATES",
    "DrillEventInvalid",
    "DrillFilter",
    "DrillReport",
    "apply_drill_event",
    "apply_drill_events",
    "drill_report",
    "get_drill_run",
    "list_drill_runs",
]

DRILL_UPDATED = DrillEventType.UPDATED
DRILL_REJECTED = DrillEventType.COMMAND_REJECTED
DRILL_REPORT = DrillEventType.REPORT_WRITTEN
DRILL_PLAN_ITEM = DrillEventType.IMPROVEMENT_ITEM_UPDATED
DRILL_EVENT_TYPES = frozenset({DRILL_UPDATED, DRILL_REJECTED, DRILL_REPORT, DRILL_PLAN_ITEM})
"""The event types on `drill-events` that the read model projects (others are ignored)."""
STATES = ("running", "paused", "finished", "failed")
"""A run's states; the last two are final."""
ENDED = ("finished", "failed")
"""Final states: a run in one of them takes no more commands."""
_PLACEHOLDER_SEQ = -1
"""The seq of a row a report created before any DrillUpdated was seen: the first snapshot replaces it."""


class DrillEventInvalid(ValueError):
    """A drill event the read model cannot use (a missing or malformed field); the message says which."""


@dataclass(frozen=True)
class DrillFilter:
    """Filters of the run list; None means any. `exercise_id` set: only that exercise's run (scoped callers)."""

    state: str | None = None
    scenario_id: str | None = None
    exercise_id: str | None = None
    limit: int = 100


@dataclass(frozen=True)
class DrillReport:
    """A run's after-action report, as the drill host wrote it."""

    exercise_id: str
    markdown: str
    html: str


async def apply_drill_event(db: Database, message: dict[str, Any]) -> None:
    """Project one drill event (an envelope as a dict); raise DrillEventInvalid when it is malformed."""
    await apply_drill_events(db, [message])


async def apply_drill_events(db: Database, messages: Sequence[dict[str, Any]]) -> None:
    """Project drill events in one transaction; raise DrillEventInvalid (and write nothing) on a malformed one."""
    statements = [s for message in messages for s in _statements(db, message)]
    if not statements:
        return
    async with db.transaction() as session:
        for statement in statements:
            if isinstance(statement, _ReportWrite):
                await _write_report(session, db, statement)
            elif isinstance(statement, _PlanItemWrite):
                await _write_plan_item(session, statement)
            else:
                await session.execute(statement)


@dataclass(frozen=True)
class _ReportWrite:
    """Store a report on its run's row (creating a placeholder row when the run is not known yet)."""

    exercise_id: str
    scenario_id: str
    at: datetime
    markdown: str
    html: str


@dataclass(frozen=True)
class _PlanItemWrite:
    """Replace one item of a run's improvement plan (its tracked status and history)."""

    exercise_id: str
    item: dict[str, Any]


def _statements(db: Database, message: dict[str, Any]) -> list[Any]:
    """The writes one event makes; [] for event types the read model does not project."""
    if not isinstance(message, dict):
        raise DrillEventInvalid(f"a drill event is a JSON object, not {type(message).__name__}")
    kind = message.get("type")
    if kind not in DRILL_EVENT_TYPES:
        return []
    payload = message.get("payload")
    if not isinstance(payload, dict):
        raise DrillEventInvalid(f"{kind} {message.get('id')!r}: payload is {payload!r}, not an object")
    try:
        at = utc(str(message["time"]))
        if kind == DRILL_UPDATED:
            return _updated(db, message, payload, at)
        if kind == DRILL_REJECTED:
            command_id = str(payload.get("command_id") or message.get("causation") or "")
            if not command_id:
                raise DrillEventInvalid(f"{kind} {message.get('id')!r}: no command_id and no causation")
            return [_result(db, command_id, "rejected", str(payload.get("reason") or "rejected by the drill host"), at)]
        if kind == DRILL_PLAN_ITEM:
            return _plan_item(db, message, payload, at)
        exercise_id = _exercise_id(message, payload)
        return [
            _ReportWrite(
                exercise_id,
                str(payload.get("scenario_id") or ""),
                at,
                _text(payload, "markdown"),
                _text(payload, "html"),
            )
        ]
    except DrillEventInvalid:
        raise
    except (KeyError, ValueError, TypeError) as exc:
        raise DrillEventInvalid(f"{kind} {message.get('id')!r}: {type(exc).__name__}: {exc}") from exc


def _updated(db: Database, message: dict[str, Any], payload: dict[str, Any], at: datetime) -> list[Any]:
    """Upsert the run's row when this snapshot is newer; record the command that caused it as applied."""
    state = payload["state"]
    if state not in STATES:
        raise DrillEventInvalid(
            f"DrillUpdated {message.get('id')!r}: state {state!r} is not one of {', '.join(STATES)}"
        )
    updated_at = utc(payload["updated_at"]) if payload.get("updated_at") else at
    values = {
        "exercise_id": _exercise_id(message, payload),
        "scenario_id": str(payload["scenario_id"])[:120],
        "title": str(payload.get("title") or ""),
        "state": state,
        "speed": float(payload.get("speed") or 1.0),
        "elapsed_seconds": float(payload.get("elapsed_seconds") or 0.0),
        "end_seconds": float(payload.get("end_seconds") or 0.0),
        "bot": str(payload["bot"])[:32] if payload.get("bot") else None,
        "seq": int(payload["seq"]),
        "started_at": utc(payload["started_at"]) if payload.get("started_at") else updated_at,
        "updated_at": updated_at,
        "ended_at": updated_at if state in ENDED else None,
        "requested_by": _who(payload.get("requested_by")),
        "snapshot": payload,
        "score": payload.get("score") if isinstance(payload.get("score"), dict) else None,
    }
    upsert = db.insert(DrillRunRow).values(**values)
    changed = {k: upsert.excluded[k] for k in values if k not in ("exercise_id", "ended_at")}
    # the first end time stands; a snapshot of a run that has not ended clears it (a report's placeholder row)
    changed["ended_at"] = case(
        (upsert.excluded.ended_at.is_(None), None), else_=func.coalesce(DrillRunRow.ended_at, upsert.excluded.ended_at)
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[DrillRunRow.exercise_id], set_=changed, where=DrillRunRow.seq < upsert.excluded.seq
    )
    statements: list[Any] = [upsert]
    causation = message.get("causation")
    if isinstance(causation, str) and _is_command_id(causation):
        statements.append(_result(db, causation, "applied", "", at))
    return statements


def _plan_item(db: Database, message: dict[str, Any], payload: dict[str, Any], at: datetime) -> list[Any]:
    item = payload["item"]
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise DrillEventInvalid(f"{DRILL_PLAN_ITEM} {message.get('id')!r}: item is {item!r}, not an item with an id")
    statements: list[Any] = [_PlanItemWrite(_exercise_id(message, payload), item)]
    causation = message.get("causation")
    if isinstance(causation, str) and _is_command_id(causation):
        statements.append(_result(db, causation, "applied", "", at))
    return statements


async def _write_plan_item(session: AsyncSession, write: _PlanItemWrite) -> None:
    """Put the item in place of the one with its id (by position for plans written before items had ids)."""
    row = await session.get(DrillRunRow, write.exercise_id, with_for_update=True)
    plan = (row.snapshot or {}).get("improvement_plan") if row is not None else None
    if row is None or not isinstance(plan, list):
        return
    wanted = write.item["id"]
    items = [
        write.item if isinstance(i, dict) and (i.get("id") or f"ip-{n + 1:02d}") == wanted else i
        for n, i in enumerate(plan)
    ]
    row.snapshot = {**row.snapshot, "improvement_plan": items}


def _result(db: Database, command_id: str, status: str, reason: str, at: datetime) -> Any:
    """The command's outcome; the first one recorded stands (replays change nothing)."""
    return (
        db.insert(CommandResultRow)
        .values(
            command_id=command_id[:64],
            incident_id=None,
            status=status,
            reason=reason,
            at=at,
        )
        .on_conflict_do_nothing(index_elements=[CommandResultRow.command_id])
    )


async def _write_report(session: AsyncSession, db: Database, report: _ReportWrite) -> None:
    """Store the report on the run's row; create a placeholder row (seq -1) if no snapshot came yet."""
    stored = await session.execute(
        update(DrillRunRow)
        .where(DrillRunRow.exercise_id == report.exercise_id)
        .values(report_markdown=report.markdown, report_html=report.html)
        .returning(DrillRunRow.exercise_id)
    )
    if stored.first() is not None:
        return
    await session.execute(
        db.insert(DrillRunRow)
        .values(
            exercise_id=report.exercise_id,
            scenario_id=report.scenario_id[:120],
            title="",
            state="finished",
            speed=1.0,
            elapsed_seconds=0.0,
            end_seconds=0.0,
            bot=None,
            seq=_PLACEHOLDER_SEQ,
            started_at=report.at,
            updated_at=report.at,
            ended_at=report.at,
            requested_by=None,
            snapshot={},
            score=None,
            report_markdown=report.markdown,
            report_html=report.html,
        )
        .on_conflict_do_nothing(index_elements=[DrillRunRow.exercise_id])
    )


def _exercise_id(message: dict[str, Any], payload: dict[str, Any]) -> str:
    exercise_id = payload.get("exercise_id") or message.get("exercise_id")
    if not isinstance(exercise_id, str) or not exercise_id or len(exercise_id) > 200:
        raise DrillEventInvalid(
            f"{message.get('type')} {message.get('id')!r}: exercise_id {exercise_id!r} is not "
            "an id of 1 to 200 characters"
        )
    return exercise_id


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str):
        raise DrillEventInvalid(f"DrillReportWritten: {key} is {type(value).__name__}, not text")
    return value


def _who(requested_by: Any) -> str | None:
    """The user who started the run, from `requested_by` ({user, roles} or a name)."""
    if isinstance(requested_by, dict):
        requested_by = requested_by.get("user")
    return str(requested_by)[:200] if requested_by else None


def _is_command_id(causation: str) -> bool:
    """True when `causation` is a command id (the API's are UUIDs); other causes record no command result."""
    try:
        uuid.UUID(causation)
    except ValueError:
        return False
    return True


async def list_drill_runs(db: Database, flt: DrillFilter | None = None) -> Sequence[DrillRunRow]:
    """Runs matching the filter, newest start first (ties by exercise id, descending)."""
    flt = flt or DrillFilter()
    query = select(DrillRunRow)
    for column, value in (
        (DrillRunRow.state, flt.state),
        (DrillRunRow.scenario_id, flt.scenario_id),
        (DrillRunRow.exercise_id, flt.exercise_id),
    ):
        if value is not None:
            query = query.where(column == value)
    query = query.order_by(DrillRunRow.started_at.desc(), DrillRunRow.exercise_id.desc()).limit(flt.limit)
    async with db.session() as session:
        return (await session.scalars(query)).all()


async def get_drill_run(db: Database, exercise_id: str) -> DrillRunRow | None:
    """One run by its exercise id, or None."""
    async with db.session() as session:
        return await session.get(DrillRunRow, exercise_id)


async def drill_report(db: Database, exercise_id: str) -> DrillReport | None:
    """The run's report, or None when the run is unknown or its report is not written yet."""
    row = await get_drill_run(db, exercise_id)
    if row is None or row.report_markdown is None:
        return None
    return DrillReport(exercise_id, row.report_markdown, row.report_html or "")
