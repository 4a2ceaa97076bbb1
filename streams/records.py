"""Wire schemas of the messages on Tocsin's topics (schema version 1; unknown fields are tolerated)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import faust

SCHEMA_VERSION = 1
NAMESPACE = uuid.UUID("5b0f8e2a-6a35-4c1e-9a53-2d6f3f0c7a11")


class Envelope(faust.Record, serializer="json", include_metadata=False):
    """Every command and event: id, type, time, mode and causation, with a type-specific payload."""

    id: str
    type: str
    time: str
    mode: str
    payload: dict[str, Any]
    causation: str | None = None
    exercise_id: str | None = None
    incident_id: str | None = None
    v: int = SCHEMA_VERSION


class DeadLetter(faust.Record, serializer="json", include_metadata=False):
    """A rejected input: its original bytes (UTF-8 text, or base64), the reason, and where it came from."""

    id: str
    type: str
    time: str
    mode: str
    causation: str
    reason: str
    original: str
    encoding: str
    topic: str
    partition: int
    offset: int
    key: str | None = None
    v: int = SCHEMA_VERSION


def stable_id(*parts: str) -> str:
    """A deterministic message id, so a replayed step produces the same id and effects deduplicate."""
    return str(uuid.uuid5(NAMESPACE, "|".join(parts)))


def envelope(
    type_: str,
    *,
    at: datetime,
    mode: str,
    exercise_id: str | None,
    causation: str | None,
    payload: dict[str, Any],
    incident_id: str | None = None,
    id_: str | None = None,
) -> Envelope:
    """Build an envelope; its id is random unless a deterministic `id_` is given."""
    return Envelope(
        id=id_ or str(uuid.uuid4()),
        type=type_,
        time=at.isoformat(),
        mode=mode,
        payload=payload,
        causation=causation,
        exercise_id=exercise_id,
        incident_id=incident_id,
    )
