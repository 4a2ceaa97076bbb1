"""POST /reports: validate a report and put it on the reports topic."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.access import sees_all_modes
from api.auth import CurrentUser, requires
from api.commands.service import Unavailable
from api.deps import ClientIp, ServicesDep
from api.errors import AUTH, BODY, KAFKA_DOWN, Forbidden
from api.publisher import PublishFailed
from api.schemas import ReportReceipt
from infra.db import audit
from infra.wire.report import ReportIn

router = APIRouter(tags=["reports"])

REPORTERS = ("duty_officer", "commander", "unit_responder", "drill_controller")
RETRY_AFTER = {"Retry-After": "5"}


def report_not_confirmed(report_id: str, exc: PublishFailed) -> str:
    """The 503 body of a report Kafka did not confirm: whether it may still be written, and that a retry is safe."""
    fate = (
        "It may or may not have been written (in doubt): if Kafka has it, it is processed once Kafka is back."
        if exc.in_doubt
        else "It was not written."
    )
    return (
        f"{exc}. {fate} Send it again with the same report_id ({report_id!r}) until the answer is 202: "
        "a report is counted once however often it is sent."
    )


@router.post(
    "/reports",
    status_code=202,
    response_model=ReportReceipt,
    responses={**AUTH, **BODY, **KAFKA_DOWN},
    **requires(*REPORTERS),
)
async def post_report(
    report: ReportIn, svc: ServicesDep, identity: CurrentUser, request: Request, ip: ClientIp
) -> ReportReceipt:
    """Accept an incident report: it is durably on `tocsin.reports` when this returns 202.

    A user scoped to an exercise may only report into that exercise; other users send actual reports, except
    a district-wide commander, who may also inject into any exercise.
    """
    if identity.exercise_id is not None and (report.mode != "exercise" or report.exercise_id != identity.exercise_id):
        svc.metrics.reports.labels("rejected").inc()
        raise Forbidden(
            f"{identity.name} takes part in exercise {identity.exercise_id!r} and may only send "
            f"reports with mode=exercise and exercise_id={identity.exercise_id!r}"
        )
    if identity.exercise_id is None and report.mode != "actual" and not sees_all_modes(identity):
        svc.metrics.reports.labels("rejected").inc()
        raise Forbidden(
            f"{identity.name} is not part of exercise {report.exercise_id!r}; exercise reports come "
            "from that exercise's users"
        )
    try:
        where = await svc.publisher.send_json(
            svc.settings.topic("reports"),
            report.report_id,
            report.model_dump(mode="json", exclude_none=True),
        )
    except PublishFailed as exc:
        svc.metrics.reports.labels("unavailable").inc()
        raise Unavailable(report_not_confirmed(report.report_id, exc), RETRY_AFTER) from exc
    svc.metrics.reports.labels("accepted").inc()
    await audit.record(
        svc.db,
        audit.AuditEntry(
            at=svc.clock.now(),
            actor=identity.name,
            roles=identity.roles,
            unit=identity.unit,
            ip=ip,
            request_id=getattr(request.state, "request_id", None),
            command_id=report.report_id,
            command_type="Report",
            topic=where.topic,
            incident_id=(report.incident_ref or "")[:64] or None,
            mode=report.mode,
            exercise_id=report.exercise_id,
            payload={
                "report_id": report.report_id,
                "source": report.source,
                "incident_ref": report.incident_ref,
                "partition": where.partition,
                "offset": where.offset,
            },
        ),
    )
    return ReportReceipt(report_id=report.report_id, topic=where.topic, partition=where.partition, offset=where.offset)
