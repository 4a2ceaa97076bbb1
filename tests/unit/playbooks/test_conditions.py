"""The condition language: all / any / not over named facts, with explanations."""

from __future__ import annotations

from typing import Any

from playbooks.conditions import STANDARD_FACTS, FactSpec, parse_condition

FACTS = {**STANDARD_FACTS, "tier": FactSpec("tier", "string", enum=("a", "b"))}


def _holds(data: Any, **env: Any) -> tuple[bool, str]:
    condition, issues = parse_condition(data, ("when",), FACTS)
    assert condition is not None, issues
    verdict = condition.evaluate(env)
    return verdict.holds, verdict.text


def test_any_explains_the_parts_that_hold() -> None:
    data = {"any": [{"fact": "cases", "ge": 100}, {"fact": "deaths", "ge": 1}]}
    assert _holds(data, cases=5, deaths=2) == (True, "deaths = 2 ≥ 1")


def test_not_inverts_its_part() -> None:
    assert _holds({"not": {"fact": "crime_suspected", "eq": True}}, crime_suspected=False) == (
        True,
        "not (crime_suspected = false = true)",
    )


def test_between_includes_both_ends() -> None:
    data = {"fact": "cases", "between": [30, 99]}
    assert [_holds(data, cases=n)[0] for n in (29, 30, 99, 100)] == [False, True, True, False]


def test_an_unknown_value_never_holds() -> None:
    assert _holds({"fact": "tier", "eq": "a"}, tier=None) == (False, "tier is not known")


def test_a_value_outside_the_declared_enum_is_rejected() -> None:
    _, issues = parse_condition({"fact": "tier", "eq": "c"}, ("when",), FACTS)
    assert issues == [(("when", "eq"), "'c' is not one of a, b (fact tier)")]


def test_an_ordered_comparison_on_a_string_is_rejected() -> None:
    _, issues = parse_condition({"fact": "venue_type", "ge": 1}, ("when",), FACTS)
    assert issues == [(("when", "ge"), "ge needs a numeric fact, but venue_type is string")]


def test_two_operators_in_one_comparison_are_rejected() -> None:
    _, issues = parse_condition({"fact": "cases", "ge": 1, "le": 5}, ("when",), FACTS)
    assert issues[0][1].startswith("a comparison is {fact: NAME, OP: VALUE}")


def test_an_empty_all_is_rejected() -> None:
    _, issues = parse_condition({"all": []}, ("when",), FACTS)
    assert issues == [(("when", "all"), "all needs a non-empty list of conditions")]
