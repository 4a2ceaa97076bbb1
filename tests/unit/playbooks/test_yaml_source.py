"""YAML with field lines: one loader for playbooks, scenarios and the district, its differences as parameters."""

from __future__ import annotations

import pytest

from playbooks.yaml_source import Located, YamlSyntaxError, format_path, load_located

NESTED = "id: x\nlevels:\n  II:\n    actions:\n      - id: a\n        deadline: 30m\n"


def test_a_field_is_located_on_its_key_and_a_deeper_path_on_its_nearest_ancestor() -> None:
    located = load_located(NESTED)
    assert located.line_of(("levels", "II", "actions", 0, "deadline")) == 6
    assert located.line_of(("levels", "II", "actions", 0, "deadline", "unit")) == 6
    assert located.line_of(("levels", "III")) == 2
    assert format_path(("levels", "II", "actions", 0, "deadline")) == "levels.II.actions[0].deadline"


# The case the two former copies disagreed on: a path with no line of its own and no ancestor with one.
def test_a_path_with_no_located_ancestor_is_on_line_one_of_a_file_by_default() -> None:
    assert load_located("").line_of(("levels", "II")) == 1
    assert load_located("# only a comment\n").line_of(()) == 1


def test_a_loader_that_wants_no_line_for_such_a_path_says_so() -> None:
    assert load_located("", unknown_line=0).line_of(("units", 0, "id")) == 0


def test_data_that_did_not_come_from_text_has_no_line() -> None:
    assert Located({"units": [{"id": "x"}]}).line_of(("units", 0, "id")) == 0


def test_repeated_keys_are_recorded_at_the_repeat_unless_ignored() -> None:
    text = "a: 1\nb: 2\na: 3\n"
    recorded, ignored = load_located(text), load_located(text, duplicate_keys="ignore")
    assert recorded.duplicates == [(("a",), 3)]
    assert ignored.duplicates == []
    for located in (recorded, ignored):
        assert located.data == {"a": 3, "b": 2}
        assert located.line_of(("a",)) == 1


@pytest.mark.parametrize("libyaml", [False, True])
def test_the_c_parser_gives_the_same_data_and_lines(libyaml: bool) -> None:
    located = load_located(NESTED, libyaml=libyaml)
    assert located.data == {"id": "x", "levels": {"II": {"actions": [{"id": "a", "deadline": "30m"}]}}}
    assert located.lines == load_located(NESTED).lines


@pytest.mark.parametrize("libyaml", [False, True])
@pytest.mark.parametrize(("text", "line"), [("a: 1\nb: [1\nc: 2\n", 3), ("a: 1\nb: \x07\n", 2)])
def test_text_that_is_not_yaml_says_on_which_line(text: str, line: int, libyaml: bool) -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_located(text, libyaml=libyaml)
    assert caught.value.line == line
    assert str(caught.value)
