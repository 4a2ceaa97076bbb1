"""A small read model to act on: an actual level-III school incident and a drill incident, with steps."""

from __future__ import annotations

from dataclasses import dataclass

from infra.db.engine import Database
from infra.wire import EventType
from tests.api.conftest import EXERCISE
from tests.integration.db import seed


@dataclass(frozen=True)
class World:
    """Ids of what `build` wrote."""

    actual: str = "inc-school"
    drill: str = "inc-drill"
    quiet: str = "inc-quiet"
    task: str = "sampling"
    other_task: str = "treatment"
    alert: str = "notify_leading_group"


async def build(db: Database) -> World:
    """Write the incidents, their steps, timeline and deliveries."""
    w = World()
    await seed.add(
        db,
        seed.incident(w.actual, level="III", facts={"cases": 120}),
        seed.incident(w.drill, mode="exercise", exercise_id=EXERCISE, level="IV"),
        seed.incident(w.quiet, level="non_graded", town="Hexi"),
        seed.action(w.actual, w.task, owner="cdc"),
        seed.action(w.actual, w.other_task, owner="health_commission"),
        seed.action(w.actual, w.alert, owner="district_office", kind="notify"),
        seed.action(w.drill, w.task, owner="cdc", mode="exercise"),
        seed.action(w.drill, w.alert, owner="district_office", kind="notify", mode="exercise"),
        seed.event(w.actual, 1, EventType.INCIDENT_OPENED, {"by": None}),
        seed.event(w.actual, 2, EventType.LEVEL_CHANGED, {"from": "IV", "to": "III", "explanation": "≥100 harmed"}),
        seed.event(w.actual, 3, EventType.NOTE_ADDED, {"text": "canteen sealed", "by": "duty"}),
        seed.level_change(w.actual, 2, "IV", "III", explanation="≥100 harmed"),
        seed.notification(w.actual, "a"),
        seed.notification(w.actual, "b", status="failed"),
    )
    return w
