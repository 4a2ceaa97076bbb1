"""What a caller may see and touch, beyond the role each route declares (docs/api.md, "Access rules").

- Exercise scope: a user with an exercise_id sees only that exercise's incidents. A user without one sees
  only actual incidents, except a commander, who oversees every drill too (the leading group approves
  and reviews exercises); each incident carries its `mode`, and statistics always leave drills out.
- Unit scope: a caller whose only role is unit_responder sees only incidents in which their unit owns a
  step, only their unit's steps, and acts only on those.
- What a caller may not see does not exist for them: 404, never 403, so ids do not leak.
"""

from __future__ import annotations

from api.errors import NotFound
from infra.db import queries
from infra.db.engine import Database
from infra.db.models import IncidentRow
from infra.db.users import Identity

WIDE_READERS = ("duty_officer", "commander", "drill_controller", "observer", "publicity", "evaluator")
"""Roles that see every incident in their scope (a unit responder sees only its unit's)."""


def sees_all_modes(identity: Identity) -> bool:
    """True for a district-wide commander: actual incidents and every exercise."""
    return identity.exercise_id is None and identity.has("commander")


def unit_scoped(identity: Identity) -> bool:
    """True when the caller sees and acts only as their unit."""
    return identity.has("unit_responder") and not identity.has(*WIDE_READERS)


def visibility(identity: Identity) -> queries.Visibility:
    """The incidents the caller may see."""
    return queries.Visibility(
        exercise_id=identity.exercise_id,
        unit=identity.unit if unit_scoped(identity) else None,
        all_modes=sees_all_modes(identity),
    )


async def incident_or_404(db: Database, incident_id: str, identity: Identity) -> IncidentRow:
    """The incident, if it exists and the caller may see it; 404 otherwise."""
    row = await queries.get_incident(db, incident_id, visibility(identity))
    if row is None:
        raise NotFound(f"no incident with id {incident_id!r}")
    return row
