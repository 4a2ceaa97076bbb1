"""The exercise guard (DESIGN invariant 5): a drill reaches only its own participants; the rest go to the sink."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.channels import (
    EXERCISE_MARK,
    DeliveryStatus,
    ExerciseIsolationViolation,
    ExerciseRegistry,
    MemorySink,
    mark_exercise,
)
from tests.unit.channels.fakes import ScriptedChannel, dispatcher, message, recipient


def registry(**exercises: set[str]) -> ExerciseRegistry:
    """A registry with the given exercise → participants."""
    built = ExerciseRegistry()
    for exercise_id, members in exercises.items():
        built.register(exercise_id, members)
    return built


async def test_an_exercise_message_without_exercise_id_is_refused() -> None:
    channel, sink = ScriptedChannel(), MemorySink()
    with pytest.raises(ExerciseIsolationViolation, match="no exercise_id"):
        await dispatcher([channel], sink=sink).deliver(message(mode="exercise"), recipient(), "fake")
    assert channel.calls == 0 and sink.entries == []


async def test_an_actual_message_carrying_an_exercise_id_is_refused() -> None:
    channel = ScriptedChannel()
    with pytest.raises(ExerciseIsolationViolation, match="actual"):
        await dispatcher([channel]).deliver(message(exercise_id="EX-1"), recipient(), "fake")
    assert channel.calls == 0


async def test_a_participant_gets_the_drill_marked_at_the_real_address() -> None:
    channel = ScriptedChannel()
    result = await dispatcher([channel], registry=registry(EX1={"r-1"})).deliver(
        message(mode="exercise", exercise_id="EX1", subject="通知", body="正文"), recipient(), "fake"
    )
    assert result.status is DeliveryStatus.DELIVERED
    [(address, sent)] = channel.sent
    assert address == "addr-r-1"
    assert (sent.subject, sent.body) == (f"{EXERCISE_MARK} 通知", f"{EXERCISE_MARK} 正文")


async def test_a_non_participant_is_diverted_to_the_sink_and_the_diversion_is_recorded() -> None:
    channel, sink = ScriptedChannel(), MemorySink()
    reg = registry(EX1={"someone-else"})
    reg.register("EX2", {"r-1"}, sink_address="drill-console/EX2")
    result = await dispatcher([channel], registry=reg, sink=sink).deliver(
        message(mode="exercise", exercise_id="EX1"), recipient(), "fake"
    )
    assert result.status is DeliveryStatus.DIVERTED
    assert result.routed_to == sink.name
    assert "not a registered participant of exercise 'EX1'" in (result.reason or "")
    assert channel.calls == 0
    [(address, diverted)] = sink.entries
    assert address == "exercise:EX1"
    assert diverted.diversion is not None and diverted.diversion.recipient_id == "r-1"
    assert diverted.subject.startswith(EXERCISE_MARK) and diverted.body.startswith(EXERCISE_MARK)


async def test_an_unknown_exercise_diverts_everything() -> None:
    channel, sink = ScriptedChannel(), MemorySink()
    result = await dispatcher([channel], sink=sink).deliver(
        message(mode="exercise", exercise_id="never-registered"), recipient(), "fake"
    )
    assert result.status is DeliveryStatus.DIVERTED
    assert channel.calls == 0


async def test_an_ended_exercise_pages_nobody() -> None:
    channel, reg = ScriptedChannel(), registry(EX1={"r-1"})
    reg.unregister("EX1")
    result = await dispatcher([channel], registry=reg).deliver(
        message(mode="exercise", exercise_id="EX1"), recipient(), "fake"
    )
    assert result.status is DeliveryStatus.DIVERTED
    assert channel.calls == 0


def test_marking_is_idempotent_and_leaves_actual_messages_alone() -> None:
    drill = message(mode="exercise", exercise_id="EX1")
    assert mark_exercise(mark_exercise(drill)) == mark_exercise(drill)
    assert mark_exercise(message()) == message()


@settings(max_examples=80, deadline=None)
@given(
    plan=st.lists(
        st.tuples(
            st.sampled_from(["actual", "exercise"]),
            st.sampled_from(["A", "B", "C"]),
            st.sampled_from(["p1", "p2", "p3", "x1"]),
        ),
        min_size=1,
        max_size=25,
    ),
    members_a=st.sets(st.sampled_from(["p1", "p2", "p3"])),
    members_b=st.sets(st.sampled_from(["p1", "p2", "p3"])),
)
async def test_no_mix_of_modes_exercises_and_recipients_leaks_a_drill(
    plan: list[tuple[str, str, str]], members_a: set[str], members_b: set[str]
) -> None:
    channel, sink = ScriptedChannel(), MemorySink()
    participants = {"A": members_a, "B": members_b}
    deliver = dispatcher([channel], registry=registry(**participants), sink=sink).deliver
    for n, (mode, exercise, rid) in enumerate(plan):
        drill = mode == "exercise"
        sent = message(
            rid, mode="exercise" if drill else "actual", exercise_id=exercise if drill else None, action=f"a{n}"
        )
        await deliver(sent, recipient(rid), "fake")
    for address, real in channel.sent:
        if real.is_exercise:
            assert real.exercise_id is not None and real.subject.startswith(EXERCISE_MARK)
            assert address.removeprefix("addr-") in participants.get(real.exercise_id, set())
    assert all(diverted.is_exercise for diverted in sink.messages)
    assert len(channel.sent) + len(sink.messages) == len(plan)
