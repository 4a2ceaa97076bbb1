"""Offset commits that never pass a message no agent has processed, and partitions read again when faust drops one.

faust drops messages at a rebalance in several places, each without acknowledging them: a fetched batch is cut off
when flow control stops or the generation changes; a message waiting for flow control is abandoned when the
consumer suspends; a stream skips one whose generation is stale. faust then commits past them anyway:
- its check for a hole at the head of the acknowledged offsets compares `first acknowledged - committed > 1`, and
  `committed` is already the *next* offset to read, so a single missing message is never seen;
- with no commit yet, it takes the first acknowledged offset as the start;
- when the offsets it hands to streams jump, it records the missing ones as a "gap" (transaction markers or
  compacted records, it assumes) and commits over them. Tocsin's stream topics have neither (no transactions, no
  compaction), so a jump there is always messages faust dropped;
- its seek back to the committed offsets after a rebalance (aiokafka's `seek_to_committed`) leaves a partition with
  no commit where the fetcher had got to, past what was dropped.
In tests/e2e/test_scale_out.py a writer taking over a killed writer's partition skipped nine commands, recorded them
as a gap and committed past them; in tests/e2e/test_delivery.py a restarted worker never saw the first report of
three partitions.

`GapSafeConsumer` records no gaps, seeks a partition never committed to its first offset, holds the commit of a
partition whose next message is not acknowledged, and seeks it back to that message when no agent has it, so it is
read again (with everything after it: every agent is idempotent under redelivery, ADR 0016). A watchdog does the
same for a partition whose messages were handed over and are nowhere: not acknowledged, not with an agent, not
waiting in a stream's queue. The rules, `unprocessed_head` and `dropped_after_handover`, are plain functions tested
without faust.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Mapping
from typing import Any, ClassVar

import faust
import structlog
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP
from mode import Service

log = structlog.get_logger("tocsin.streams")

REWIND_AGAIN_AFTER = 5.0
"""Seconds before the same partition is sought back to the same offset again (the first seek may still be reading)."""
WATCH_EVERY = 5.0
"""Seconds between the watchdog's looks; a partition is read again after two looks that found the same drop."""
POSITION_WAIT = 1.0
"""Seconds the watchdog waits for a partition's fetch position (none yet while aiokafka resets it)."""


def unprocessed_head(next_offset: int | None, acked: Collection[int]) -> bool:
    """Whether the message at `next_offset` (the committed offset, or a partition's first) is unacknowledged while
    later ones are. None (not even the first offset known) or nothing acknowledged: False."""
    if next_offset is None or not acked:
        return False
    return min(acked) > next_offset


def dropped_after_handover(next_offset: int | None, handed: int | None, *, pending: bool) -> bool:
    """Whether messages from `next_offset` to `handed` (the last offset fetched from Kafka since the partition was
    last sought) are lost: fetched, yet none is `pending` (acknowledged and waiting for the commit, with an agent,
    or in a stream's queue)."""
    return next_offset is not None and handed is not None and handed >= next_offset and not pending


