"""At delivery, webhook and robot addresses keep the operator's outbound rules, and webhooks are signed.

A refused address is a failed delivery whose reason names the rule; the receiver gets nothing. The host's resolved
addresses are checked too, so a name that resolves to loopback is refused like the literal address.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.channels import DeliveryResult, DeliveryStatus
from infra.clock import SystemClock
from infra.notify.factory import build_channels
from infra.settings import Settings
from tests.integration.channels.receivers import HttpReceiver
from tests.integration.channels.secure_receivers import VerifyingWebhookReceiver
from tests.unit.channels.fakes import dispatcher, message, recipient

SECRET = "whsec-Lp29"


def _settings(**values: Any) -> Settings:
    defaults: dict[str, Any] = {
        "notify_channels": "webhook,dingtalk,feishu,wecom",
        "webhook_allowlist": "http://127.0.0.1:*/hooks/",
        "outbound_allow_private": "loopback",
        "webhook_secret": SECRET,
    }
    return Settings(**{**defaults, **values})


async def _deliver(settings: Settings, client: httpx.AsyncClient, channel: str, address: str) -> DeliveryResult:
    channels = build_channels(settings, client, SystemClock())
    return await dispatcher([channels[channel]]).deliver(message(), recipient(**{channel: address}), channel)


async def test_a_webhook_receiver_verifies_the_signature_of_a_real_request(client: httpx.AsyncClient) -> None:
    with VerifyingWebhookReceiver(SECRET) as receiver:
        result = await _deliver(_settings(), client, "webhook", f"{receiver.url}/hooks/cdc")
        [request] = receiver.requests
    assert result.status is DeliveryStatus.DELIVERED, result.reason
    assert request.verdict == "ok"
    assert request.headers["x-tocsin-signature"].startswith("sha256=")
    assert json.loads(request.body)["subject"] == message().subject


async def test_a_receiver_holding_another_secret_refuses_the_request(client: httpx.AsyncClient) -> None:
    with VerifyingWebhookReceiver("another-secret") as receiver:
        result = await _deliver(_settings(), client, "webhook", f"{receiver.url}/hooks/cdc")
        assert [request.verdict for request in receiver.requests] == ["bad signature"]
    assert result.status is DeliveryStatus.FAILED


async def test_the_per_target_secret_from_the_secrets_file_beats_the_default(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    with VerifyingWebhookReceiver("cdc-only") as receiver:
        secrets = tmp_path / "secrets.json"
        secrets.write_text(json.dumps({"webhooks": {f"{receiver.url}/hooks/cdc/": "cdc-only"}}))
        settings = _settings(channel_secrets_file=secrets)
        result = await _deliver(settings, client, "webhook", f"{receiver.url}/hooks/cdc/1")
        assert [request.verdict for request in receiver.requests] == ["ok"]
    assert result.status is DeliveryStatus.DELIVERED


async def test_a_webhook_target_without_any_secret_is_refused_not_sent_unsigned(
    http: HttpReceiver, client: httpx.AsyncClient
) -> None:
    result = await _deliver(_settings(webhook_secret=None), client, "webhook", f"{http.url}/hooks/cdc")
    assert result.status is DeliveryStatus.FAILED
    assert (result.reason or "").startswith("outbound rule webhook_secret:")
    assert http.requests == []


@pytest.mark.parametrize(
    ("settings", "path", "rule"),
    [
        ({"webhook_allowlist": ""}, "/hooks/cdc", "webhook_allowlist"),  # nothing is allowed by default
        ({}, "/admin", "webhook_allowlist"),  # outside the allowed path prefix
        ({}, "/hooks/../admin", "webhook_allowlist"),  # dot segments do not climb out of it
        ({"outbound_allow_private": ""}, "/hooks/cdc", "private_address"),  # loopback not allowed
    ],
)
async def test_a_webhook_breaking_a_rule_is_a_failed_delivery_naming_it_and_nothing_is_sent(
    http: HttpReceiver, client: httpx.AsyncClient, settings: dict[str, object], path: str, rule: str
) -> None:
    result = await _deliver(_settings(**settings), client, "webhook", f"{http.url}{path}")
    assert result.status is DeliveryStatus.FAILED
    assert (result.reason or "").startswith(f"outbound rule {rule}:")
    assert len(result.attempts) == 1
    assert http.requests == []


async def test_a_host_name_that_resolves_to_loopback_is_refused_like_the_address(
    http: HttpReceiver, client: httpx.AsyncClient
) -> None:
    port = http.url.rsplit(":", 1)[1]
    settings = _settings(webhook_allowlist="http://localhost:*/hooks/", outbound_allow_private="")
    result = await _deliver(settings, client, "webhook", f"http://localhost:{port}/hooks/cdc")
    assert result.status is DeliveryStatus.FAILED
    assert result.reason == (
        "outbound rule private_address: localhost resolves to a loopback address "
        "(TOCSIN_OUTBOUND_ALLOW_PRIVATE allows chosen networks)"
    )
    assert http.requests == []


async def test_an_allowed_host_name_is_sent_to_the_address_that_was_checked(
    http: HttpReceiver, client: httpx.AsyncClient
) -> None:
    port = http.url.rsplit(":", 1)[1]
    settings = _settings(webhook_allowlist="http://localhost:*/hooks/")
    result = await _deliver(settings, client, "webhook", f"http://localhost:{port}/hooks/cdc")
    assert result.status is DeliveryStatus.DELIVERED, result.reason
    [request] = http.requests
    assert request.headers["Host"] == f"localhost:{port}"
    assert request.path == "/hooks/cdc"


@pytest.mark.parametrize("channel", ["dingtalk", "wecom", "feishu"])
async def test_a_robot_off_the_vendors_hosts_is_refused(
    http: HttpReceiver, client: httpx.AsyncClient, channel: str
) -> None:
    result = await _deliver(_settings(), client, channel, f"{http.url}/robot/send?access_token=tk")
    assert result.status is DeliveryStatus.FAILED
    assert (result.reason or "").startswith("outbound rule robot_host:")
    assert "access_token" not in (result.reason or "")  # the robot's token stays out of the reason
    assert http.requests == []


async def test_a_robot_on_an_allowed_host_is_sent(http: HttpReceiver, client: httpx.AsyncClient) -> None:
    settings = _settings(robot_hosts="http://127.0.0.1:*")
    result = await _deliver(settings, client, "wecom", f"{http.url}/cgi-bin/webhook/send?key=k")
    assert result.status is DeliveryStatus.DELIVERED, result.reason
    assert http.requests[0].path == "/cgi-bin/webhook/send?key=k"
