"""Which page goes out next when a channel is busy: bounded concurrency per channel, most urgent first.

A page waits for a slot on its channel. Free slots go to the waiting page with the lowest priority number
(the first pages of a new or raised level-I/II incident before a level IV's, those before bulk pages,
reminders last), then the earliest; a page never overtakes an earlier page in the same queue on the same
channel. The Dispatcher names a queue per incident and person, so each person receives an incident's pages in
the order they were planned, while a new level-II incident's first page is not held behind the same person's
reminders about an older level-IV one.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import IntEnum

__all__ = ["PageKind", "PageScheduler", "page_priority"]

_LEVEL_RANK = {"I": 0, "II": 1, "III": 2, "IV": 3}


class PageKind(IntEnum):
    """Why a page is sent: the first pages of a level, other planned steps, or a reminder (escalation)."""

    FIRST = 0
    BULK = 1
    REMINDER = 2


def page_priority(kind: PageKind, level: str | None) -> int:
    """The priority number of a page (lower goes first): kind first, then the incident's level."""
    return int(kind) * 10 + _LEVEL_RANK.get(level or "", 4)


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    recipient: str = field(compare=False)
    granted: asyncio.Future[None] = field(compare=False)


@dataclass
class _Channel:
    active: int = 0
    waiting: list[_Waiter] = field(default_factory=list)
    """Waiting pages, kept sorted by (priority, seq)."""
    queued: dict[str, deque[int]] = field(default_factory=dict)
    """Each recipient's waiting pages' seq numbers, oldest first."""
    busy_recipients: dict[str, int] = field(default_factory=dict)
    """Recipients with a page in flight on this channel, and how many."""

    def enqueue(self, waiter: _Waiter) -> None:
        """Add a waiting page in priority order and at the end of its recipient's queue."""
        bisect.insort(self.waiting, waiter)
        self.queued.setdefault(waiter.recipient, deque()).append(waiter.seq)

    def dequeue(self, waiter: _Waiter) -> None:
        """Take a page out of the waiting list and its recipient's queue."""
        self.waiting.remove(waiter)
        seqs = self.queued[waiter.recipient]
        seqs.remove(waiter.seq)
        if not seqs:
            del self.queued[waiter.recipient]

    def eligible(self, waiter: _Waiter) -> bool:
        """True when no earlier page to the same recipient is waiting or in flight."""
        return waiter.recipient not in self.busy_recipients and self.queued[waiter.recipient][0] == waiter.seq


class PageScheduler:
    """Grants each channel at most `per_channel` pages in flight, by priority, keeping per-recipient order."""

    def __init__(self, per_channel: int) -> None:
        if per_channel < 1:
            raise ValueError(f"per_channel must be at least 1, not {per_channel}")
        self.per_channel = per_channel
        self._channels: dict[str, _Channel] = {}
        self._seq = itertools.count()
        self.granted: list[tuple[str, str, int]] = []
        """(channel, recipient, priority) in the order slots were granted, for tests (kept short)."""

    @asynccontextmanager
    async def slot(self, channel: str, recipient: str, priority: int) -> AsyncIterator[None]:
        """Wait for a slot on `channel` for a page to `recipient`, hold it while the body runs."""
        state = self._channels.setdefault(channel, _Channel())
        waiter = _Waiter(priority, next(self._seq), recipient, asyncio.get_running_loop().create_future())
        state.enqueue(waiter)
        self._grant(channel, state)
        try:
            await waiter.granted
        except BaseException:
            if waiter.granted.done() and not waiter.granted.cancelled():
                self._release(channel, state, recipient)
            elif waiter in state.waiting:
                state.dequeue(waiter)
            raise
        try:
            yield
        finally:
            self._release(channel, state, recipient)

    def _release(self, channel: str, state: _Channel, recipient: str) -> None:
        state.active -= 1
        left = state.busy_recipients[recipient] - 1
        if left:
            state.busy_recipients[recipient] = left
        else:
            del state.busy_recipients[recipient]
        self._grant(channel, state)

    def _grant(self, channel: str, state: _Channel) -> None:
        """Start waiting pages, most urgent first, while the channel has free slots."""
        if state.active >= self.per_channel or not state.waiting:
            return
        for waiter in tuple(state.waiting):
            if state.active >= self.per_channel:
                break
            if waiter.granted.done():  # cancelled while waiting; its task has not cleaned up yet
                state.dequeue(waiter)
                continue
            if not state.eligible(waiter):
                continue  # an earlier page to this person is waiting or in flight
            state.dequeue(waiter)
            state.active += 1
            state.busy_recipients[waiter.recipient] = state.busy_recipients.get(waiter.recipient, 0) + 1
            self.granted.append((channel, waiter.recipient, waiter.priority))
            del self.granted[:-1000]
            waiter.granted.set_result(None)
