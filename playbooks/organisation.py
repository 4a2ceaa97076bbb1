"""The district's organisation: units, people, duty rosters, and who is on duty at a given time.

Pure: frozen dataclasses and functions. The timezone is data (a `tzinfo` handed in); time is passed in.
The roster is a repeating rotation (cycle week + weekday + shift -> people) plus dated overrides,
so "who is on duty" answers for any date (docs/adr/0009-duty-roster-as-weekly-rotation.md).

    ValueError
     └── OrganisationError   an unknown unit, person, shift, role or target; an inconsistent roster
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from typing import Literal, TypeVar

UnitKind = Literal["leading_group", "member_unit", "town", "village"]
UNIT_KINDS: tuple[UnitKind, ...] = ("leading_group", "member_unit", "town", "village")
ROSTERED_ROLES = ("leader_on_duty", "duty_officer")
"""Roles filled by the roster; every other role (supervisor, coordinator, ...) is a standing one."""
ROLE_ALIASES = {"unit_leader": "leader_on_duty"}
DISTRICT_ROLES = {"leading_group": "leading_group", "chair": "chair", "commander": "commander"}
"""Roles that resolve district-wide (to people anywhere holding them), whatever the context unit."""
DEFAULT_ROLE: dict[str, str] = {
    "leading_group": "leading_group",
    "member_unit": "duty_officer",
    "town": "duty_officer",
    "village": "coordinator",
}
"""What a bare unit target (`"cdc"`, `"village:village_001"`) resolves to, by unit kind."""
INCIDENT_TOWN = "town_office"
"""The playbooks' name for the town (street) where the incident happened; needs `town=` to resolve."""
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class OrganisationError(ValueError):
    """An unknown unit, person, shift, role or target, or a roster that does not fit the organisation."""


@dataclass(frozen=True)
class Unit:
    """A unit of the response organisation: the leading group, a member unit, a town/street or a village."""

    id: str
    name: str
    kind: UnitKind
    parent: str | None = None
    admin_code: str | None = None


@dataclass(frozen=True)
class Person:
    """Someone who can be paged: their unit, roles, and contact channels (channel name -> address)."""

    id: str
    name: str
    unit: str
    roles: tuple[str, ...]
    contacts: Mapping[str, str] = field(default_factory=dict)
    title: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", tuple(self.roles))
        object.__setattr__(self, "contacts", MappingProxyType(dict(self.contacts)))

    def has_role(self, role: str) -> bool:
        """Whether this person holds `role` (aliases such as `unit_leader` included)."""
        return canonical_role(role) in {canonical_role(r) for r in self.roles}


@dataclass(frozen=True)
class ShiftTimes:
    """A named shift's local start and end; an end at or before the start means the next day."""

    name: str
    start: time
    end: time

    def window(self, day: date, tz: tzinfo) -> tuple[datetime, datetime]:
        """The shift starting on `day` as a [start, end) pair of UTC instants."""
        start = datetime.combine(day, self.start, tz)
        end_day = day if self.end > self.start else day + timedelta(days=1)
        end = datetime.combine(end_day, self.end, tz)
        return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class Shift:
    """Who is on duty for a unit on one date's shift (a dated override, or a rotation slot applied to a date)."""

    unit: str
    date: date
    shift: str
    leader_on_duty: str
    duty_officer: str


@dataclass(frozen=True)
class RotationSlot:
    """One slot of a unit's repeating rotation: cycle week (1-based), weekday (0 = Monday) and shift."""

    unit: str
    week: int
    weekday: int
    shift: str
    leader_on_duty: str
    duty_officer: str


@dataclass(frozen=True)
class Roster:
    """The district's shifts, its repeating rotation (anchored on a Monday) and dated overrides."""

    timezone: tzinfo
    shifts: tuple[ShiftTimes, ...]
    anchor: date
    cycle_weeks: int = 1
    rotation: tuple[RotationSlot, ...] = ()
    overrides: tuple[Shift, ...] = ()
    fallback: str | None = None
    """Who is paged when a step's owner or recipient cannot be reached (a target such as
    `leading_group:duty_officer`, the district's emergency duty office); None: nobody (the page fails)."""

    def slot_key(self, day: date) -> tuple[int, int]:
        """The (cycle week, weekday) that `day` falls on."""
        return (day - self.anchor).days // 7 % self.cycle_weeks + 1, day.weekday()


