"""Termination: which of the playbook's end criteria hold now, from signals the caller passes in.

A criterion is either a signal held long enough (`since: patients_stable_since, at_least: 24h`,
`since: last_case_at, at_least: $longest_incubation`) or a confirmation (`confirmed: approved`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from playbooks.json_types import JsonObject
from playbooks.model import Criterion, Playbook

Signal = datetime | bool | None


@dataclass(frozen=True)
class CriterionStatus:
    """One criterion now: whether it holds, why, and when a time criterion will hold."""

    id: str
    title: str
    holds: bool
    detail: str
    holds_from: datetime | None = None
    timed: bool = False


@dataclass(frozen=True)
class TerminationStatus:
    """All criteria; the response may end only when every one holds."""

    criteria: tuple[CriterionStatus, ...]

    @property
    def ready(self) -> bool:
        """True when every criterion holds."""
        return all(c.holds for c in self.criteria)

    @property
    def missing(self) -> tuple[str, ...]:
        """Ids of the criteria that do not hold yet."""
        return tuple(c.id for c in self.criteria if not c.holds)

    @property
    def earliest_at(self) -> datetime | None:
        """When the time criteria will all hold if nothing changes (None if a signal is missing)."""
        timed = [c for c in self.criteria if c.timed]
        if not timed or any(c.holds_from is None for c in timed):
            return None
        return max(c.holds_from for c in timed if c.holds_from is not None)

    def to_dict(self) -> JsonObject:
        """JSON-ready form."""
        return {
            "ready": self.ready,
            "missing": list(self.missing),
            "earliest_at": self.earliest_at.isoformat() if self.earliest_at else None,
            "criteria": [
                {
                    "id": c.id,
                    "title": c.title,
                    "holds": c.holds,
                    "detail": c.detail,
                    "holds_from": c.holds_from.isoformat() if c.holds_from else None,
                }
                for c in self.criteria
            ],
        }


def termination_check(playbook: Playbook, *, signals: Mapping[str, Signal], now: datetime) -> TerminationStatus:
    """Check each termination criterion against `signals` (e.g. last_case_at, site_controlled) at `now`."""
    return TerminationStatus(tuple(_check(c, signals, now) for c in playbook.termination))


def signal_names(playbook: Playbook) -> tuple[str, ...]:
    """The signals the playbook's criteria read, in order (what a termination form asks for)."""
    names = [c.since or c.confirmed for c in playbook.termination]
    return tuple(dict.fromkeys(n for n in names if n))


def _check(criterion: Criterion, signals: Mapping[str, Signal], now: datetime) -> CriterionStatus:
    if criterion.confirmed is not None:
        confirmed = signals.get(criterion.confirmed) is True
        detail = f"{criterion.confirmed} confirmed" if confirmed else f"{criterion.confirmed} not confirmed"
        return CriterionStatus(criterion.id, criterion.title, confirmed, detail)
    assert criterion.since is not None and criterion.at_least is not None  # guaranteed by the schema
    since = signals.get(criterion.since)
    if not isinstance(since, datetime):
        return CriterionStatus(criterion.id, criterion.title, False, f"{criterion.since} not known", timed=True)
    until = criterion.at_least.after(since)
    holds = now >= until
    detail = (
        f"{criterion.since} {since.isoformat()}: {criterion.at_least} "
        f"{'elapsed' if holds else 'not yet elapsed'} (at {until.isoformat()})"
    )
    return CriterionStatus(criterion.id, criterion.title, holds, detail, until, timed=True)
