"""Group commit: concurrent callers' requests are written together, and each caller waits for its own.

Many coroutines call `submit(item)` at once (a page burst: one per recipient and channel); the first
starts a flush of everything queued so far, the ones that arrive during that flush go into the next one.
Each caller returns only after the flush that held its item has finished, so durability is the same as a
write per call, at the cost of one transaction per burst instead of one per item.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["GroupCommit"]


class GroupCommit(Generic[T, R]):
    """Batch concurrent `submit` calls into one `flush(items)` call; `flush` returns one result per item."""

    def __init__(self, flush: Callable[[Sequence[T]], Awaitable[Sequence[R]]], *, max_batch: int = 1000) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._running: asyncio.Task[None] | None = None
        self.flushes = 0
        """How many flushes ran (for tests and metrics)."""

    async def submit(self, item: T) -> R:
        """Queue `item` and wait until a flush has written it; its exception is raised here too."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._drain())
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        """Flush batches until the queue is empty (items queued meanwhile go into the next batch)."""
        while self._queue:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            items = [item for item, _ in batch]
            try:
                results = await self._flush(items)
            except Exception as exc:  # every caller of the batch learns of the failure
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            finally:
                self.flushes += 1
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
