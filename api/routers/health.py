"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import text

from api.deps import DbDep, SettingsDep
from infra.kafka.admin import probe

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(db: DbDep, settings: SettingsDep, response: Response) -> dict[str, str]:
    """Kafka and the database are reachable; 503 names what is not."""
    checks: dict[str, str] = {}
    try:
        async with db.session() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means not ready
        checks["database"] = f"unreachable: {exc.__class__.__name__}"
    checks["kafka"] = "ok" if await probe(settings.kafka_bootstrap, timeout=3.0) else "unreachable"
    ready = all(v == "ok" for v in checks.values())
    response.status_code = status.HTTP_200_OK if ready else status.HTTP_503_SERVICE_UNAVAILABLE
    return {"status": "ready" if ready else "not ready", **checks}
