"""Correlation keys: the same place and type correlate; drills never share keys with actual play."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from playbooks.report import Report, normalise_venue


def make_report(**overrides: Any) -> Report:
    fields: dict[str, Any] = {
        "report_id": "r1",
        "source": "hospital",
        "reported_at": datetime(2026, 11, 29, 8, tzinfo=UTC),
        "location": {"venue": "城关实验小学食堂", "admin_code": "330102"},
    }
    fields.update(overrides)
    return Report(**fields)


def test_venue_spelling_variants_normalise_to_one_key() -> None:
    assert normalise_venue("城关实验小学 食堂。") == normalise_venue("城关实验小学食堂")
    assert normalise_venue("ＡＢＣ Canteen") == normalise_venue("abc-canteen")


def test_reports_at_the_same_venue_share_a_correlation_key() -> None:
    a = make_report(location={"venue": "城关实验小学 食堂"})
    b = make_report(report_id="r2", location={"venue": "城关实验小学食堂", "admin_code": "999"})
    assert a.correlation_key == b.correlation_key


def test_without_a_venue_the_admin_code_correlates() -> None:
    assert make_report(location={"admin_code": "330102"}).place_key == "admin:330102"


def test_an_exercise_report_never_correlates_with_actual_play() -> None:
    actual = make_report()
    drill = make_report(mode="exercise", exercise_id="EX-1")
    other_drill = make_report(mode="exercise", exercise_id="EX-2")
    assert len({actual.correlation_key, drill.correlation_key, other_drill.correlation_key}) == 3


def test_two_hospitals_are_two_sources() -> None:
    a = make_report(reporter={"unit": "区人民医院"})
    b = make_report(reporter={"unit": "区中医院"})
    assert a.source_key != b.source_key