@dataclass(frozen=True)
class Resolution:
    """Who a target resolves to at an instant, and why; `fallback` when no shift covered the instant."""

    target: str
    unit: str
    role: str
    people: tuple[Person, ...]
    explanation: str
    fallback: bool = False
    shift: Shift | None = None


def canonical_role(role: str) -> str:
    """The role's canonical name (`unit_leader` -> `leader_on_duty`)."""
    return ROLE_ALIASES.get(role, role)


def _names(people: Sequence[Person]) -> str:
    return "、".join(p.name for p in people) or "nobody"


@dataclass(frozen=True)
class Organisation:
    """Units, people and the duty roster, with pure queries: on duty, resolve a target, escalation."""

    units: tuple[Unit, ...]
    people: tuple[Person, ...]
    roster: Roster
    _units: dict[str, Unit] = field(init=False, repr=False, compare=False)
    _people: dict[str, Person] = field(init=False, repr=False, compare=False)
    _members: dict[str, tuple[Person, ...]] = field(init=False, repr=False, compare=False)
    _children: dict[str, tuple[Unit, ...]] = field(init=False, repr=False, compare=False)
    _towns: dict[str, Unit] = field(init=False, repr=False, compare=False)
    _rotation: dict[tuple[str, int, int, str], RotationSlot] = field(init=False, repr=False, compare=False)
    _overrides: dict[tuple[str, date, str], Shift] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        units = _unique("unit", self.units)
        people = _unique("person", self.people)
        children = _children(units)
        members = _members(units, people)
        known = _Known(units, people, _shift_names(self.roster))
        rotation = _rotation(self.roster, known)
        overrides = _overrides(self.roster, known)
        object.__setattr__(self, "_units", units)
        object.__setattr__(self, "_people", people)
        object.__setattr__(self, "_members", members)
        object.__setattr__(self, "_children", children)
        object.__setattr__(self, "_towns", _towns(self.units))
        object.__setattr__(self, "_rotation", rotation)
        object.__setattr__(self, "_overrides", overrides)
        if self.roster.fallback is not None:
            self._check_target(self.roster.fallback)

    # -- lookups ------------------------------------------------------------------------------------------

    def unit(self, unit_id: str) -> Unit:
        """The unit with this id."""
        try:
            return self._units[unit_id]
        except KeyError:
            raise OrganisationError(f"{unit_id!r} is not a known unit") from None

    def person(self, person_id: str) -> Person:
        """The person with this id."""
        try:
            return self._people[person_id]
        except KeyError:
            raise OrganisationError(f"{person_id!r} is not a known person") from None

    def towns(self) -> tuple[Unit, ...]:
        """Every town/street, in file order."""
        return tuple(u for u in self.units if u.kind == "town")

    def town(self, key: str) -> Unit:
        """A town by id, admin code or name."""
        try:
            return self._towns[key]
        except KeyError:
            raise OrganisationError(f"{key!r} is not a known town (id, admin code or name)") from None

    def villages(self, town_id: str) -> tuple[Unit, ...]:
        """The villages of a town (by id, admin code or name)."""
        return tuple(u for u in self._children[self.town(town_id).id] if u.kind == "village")

    def people_in(self, unit_id: str) -> tuple[Person, ...]:
        """The people of a unit, in file order."""
        self.unit(unit_id)
        return self._members[unit_id]

    def holders(self, unit_id: str | None, role: str) -> tuple[Person, ...]:
        """People holding `role` in a unit, or anywhere in the district when `unit_id` is None."""
        pool = self.people if unit_id is None else self.people_in(unit_id)
        return tuple(p for p in pool if p.has_role(role))

    def shift_at(self, unit_id: str, at: datetime) -> Shift | None:
        """The unit's shift covering `at` (a dated override first, else the rotation), or None."""
        self.unit(unit_id)
        instant = _aware(at).astimezone(UTC)
        local_day = instant.astimezone(self.roster.timezone).date()
        for day in (local_day - timedelta(days=1), local_day):
            for times in self.roster.shifts:
                start, end = times.window(day, self.roster.timezone)
                if start <= instant < end:
                    found = self._shift_on(unit_id, day, times.name)
                    if found is not None:
                        return found
        return None

    def _shift_on(self, unit_id: str, day: date, shift: str) -> Shift | None:
        override = self._overrides.get((unit_id, day, shift))
        if override is not None:
            return override
        week, weekday = self.roster.slot_key(day)
        slot = self._rotation.get((unit_id, week, weekday, shift))
        if slot is None:
            return None
        return Shift(unit_id, day, shift, slot.leader_on_duty, slot.duty_officer)

    # -- who is on duty -----------------------------------------------------------------------------------

    def on_duty(self, unit_id: str, role: str, at: datetime) -> tuple[Person, ...]:
        """Who holds `role` in the unit at `at`: the shift's person, else the unit's standing contacts."""
        return self.duty(unit_id, role, at).people

    def duty(self, unit_id: str, role: str, at: datetime, target: str | None = None) -> Resolution:
        """Like `on_duty`, with an explanation and whether the standing contacts were a fallback."""
        role = canonical_role(role)
        unit = self.unit(unit_id)
        target = target or f"{unit_id}:{role}"
        when = _aware(at).astimezone(self.roster.timezone)
        if role in DISTRICT_ROLES:
            people = self._district_role(role)
            return Resolution(target, unit_id, role, people, f"{_label(role)}: {_names(people)}")
        if role not in ROSTERED_ROLES:
            people = self.holders(unit_id, role)
            return Resolution(target, unit_id, role, people, f"{unit.id} {_label(role)}: {_names(people)}")
        shift = self.shift_at(unit_id, when)
        if shift is not None:
            person = self.person(shift.leader_on_duty if role == "leader_on_duty" else shift.duty_officer)
            text = f"{unit.id} {_label(role)} on {shift.date} {shift.shift} shift: {person.name}"
            return Resolution(target, unit_id, role, (person,), text, shift=shift)
        people = self.holders(unit_id, role)
        text = f"no {unit.id} shift covers {when:%Y-%m-%d %H:%M %Z}; standing {_label(role)} contacts: {_names(people)}"
        return Resolution(target, unit_id, role, people, text, fallback=True)

    def _district_role(self, role: str) -> tuple[Person, ...]:
        people = self.holders(None, role)
        return tuple(sorted(people, key=lambda p: (not p.has_role("chair"), p.unit != "leading_group")))

    def resolve(self, target: str, at: datetime, *, unit: str | None = None, town: str | None = None) -> Resolution:
        """Resolve `cdc`, `cdc:leader_on_duty`, `duty_officer` (in `unit`), `leading_group`, `commander`,
        `town_office` (the incident's `town`), `town:<id|code|name>[:role]` or `village:<id>[:role]`."""
        head, _, rest = target.partition(":")
        if head in ("town", "village") and rest:
            key, _, role = rest.partition(":")
            place = self.town(key) if head == "town" else self._village(key)
            return self.duty(place.id, role or DEFAULT_ROLE[place.kind], at, target)
        if head == INCIDENT_TOWN:
            if town is None:
                raise OrganisationError(f"{target!r} names the incident's town; pass town=<id, admin code or name>")
            place = self.town(town)
            return self.duty(place.id, rest or DEFAULT_ROLE["town"], at, target)
        if head in self._units:
            return self.duty(head, rest or DEFAULT_ROLE[self._units[head].kind], at, target)
        role = canonical_role(head)
        if rest:
            raise OrganisationError(f"{target!r}: {head!r} is not a known unit")
        if role in DISTRICT_ROLES:
            return self.duty("leading_group", role, at, target)
        if not self._is_role(role):
            raise OrganisationError(f"{target!r} is neither a known unit nor a known role")
        if unit is None:
            raise OrganisationError(f"{target!r} is a role; pass unit=<unit id> to say whose")
        context = self.town(town).id if unit == INCIDENT_TOWN and town else unit
        return self.duty(context, role, at, target)

    def fallback(self, at: datetime) -> Resolution:
        """Who the roster's fallback (the district duty officer) names at `at`; raise OrganisationError if no one."""
        target = self.roster.fallback
        if target is None:
            raise OrganisationError(
                "the roster names no fallback (roster.yaml: fallback, e.g. leading_group:duty_officer)"
            )
        resolution = self.resolve(target, at)
        if not resolution.people:
            raise OrganisationError(f"the fallback {target!r} names no one: {resolution.explanation}")
        return resolution

    def location_warnings(self, location: Mapping[str, object]) -> list[str]:
        """What a report's location names that the district does not know (a town not in the district)."""
        town = location.get("town")
        if isinstance(town, str) and town.strip() and town.strip() not in self._towns:
            return [f"town {town.strip()!r} is not in the district; its steps go to the district duty officer"]
        return []

    def escalation_targets(
        self, chain: Sequence[str], unit: str, at: datetime, *, town: str | None = None
    ) -> list[Resolution]:
        """Resolve each step of an escalation chain (e.g. duty_officer, unit_leader, leading_group) for a unit."""
        return [self.resolve(step, at, unit=unit, town=town) for step in chain]

    def _village(self, key: str) -> Unit:
        unit = self._units.get(key) or next((u for u in self.units if u.admin_code == key), None)
        if unit is None or unit.kind != "village":
            raise OrganisationError(f"{key!r} is not a known village (id or admin code)")
        return unit

    def _check_target(self, target: str) -> None:
        """A fallback names a unit (optionally `:role`) of the organisation."""
        head = target.partition(":")[0]
        if head not in self._units:
            raise OrganisationError(f"roster fallback {target!r}: {head!r} is not a known unit")

    def _is_role(self, role: str) -> bool:
        return role in ROSTERED_ROLES or any(p.has_role(role) for p in self.people)


