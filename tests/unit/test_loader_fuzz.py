"""Fuzz the playbook loader and the scenario loader: a broken file is refused with located problems, never a crash.

The inputs are the shipped files with parts replaced by arbitrary YAML values or removed, and the shipped text
cut or with arbitrary text spliced in. Either the loader builds the playbook or scenario, or it raises its own
error (PlaybookError, ScenarioError) whose every problem names the file and says what is wrong. `make test` tries
ten inputs per test; `make faults` sets TOCSIN_LOADER_FUZZ_EXAMPLES higher.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drills.scenario import ScenarioError, parse_scenario, sample_scenarios
from playbooks import load_library
from playbooks.errors import PlaybookError, Problem
from playbooks.parse import parse_playbook

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "library" / "food_safety.yaml"
SCENARIO = sample_scenarios()[0]
LIBRARY = load_library()
EXAMPLES = int(os.environ.get("TOCSIN_LOADER_FUZZ_EXAMPLES", "10"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)

yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def paths_of(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside `data` (mapping keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths_of(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths_of(value, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """`text` (YAML) with up to three values replaced by arbitrary ones or removed, dumped back to YAML."""
    data = yaml.safe_load(text)
    for _ in range(draw(st.integers(1, 3))):
        paths = paths_of(data)
        if not paths:
            break
        *parents, last = draw(st.sampled_from(paths))
        holder = data
        for step in parents:
            holder = holder[step]
        if draw(st.booleans()):
            holder[last] = draw(yaml_values)
        elif isinstance(holder, dict):
            del holder[last]
        else:
            holder.pop(last)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@st.composite
def spliced(draw: st.DrawFn, text: str) -> str:
    """`text` cut at a random place, with arbitrary text put in there."""
    at = draw(st.integers(0, len(text)))
    end = draw(st.integers(at, min(len(text), at + 200)))
    return text[:at] + draw(st.text(max_size=40)) + text[end:]


def located(problems: list[Problem], filename: str) -> None:
    """Every problem names the file, a line when there is one, and a message."""
    assert problems
    for problem in problems:
        assert problem.file == filename
        assert problem.line >= 0
        assert problem.message.strip()


def load_playbook(text: str) -> None:
    """The playbook loader builds it or raises PlaybookError with located problems."""
    try:
        parse_playbook(text, "food_safety.yaml")
    except PlaybookError as error:
        located(error.problems, "food_safety.yaml")


def load_scenario(text: str) -> None:
    """The scenario loader builds it or raises ScenarioError with located problems."""
    try:
        parse_scenario(text, SCENARIO.name, LIBRARY)
    except ScenarioError as error:
        located(error.problems, SCENARIO.name)


@FUZZ
@given(mutated(PLAYBOOK.read_text(encoding="utf-8")) | spliced(PLAYBOOK.read_text(encoding="utf-8")))
def test_a_damaged_playbook_loads_or_is_refused_with_located_problems(text: str) -> None:
    load_playbook(text)


@FUZZ
@given(mutated(SCENARIO.read_text(encoding="utf-8")) | spliced(SCENARIO.read_text(encoding="utf-8")))
def test_a_damaged_scenario_loads_or_is_refused_with_located_problems(text: str) -> None:
    load_scenario(text)
