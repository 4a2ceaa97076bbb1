"""Shutting the API down: the roster follower stops even when aiokafka swallows the first cancellation."""

from __future__ import annotations

import asyncio

from api.app import _stop


async def test_a_task_that_swallows_a_cancellation_is_still_stopped() -> None:
    swallowed = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:  # what aiokafka may do when cancelled while its consumer starts
            swallowed.set()
        await asyncio.sleep(3600)

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await asyncio.wait_for(_stop(task), timeout=3)
    assert swallowed.is_set() and task.cancelled()