# -- pure edits -----------------------------------------------------------------------------------------------


def assign_shift(
    org: Organisation, unit: str, day: date, shift: str, *, leader_on_duty: str, duty_officer: str
) -> Organisation:
    """A new organisation whose roster names these people for the unit's shift on `day` (a dated override)."""
    new = Shift(unit, day, shift, leader_on_duty, duty_officer)
    kept = tuple(s for s in org.roster.overrides if (s.unit, s.date, s.shift) != (unit, day, shift))
    return replace(org, roster=replace(org.roster, overrides=(*kept, new)))


def clear_shift(org: Organisation, unit: str, day: date, shift: str) -> Organisation:
    """A new organisation without the dated override for the unit's shift on `day` (the rotation applies again)."""
    org.unit(unit)
    kept = tuple(s for s in org.roster.overrides if (s.unit, s.date, s.shift) != (unit, day, shift))
    if len(kept) == len(org.roster.overrides):
        raise OrganisationError(f"{unit}: no override for the {shift} shift on {day}")
    return replace(org, roster=replace(org.roster, overrides=kept))


def assign_rotation(  # noqa: PLR0913 - the rotation slot's fields, the people keyword-only
    org: Organisation, unit: str, week: int, weekday: int, shift: str, *, leader_on_duty: str, duty_officer: str
) -> Organisation:
    """A new organisation whose rotation names these people for the unit's (week, weekday, shift) slot."""
    new = RotationSlot(unit, week, weekday, shift, leader_on_duty, duty_officer)
    key = (unit, week, weekday, shift)
    kept = tuple(s for s in org.roster.rotation if (s.unit, s.week, s.weekday, s.shift) != key)
    return replace(org, roster=replace(org.roster, rotation=(*kept, new)))


