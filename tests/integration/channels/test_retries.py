"""Retries against real receivers: temporary failures are retried with backoff, permanent ones stop at once."""

from __future__ import annotations

import httpx

from infra.channels import (
    AttemptOutcome,
    DeliveryStatus,
    EmailChannel,
    InMemoryDeliveryStore,
    WebhookChannel,
    WeComChannel,
)
from tests.integration.channels.receivers import NO_ANSWER, HttpReceiver, SmtpReceiver, free_port
from tests.unit.channels.fakes import FakeTime, dispatcher, message, recipient


async def test_webhook_failing_three_times_gets_through_on_the_fourth_attempt(
    http: HttpReceiver, client: httpx.AsyncClient
) -> None:
    http.fail_next(3, 503)
    time = FakeTime()
    result = await dispatcher([WebhookChannel(client)], time=time).deliver(
        message(), recipient(webhook=http.url), "webhook"
    )
    assert result.status is DeliveryStatus.DELIVERED
    outcomes = [attempt.outcome for attempt in result.attempts]
    assert outcomes == [AttemptOutcome.TEMPORARY_ERROR] * 3 + [AttemptOutcome.OK]
    assert [attempt.number for attempt in result.attempts] == [1, 2, 3, 4]
    assert all("503" in (attempt.error or "") for attempt in result.attempts[:3])
    assert time.sleeps == [0.5, 1.0, 2.0]
    assert [attempt.at for attempt in result.attempts] == sorted({attempt.at for attempt in result.attempts})
    assert [request.status for request in http.requests] == [503, 503, 503, 200]


async def test_a_4xx_stops_at_once_and_fails_with_the_reason(http: HttpReceiver, client: httpx.AsyncClient) -> None:
    http.fail_next(1, 404)
    store = InMemoryDeliveryStore()
    result = await dispatcher([WebhookChannel(client)], store=store).deliver(
        message(), recipient(webhook=http.url), "webhook"
    )
    assert result.status is DeliveryStatus.FAILED
    assert len(result.attempts) == 1
    assert result.attempts[0].outcome is AttemptOutcome.PERMANENT_ERROR
    assert "404" in (result.reason or "")
    assert len(http.requests) == 1
    assert [r.status for [r] in store.results.values()] == [DeliveryStatus.FAILED]


async def test_retries_give_up_after_max_attempts_and_record_failed(
    http: HttpReceiver, client: httpx.AsyncClient
) -> None:
    http.fail_next(10, 500)
    time = FakeTime()
    result = await dispatcher([WebhookChannel(client)], time=time).deliver(
        message(), recipient(webhook=http.url), "webhook"
    )
    assert result.status is DeliveryStatus.FAILED
    assert len(result.attempts) == 5
    assert time.sleeps == [0.5, 1.0, 2.0, 4.0]
    assert "500" in (result.reason or "")


async def test_an_unreachable_receiver_is_a_temporary_failure(client: httpx.AsyncClient) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    result = await dispatcher([WebhookChannel(client)]).deliver(message(), recipient(webhook=url), "webhook")
    assert result.status is DeliveryStatus.FAILED
    assert {attempt.outcome for attempt in result.attempts} == {AttemptOutcome.TEMPORARY_ERROR}
    assert len(result.attempts) == 5


async def test_a_hanging_endpoint_times_out_each_attempt_and_fails_with_the_reason(http: HttpReceiver) -> None:
    http.break_path("/hook")
    async with httpx.AsyncClient(timeout=0.3) as impatient:
        result = await dispatcher([WebhookChannel(impatient)], time=FakeTime()).deliver(
            message(), recipient(webhook=f"{http.url}/hook"), "webhook"
        )
    http.mend("/hook")
    assert result.status is DeliveryStatus.FAILED
    assert [attempt.outcome for attempt in result.attempts] == [AttemptOutcome.TEMPORARY_ERROR] * 5
    assert "Timeout" in (result.reason or "")
    assert [request.status for request in http.requests] == [NO_ANSWER] * 5


async def test_a_broken_path_answers_its_error_until_mended_and_other_paths_are_served(
    http: HttpReceiver, client: httpx.AsyncClient
) -> None:
    http.break_path("/duty", 500)
    failed = await dispatcher([WebhookChannel(client)], time=FakeTime()).deliver(
        message(), recipient(webhook=f"{http.url}/duty"), "webhook"
    )
    other = await dispatcher([WebhookChannel(client)]).deliver(
        message(action="other"), recipient(webhook=f"{http.url}/cdc"), "webhook"
    )
    http.mend("/duty")
    mended = await dispatcher([WebhookChannel(client)]).deliver(
        message(action="again"), recipient(webhook=f"{http.url}/duty"), "webhook"
    )
    assert (failed.status, other.status, mended.status) == (
        DeliveryStatus.FAILED,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.DELIVERED,
    )
    assert [r.status for r in http.requests if r.path == "/duty"] == [500] * 5 + [200]


async def test_a_rate_limited_bot_is_retried_and_a_refusing_bot_is_not(
    http: HttpReceiver, client: httpx.AsyncClient
) -> None:
    http.fail_next(2, 200, {"errcode": 45009, "errmsg": "api freq out of limit"})
    channel = WeComChannel(client, FakeTime())
    sent = await dispatcher([channel]).deliver(message(), recipient(wecom=http.url), "wecom")
    assert sent.status is DeliveryStatus.DELIVERED
    assert len(sent.attempts) == 3
    http.answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    refused = await dispatcher([channel]).deliver(message(action="other"), recipient(wecom=http.url), "wecom")
    assert refused.status is DeliveryStatus.FAILED
    assert len(refused.attempts) == 1
    assert "93000" in (refused.reason or "")


async def test_smtp_4xx_is_retried_until_the_mail_goes_through(smtp: SmtpReceiver) -> None:
    smtp.fail_next(3, "451 4.3.0 mailbox busy")
    channel = EmailChannel(smtp.host, smtp.port, "tocsin@district.example")
    result = await dispatcher([channel]).deliver(message(), recipient(email="cdc@district.example"), "email")
    assert result.status is DeliveryStatus.DELIVERED
    assert len(result.attempts) == 4
    assert "451" in (result.attempts[0].error or "")
    assert len(smtp.messages) == 1


async def test_smtp_5xx_recipient_refusal_is_permanent(smtp: SmtpReceiver) -> None:
    smtp.fail_next(1, "550 5.1.1 no such user")
    channel = EmailChannel(smtp.host, smtp.port, "tocsin@district.example")
    result = await dispatcher([channel]).deliver(message(), recipient(email="nobody@district.example"), "email")
    assert result.status is DeliveryStatus.FAILED
    assert len(result.attempts) == 1
    assert "550" in (result.reason or "")
    assert smtp.messages == []
