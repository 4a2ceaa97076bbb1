"""The case line list (病例一览表): persons, not reports (DESIGN.md §3 "Case lists count people, not reports").

A report may list the persons it knows of. An incident keeps the union of the persons over all its reports,
one entry per `person_key`; the newest entry of a person wins, by the report's time, then the onset, then a
fixed order of the remaining fields, so the union does not depend on the order reports arrive in. Cases,
hospitalisations, deaths, townships and counties are then counted from the persons, and the last onset is
the last case for the termination incubation clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from playbooks.json_types import JsonObject, JsonValue


class CaseStatus(StrEnum):
    """Where a listed person stands (its wire string is the value)."""

    ILL = "ill"
    HOSPITALIZED = "hospitalized"
    DIED = "died"
    RECOVERED = "recovered"


_SEVERITY = {CaseStatus.RECOVERED: 0, CaseStatus.ILL: 1, CaseStatus.HOSPITALIZED: 2, CaseStatus.DIED: 3}


@dataclass(frozen=True)
class Case:
    """One listed person as one report gives them, with the report that gave them.

    `county` is the county (admin code) the person's town lies in, when the intake or the report knew it.
    """

    person_key: str
    onset: datetime
    town: str
    village: str
    status: CaseStatus
    reported_at: datetime
    report_id: str
    source: str
    age: int | None = None
    sex: str | None = None
    symptoms: tuple[str, ...] = ()
    county: str | None = None

    def precedence(self) -> tuple[datetime, datetime, int, str, str, str, str]:
        """The order in which entries of one person replace each other: the greatest wins."""
        return (
            self.reported_at,
            self.onset,
            _SEVERITY[self.status],
            self.report_id,
            self.source,
            self.town,
            self.village,
        )

    def to_row(self) -> list[JsonValue]:
        """A compact JSON form (a list, for the incident state and the events)."""
        return [
            self.person_key,
            self.onset.isoformat(),
            self.town,
            self.village,
            self.status.value,
            self.reported_at.isoformat(),
            self.report_id,
            self.source,
            self.age,
            self.sex,
            list(self.symptoms),
            self.county,
        ]

    @classmethod
    def from_row(cls, row: list[JsonValue]) -> Case:
        """The inverse of `to_row`."""
        key, onset, town, village, status, reported_at, report_id, source, age, sex, symptoms, county = row
        return cls(
            person_key=key,
            onset=datetime.fromisoformat(onset),
            town=town,
            village=village,
            status=CaseStatus(status),
            reported_at=datetime.fromisoformat(reported_at),
            report_id=report_id,
            source=source,
            age=age,
            sex=sex,
            symptoms=tuple(symptoms or ()),
            county=county,
        )

    def to_dict(self) -> JsonObject:
        """A JSON-ready form with named fields (events, the read model, the API)."""
        return {
            "person_key": self.person_key,
            "onset": self.onset.isoformat(),
            "town": self.town,
            "village": self.village,
            "status": self.status.value,
            "age": self.age,
            "sex": self.sex,
            "symptoms": list(self.symptoms),
            "county": self.county,
            "reported_at": self.reported_at.isoformat(),
            "report_id": self.report_id,
            "source": self.source,
        }


def merge_cases(current: Mapping[str, Case], listed: Iterable[Case]) -> tuple[dict[str, Case], list[Case]]:
    """The union of `current` and `listed`, each person's newest entry winning; and the entries that changed."""
    merged = dict(current)
    changed: dict[str, Case] = {}
    for case in listed:
        held = merged.get(case.person_key)
        if held is None or case.precedence() > held.precedence():
            merged[case.person_key] = case
            changed[case.person_key] = case
    return merged, list(changed.values())


@dataclass(frozen=True)
class CaseCounts:
    """The figures a case list gives: persons, hospitalised, dead, and the distinct places."""

    cases: int
    hospitalized: int
    deaths: int
    townships: int
    counties: int
    last_onset: datetime | None


def count_cases(cases: Iterable[Case], town_counties: Mapping[str, str] | None = None) -> CaseCounts:
    """Count the persons; a person's county is the district's county of their town if known, else `case.county`."""
    towns: set[str] = set()
    counties: set[str] = set()
    total = hospitalized = deaths = 0
    last: datetime | None = None
    known = town_counties or {}
    for case in cases:
        total += 1
        hospitalized += case.status is CaseStatus.HOSPITALIZED
        deaths += case.status is CaseStatus.DIED
        if case.town:
            towns.add(case.town)
        county = known.get(case.town) or case.county
        if county:
            counties.add(county)
        last = case.onset if last is None else max(last, case.onset)
    return CaseCounts(total, hospitalized, deaths, len(towns), len(counties), last)
