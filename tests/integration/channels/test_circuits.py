"""Circuit breakers per endpoint, against a real receiver: a recipient's endpoint that keeps failing is not tried
for a while, and nobody else's endpoint is paused with it (infra/channels/circuits.py)."""

from __future__ import annotations

import asyncio

import httpx

from infra.channels import AttemptOutcome, Circuits, DeliveryStatus, SmsGatewayChannel, WebhookChannel
from infra.channels.circuits import endpoint_circuit
from tests.integration.channels.receivers import NO_ANSWER, HttpReceiver
from tests.unit.channels.fakes import FakeTime, dispatcher, message, recipient


async def test_an_endpoint_that_keeps_hanging_is_paused_while_another_recipient_is_paged(http: HttpReceiver) -> None:
    http.break_path("/duty")
    async with httpx.AsyncClient(timeout=0.2) as impatient:
        paging = dispatcher([WebhookChannel(impatient)], time=FakeTime(), circuits=Circuits(threshold=2, open_for=60))
        first = await paging.deliver(message(), recipient(webhook=f"{http.url}/duty"), "webhook")
        other = await paging.deliver(message(action="other"), recipient(webhook=f"{http.url}/cdc"), "webhook")
        later = await paging.deliver(message(action="later"), recipient(webhook=f"{http.url}/duty"), "webhook")
    http.mend("/duty")

    assert (first.status, other.status, later.status) == (
        DeliveryStatus.FAILED,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
    )
    assert [a.outcome for a in first.attempts] == [AttemptOutcome.TEMPORARY_ERROR] * 5
    assert "Timeout" in (first.attempts[0].error or "")
    assert "not tried for 60 s" in (first.reason or "")
    assert "not tried for 60 s" in (later.reason or "")
    # two attempts reached the hanging endpoint, the rest were refused without holding a slot
    assert [r.status for r in http.requests if r.path == "/duty"] == [NO_ANSWER, NO_ANSWER]


async def test_a_paused_endpoint_is_probed_after_the_pause_and_a_success_closes_its_circuit(
    http: HttpReceiver, client: httpx.AsyncClient
) -> None:
    http.break_path("/duty", 500)
    paging = dispatcher([WebhookChannel(client)], time=FakeTime(), circuits=Circuits(threshold=1, open_for=0.3))
    failed = await paging.deliver(message(), recipient(webhook=f"{http.url}/duty"), "webhook")
    http.mend("/duty")
    await asyncio.sleep(0.4)  # the pause is wall time: the circuit half-opens after open_for seconds
    probed = await paging.deliver(message(action="again"), recipient(webhook=f"{http.url}/duty"), "webhook")
    after = await paging.deliver(message(action="more"), recipient(webhook=f"{http.url}/duty"), "webhook")

    assert failed.status is DeliveryStatus.FAILED
    assert (probed.status, after.status) == (DeliveryStatus.DELIVERED, DeliveryStatus.DELIVERED)
    assert len(probed.attempts) == 1
    assert [r.status for r in http.requests if r.path == "/duty"] == [500, 200, 200]


async def test_a_4xx_is_the_recipients_problem_and_never_opens_the_circuit(
    http: HttpReceiver, client: httpx.AsyncClient
) -> None:
    http.fail_next(3, 404)
    paging = dispatcher([WebhookChannel(client)], time=FakeTime(), circuits=Circuits(threshold=2, open_for=60))
    gone = recipient(webhook=f"{http.url}/gone")
    refused = [await paging.deliver(message(action=f"a{n}"), gone, "webhook") for n in range(3)]
    fine = await paging.deliver(message(action="ok"), recipient(webhook=f"{http.url}/gone"), "webhook")
    assert [r.status for r in refused] == [DeliveryStatus.FAILED] * 3
    assert fine.status is DeliveryStatus.DELIVERED  # permanent errors are the recipient's, not the endpoint's


async def test_single_server_channels_share_one_circuit_and_per_address_channels_have_their_own(
    client: httpx.AsyncClient,
) -> None:
    sms = SmsGatewayChannel(client, "http://127.0.0.1:9/sms")
    hook = WebhookChannel(client)
    assert sms.circuit("13800000001") == sms.circuit("13800000002") == "sms"
    assert hook.circuit("https://a.example/x") == endpoint_circuit("webhook", "https://a.example/x")
    assert hook.circuit("https://a.example/x") != hook.circuit("https://a.example/y")
    assert "a.example" not in hook.circuit("https://a.example/x?access_token=secret")
