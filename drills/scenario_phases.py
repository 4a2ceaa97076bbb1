"""The discussion part of a scenario: capabilities, phases with their spans and narratives, and questions.

Checked after the schema, like the MSEL: every problem is located (`county_tabletop.yaml:31 phases[1].start: ...`).
Rules: the first phase starts at T+0:00 and the last one ends at the scenario's end; phases do not overlap
(a gap between two is a time jump, which `jump` may narrate); a question goes to participating units or
playbook roles, rates one of the scenario's capabilities, and its points name playbook steps that exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from drills.model import AnswerPoint, Capability, Phase, Question, format_scenario_time, parse_scenario_time
from playbooks import Playbook

Issue = Callable[[tuple[str | int, ...], str], None]


def build_capabilities(raw: Sequence[Mapping[str, Any]], issue: Issue) -> tuple[Capability, ...]:
    """The scenario's capabilities; a repeated id is a problem."""
    seen: set[str] = set()
    for n, item in enumerate(raw):
        if item["id"] in seen:
            issue(("capabilities", n, "id"), f"capability id {item['id']!r} is used twice")
        seen.add(item["id"])
    return tuple(Capability(c["id"], c["title"]) for c in raw)


def build_phases(
    raw: Sequence[Mapping[str, Any]],
    issue: Issue,
    *,
    end: timedelta,
    units: Sequence[str],
    capabilities: Sequence[Capability],
    playbook: Playbook,
) -> tuple[Phase, ...]:
    """The scenario's phases in order, each problem reported through `issue`."""
    known_capabilities = {c.id for c in capabilities}
    addressees = set(units) | set(playbook.roles)
    steps = {a.id for a in playbook.all_actions()}
    phases: list[Phase] = []
    phase_ids: set[str] = set()
    question_ids: set[str] = set()
    for n, item in enumerate(raw):
        path: tuple[str | int, ...] = ("phases", n)
        if item["id"] in phase_ids:
            issue((*path, "id"), f"phase id {item['id']!r} is used twice")
        phase_ids.add(item["id"])
        start, stop = parse_scenario_time(item["start"]), parse_scenario_time(item["end"])
        if stop <= start:
            issue((*path, "end"), f"{item['end']!r} is not after the phase's start ({item['start']})")
        if stop > end:
            issue((*path, "end"), f"{item['end']!r} is after the end of the scenario ({format_scenario_time(end)})")
        previous = phases[-1] if phases else None
        if previous is None and start != timedelta(0):
            issue((*path, "start"), f"{item['start']!r}: the first phase starts at T+0:00")
        if previous is not None and start < previous.end:
            issue(
                (*path, "start"),
                f"{item['start']!r} is before the end of phase {previous.id!r} "
                f"({format_scenario_time(previous.end)}); phases do not overlap",
            )
        if "jump" in item and (previous is None or start == previous.end):
            issue((*path, "jump"), "a jump narrates a gap in scenario time; this phase starts where the last ended")
        refs = (addressees, known_capabilities, steps)
        questions = tuple(
            _question(q, item["id"], (*path, "questions", m), issue, question_ids, *refs)
            for m, q in enumerate(item.get("questions") or [])
        )
        phases.append(
            Phase(
                item["id"],
                item["title"],
                start,
                stop,
                item.get("narrative", ""),
                item.get("jump", ""),
                questions,
            )
        )
    if phases and phases[-1].end != end:
        issue(
            ("phases", len(phases) - 1, "end"),
            f"the last phase ends at the end of the scenario ({format_scenario_time(end)}), "
            f"not {format_scenario_time(phases[-1].end)}",
        )
    return tuple(phases)


def _question(  # noqa: PLR0913 - a question and what it may refer to
    raw: Mapping[str, Any],
    phase: str,
    path: tuple[str | int, ...],
    issue: Issue,
    seen: set[str],
    addressees: set[str],
    capabilities: set[str],
    steps: set[str],
) -> Question:
    if raw["id"] in seen:
        issue((*path, "id"), f"question id {raw['id']!r} is used twice")
    seen.add(raw["id"])
    for n, unit in enumerate(raw["to"]):
        if unit not in addressees:
            issue((*path, "to", n), f"{unit!r} is not a participating unit or a playbook role")
    if raw["capability"] not in capabilities:
        issue(
            (*path, "capability"),
            f"{raw['capability']!r} is not a capability of this scenario (add it to capabilities)",
        )
    points: list[AnswerPoint] = []
    for n, point in enumerate(raw.get("expect") or []):
        if isinstance(point, str):
            points.append(AnswerPoint(point))
            continue
        step = point.get("step")
        if step is not None and step not in steps:
            issue((*path, "expect", n, "step"), f"{step!r} is not a step of the playbook")
        points.append(AnswerPoint(point["point"], step))
    return Question(raw["id"], phase, tuple(dict.fromkeys(raw["to"])), raw["text"], raw["capability"], tuple(points))
