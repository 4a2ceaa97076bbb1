"""The condition language of playbooks: all / any / not over named facts with comparisons.

    {fact: deaths, ge: 1}
    {all: [{fact: venue_type, in: [school, kindergarten]}, {fact: cases, ge: 50}]}
    {any: [...]}    {not: {...}}

Operators: eq ne gt ge lt le in not_in between. Conditions are data: they are checked against the
playbook's fact vocabulary when loaded, evaluated without side effects, and explain themselves
("deaths = 1 ≥ 1"). No Python is ever evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from playbooks.facts import Facts
from playbooks.json_types import JsonValue

Path = tuple[str | int, ...]
Issue = tuple[Path, str]
FactValue = bool | int | float | str | None
"""A fact's value as conditions see it (None when the report does not give it)."""

_SYMBOLS = {"eq": "=", "ne": "≠", "gt": ">", "ge": "≥", "lt": "<", "le": "≤", "in": "∈", "not_in": "∉", "between": "∈"}
_ORDERED = {"gt", "ge", "lt", "le", "between"}
OPERATORS = tuple(_SYMBOLS)
FACT_TYPES = ("integer", "number", "boolean", "string")


@dataclass(frozen=True)
class FactSpec:
    """A fact a condition may name: its type and, for strings, the allowed values."""

    name: str
    type: str
    description: str = ""
    enum: tuple[str, ...] = ()


STANDARD_FACTS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec("cases", "integer", "people harmed (患病人数)"),
        FactSpec("hospitalized", "integer", "people in hospital"),
        FactSpec("deaths", "integer", "deaths"),
        FactSpec("exposed", "integer", "people exposed"),
        FactSpec("regions.townships", "integer", "townships the harm has reached"),
        FactSpec("regions.counties", "integer", "counties the harm has reached"),
        FactSpec("regions.prefectures", "integer", "prefectures the harm has reached"),
        FactSpec("regions.provinces", "integer", "provinces the harm has reached"),
        FactSpec("major_event", "boolean", "during a national or regional major event"),
        FactSpec("novel_contaminant", "boolean", "a new contaminant is involved"),
        FactSpec("crime_suspected", "boolean", "a crime is suspected"),
        FactSpec("venue_type", "string", "school, kindergarten, canteen, rural_collective_dinner, ..."),
    )
}
"""Facts every report carries (DESIGN.md §3); playbooks declare their type-specific ones."""


@dataclass(frozen=True)
class Verdict:
    """Whether a condition holds, and why in words."""

    holds: bool
    text: str


@dataclass(frozen=True)
class Compare:
    """`fact <op> value`."""

    fact: str
    op: str
    value: JsonValue  # JSON boundary: the playbook's operand (a number, text, bool, or a tuple of them)

    def evaluate(self, env: Mapping[str, FactValue]) -> Verdict:
        """Compare the fact's value in `env`; an unknown fact never holds."""
        if env.get(self.fact) is None:
            return Verdict(False, f"{self.fact} is not known")
        actual = env[self.fact]
        holds = _compare(self.op, actual, self.value)
        if self.op == "eq" and holds:
            return Verdict(True, f"{self.fact} = {render(actual)}")
        return Verdict(holds, f"{self.fact} = {render(actual)} {_SYMBOLS[self.op]} {_render_operand(self)}")

    def facts(self) -> frozenset[str]:
        """The fact names this condition reads."""
        return frozenset({self.fact})


@dataclass(frozen=True)
class AllOf:
    """Every part holds."""

    parts: tuple[Condition, ...]

    def evaluate(self, env: Mapping[str, FactValue]) -> Verdict:
        """Hold when every part holds; explain with all parts, or with the first that fails."""
        verdicts = [p.evaluate(env) for p in self.parts]
        failed = [v for v in verdicts if not v.holds]
        if failed:
            return Verdict(False, failed[0].text)
        return Verdict(True, " and ".join(_wrap(v.text) for v in verdicts))

    def facts(self) -> frozenset[str]:
        """The fact names this condition reads."""
        return frozenset().union(*(p.facts() for p in self.parts))


@dataclass(frozen=True)
class AnyOf:
    """At least one part holds."""

    parts: tuple[Condition, ...]

    def evaluate(self, env: Mapping[str, FactValue]) -> Verdict:
        """Hold when a part holds; explain with the parts that hold."""
        verdicts = [p.evaluate(env) for p in self.parts]
        held = [v for v in verdicts if v.holds]
        shown = held or verdicts
        return Verdict(bool(held), " or ".join(_wrap(v.text) for v in shown))

    def facts(self) -> frozenset[str]:
        """The fact names this condition reads."""
        return frozenset().union(*(p.facts() for p in self.parts))


@dataclass(frozen=True)
class Not:
    """The part does not hold."""

    part: Condition

    def evaluate(self, env: Mapping[str, FactValue]) -> Verdict:
        """Hold when the part does not."""
        inner = self.part.evaluate(env)
        return Verdict(not inner.holds, f"not ({inner.text})")

    def facts(self) -> frozenset[str]:
        """The fact names this condition reads."""
        return self.part.facts()


Condition = Compare | AllOf | AnyOf | Not


