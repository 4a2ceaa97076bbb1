"""The report wire format (DESIGN.md §3): validation shared by the HTTP API and the intake agent."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from infra.wire.venue_types import UnknownVenueType, normalise_venue_type
from playbooks.cases import Case, CaseStatus
from playbooks.facts import Facts
from playbooks.report import Report

MAX_REPORT_BYTES = 256 * 1024


class ReportRejected(ValueError):
    """A report that cannot be accepted; `reason` says which field and value were wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class RegionsIn(_Open):
    """How many administrative areas of each tier are affected."""

    townships: int = Field(0, ge=0, le=100_000)
    counties: int = Field(0, ge=0, le=100_000)
    prefectures: int = Field(0, ge=0, le=10_000)
    provinces: int = Field(0, ge=0, le=100)


class FactsIn(_Open):
    """Figures of the report; unknown type-specific fields are kept."""

    cases: int = Field(0, ge=0, le=100_000_000)
    hospitalized: int = Field(0, ge=0, le=100_000_000)
    deaths: int = Field(0, ge=0, le=100_000_000)
    exposed: int = Field(0, ge=0, le=100_000_000)
    regions: RegionsIn = Field(default_factory=lambda: RegionsIn())
    major_event: bool = False
    novel_contaminant: bool = False
    crime_suspected: bool = False


class LocationIn(_Open):
    """Where it happened; a venue or an administrative code is required."""

    admin_code: str | None = Field(None, max_length=64)
    town: str | None = Field(None, max_length=200)
    village: str | None = Field(None, max_length=200)
    venue: str | None = Field(None, max_length=500)
    address: str | None = Field(None, max_length=1000)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)

    @model_validator(mode="after")
    def _venue_or_admin_code(self) -> LocationIn:
        if not (self.venue or "").strip() and not (self.admin_code or "").strip():
            raise ValueError("location needs a venue or an admin_code")
        return self


_RAW_ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")
"""A resident identity card number (18 digits, the last may be X): never a person_key."""
MAX_CASES = 5000


class CaseIn(_Open):
    """One person of a case line list (病例一览表)."""

    person_key: str = Field(..., min_length=4, max_length=128, pattern=r"^\S+$")
    onset: datetime
    town: str = Field(..., min_length=1, max_length=200)
    village: str = Field("", max_length=200)
    status: CaseStatus
    age: int | None = Field(None, ge=0, le=150)
    sex: Literal["male", "female", "unknown", "男", "女"] | None = None
    symptoms: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list, max_length=50)

    @field_validator("person_key")
    @classmethod
    def _not_an_id_number(cls, value: str) -> str:
        if _RAW_ID_NUMBER.match(value):
            raise ValueError(
                "looks like a raw ID number; send an opaque, stable key derived from it (e.g. a salted hash), "
                "never the number itself"
            )
        return value

    @field_validator("onset")
    @classmethod
    def _onset_needs_offset(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("onset must be ISO-8601 with a UTC offset, e.g. 2026-11-29T12:30:00+08:00")
        return value


class ReporterIn(_Open):
    """Who reported it."""

    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=64)
    unit: str | None = Field(None, max_length=200)


