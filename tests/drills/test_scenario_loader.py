"""A scenario is checked against its schema and its playbook; problems name the file, line, field and value."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from drills.model import SCENARIO_TIME_PATTERN, format_scenario_time, parse_scenario_time
from drills.scenario import ScenarioError, parse_scenario
from drills.schema import SCHEMA, SCHEMA_FILE
from tests.drills.factories import LIBRARY, SMALL, line_of, small


def _problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "small.yaml", LIBRARY)
    return [str(p) for p in caught.value.problems]


def _break(old: str, new: str) -> tuple[str, int]:
    assert old in SMALL
    return SMALL.replace(old, new, 1), line_of(SMALL, old)


def test_the_small_scenario_loads_with_playbook_deadlines() -> None:
    scenario = small()
    alert = scenario.expectations()[0]
    assert (alert.target, alert.unit, alert.deadline, alert.deadline_source) == (
        "notify_leading_group",
        "district_office",
        timedelta(minutes=30),
        "playbook",
    )
    assert alert.title == "通知领导小组及成员单位启动应急响应"
    assert scenario.expectations()[2].deadline == timedelta(minutes=20)
    assert scenario.inject("parents").delivery == "manual"


def test_a_bad_scenario_time_names_file_line_field_and_value() -> None:
    text, line = _break("at: T+0:20", "at: T+1:7x")
    assert _problems(text) == [
        f"small.yaml:{line} injects[1].at: 'T+1:7x' is not a scenario time (T+h:mm, e.g. T+0:40)"
    ]


def test_an_inject_after_the_end_is_rejected() -> None:
    text, line = _break("at: T+1:30", "at: T+5:00")
    assert _problems(text) == [f"small.yaml:{line} injects[6].at: 'T+5:00' is after the end of the scenario (T+3:00)"]


def test_an_unknown_action_key_is_rejected() -> None:
    text, line = _break("complete: medical_treatment", "complete: medical_treatmnet")
    assert _problems(text) == [
        f"small.yaml:{line} injects[0].expect[1].complete: 'medical_treatmnet' is not an action of playbook food_safety"
    ]


def test_an_owner_outside_the_exercise_must_be_named_or_added() -> None:
    text, line = _break(
        "    expect:\n      - id: alert",
        "    expect:\n      - id: seal\n        objective: alerting\n"
        "        complete: seal_suspect_food\n      - id: alert",
    )
    (problem,) = _problems(text)
    assert problem == (
        f"small.yaml:{line + 1} injects[0].expect[0]: 'market_regulation' is not a participating unit "
        "(add it to units or set unit:)"
    )


def test_fields_the_runner_fills_are_refused_in_a_report() -> None:
    text, line = _break("      source: school\n", "      source: school\n      mode: actual\n")
    assert _problems(text) == [
        f"small.yaml:{line + 1} injects[0].report.mode: 'mode' is filled in by the drill runner; remove it"
    ]


def test_a_report_without_venue_or_admin_code_is_refused() -> None:
    text, line = _break('location: {venue: 实验小学食堂, admin_code: "330102001"}', "location: {town: 城关}")
    (problem,) = _problems(text)
    assert problem.startswith(f"small.yaml:{line} injects[0].report.location: Value error, location needs a venue")


def test_a_missing_field_and_an_unknown_field_are_located() -> None:
    text, line = _break("    text: 已接收 18 名学生。\n", "    txt: 已接收 18 名学生。\n")
    problems = _problems(text)
    assert (
        f"small.yaml:{line} injects[1].txt: unknown field 'txt' (allowed: at, condition, delivery, expect, id, "
        "receivers, report, sender, text, title, type, unless)" in problems
    )
    assert any(p.endswith("injects[1]: missing required field 'text'") for p in problems)


def test_references_to_unknown_injects_objectives_and_expectations_are_rejected() -> None:
    text = SMALL.replace("condition: {inject: call, after: 10m}", "condition: {inject: cal}")
    text = text.replace("unless: alert", "unless: alrt").replace("objective: treatment", "objective: treat")
    problems = _problems(text)
    assert any("injects[2].condition.inject: 'cal' is not another inject of this scenario" in p for p in problems)
    assert any("injects[3].unless: 'alrt' is not an expected action of this scenario" in p for p in problems)
    assert any("injects[0].expect[1].objective: 'treat' is not an objective of this scenario" in p for p in problems)
    assert any("objectives[1].id: objective 'treatment' has no expected action" in p for p in problems)


def test_a_receiver_outside_the_exercise_is_rejected() -> None:
    text, line = _break("receivers: [health_commission]", "receivers: [police]")
    assert _problems(text) == [
        f"small.yaml:{line} injects[1].receivers[0]: 'police' is not a participating unit or a "
        "playbook role (exercise messages go to participants only)"
    ]


def test_a_level_expectation_needs_its_own_deadline() -> None:
    text = SMALL.replace("        complete: phone_report\n        deadline: 20m\n", "        level_at_least: II\n")
    (problem,) = _problems(text)
    assert problem.endswith(
        "injects[6].expect[0]: a level_at_least expectation needs a deadline or a due time (the playbook has none)"
    )


def test_duplicate_ids_and_unknown_playbooks_are_reported() -> None:
    assert any("inject id 'call' is used twice" in p for p in _problems(SMALL.replace("id: parents", "id: call")))
    (problem,) = _problems(SMALL.replace("playbook: food_safety", "playbook: floods"))
    assert problem.startswith("small.yaml:3 playbook: no playbook for incident type 'floods'")


def test_yaml_syntax_errors_are_located() -> None:
    (problem,) = _problems(SMALL.replace("title: 医院来电", "title: [医院来电"))
    assert problem.startswith("small.yaml:") and "not valid YAML" in problem


def test_a_cycle_of_conditions_is_rejected() -> None:
    text = SMALL.replace(
        "    at: T+0:20\n    type: phone_call",
        "    delivery: conditional\n    condition: {inject: follow_up}\n    type: phone_call",
        1,
    )
    assert any("waits on itself through a cycle of conditions" in p for p in _problems(text))


def test_scenario_times_read_and_print_both_ways() -> None:
    assert parse_scenario_time("T+1:05:30") == timedelta(hours=1, minutes=5, seconds=30)
    assert format_scenario_time(timedelta(hours=1, minutes=5)) == "T+1:05"
    assert format_scenario_time(timedelta(minutes=-5)) == "T-0:05"
    for text in ("T+0:00", "T+12:59", "T+1:05:30"):
        assert re.match(SCENARIO_TIME_PATTERN, text)
    for text in ("T+1:7x", "T+1:60", "1:00", "T+:30"):
        assert not re.match(SCENARIO_TIME_PATTERN, text)
        with pytest.raises(ValueError, match="is not a scenario time"):
            parse_scenario_time(text)


def test_the_published_schema_file_is_in_step_with_the_code() -> None:
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == SCHEMA