def fact_env(facts: Facts, venue_type: str | None, declared: Mapping[str, FactSpec]) -> dict[str, FactValue]:
    """The values conditions see: standard facts, venue_type, and declared type-specific facts."""
    env: dict[str, FactValue] = {
        "cases": facts.cases,
        "hospitalized": facts.hospitalized,
        "deaths": facts.deaths,
        "exposed": facts.exposed,
        "regions.townships": facts.regions.townships,
        "regions.counties": facts.regions.counties,
        "regions.prefectures": facts.regions.prefectures,
        "regions.provinces": facts.regions.provinces,
        "major_event": facts.major_event,
        "novel_contaminant": facts.novel_contaminant,
        "crime_suspected": facts.crime_suspected,
        "venue_type": venue_type,
    }
    for name, spec in declared.items():
        if name not in STANDARD_FACTS:
            value = facts.extra.get(name)
            env[name] = value if _has_type(value, spec.type) else None
    return env


def parse_condition(data: JsonValue, path: Path, facts: Mapping[str, FactSpec]) -> tuple[Condition | None, list[Issue]]:
    """Build a condition from YAML data, checking fact names, operators and value types."""
    if not isinstance(data, Mapping):
        return None, [(path, f"{data!r} is not a condition (a mapping with fact/all/any/not)")]
    keys = set(data)
    if keys in ({"all"}, {"any"}):
        (key,) = keys
        items = data[key]
        if not isinstance(items, Sequence) or isinstance(items, str) or not items:
            return None, [((*path, key), f"{key} needs a non-empty list of conditions")]
        parts, issues = [], []
        for index, item in enumerate(items):
            part, found = parse_condition(item, (*path, key, index), facts)
            issues.extend(found)
            if part is not None:
                parts.append(part)
        if issues:
            return None, issues
        return (AllOf(tuple(parts)) if key == "all" else AnyOf(tuple(parts))), []
    if keys == {"not"}:
        part, issues = parse_condition(data["not"], (*path, "not"), facts)
        return (Not(part) if part is not None else None), issues
    return _parse_compare(data, path, facts)


def _parse_compare(
    data: Mapping[str, JsonValue], path: Path, facts: Mapping[str, FactSpec]
) -> tuple[Condition | None, list[Issue]]:
    ops = [k for k in data if k in _SYMBOLS]
    others = sorted(set(data) - {"fact", *ops}, key=str)
    if "fact" not in data or len(ops) != 1 or others:
        what = f"unexpected {', '.join(map(str, others))}; " if others else ""
        return None, [
            (
                path,
                f"{what}a comparison is {{fact: NAME, OP: VALUE}} with one OP of "
                f"{', '.join(OPERATORS)} (or use all/any/not)",
            )
        ]
    name, op = data["fact"], ops[0]
    spec = facts.get(name) if isinstance(name, str) else None
    if spec is None:
        return None, [((*path, "fact"), f"{name!r} is not a known fact (known: {', '.join(sorted(facts))})")]
    value = data[op]
    problem = _check_operand(spec, op, value)
    if problem:
        return None, [((*path, op), problem)]
    if op in ("in", "not_in", "between"):
        value = tuple(value)
    return Compare(name, op, value), []


def _check_operand(spec: FactSpec, op: str, value: JsonValue) -> str | None:
    if op in _ORDERED and spec.type not in ("integer", "number"):
        return f"{op} needs a numeric fact, but {spec.name} is {spec.type}"
    if op == "between":
        ok = isinstance(value, list) and len(value) == 2 and all(_has_type(v, "number") for v in value)
        if not ok or value[0] > value[1]:
            return f"{value!r} is not a range [low, high] of numbers"
        return None
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            return f"{value!r} is not a non-empty list"
        values = value
    else:
        values = [value]
    for item in values:
        wanted = "number" if op in _ORDERED else spec.type
        if not _has_type(item, wanted):
            return f"{item!r} is not a {wanted} (fact {spec.name} is {spec.type})"
        if spec.enum and item not in spec.enum:
            return f"{item!r} is not one of {', '.join(spec.enum)} (fact {spec.name})"
    return None


def _has_type(value: object, kind: str) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int)
    return isinstance(value, int | float)


def _compare(op: str, actual: FactValue, value: JsonValue) -> bool:
    try:
        if op == "eq":
            return bool(actual == value)
        if op == "ne":
            return bool(actual != value)
        if op == "in":
            return actual in value
        if op == "not_in":
            return actual not in value
        if op == "between":
            return bool(value[0] <= actual <= value[1])
        return bool({"gt": actual > value, "ge": actual >= value, "lt": actual < value, "le": actual <= value}[op])
    except TypeError:
        return False


def _render_operand(cond: Compare) -> str:
    if cond.op == "between":
        return f"[{render(cond.value[0])}, {render(cond.value[1])}]"
    if cond.op in ("in", "not_in"):
        return "{" + ", ".join(render(v) for v in cond.value) + "}"
    return render(cond.value)


def _wrap(text: str) -> str:
    return f"({text})" if " or " in text and not text.startswith("(") else text


def render(value: object) -> str:
    """A value as a plan officer writes it: true/false, plain strings and numbers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return repr(value) if not isinstance(value, int | float) else str(value)
