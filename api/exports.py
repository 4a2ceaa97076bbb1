"""Renderings of an incident's timeline for export: CSV, JSON, and an ICS-214-style activity log."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from api.schemas import as_utc
from infra.db.models import CaseRow, IncidentRow, TimelineRow
from infra.wire import EventType

CSV_COLUMNS = ("seq", "at", "type", "mode", "by", "summary", "event_id", "causation", "data")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is a formula (or becomes one) in a spreadsheet (OWASP: CSV injection)."""


def neutralise(cell: object) -> object:
    """A CSV cell that no spreadsheet runs as a formula: text starting with = + - @ tab or CR gets a leading '."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return f"'{cell}"
    return cell


def _row(cells: Sequence[object]) -> list[object]:
    return [neutralise(cell) for cell in cells]


def who(data: dict[str, Any]) -> str:
    """The person behind an event, when it names one."""
    for key in ("by", "decided_by", "acknowledged_by", "completed_by"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def summary(kind: str, data: dict[str, Any]) -> str:
    """One line a person can read, per event type."""
    if kind == EventType.LEVEL_CHANGED:
        return f"level {data.get('from')} → {data.get('to')}: {data.get('explanation') or data.get('rule_id') or ''}"
    if kind == EventType.NOTE_ADDED:
        return str(data.get("text", ""))
    if kind == EventType.ACTION_UPDATED:
        item = data.get("item") or {}
        return f"step {data.get('key')} ({item.get('title', '')}) {data.get('change', 'updated')}"
    if kind == EventType.ACTIONS_PLANNED:
        return f"{len(data.get('items') or [])} response steps planned"
    if kind in (EventType.NOTIFICATION_SENT, EventType.NOTIFICATION_FAILED):
        return (
            f"{kind[12:].lower()} to {data.get('recipient_name') or data.get('recipient_id', '')} "
            f"via {data.get('channel', '')}"
        )
    if kind == EventType.FACTS_VERIFIED:
        return f"verified facts: {data.get('reason', '')}"
    if kind in (EventType.TERMINATION_PROPOSED, EventType.INCIDENT_CLOSED):
        return (
            f"{'termination proposed' if kind == EventType.TERMINATION_PROPOSED else 'incident closed'}: "
            f"{data.get('reason', '')}"
        )
    if kind == EventType.COMMAND_REJECTED:
        return f"{data.get('command')} rejected: {data.get('reason', '')}"
    return kind


def _iso(moment: datetime) -> str:
    return as_utc(moment).isoformat()


def timeline_csv(rows: Sequence[TimelineRow]) -> str:
    """The timeline as CSV with a header row (UTF-8; data as a JSON column)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            _row(
                [
                    row.seq,
                    _iso(row.at),
                    row.type,
                    row.mode,
                    who(row.data),
                    summary(row.type, row.data),
                    row.event_id,
                    row.causation or "",
                    json.dumps(row.data, ensure_ascii=False, sort_keys=True),
                ]
            )
        )
    return out.getvalue()


def timeline_json(incident: IncidentRow, rows: Sequence[TimelineRow]) -> dict[str, Any]:
    """The timeline as one JSON document with the incident's identity."""
    return {
        "incident": {
            "id": incident.id,
            "incident_type": incident.incident_type,
            "mode": incident.mode,
            "exercise_id": incident.exercise_id,
            "level": incident.level,
            "status": incident.status,
        },
        "events": [
            {
                "seq": r.seq,
                "at": _iso(r.at),
                "type": r.type,
                "mode": r.mode,
                "by": who(r.data),
                "summary": summary(r.type, r.data),
                "event_id": r.event_id,
                "causation": r.causation,
                "data": r.data,
            }
            for r in rows
        ],
    }


def activity_log(
    incident: IncidentRow, rows: Sequence[TimelineRow], *, prepared_by: str, prepared_at: datetime
) -> dict[str, Any]:
    """An ICS 214 Activity Log: incident name, operational period, who prepared it, notable activities."""
    start = rows[0].at if rows else incident.opened_at
    end = rows[-1].at if rows else incident.updated_at
    exercise = incident.mode == "exercise"
    return {
        "form": "ICS 214 Activity Log",
        "1_incident_name": f"{'【演练】 EXERCISE ' if exercise else ''}{incident.incident_type} "
        f"{incident.location.get('venue') or incident.town or ''} ({incident.id})".strip(),
        "2_operational_period": {"from": _iso(start), "to": _iso(end)},
        "3_unit": "district emergency duty office",
        "level": incident.level,
        "mode": incident.mode,
        "exercise_id": incident.exercise_id,
        "6_activity_log": [
            {"date_time": _iso(r.at), "notable_activities": summary(r.type, r.data), "by": who(r.data), "event": r.type}
            for r in rows
        ],
        "8_prepared_by": {"name": prepared_by, "date_time": _iso(prepared_at)},
    }


def activity_log_csv(log: dict[str, Any]) -> str:
    """The ICS 214 activity lines as CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("date_time", "notable_activities", "by", "event"))
    for line in log["6_activity_log"]:
        writer.writerow(_row((line["date_time"], line["notable_activities"], line["by"], line["event"])))
    return out.getvalue()


CASE_COLUMNS = (
    "person_key",
    "onset",
    "town",
    "village",
    "county",
    "status",
    "age",
    "sex",
    "symptoms",
    "source",
    "report_id",
    "reported_at",
)


def cases_csv(rows: Sequence[CaseRow]) -> str:
    """The case line list as CSV with a header row (times UTC, symptoms joined with '; '), cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CASE_COLUMNS)
    for row in rows:
        writer.writerow(
            _row(
                (
                    row.person_key,
                    _iso(row.onset),
                    row.town,
                    row.village,
                    row.county or "",
                    row.status,
                    "" if row.age is None else row.age,
                    row.sex or "",
                    "; ".join(str(s) for s in row.symptoms or ()),
                    row.source,
                    row.report_id,
                    _iso(row.reported_at),
                )
            )
        )
    return out.getvalue()
