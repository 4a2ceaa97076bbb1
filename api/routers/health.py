"""Operations: liveness, readiness (no token needed, for probes) and Prometheus metrics."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Response, status
from sqlalchemy import text

from api.auth import READ_ROLES, requires
from api.deps import ServicesDep
from api.errors import AUTH, Problem
from api.metrics import CONTENT_TYPE
from infra.kafka.admin import probe

log = structlog.get_logger("tocsin.api.health")

router = APIRouter(tags=["operations"], responses={400: {"model": Problem, "description": "NUL in the URL"}})


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (no token needed)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Kafka or the database is unreachable; the body says which"}})
async def readyz(svc: ServicesDep, response: Response) -> dict[str, str]:
    """Kafka and the database are reachable (no token needed); 503 names what is not, never why (see the log)."""
    checks: dict[str, str] = {}
    try:
        async with svc.db.session() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # any driver error means not ready; its details are for the operator's log only
        log.warning("readyz.database_unreachable", exc_info=True)
        checks["database"] = "unreachable"
    checks["kafka"] = "ok" if await probe(svc.settings.kafka_bootstrap, timeout=3.0) else "unreachable"
    if checks["kafka"] != "ok":
        log.warning("readyz.kafka_unreachable", bootstrap=svc.settings.kafka_bootstrap)
    ready = all(v == "ok" for v in checks.values())
    response.status_code = status.HTTP_200_OK if ready else status.HTTP_503_SERVICE_UNAVAILABLE
    return {"status": "ready" if ready else "not ready", **checks}


@router.get(
    "/metrics",
    response_class=Response,
    **requires(*READ_ROLES),
    responses={
        **AUTH,
        200: {"content": {CONTENT_TYPE: {"schema": {"type": "string"}}}, "description": "Prometheus text format"},
    },
)
async def metrics(svc: ServicesDep) -> Response:
    """Prometheus metrics: reports and commands accepted/rejected, open incidents by level, deliveries and
    failures, overdue steps, consumer lag. Exercises are left out. Scrape with a bearer token."""
    body = await svc.metrics.render(
        svc.db, now=svc.clock.now(), bootstrap=svc.settings.kafka_bootstrap, group=f"{svc.settings.topic_prefix}worker"
    )
    return Response(body, media_type=CONTENT_TYPE)
