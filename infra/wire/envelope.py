"""The envelope every command and event travels in (schema version 1), framework-free.

One definition for the worker, the API, the drill host and the benchmark: to and from JSON, tolerant of
fields a newer version adds, and strict about the ones it needs (an error names the field and value).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

SCHEMA_VERSION = 1
NAMESPACE = uuid.UUID("5b0f8e2a-6a35-4c1e-9a53-2d6f3f0c7a11")
"""The UUID namespace of every deterministic message id (never change it: replays must keep their ids)."""

Mode = Literal["actual", "exercise"]
MODES: tuple[Mode, ...] = ("actual", "exercise")


class WireError(ValueError):
    """A message that does not fit the contract; the text names the field and the value that were wrong."""


def stable_id(*parts: str) -> str:
    """A deterministic message id, so a replayed step produces the same id and its effects deduplicate."""
    return str(uuid.uuid5(NAMESPACE, "|".join(parts)))


# The payload is a JSON object whose shape depends on `type`: Any is the JSON boundary here.
Payload = dict[str, Any]


@dataclass(frozen=True)
class Envelope:
    """Every command and event: id, type, time, mode and causation, with a type-specific payload."""

    id: str
    type: str
    time: str
    mode: str
    payload: Payload = field(default_factory=dict)
    causation: str | None = None
    exercise_id: str | None = None
    incident_id: str | None = None
    v: int = SCHEMA_VERSION

    @classmethod
    def new(  # noqa: PLR0913 - the envelope's fields, keyword-only
        cls,
        type_: str,
        *,
        at: datetime,
        mode: str,
        payload: Mapping[str, Any],
        causation: str | None = None,
        exercise_id: str | None = None,
        incident_id: str | None = None,
        id_: str | None = None,
    ) -> Envelope:
        """Build an envelope at `at`; its id is random unless a deterministic `id_` is given."""
        return cls(
            id=id_ or str(uuid.uuid4()),
            type=str(type_),
            time=at.isoformat(),
            mode=mode,
            payload=dict(payload),
            causation=causation,
            exercise_id=exercise_id,
            incident_id=incident_id,
        )

    @property
    def at(self) -> datetime:
        """The envelope's time as an aware datetime (naive times are read as UTC)."""
        parsed = datetime.fromisoformat(self.time)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)

    def to_dict(self) -> dict[str, Any]:
        """The envelope as a JSON-ready object."""
        return {
            "id": self.id,
            "type": self.type,
            "time": self.time,
            "mode": self.mode,
            "payload": self.payload,
            "causation": self.causation,
            "exercise_id": self.exercise_id,
            "incident_id": self.incident_id,
            "v": self.v,
        }

    def to_json(self) -> bytes:
        """The envelope as UTF-8 JSON bytes, as it goes on a topic."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Envelope:
        """Read an envelope object; unknown fields are ignored, a missing or mistyped one raises WireError."""
        for name in ("id", "type", "time", "mode"):
            value = data.get(name)
            if not isinstance(value, str) or not value:
                raise WireError(f"envelope field {name!r} must be a non-empty string, not {value!r}")
        payload = data.get("payload")
        if payload is None:
            payload = {}
        if not isinstance(payload, Mapping):
            raise WireError(f"envelope {data['id']}: field 'payload' must be an object, not {payload!r}")
        optional = {name: _optional_str(data, name) for name in ("causation", "exercise_id", "incident_id")}
        version = data.get("v", SCHEMA_VERSION)
        if isinstance(version, bool) or not isinstance(version, int):
            raise WireError(f"envelope {data['id']}: field 'v' must be an integer, not {version!r}")
        return cls(
            id=data["id"],
            type=data["type"],
            time=data["time"],
            mode=data["mode"],
            payload=dict(payload),
            v=version,
            **optional,
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> Envelope:
        """Decode an envelope from a topic's bytes; raise WireError saying what was wrong."""
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise WireError(f"envelope is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise WireError(f"an envelope must be a JSON object, not {type(data).__name__}")
        return cls.from_dict(data)


def _optional_str(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None or isinstance(value, str):
        return value
    raise WireError(f"envelope {data.get('id')}: field {name!r} must be a string or null, not {value!r}")
