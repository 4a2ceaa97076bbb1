"""The venue-type vocabulary (venue_types.yaml): canonical codes, Chinese labels and aliases.

Intake normalises a report's `venue_type` to its code ('学校食堂', 'school_canteen' → 'school'), so the
playbook's conditions, which name codes, match however a reporter wrote it. Anything else is rejected,
with the accepted codes listed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

VOCABULARY_FILE = Path(__file__).with_name("venue_types.yaml")
_FOLD = re.compile(r"[\s\-_·.,，。、/]+")


@dataclass(frozen=True)
class VenueType:
    """One venue type: its code, its Chinese label, what it covers and the other names it goes by."""

    code: str
    label: str
    description: str
    aliases: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (GET /api/v1/vocabulary/venue-types)."""
        return {"code": self.code, "label": self.label, "description": self.description, "aliases": list(self.aliases)}


class UnknownVenueType(ValueError):
    """A venue type that is neither a code, a label nor an alias; the text lists the codes."""


def fold(name: str) -> str:
    """Fold width, case, spaces, '-' and '_' so 'School_Canteen', 'school canteen' and 'schoolcanteen' match."""
    return _FOLD.sub("", unicodedata.normalize("NFKC", name).casefold())


@dataclass(frozen=True)
class Vocabulary:
    """The venue types, in file order, and every name that resolves to each."""

    types: tuple[VenueType, ...]
    names: dict[str, str]

    @classmethod
    def of(cls, types: tuple[VenueType, ...]) -> Vocabulary:
        """Index the names; ValueError if two types share one."""
        names: dict[str, str] = {}
        for venue in types:
            for name in (venue.code, venue.label, *venue.aliases):
                key = fold(name)
                if names.get(key, venue.code) != venue.code:
                    raise ValueError(f"venue type name {name!r} is used by both {names[key]!r} and {venue.code!r}")
                names[key] = venue.code
        return cls(types, names)

    @property
    def codes(self) -> tuple[str, ...]:
        """The canonical codes."""
        return tuple(v.code for v in self.types)

    def normalise(self, name: str) -> str:
        """The canonical code of `name`; UnknownVenueType listing the accepted codes otherwise."""
        code = self.names.get(fold(name))
        if code is None:
            accepted = ", ".join(f"{v.code} ({v.label})" for v in self.types)
            raise UnknownVenueType(
                f"{name!r} is not a known venue type; accepted: {accepted} (or an alias, see "
                "GET /api/v1/vocabulary/venue-types)"
            )
        return code


@lru_cache(maxsize=1)
def venue_types() -> Vocabulary:
    """The published vocabulary, read once from venue_types.yaml."""
    data = yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))
    return Vocabulary.of(
        tuple(
            VenueType(
                code=str(item["code"]),
                label=str(item["label"]),
                description=str(item.get("description") or ""),
                aliases=tuple(str(a) for a in item.get("aliases") or ()),
            )
            for item in data["venue_types"]
        )
    )


def normalise_venue_type(name: str) -> str:
    """The canonical code of a reported venue type (see `Vocabulary.normalise`)."""
    return venue_types().normalise(name)
