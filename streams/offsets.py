"""Offset commits that never pass a message no agent has processed.

faust can drop a message at a rebalance: one fetched for a newly assigned partition may reach its stream while
flow control is still paused, and the stream skips it without acknowledging it. faust then commits past it
anyway: its check for a hole at the head of the acknowledged offsets compares `first acknowledged - committed > 1`,
and `committed` is already the *next* offset to read, so a single missing message is never seen. In
tests/e2e/test_scale_out.py the writer taking over a killed writer's partition skipped the first ReceiveReport
waiting there, committed past it, and the report was never applied.

`GapSafeConsumer` holds the commit of a partition whose next message is not acknowledged (faust would also commit
past one an agent is still working on, as a notifier with concurrency does), and when no agent has that message,
seeks the partition back to it, so it is read again (and everything after it: every agent is idempotent under
redelivery, ADR 0016). The rule itself, `unprocessed_head`, is a plain function tested without faust.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection
from typing import Any, ClassVar

import faust
import structlog
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP

log = structlog.get_logger("tocsin.streams")

REWIND_AGAIN_AFTER = 5.0
"""Seconds before the same partition is sought back to the same offset again (the first seek may still be reading)."""


def unprocessed_head(committed: int | None, acked: Collection[int], in_gap: Callable[[int], bool]) -> bool:
    """Whether the message at `committed` (the next offset to read) is unacknowledged while later ones are.

    `in_gap(offset)` says the offset holds no message (a transaction marker or a compacted record faust recorded as a
    gap). With no committed offset yet (a partition never committed, or committed at 0) nothing is known: False.
    """
    if not committed or not acked:
        return False
    return min(acked) > committed and not in_gap(committed)


class GapSafeConsumer(aiokafka_driver.Consumer):
    """faust's aiokafka consumer, except that a partition's commit stops before a message no agent processed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rewound: dict[TP, tuple[int, float]] = {}
        self._seeking: set[asyncio.Future[None]] = set()

    def _new_offset(self, tp: TP) -> int | None:
        committed = self._committed_offset[tp]
        if unprocessed_head(committed, self._acked[tp], lambda offset: bool(self._gap[tp].overlaps(offset))):
            assert committed is not None
            if not self._in_flight(tp, committed):  # an agent still working on it (a notifier's concurrency): wait
                self._rewind(tp, committed)
            return None
        return super()._new_offset(tp)

    def _in_flight(self, tp: TP, offset: int) -> bool:
        """Whether a stream handed the message at `offset` of `tp` to an agent that has not acknowledged it yet."""
        return any(message.tp == tp and message.offset == offset for message in self._unacked_messages)

    def _rewind(self, tp: TP, offset: int) -> None:
        """Seek `tp` back to `offset` so its skipped message is read again (once per REWIND_AGAIN_AFTER seconds)."""
        now = time.monotonic()
        last = self._rewound.get(tp)
        if last is not None and last[0] == offset and now - last[1] < REWIND_AGAIN_AFTER:
            return
        self._rewound[tp] = (offset, now)
        log.warning(
            "stream.rewind", topic=tp.topic, partition=tp.partition, offset=offset, acked_from=min(self._acked[tp])
        )
        seeking = asyncio.ensure_future(self.seek(tp, offset))
        self._seeking.add(seeking)
        seeking.add_done_callback(self._seeking.discard)


class GapSafeTransport(aiokafka_driver.Transport):
    """The aiokafka transport with `GapSafeConsumer`."""

    Consumer: ClassVar[type[Any]] = GapSafeConsumer


class TocsinApp(faust.App):
    """faust's app, consuming through `GapSafeTransport`."""

    def _new_transport(self) -> Any:
        return GapSafeTransport(self.conf.broker_consumer, self)