def update_contacts(org: Organisation, person_id: str, contacts: Mapping[str, str | None]) -> Organisation:
    """A new organisation with the person's contacts merged with `contacts` (None removes a channel)."""
    person = org.person(person_id)
    merged = dict(person.contacts)
    for channel, address in contacts.items():
        if not channel or not channel.replace("_", "").isalnum():
            raise OrganisationError(f"person {person_id!r}: {channel!r} is not a channel name")
        if address is None:
            merged.pop(channel, None)
        elif not address.strip():
            raise OrganisationError(f"person {person_id!r}: contacts.{channel} is empty")
        else:
            merged[channel] = address.strip()
    updated = replace(person, contacts=merged)
    return replace(org, people=tuple(updated if p.id == person_id else p for p in org.people))


# -- helpers -----------------------------------------------------------------------------------------------

_Item = TypeVar("_Item", Unit, Person)


def _unique(what: str, items: Sequence[_Item]) -> dict[str, _Item]:
    index: dict[str, _Item] = {}
    for item in items:
        if item.id in index:
            raise OrganisationError(f"{what} {item.id!r} is given twice")
        index[item.id] = item
    return index


def _children(units: Mapping[str, Unit]) -> dict[str, tuple[Unit, ...]]:
    """Each unit's child units, after checking every unit's kind and parent (a village hangs under a town)."""
    children: dict[str, list[Unit]] = {u: [] for u in units}
    for unit in units.values():
        if unit.kind not in UNIT_KINDS:
            raise OrganisationError(f"unit {unit.id!r}: kind {unit.kind!r} is not one of {', '.join(UNIT_KINDS)}")
        if unit.parent is not None:
            if unit.parent not in units:
                raise OrganisationError(f"unit {unit.id!r}: parent {unit.parent!r} is not a known unit")
            children[unit.parent].append(unit)
        if unit.kind == "village" and (unit.parent is None or units[unit.parent].kind != "town"):
            raise OrganisationError(f"village {unit.id!r} must have a town as its parent")
    return {k: tuple(v) for k, v in children.items()}


