"""The organisation as plain data (for the API) and back to the three YAML files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from playbooks.organisation import WEEKDAYS, Organisation, Person, Unit

HEADERS = {
    "units": "# Units of the district's food-safety response organisation. Ids are fixed: playbooks name them.\n",
    "people": "# People, their roles and contact channels. Fictional names; numbers and addresses are fake.\n",
    "roster": (
        "# Duty roster: shift times, a repeating rotation (cycle week + weekday + shift) anchored on a Monday,\n"
        "# and dated overrides that win over the rotation. See docs/adr/0009-duty-roster-as-weekly-rotation.md.\n"
    ),
}


def dump_organisation(org: Organisation) -> dict[str, Any]:
    """Plain data {units, people, roster}, the shape `parse_organisation` reads back."""
    roster = org.roster
    return {
        "units": {"units": [_unit(u) for u in org.units]},
        "people": {"people": [_person(p) for p in org.people]},
        "roster": {
            "timezone": str(roster.timezone),
            "shifts": [{"name": s.name, "start": f"{s.start:%H:%M}", "end": f"{s.end:%H:%M}"} for s in roster.shifts],
            "rotation": {
                "anchor": roster.anchor.isoformat(),
                "weeks": roster.cycle_weeks,
                "slots": [
                    {
                        "unit": s.unit,
                        "week": s.week,
                        "weekday": WEEKDAYS[s.weekday],
                        "shift": s.shift,
                        "leader_on_duty": s.leader_on_duty,
                        "duty_officer": s.duty_officer,
                    }
                    for s in roster.rotation
                ],
            },
            "overrides": [
                {
                    "unit": s.unit,
                    "date": s.date.isoformat(),
                    "shift": s.shift,
                    "leader_on_duty": s.leader_on_duty,
                    "duty_officer": s.duty_officer,
                }
                for s in roster.overrides
            ],
            **({"fallback": roster.fallback} if roster.fallback is not None else {}),
        },
    }


def write_organisation(org: Organisation, directory: Path) -> None:
    """Write units.yaml, people.yaml and roster.yaml into `directory` (deterministic output)."""
    directory.mkdir(parents=True, exist_ok=True)
    for key, document in dump_organisation(org).items():
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, default_flow_style=None, width=200)
        (directory / f"{key}.yaml").write_text(HEADERS[key] + text, encoding="utf-8")


def _unit(unit: Unit) -> dict[str, Any]:
    data: dict[str, Any] = {"id": unit.id, "name": unit.name, "kind": unit.kind}
    if unit.parent is not None:
        data["parent"] = unit.parent
    if unit.admin_code is not None:
        data["admin_code"] = unit.admin_code
    return data


def _person(person: Person) -> dict[str, Any]:
    data: dict[str, Any] = {"id": person.id, "name": person.name, "unit": person.unit}
    if person.title:
        data["title"] = person.title
    data["roles"] = list(person.roles)
    data["contacts"] = dict(person.contacts)
    return data