class GapSafeConsumer(aiokafka_driver.Consumer):
    """faust's aiokafka consumer, except that a partition's commit stops before a message no agent processed, and a
    partition whose messages faust dropped is read again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rewound: dict[TP, tuple[int, float]] = {}
        self._seeking: set[asyncio.Future[None]] = set()
        self._first_offset: dict[TP, int] = {}
        self._handed: dict[TP, int] = {}
        """The last offset of each partition passed to the conductor since the partition was last sought."""
        self._suspects: dict[TP, tuple[int, int]] = {}
        self._delivering = 0
        """Messages being passed to the conductor right now (it waits while a stream's queue is full)."""
        deliver = self.callback

        async def handing_over(message: Any) -> None:
            self._handed[message.tp] = max(message.offset, self._handed.get(message.tp, -1))
            self._delivering += 1
            try:
                await deliver(message)
            finally:
                self._delivering -= 1

        self.callback = handing_over

    async def seek(self, partition: TP, offset: int) -> None:
        """Seek `partition` to `offset`; what was fetched before is forgotten."""
        self._handed.pop(TP(partition.topic, partition.partition), None)
        await super().seek(partition, offset)

    async def seek_to_committed(self) -> Mapping[TP, int]:
        """Seek every partition to its committed offset, and a stream partition never committed to its first one."""
        self._handed.clear()
        committed = await super().seek_to_committed()
        uncommitted = [
            TP(tp.topic, tp.partition)
            for tp, offset in committed.items()
            if not offset and self.app.topics.acks_enabled_for(tp.topic)
        ]
        if uncommitted:
            first = await self.earliest_offsets(*uncommitted)
            self._first_offset.update({TP(tp.topic, tp.partition): offset for tp, offset in first.items()})
            await self.seek_wait(first)
        return committed

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        # a jump in a stream topic is messages faust dropped, never markers: recorded as a gap they would be committed
        log.warning("stream.skipped", topic=tp.topic, partition=tp.partition, first=offset_from, next=offset_to)

    def _next_to_process(self, tp: TP) -> int | None:
        """The offset `tp`'s commit waits for: the committed one, or the first offset of a partition never committed."""
        committed = self._committed_offset[tp]
        return committed if committed is not None else self._first_offset.get(tp)

    def _new_offset(self, tp: TP) -> int | None:
        head = self._next_to_process(tp)
        if unprocessed_head(head, self._acked[tp]):
            assert head is not None
            if not self._with_agent(tp, head):  # an agent still working on it (a notifier's concurrency): wait
                self._rewind(tp, head, why="held")
            return None
        return super()._new_offset(tp)

    def _with_agent(self, tp: TP, offset: int | None = None) -> bool:
        """Whether a stream handed a message of `tp` (the one at `offset`, if given) to an agent that has not
        acknowledged it yet."""
        return any(m.tp == tp and (offset is None or m.offset == offset) for m in self._unacked_messages)

    def _queued(self, tp: TP) -> bool:
        """Whether a message of `tp` waits in a stream's queue (delivered by the conductor, not yet taken)."""
        channels = self.app.topics._tp_index.get(tp, ())  # type: ignore[attr-defined]
        waiting = (event for chan in channels for event in list(chan.queue._queue))
        return any(getattr(getattr(event, "message", None), "tp", None) == tp for event in waiting)

    @Service.timer(WATCH_EVERY)
    async def _watch_handover(self) -> None:
        """Read again a partition whose handed-over messages are nowhere, found so by two looks in a row."""
        if not self.flow_active or self.app.rebalancing or self.app.in_recovery or self._delivering:
            self._suspects.clear()  # a rebalance, or the fetcher still handing over a batch: nothing is lost yet
            return
        suspects: dict[TP, tuple[int, int]] = {}
        for tp in self.assignment():
            if not self.app.topics.acks_enabled_for(tp.topic) or tp in self._paused_partitions:
                continue
            head = self._next_to_process(tp)
            if head is None or self._acked[tp] or self._with_agent(tp) or self._queued(tp):
                continue  # where it starts is not known, or its messages are pending: no position to ask for
            handed = await self._fetched_up_to(tp)
            if dropped_after_handover(head, handed, pending=False):
                assert head is not None and handed is not None
                suspects[tp] = (head, handed)
                if self._suspects.get(tp) == (head, handed):
                    self._rewind(tp, head, why="dropped")
        self._suspects = suspects

    async def _fetched_up_to(self, tp: TP) -> int | None:
        """The last offset of `tp` fetched from Kafka since it was last sought: handed to the conductor, or returned
        by aiokafka (whose position is then past it) and dropped before that."""
        try:
            position = await asyncio.wait_for(self.position(tp), POSITION_WAIT)
        except Exception:  # a timeout (no position yet), or not assigned any more: nothing known to be fetched
            position = None
        handed = self._handed.get(tp)
        candidates = [offset for offset in (handed, None if position is None else position - 1) if offset is not None]
        return max(candidates) if candidates else None

    def _rewind(self, tp: TP, offset: int, *, why: str) -> None:
        """Seek `tp` back to `offset` so its skipped message is read again (once per REWIND_AGAIN_AFTER seconds)."""
        now = time.monotonic()
        last = self._rewound.get(tp)
        if last is not None and last[0] == offset and now - last[1] < REWIND_AGAIN_AFTER:
            return
        self._rewound[tp] = (offset, now)
        log.warning("stream.rewind", topic=tp.topic, partition=tp.partition, offset=offset, why=why)
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
