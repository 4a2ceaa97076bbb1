"""Incident facts: the figures a report carries, and their aggregation over sources."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace

from playbooks.json_types import JsonObject, JsonValue


@dataclass(frozen=True)
class Regions:
    """How many administrative areas of each tier the harm has reached."""

    townships: int = 0
    counties: int = 0
    prefectures: int = 0
    provinces: int = 0


@dataclass(frozen=True)
class Facts:
    """The figures of one report, or the aggregate of an incident's reports.

    `extra` holds type-specific fields (a sampling result's risk tier, a public-opinion
    event's reach...) that the playbook of that type grades on.
    """

    cases: int = 0
    hospitalized: int = 0
    deaths: int = 0
    exposed: int = 0
    regions: Regions = field(default_factory=Regions)
    major_event: bool = False
    novel_contaminant: bool = False
    crime_suspected: bool = False
    extra: Mapping[str, JsonValue] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, JsonValue]) -> Facts:
        """Build facts from a report's `facts` object; unknown keys go to `extra`."""
        known = {f.name for f in fields(cls)} - {"extra", "regions"}
        regions = data.get("regions") or {}
        extra = {k: v for k, v in data.items() if k not in known and k != "regions"}
        return cls(
            regions=Regions(**{k: int(v) for k, v in regions.items() if k in _REGION_KEYS}),
            extra=extra,
            **{k: data[k] for k in known if k in data and data[k] is not None},
        )

    def to_mapping(self) -> JsonObject:
        """The facts as a JSON-ready dict (the inverse of `from_mapping`)."""
        return {
            "cases": self.cases,
            "hospitalized": self.hospitalized,
            "deaths": self.deaths,
            "exposed": self.exposed,
            "regions": {
                "townships": self.regions.townships,
                "counties": self.regions.counties,
                "prefectures": self.regions.prefectures,
                "provinces": self.regions.provinces,
            },
            "major_event": self.major_event,
            "novel_contaminant": self.novel_contaminant,
            "crime_suspected": self.crime_suspected,
            **dict(self.extra),
        }


_REGION_KEYS = {"townships", "counties", "prefectures", "provinces"}
_COUNTS = ("cases", "hospitalized", "deaths", "exposed")


def aggregate(per_source: Iterable[Facts]) -> Facts:
    """Total an incident's facts: counts are summed over sources, regions and flags take the widest.

    Each source contributes only its newest report (the caller keeps one entry per source).
    Type-specific `extra` fields take the value of the latest source that sets them.
    """
    total = Facts()
    extra: JsonObject = {}
    for facts in per_source:
        total = replace(
            total,
            **{name: getattr(total, name) + getattr(facts, name) for name in _COUNTS},
            regions=Regions(
                townships=max(total.regions.townships, facts.regions.townships),
                counties=max(total.regions.counties, facts.regions.counties),
                prefectures=max(total.regions.prefectures, facts.regions.prefectures),
                provinces=max(total.regions.provinces, facts.regions.provinces),
            ),
            major_event=total.major_event or facts.major_event,
            novel_contaminant=total.novel_contaminant or facts.novel_contaminant,
            crime_suspected=total.crime_suspected or facts.crime_suspected,
        )
        extra.update(facts.extra)
    return replace(total, extra=extra)