class ReportIn(_Open):
    """An incident report (schema version 1). Unknown extra fields are kept, not rejected."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "report_id": "hotline-2026-0001",
                    "source": "school",
                    "reported_at": "2026-11-29T08:05:00+08:00",
                    "incident_type": "food_safety",
                    "location": {"admin_code": "330102", "town": "城关街道", "venue": "城关实验小学食堂"},
                    "venue_type": "school",
                    "facts": {"cases": 60, "hospitalized": 12},
                    "description": "午餐后多名学生出现呕吐腹泻症状",
                    "reporter": {"name": "王老师", "phone": "13800000000", "unit": "城关实验小学"},
                }
            ],
        },
    )

    report_id: str = Field(..., min_length=1, max_length=200, pattern=r"^\S(.*\S)?$")
    source: str = Field(..., min_length=1, max_length=64)
    reported_at: datetime
    incident_type: str = Field("food_safety", min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    incident_ref: str | None = Field(None, min_length=1, max_length=200)
    location: LocationIn
    venue_type: str | None = Field(None, max_length=64)
    facts: FactsIn = Field(default_factory=lambda: FactsIn())
    case_list: list[CaseIn] | None = Field(None, max_length=MAX_CASES)
    description: str = Field("", max_length=20_000)
    reporter: ReporterIn = Field(default_factory=lambda: ReporterIn())
    mode: Literal["actual", "exercise"] = "actual"
    exercise_id: str | None = Field(None, min_length=1, max_length=200)

    @field_validator("reported_at")
    @classmethod
    def _needs_offset(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("reported_at must be ISO-8601 with a UTC offset, e.g. 2026-11-29T08:05:00+08:00")
        return value

    @field_validator("venue_type")
    @classmethod
    def _known_venue_type(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return normalise_venue_type(value)
        except UnknownVenueType as exc:
            raise ValueError(str(exc)) from exc

    @model_validator(mode="after")
    def _one_entry_per_person(self) -> ReportIn:
        seen: dict[str, int] = {}
        for index, case in enumerate(self.case_list or ()):
            if case.person_key in seen:
                raise ValueError(
                    f"case_list[{index}].person_key: {case.person_key!r} is already listed at "
                    f"case_list[{seen[case.person_key]}]; list each person once"
                )
            seen[case.person_key] = index
        return self

    @model_validator(mode="after")
    def _exercise_needs_id(self) -> ReportIn:
        if self.mode == "exercise" and not self.exercise_id:
            raise ValueError("mode=exercise needs an exercise_id")
        if self.mode == "actual" and self.exercise_id:
            raise ValueError("exercise_id is only allowed with mode=exercise")
        return self

    def to_domain(self) -> Report:
        """The validated report as the domain's `Report`."""
        return Report(
            report_id=self.report_id,
            source=self.source,
            reported_at=self.reported_at,
            incident_type=self.incident_type,
            incident_ref=self.incident_ref,
            location=self.location.model_dump(exclude_none=True),
            venue_type=self.venue_type,
            facts=Facts.from_mapping(self.facts.model_dump()),
            description=self.description,
            reporter=self.reporter.model_dump(exclude_none=True),
            mode=self.mode,
            exercise_id=self.exercise_id,
            case_list=None if self.case_list is None else tuple(self._case(c) for c in self.case_list),
        )

    def _case(self, case: CaseIn) -> Case:
        """A listed person as the domain sees them; their county is the report's county code, if it gives one."""
        code = (self.location.admin_code or "").strip()
        return Case(
            person_key=case.person_key,
            onset=case.onset,
            town=case.town.strip(),
            village=case.village.strip(),
            status=case.status,
            reported_at=self.reported_at,
            report_id=self.report_id,
            source=self.to_source_key(),
            age=case.age,
            sex=case.sex,
            symptoms=tuple(case.symptoms),
            county=code[:6] if len(code) >= 6 and code[:6].isdigit() else None,
        )

    def to_source_key(self) -> str:
        """The reporting unit (see `Report.source_key`)."""
        unit = (self.reporter.unit or "").strip()
        return f"{self.source}:{unit}" if unit else self.source


def describe_errors(error: ValidationError) -> str:
    """One line per problem: `facts.cases: Input should be greater than or equal to 0 (got -3)`."""
    parts = []
    for item in error.errors():
        path = _path(item["loc"])
        got = item.get("input")
        shown = "" if isinstance(got, dict) or got is None else f" (got {json.dumps(got, default=str)[:80]})"
        parts.append(f"{path}: {item['msg']}{shown}")
    return "; ".join(parts)


def _path(loc: tuple[int | str, ...]) -> str:
    """`case_list[3].onset` for pydantic's ('case_list', 3, 'onset')."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(report)"


def parse_report(raw: bytes) -> ReportIn:
    """Decode and validate raw bytes from the reports topic; raise ReportRejected with the reason."""
    if len(raw) > MAX_REPORT_BYTES:
        raise ReportRejected(f"report is {len(raw)} bytes, more than the {MAX_REPORT_BYTES} allowed")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportRejected(f"value is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportRejected(f"value is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise ReportRejected(f"a report must be a JSON object, got {type(data).__name__}")
    try:
        return ReportIn.model_validate(data)
    except ValidationError as exc:
        raise ReportRejected(f"schema: {describe_errors(exc)}") from exc
