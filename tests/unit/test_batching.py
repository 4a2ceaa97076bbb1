"""Group commit: concurrent requests share one flush, and each caller gets its own result or the failure."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from infra.batching import GroupCommit


class Recorder:
    """A flush that records the batches it was given and answers each item doubled."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on

    async def flush(self, items: Sequence[int]) -> list[int]:
        """Record the batch (after a yield, as a real write would) and answer it."""
        await asyncio.sleep(0)
        self.batches.append(list(items))
        if self.fail_on in items:
            raise RuntimeError(f"cannot write {self.fail_on}")
        return [item * 2 for item in items]


async def test_a_burst_of_requests_is_written_in_far_fewer_flushes_than_requests() -> None:
    recorder = Recorder()
    group: GroupCommit[int, int] = GroupCommit(recorder.flush)

    results = await asyncio.gather(*(group.submit(n) for n in range(50)))

    assert results == [n * 2 for n in range(50)]
    assert sorted(item for batch in recorder.batches for item in batch) == list(range(50))
    assert len(recorder.batches) <= 2


async def test_a_failed_flush_fails_every_caller_of_that_batch_and_the_next_batch_still_runs() -> None:
    recorder = Recorder(fail_on=3)
    group: GroupCommit[int, int] = GroupCommit(recorder.flush)

    outcomes = await asyncio.gather(*(group.submit(n) for n in range(5)), return_exceptions=True)
    after = await group.submit(7)

    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)
    assert after == 14


async def test_a_batch_never_exceeds_the_maximum_size() -> None:
    recorder = Recorder()
    group: GroupCommit[int, int] = GroupCommit(recorder.flush, max_batch=4)

    await asyncio.gather(*(group.submit(n) for n in range(10)))

    assert max(len(batch) for batch in recorder.batches) <= 4
    assert sorted(item for batch in recorder.batches for item in batch) == list(range(10))


@pytest.mark.parametrize("count", [1, 2])
async def test_sequential_requests_each_get_their_own_result(count: int) -> None:
    group: GroupCommit[int, int] = GroupCommit(Recorder().flush)

    assert [await group.submit(n) for n in range(count)] == [n * 2 for n in range(count)]
