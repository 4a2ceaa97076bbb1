"""Playbooks: list with versions, one playbook, and what-if grading."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from api.auth import READ_ROLES, requires
from api.deps import ServicesDep
from api.errors import AUTH, BODY, NOT_FOUND, ApiError, NotFound
from infra.wire.report import FactsIn
from playbooks import Facts, Playbook, PlaybookError, evaluate

router = APIRouter(tags=["playbooks"], responses=AUTH)

PlaybookId = Annotated[str, Path(min_length=1, max_length=64, examples=["food_safety"])]


class EvaluateIn(BaseModel):
    """Facts to grade as if they were an incident's, and optionally the venue type and the time."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"facts": {"cases": 60, "hospitalized": 4}, "venue_type": "school"}]},
    )

    facts: FactsIn
    venue_type: str | None = Field(None, max_length=64)
    now: datetime | None = Field(None, description="when the response would start (default: now)")


class Unprocessable(ApiError):
    """422: the facts cannot be graded by this playbook."""

    code = 422


def _playbook(svc: ServicesDep, playbook_id: str) -> Playbook:
    for playbook in svc.playbooks.all():
        if playbook_id in (playbook.id, playbook.incident_type):
            return playbook
    raise NotFound(f"no playbook {playbook_id!r}; the library has {', '.join(svc.playbooks.ids())}")


@router.get("/playbooks", **requires(*READ_ROLES))
async def list_playbooks(svc: ServicesDep) -> list[dict[str, Any]]:
    """Every playbook in use, with its version, selected rule set and levels."""
    return [p.summary() for p in svc.playbooks.all()]


@router.get("/playbooks/{playbook_id}", responses=NOT_FOUND, **requires(*READ_ROLES))
async def get_playbook(playbook_id: PlaybookId, svc: ServicesDep) -> dict[str, Any]:
    """One playbook: its summary, parameters and the YAML source it was loaded from."""
    playbook = _playbook(svc, playbook_id)
    return {
        **playbook.summary(),
        "parameters": {k: str(v) for k, v in playbook.parameters.items()},
        "content_hash": playbook.content_hash,
        "source": playbook.source,
    }


@router.post("/playbooks/{playbook_id}/evaluate", responses={**NOT_FOUND, **BODY}, **requires(*READ_ROLES))
async def evaluate_playbook(playbook_id: PlaybookId, body: EvaluateIn, svc: ServicesDep) -> dict[str, Any]:
    """What-if grading: the level these facts would reach and the response it would plan. Changes nothing."""
    playbook = _playbook(svc, playbook_id)
    facts = Facts.from_mapping(body.facts.model_dump(mode="json", exclude_none=True))
    try:
        result = evaluate(playbook, facts, venue_type=body.venue_type, now=body.now or svc.clock.now())
    except (PlaybookError, ValueError, TypeError) as exc:
        raise Unprocessable(f"these facts cannot be graded by {playbook.id}: {exc}") from exc
    outcome: dict[str, Any] = result.to_dict()
    return outcome
