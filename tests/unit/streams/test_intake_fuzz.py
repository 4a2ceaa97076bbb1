"""Fuzz the report decoder: whatever bytes arrive on the reports topic, intake accepts them or names a reason.

`make test` tries a few hundred inputs; `make faults` sets TOCSIN_FUZZ_EXAMPLES=100000 (docs/adr/0025). A rejected
report goes to the dead-letter topic with its reason (streams/agents.py), so an empty reason would be a silent drop.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playbooks import load_library
from streams.intake import Rejected, Routed, take_in
from tests.factories import report_dict

LIBRARY = load_library()
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
EXAMPLES = int(os.environ.get("TOCSIN_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
FIELDS = ["report_id", "source", "reported_at", "incident_type", "incident_ref", "location", "venue_type", "facts",
          "case_list", "description", "reporter", "mode", "exercise_id"]  # fmt: skip


@st.composite
def mutated_reports(draw: st.DrawFn) -> bytes:
    """A valid report with some fields replaced by arbitrary JSON values or removed."""
    report: dict[str, Any] = report_dict()
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
        if draw(st.booleans()):
            report.pop(name, None)
        else:
            report[name] = draw(json_values)
    return json.dumps(report, ensure_ascii=False).encode()


def check(raw: bytes) -> None:
    """Intake decides: a route, or a rejection with a non-empty reason; never an exception."""
    outcome = take_in(raw, source="t.reports:0:1", library=LIBRARY, now=NOW)
    assert isinstance(outcome, Routed | Rejected)
    if isinstance(outcome, Rejected):
        assert outcome.reason.strip()


@FUZZ
@given(st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_bytes_are_accepted_or_rejected_with_a_reason(raw: bytes) -> None:
    check(raw)


@FUZZ
@given(mutated_reports())
def test_a_report_with_arbitrary_fields_is_accepted_or_rejected_with_a_reason(raw: bytes) -> None:
    check(raw)
