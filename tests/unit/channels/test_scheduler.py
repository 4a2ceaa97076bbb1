"""The page scheduler: a busy channel sends the most urgent page next, and never reorders one person's pages."""

from __future__ import annotations

import asyncio

import pytest

from infra.channels.scheduler import PageKind, PageScheduler, page_priority


async def _page(scheduler: PageScheduler, recipient: str, priority: int, gate: asyncio.Event, order: list[str]) -> None:
    async with scheduler.slot("webhook", recipient, priority):
        order.append(f"{recipient}:{priority}")
        await gate.wait()


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_level_two_first_page_goes_before_waiting_level_four_and_reminder_pages() -> None:
    scheduler = PageScheduler(per_channel=1)
    gate, order = asyncio.Event(), list[str]()
    busy = asyncio.create_task(_page(scheduler, "a", 5, gate, order))
    await _settle()
    reminder = page_priority(PageKind.REMINDER, "II")
    level_four = page_priority(PageKind.FIRST, "IV")
    level_two = page_priority(PageKind.FIRST, "II")
    waiting = [
        asyncio.create_task(_page(scheduler, who, p, gate, order))
        for who, p in (("b", reminder), ("c", level_four), ("d", level_two))
    ]
    await _settle()
    gate.set()
    await asyncio.gather(busy, *waiting)

    assert order == ["a:5", f"d:{level_two}", f"c:{level_four}", f"b:{reminder}"]


async def test_an_urgent_page_never_overtakes_an_earlier_page_to_the_same_person() -> None:
    scheduler = PageScheduler(per_channel=1)
    gate, order = asyncio.Event(), list[str]()
    busy = asyncio.create_task(_page(scheduler, "x", 0, gate, order))
    await _settle()
    earlier = asyncio.create_task(_page(scheduler, "p", 20, gate, order))
    await _settle()
    later_urgent = asyncio.create_task(_page(scheduler, "p", 0, gate, order))
    other = asyncio.create_task(_page(scheduler, "q", 5, gate, order))
    await _settle()
    gate.set()
    await asyncio.gather(busy, earlier, later_urgent, other)

    assert order.index("p:20") < order.index("p:0")
    assert order.index("q:5") < order.index("p:20")


async def test_no_more_than_the_bound_are_in_flight_on_one_channel() -> None:
    scheduler = PageScheduler(per_channel=3)
    in_flight, peak = 0, 0

    async def page(n: int) -> None:
        nonlocal in_flight, peak
        async with scheduler.slot("email", f"person-{n}", 10):
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0)
            in_flight -= 1

    await asyncio.gather(*(page(n) for n in range(20)))

    assert peak == 3


async def test_a_cancelled_waiting_page_gives_its_turn_to_the_next() -> None:
    scheduler = PageScheduler(per_channel=1)
    gate, order = asyncio.Event(), list[str]()
    busy = asyncio.create_task(_page(scheduler, "a", 0, gate, order))
    await _settle()
    doomed = asyncio.create_task(_page(scheduler, "b", 0, gate, order))
    after = asyncio.create_task(_page(scheduler, "c", 1, gate, order))
    await _settle()
    doomed.cancel()
    gate.set()
    await asyncio.gather(busy, after)

    assert order == ["a:0", "c:1"]
    with pytest.raises(asyncio.CancelledError):
        await doomed


def test_pages_rank_by_kind_first_then_by_level() -> None:
    assert page_priority(PageKind.FIRST, "I") < page_priority(PageKind.FIRST, "IV")
    assert page_priority(PageKind.FIRST, "IV") < page_priority(PageKind.BULK, "I")
    assert page_priority(PageKind.BULK, None) < page_priority(PageKind.REMINDER, "I")
