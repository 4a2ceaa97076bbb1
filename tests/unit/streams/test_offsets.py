"""The offset guard: a partition's commit never passes a message no agent acknowledged, and a partition whose
fetched messages are nowhere is read again (streams/offsets.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streams.offsets import dropped_after_handover, unprocessed_head


def test_the_first_message_after_a_takeover_skipped_by_the_stream_holds_the_commit() -> None:
    # committed 5 = the next offset to read; 6..25 acknowledged, 5 never was (the scale-out test's lost report)
    assert unprocessed_head(5, range(6, 26)) is True


def test_messages_faust_took_for_a_gap_hold_the_commit() -> None:
    # committed 4; 13 acknowledged after the fetcher jumped from 3 to 13 (nine commands lost in the scale-out test)
    assert unprocessed_head(4, [13]) is True


def test_a_partition_read_in_order_commits() -> None:
    assert unprocessed_head(5, [5, 6, 7]) is False


def test_without_a_known_start_or_acknowledgements_nothing_is_held() -> None:
    assert unprocessed_head(None, [3, 4]) is False
    assert unprocessed_head(5, []) is False


def test_the_first_message_of_a_partition_never_committed_holds_the_commit() -> None:
    # first offset 0, nothing committed yet; 1..3 acknowledged, 0 skipped (the restarted worker's lost first reports)
    assert unprocessed_head(0, [1, 2, 3]) is True
    assert unprocessed_head(0, [0, 1, 2]) is False


@given(committed=st.integers(min_value=0, max_value=10_000), acked=st.sets(st.integers(0, 10_100), min_size=1))
def test_held_exactly_when_the_next_offset_is_missing_and_a_later_one_is_acknowledged(
    committed: int, acked: set[int]
) -> None:
    expected = committed not in acked and any(offset > committed for offset in acked) and min(acked) > committed
    assert unprocessed_head(committed, acked) is expected


def test_messages_fetched_and_found_nowhere_were_dropped() -> None:
    # committed 7; 7..9 fetched; none acknowledged, with an agent or queued: the last messages of a partition lost
    assert dropped_after_handover(7, 9, pending=False) is True
    assert dropped_after_handover(7, 7, pending=False) is True


def test_a_partition_read_to_its_end_or_with_work_pending_is_not_dropped() -> None:
    assert dropped_after_handover(10, 9, pending=False) is False  # everything fetched is committed
    assert dropped_after_handover(7, 9, pending=True) is False  # acknowledged, with an agent, or queued
    assert dropped_after_handover(None, 9, pending=False) is False  # where it starts is not known
    assert dropped_after_handover(7, None, pending=False) is False  # nothing fetched since the last seek
