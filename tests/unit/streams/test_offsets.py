"""The commit guard: a partition's commit never passes a message no agent acknowledged (streams/offsets.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streams.offsets import unprocessed_head


def no_gap(_offset: int) -> bool:
    """No offset is a known gap."""
    return False


def test_the_first_message_after_a_takeover_skipped_by_the_stream_holds_the_commit() -> None:
    # committed 5 = the next offset to read; 6..25 acknowledged, 5 never was (the scale-out test's lost report)
    assert unprocessed_head(5, range(6, 26), no_gap) is True


def test_a_partition_read_in_order_commits() -> None:
    assert unprocessed_head(5, [5, 6, 7], no_gap) is False


def test_an_offset_that_holds_no_message_is_not_waited_for() -> None:
    assert unprocessed_head(5, [6, 7], lambda offset: offset == 5) is False


def test_without_a_committed_offset_or_acknowledgements_nothing_is_held() -> None:
    assert unprocessed_head(None, [3, 4], no_gap) is False
    assert unprocessed_head(5, [], no_gap) is False


@given(committed=st.integers(min_value=1, max_value=10_000), acked=st.sets(st.integers(0, 10_100), min_size=1))
def test_held_exactly_when_the_next_offset_is_missing_and_a_later_one_is_acknowledged(
    committed: int, acked: set[int]
) -> None:
    expected = committed not in acked and any(offset > committed for offset in acked) and min(acked) > committed
    assert unprocessed_head(committed, acked, no_gap) is expected
