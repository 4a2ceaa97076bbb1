"""A rejected input on the dead-letter topic: the original bytes, the reason, and where they came from."""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass

from infra.wire.envelope import SCHEMA_VERSION, stable_id
from infra.wire.types import EventType


@dataclass(frozen=True)
class DeadLetter:
    """Original bytes (UTF-8 text, or base64), the reason, and the source position of a rejected input."""

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

    def to_json(self) -> bytes:
        """The dead letter as UTF-8 JSON bytes."""
        return json.dumps(asdict(self), ensure_ascii=False).encode("utf-8")


def dead_letter(  # noqa: PLR0913 - the source position's fields, keyword-only
    raw: bytes, reason: str, *, topic: str, partition: int, offset: int, key: bytes | None, time: str
) -> DeadLetter:
    """Wrap rejected bytes with the reason and their source position (`topic:partition:offset`)."""
    try:
        original, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        original, encoding = base64.b64encode(raw).decode("ascii"), "base64"
    where = f"{topic}:{partition}:{offset}"
    return DeadLetter(
        id=stable_id("dlq", where),
        type=EventType.REPORT_REJECTED,
        time=time,
        mode="unknown",
        causation=where,
        reason=reason,
        original=original,
        encoding=encoding,
        topic=topic,
        partition=partition,
        offset=offset,
        key=key.decode("utf-8", "replace") if key is not None else None,
    )
