"""POST /reports: validate a report and put it on the reports topic."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from api.deps import PublisherDep, SettingsDep
from api.publisher import PublishFailed
from api.schemas import Problem, ReportAccepted
from infra.report_contract import ReportIn

router = APIRouter(tags=["reports"])


@router.post(
    "/reports", status_code=status.HTTP_202_ACCEPTED, response_model=ReportAccepted,
    responses={503: {"model": Problem, "description": "Kafka is unreachable; nothing was accepted"}},
)
async def post_report(report: ReportIn, publisher: PublisherDep, settings: SettingsDep) -> ReportAccepted:
    """Accept an incident report: it is durably on `tocsin.reports` when this returns 202."""
    try:
        where = await publisher.send_json(
            settings.topic("reports"), report.report_id, report.model_dump(mode="json", exclude_none=True),
        )
    except PublishFailed as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc
    return ReportAccepted(report_id=report.report_id, topic=where.topic, partition=where.partition,
                          offset=where.offset)
