"""A broken playbook is rejected with messages that name the file, the line, the field and the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbooks import PlaybookError, UnknownPlaybook, build_library, load_library, parse_playbook
from tests.unit.playbooks.factories import food_safety_text, line_of, write


def _problems(text: str, filename: str = "food_safety.yaml") -> list[str]:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, filename)
    return [str(p) for p in caught.value.problems]


def _break(old: str, new: str, *, after: str = "") -> tuple[str, int]:
    text = food_safety_text()
    line = line_of(text, old, after=after)
    lines = text.splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return "".join(lines), line


def test_the_shipped_library_is_valid() -> None:
    assert load_library().ids() == ["food_safety", "public_opinion", "sampling_recall"]


def test_a_bad_duration_names_file_line_field_and_value() -> None:
    text, line = _break("deadline: 1h", "deadline: 2 hourz", after="id: written_report_province")
    assert _problems(text) == [
        f"food_safety.yaml:{line} levels.II.actions[1].deadline: '2 hourz' is not a duration "
        "(e.g. 30m, 2h, 10d, 10 working days)"
    ]


def test_an_unknown_fact_in_a_rule_is_rejected() -> None:
    text, line = _break("{fact: deaths, ge: 10}", "{fact: death, ge: 10}")
    (problem,) = _problems(text)
    assert problem.startswith(
        f"food_safety.yaml:{line} rule_sets.family_a.rules[3].when.fact: 'death' is not a known fact"
    )


def test_a_value_of_the_wrong_type_is_rejected() -> None:
    text, line = _break("{fact: major_event, eq: true}", "{fact: major_event, eq: 1}")
    assert _problems(text) == [
        f"food_safety.yaml:{line} rule_sets.family_a.rules[5].when.all[0].eq: "
        "1 is not a boolean (fact major_event is boolean)"
    ]


def test_an_unknown_operator_is_rejected() -> None:
    text, line = _break("{fact: deaths, ge: 10}", "{fact: deaths, gte: 10}")
    (problem,) = _problems(text)
    assert problem.startswith(f"food_safety.yaml:{line} rule_sets.family_a.rules[3].when.gte: 'gte' is not one of")


def test_an_undeclared_owner_is_rejected() -> None:
    text, line = _break("owner: cdc", "owner: cdcx")
    assert _problems(text) == [
        f"food_safety.yaml:{line} levels.non_graded.actions[1].owner: 'cdcx' is not a declared unit or role"
    ]


def test_an_unknown_action_kind_is_rejected() -> None:
    text, line = _break("kind: task", "kind: chore")
    (problem,) = _problems(text)
    assert problem.startswith(f"food_safety.yaml:{line} levels.non_graded.actions[1].kind: 'chore' is not one of")


def test_a_step_defined_at_two_levels_is_rejected() -> None:
    text, line = _break("id: support_provincial_hq", "id: medical_treatment")
    (problem,) = _problems(text)
    assert problem.startswith(
        f"food_safety.yaml:{line} levels.II.actions[2].id: action 'medical_treatment' is already defined"
    )


def test_a_rule_for_a_level_without_a_plan_is_rejected() -> None:
    text = food_safety_text()
    start = line_of(text, "  I:", after="id: support_provincial_hq")
    end = line_of(text, "after_response:")
    lines = text.splitlines(keepends=True)
    broken = "".join(lines[: start - 1] + lines[end - 1 :])
    rule_line = line_of(broken, "level: I", after="id: I.provinces")
    assert _problems(broken) == [
        f"food_safety.yaml:{rule_line} rule_sets.family_a.rules[0].level: I has no plan under levels"
    ]


def test_a_missing_parameter_is_rejected() -> None:
    text, line = _break("$longest_incubation", "$longest")
    assert _problems(text) == [
        f"food_safety.yaml:{line} termination.criteria[1].at_least: '$longest' is not a parameter"
    ]


def test_an_unknown_field_is_rejected_with_the_allowed_ones() -> None:
    text, line = _break("    deadline: 10d", "    deadline: 10d\n    dedline: 10d", after="id: final_summary")
    (problem,) = _problems(text)
    assert problem.startswith(f"food_safety.yaml:{line + 1} after_response[0].dedline: unknown field 'dedline'")


def test_a_duplicate_key_is_rejected() -> None:
    text, line = _break("title: 食品安全事故应急预案", "title: 食品安全事故应急预案\ntitle: again")
    assert _problems(text) == [f"food_safety.yaml:{line + 1} title: duplicate key 'title'"]


def test_text_that_is_not_yaml_is_rejected_with_its_line() -> None:
    assert _problems("id: food_safety\nlevels: [\n", "x.yaml") == [
        "x.yaml:3: not valid YAML: expected the node content, but found '<stream end>'"
    ]


def test_a_yaml_list_is_not_a_playbook() -> None:
    assert _problems("- a\n- b\n", "x.yaml") == [
        "x.yaml:1: a playbook is a mapping of fields (id, version, title, ...)"
    ]


def test_load_library_names_the_broken_file(tmp_path: Path) -> None:
    text, line = _break("deadline: 30m", "deadline: soon")
    write(tmp_path, "food_safety.yaml", text)
    with pytest.raises(PlaybookError) as caught:
        load_library(tmp_path)
    assert str(caught.value.problems[0]).startswith(f"food_safety.yaml:{line} ")


def test_an_empty_library_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="no playbook files"):
        load_library(tmp_path)


def test_two_files_for_one_incident_type_are_rejected() -> None:
    text = food_safety_text()
    with pytest.raises(PlaybookError, match=r"also defined in a\.yaml"):
        build_library({"a.yaml": text, "b.yaml": text})


def test_an_unknown_rule_set_selection_is_rejected() -> None:
    with pytest.raises(PlaybookError, match="'family_c' is not a rule set of food_safety"):
        load_library(selections={"food_safety": "family_c"})


def test_an_unknown_incident_type_names_the_known_ones() -> None:
    with pytest.raises(UnknownPlaybook, match=r"no playbook for incident type 'flood'.*food_safety"):
        load_library().get("flood")
