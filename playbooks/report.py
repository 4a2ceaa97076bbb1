"""An incident report as the domain sees it, after the wire format has been validated."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from playbooks.cases import Case
from playbooks.facts import Facts
from playbooks.json_types import JsonValue

ACTUAL = "actual"
EXERCISE = "exercise"


@dataclass(frozen=True)
class Report:
    """One report from one source about one suspected incident."""

    report_id: str
    source: str
    reported_at: datetime
    incident_type: str = "food_safety"
    incident_ref: str | None = None
    location: Mapping[str, JsonValue] = field(default_factory=dict)
    venue_type: str | None = None
    facts: Facts = field(default_factory=Facts)
    description: str = ""
    reporter: Mapping[str, JsonValue] = field(default_factory=dict)
    mode: str = ACTUAL
    exercise_id: str | None = None
    case_list: tuple[Case, ...] | None = None
    """The persons the report lists (None when it carries no list; an empty list is a list of nobody)."""

    @property
    def source_key(self) -> str:
        """The reporting unit: `source` plus `reporter.unit`, so two hospitals are two sources."""
        unit = str(self.reporter.get("unit") or "").strip()
        return f"{self.source}:{unit}" if unit else self.source

    @property
    def place_key(self) -> str:
        """The normalised venue, or `admin:<code>` when the report names no venue."""
        venue = normalise_venue(str(self.location.get("venue") or ""))
        if venue:
            return f"venue:{venue}"
        return f"admin:{str(self.location.get('admin_code') or '').strip()}"

    @property
    def correlation_key(self) -> str:
        """Reports with the same key may belong to one incident; drills never share keys with actual play."""
        scope = self.exercise_id if self.mode == EXERCISE else ACTUAL
        return f"{scope}|{self.incident_type}|{self.place_key}"


_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise_venue(venue: str) -> str:
    """Fold width, case, spaces and punctuation so '实验小学 食堂' and '实验小学食堂。' compare equal."""
    folded = unicodedata.normalize("NFKC", venue).casefold()
    return _PUNCT.sub("", folded)
