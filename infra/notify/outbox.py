"""File channels: the outbox (a JSON-lines log a duty office can read or forward) and the exercise sink."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from infra.channels import Channel, ExerciseIsolationViolation, OutboundMessage, PermanentDeliveryError


def _line(message: OutboundMessage, address: str) -> str:
    record: dict[str, Any] = {
        **message.record(),
        "to": address,
        "diversion": message.diversion.reason if message.diversion else None,
    }
    return json.dumps(record, ensure_ascii=False) + "\n"


class _JsonLines(Channel):
    def __init__(self, path: Path, name: str) -> None:
        self.name = name
        self.path = path
        self._lock = asyncio.Lock()

    async def _append(self, message: OutboundMessage, address: str) -> None:
        async with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(_line(message, address))
            except OSError as exc:
                raise PermanentDeliveryError(f"cannot write {self.path}: {exc}") from exc


class OutboxChannel(_JsonLines):
    """Appends each message to `outbox.jsonl`: every person is reachable here by their id."""

    def __init__(self, path: Path, name: str = "outbox") -> None:
        super().__init__(path, name)

    async def _transmit(self, message: OutboundMessage, address: str) -> None:
        await self._append(message, address)


class ExerciseSinkFile(_JsonLines):
    """The exercise sink: diverted drill messages, one JSON line each; refuses actual messages."""

    def __init__(self, path: Path, name: str = "exercise_sink") -> None:
        super().__init__(path, name)

    async def _transmit(self, message: OutboundMessage, address: str) -> None:
        if not message.is_exercise:
            raise ExerciseIsolationViolation(f"actual message {message.id!r} must never reach the exercise sink")
        await self._append(message, address)
