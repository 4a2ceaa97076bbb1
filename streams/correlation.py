"""Correlation, framework-free: an accepted report joins the open incident at its place, or opens a new one.

The state is a mutable mapping from correlation key to `{"incident_id", "last_report_at"}`; the worker passes
its faust table (changelogged, so the mapping survives a restart), a test passes a dict. The value's shape is
what the table's changelog already holds: keep it.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from infra.wire import Envelope, EventType, stable_id
from infra.wire.report import ReportIn, ReportRejected, describe_errors
from playbooks.report import ACTUAL, Report
from streams.intake import receive_command

# A faust table's values are JSON objects: Any is the storage boundary here.
CorrelationTable = MutableMapping[str, Any]


def new_incident_id(report: Report) -> str:
    """A deterministic id from the first report, so a replayed correlation opens the same incident."""
    scope = report.exercise_id or ACTUAL
    return f"INC-{report.reported_at:%Y%m%d}-{stable_id('incident', scope, report.report_id)[:8]}"


class Correlator:
    """Decides which incident each accepted report belongs to, remembering open incidents by correlation key."""

    def __init__(self, table: CorrelationTable, window: timedelta) -> None:
        self.table = table
        self.window = window

    def handle(self, message: Envelope) -> Envelope | None:
        """The ReceiveReport command for a ReportAccepted; None for a CorrelationClosed (it releases its key).

        Raise ReportRejected (naming the field) when the message is neither, or its report does not validate.
        """
        if message.type == EventType.CORRELATION_CLOSED:
            self.release(str(message.payload.get("correlation_key") or ""), str(message.incident_id))
            return None
        if message.type != EventType.REPORT_ACCEPTED:
            raise ReportRejected(f"type: {message.type!r} is not a message for correlation")
        try:
            report = ReportIn.model_validate(message.payload).to_domain()
        except ValidationError as exc:
            raise ReportRejected(f"schema: {describe_errors(exc)}") from exc
        return receive_command(message, self.join(report))

    def join(self, report: Report) -> str:
        """The incident `report` belongs to: the open one at its place within the window, else a new one."""
        key = report.correlation_key
        known = self.table.get(key)
        if known and self._within_window(report.reported_at, known["last_report_at"]):
            incident_id = str(known["incident_id"])
            last = max(report.reported_at, datetime.fromisoformat(known["last_report_at"]))
        else:
            incident_id, last = new_incident_id(report), report.reported_at
        self.table[key] = {"incident_id": incident_id, "last_report_at": last.isoformat()}
        return incident_id

    def release(self, key: str, incident_id: str) -> None:
        """Forget `key` when it still points at the closed `incident_id` (a newer incident there keeps it)."""
        known = self.table.get(key)
        if known and known["incident_id"] == incident_id:
            self.table.pop(key, None)

    def _within_window(self, reported_at: datetime, last_iso: Any) -> bool:
        return abs(reported_at - datetime.fromisoformat(str(last_iso))) <= self.window