def _members(units: Mapping[str, Unit], people: Mapping[str, Person]) -> dict[str, tuple[Person, ...]]:
    """Each unit's people, after checking every person's unit is known."""
    members: dict[str, list[Person]] = {u: [] for u in units}
    for person in people.values():
        if person.unit not in units:
            raise OrganisationError(f"person {person.id!r}: unit {person.unit!r} is not a known unit")
        members[person.unit].append(person)
    return {k: tuple(v) for k, v in members.items()}


def _towns(units: Sequence[Unit]) -> dict[str, Unit]:
    """Towns by id, administrative code and name."""
    return {key: u for u in units if u.kind == "town" for key in (u.id, u.admin_code, u.name) if key}


def _shift_names(roster: Roster) -> set[str]:
    """The shift names, after checking they are unique, the anchor is a Monday and the cycle at least a week."""
    shift_names = {s.name for s in roster.shifts}
    if len(shift_names) != len(roster.shifts):
        raise OrganisationError("roster: shift names repeat")
    if roster.anchor.weekday() != 0:
        raise OrganisationError(f"roster: anchor {roster.anchor} is not a Monday")
    if roster.cycle_weeks < 1:
        raise OrganisationError(f"roster: cycle_weeks must be at least 1, not {roster.cycle_weeks}")
    return shift_names


@dataclass(frozen=True)
class _Known:
    """What a roster entry may name: the units, the people and the shifts."""

    units: Mapping[str, Unit]
    people: Mapping[str, Person]
    shift_names: set[str]

    def check_duty(self, where: str, unit: str, shift: str, person_ids: Sequence[str]) -> None:
        """The unit and shift exist, and each person on duty exists and belongs to the unit."""
        if unit not in self.units:
            raise OrganisationError(f"{where}: {unit!r} is not a known unit")
        if shift not in self.shift_names:
            known = ", ".join(sorted(self.shift_names))
            raise OrganisationError(f"{where}: {shift!r} is not a shift (known: {known})")
        for person_id in person_ids:
            if person_id not in self.people:
                raise OrganisationError(f"{where}: {person_id!r} is not a known person")
            if self.people[person_id].unit != unit:
                raise OrganisationError(
                    f"{where}: {person_id!r} belongs to {self.people[person_id].unit!r}, not {unit!r}"
                )


def _rotation(roster: Roster, known: _Known) -> dict[tuple[str, int, int, str], RotationSlot]:
    """The rotation by (unit, week, weekday, shift), after checking each slot once."""
    rotation: dict[tuple[str, int, int, str], RotationSlot] = {}
    for slot in roster.rotation:
        where = f"rotation {slot.unit} week {slot.week} {_weekday(slot.weekday)} {slot.shift}"
        if not 1 <= slot.week <= roster.cycle_weeks or not 0 <= slot.weekday <= 6:
            raise OrganisationError(f"{where}: week must be 1..{roster.cycle_weeks}, weekday mon..sun")
        known.check_duty(where, slot.unit, slot.shift, (slot.leader_on_duty, slot.duty_officer))
        key = (slot.unit, slot.week, slot.weekday, slot.shift)
        if key in rotation:
            raise OrganisationError(f"{where}: slot given twice")
        rotation[key] = slot
    return rotation


def _overrides(roster: Roster, known: _Known) -> dict[tuple[str, date, str], Shift]:
    """The dated overrides by (unit, date, shift), after checking each one once."""
    overrides: dict[tuple[str, date, str], Shift] = {}
    for shift in roster.overrides:
        where = f"override {shift.unit} {shift.date} {shift.shift}"
        known.check_duty(where, shift.unit, shift.shift, (shift.leader_on_duty, shift.duty_officer))
        if (shift.unit, shift.date, shift.shift) in overrides:
            raise OrganisationError(f"{where}: override given twice")
        overrides[(shift.unit, shift.date, shift.shift)] = shift
    return overrides


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise OrganisationError(f"{at.isoformat()} has no timezone; pass an aware datetime")
    return at


def _weekday(index: int) -> str:
    return WEEKDAYS[index] if 0 <= index < len(WEEKDAYS) else f"weekday {index}"


def _label(role: str) -> str:
    return role.replace("_", " ")
