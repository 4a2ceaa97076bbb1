"""The wire form of a standalone warning's events (docs/adr/0027): `incident-events`, key = the warning id.

A warning's events travel where an incident's do, in the same envelope, numbered per warning, with the warning
after the event in `payload.warning` (an incident's carry `payload.incident` instead). The envelope's
`incident_id` field holds the aggregate's id, here `WRN-...`.
"""

from __future__ import annotations

from infra.wire.envelope import Envelope, stable_id
from infra.wire.incident import event_type
from playbooks.events import Event
from playbooks.warnings import HazardWarning

__all__ = ["WARNING_SNAPSHOT", "warning_event_envelope"]

WARNING_SNAPSHOT = "warning"
"""The payload key of a warning event's snapshot (an incident event's is `incident`)."""


def warning_event_envelope(event: Event, warning: HazardWarning, seq: int, causation: str | None) -> Envelope:
    """The `incident-events` envelope of the warning's `seq`-th event: the event, and the warning after it."""
    return Envelope.new(
        event_type(event),
        at=event.at,
        mode=warning.mode,
        exercise_id=warning.exercise_id,
        causation=causation,
        incident_id=warning.id,
        id_=stable_id("event", warning.id, str(seq)),
        payload={"seq": seq, "event": event.to_data(), WARNING_SNAPSHOT: warning.snapshot()},
    )
