"""POST /people/{id}/contacts refuses webhook and robot addresses that break the outbound rules: 422 naming the
rule and the channel, and nothing is published. Allowed addresses and robot names go through as before."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.publisher import InMemoryPublisher
from tests.api.conftest import Tokens

PERSON = "p-leading_group-01"
URL = f"/api/v1/people/{PERSON}/contacts"


@pytest.fixture
def allow_hooks(app: FastAPI) -> None:
    """The running app's operator allows webhooks to one host (its settings for this test only)."""
    services = app.state.services
    services.settings = services.settings.model_copy(update={"webhook_allowlist": "https://hooks.cdc.example.gov.cn"})


@pytest.mark.parametrize(
    ("contacts", "channel", "rule"),
    [
        ({"webhook": "https://hooks.cdc.example.gov.cn/x"}, "webhook", "webhook_allowlist"),  # empty allowlist
        ({"webhook": "http://169.254.169.254/latest/meta-data/"}, "webhook", "webhook_allowlist"),
        ({"dingtalk": "https://robot.evil.example/robot/send?access_token=t"}, "dingtalk", "robot_host"),
        ({"wecom": "http://qyapi.weixin.qq.com/cgi-bin/webhook/send"}, "wecom", "robot_host"),  # not https
        ({"feishu": "not a robot name"}, "feishu", "robot_name"),
        ({"webhook": "https://user:pw@hooks.cdc.example.gov.cn/"}, "webhook", "url"),
    ],
)
async def test_an_address_breaking_an_outbound_rule_is_422_naming_the_rule_and_nothing_is_published(
    client: httpx.AsyncClient,
    tokens: Tokens,
    publisher: InMemoryPublisher,
    contacts: dict[str, str],
    channel: str,
    rule: str,
) -> None:
    reply = await client.post(URL, json={"contacts": contacts}, headers=tokens.role("duty_officer"))
    assert reply.status_code == 422
    [error] = reply.json()["detail"]
    assert error["loc"] == ["body", "contacts", channel]
    assert error["ctx"] == {"rule": rule}
    assert error["msg"].startswith(f"outbound rule {rule}:")
    assert publisher.published == []


async def test_a_private_address_on_the_allowlist_is_still_refused(
    client: httpx.AsyncClient, tokens: Tokens, app: FastAPI
) -> None:
    services = app.state.services
    services.settings = services.settings.model_copy(update={"webhook_allowlist": "http://10.0.0.5:*"})
    reply = await client.post(
        URL, json={"contacts": {"webhook": "http://10.0.0.5:8080/hook"}}, headers=tokens.role("commander")
    )
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["ctx"] == {"rule": "private_address"}


@pytest.mark.usefixtures("allow_hooks")
@pytest.mark.parametrize(
    "contacts",
    [
        {"webhook": "https://hooks.cdc.example.gov.cn/tocsin/p-1"},
        {"dingtalk": "https://oapi.dingtalk.com/robot/send?access_token=t"},
        {"wecom": "cdc-wecom"},  # a robot's name: its URL and key live in the channel secrets file
        {"webhook": None, "email": "a@example.gov.cn"},
    ],
)
async def test_allowed_addresses_and_robot_names_are_accepted(
    client: httpx.AsyncClient, tokens: Tokens, publisher: InMemoryPublisher, contacts: dict[str, Any]
) -> None:
    reply = await client.post(URL, json={"contacts": contacts}, headers=tokens.role("duty_officer"))
    assert reply.status_code == 202, reply.text
    [sent] = publisher.published
    assert sent.value["payload"]["contacts"] == contacts
