"""Each channel delivers to its real local receiver, Chinese intact."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse

import httpx

from infra.channels import (
    DeliveryStatus,
    DingTalkChannel,
    EmailChannel,
    FeishuChannel,
    SmsGatewayChannel,
    WebhookChannel,
    WeComChannel,
)
from tests.integration.channels.receivers import HttpReceiver, SmtpReceiver
from tests.unit.channels.fakes import FakeTime, dispatcher, message, recipient

SUBJECT = "【IV级】学校食堂疑似食物中毒"
BODY = "患病 35 人，死亡 0 人。请立即按职责开展处置。"


async def test_webhook_posts_the_whole_message_as_utf8_json(http: HttpReceiver, client: httpx.AsyncClient) -> None:
    sent = message()
    result = await dispatcher([WebhookChannel(client)]).deliver(sent, recipient(webhook=f"{http.url}/hook"), "webhook")
    assert result.status is DeliveryStatus.DELIVERED
    [request] = http.requests
    assert request.path == "/hook"
    assert request.headers["Idempotency-Key"] == sent.idempotency_key
    assert request.json()["subject"] == SUBJECT
    assert request.json()["body"] == BODY
    assert request.json()["mode"] == "actual"


async def test_sms_gateway_gets_phone_and_text(http: HttpReceiver, client: httpx.AsyncClient) -> None:
    channel = SmsGatewayChannel(client, f"{http.url}/sms/send", token="t0k")
    result = await dispatcher([channel]).deliver(message(), recipient(sms="+8613800000001"), "sms")
    assert result.status is DeliveryStatus.DELIVERED
    [request] = http.requests
    assert request.path == "/sms/send"
    assert request.headers["Authorization"] == "Bearer t0k"
    assert request.json() == {"to": "+8613800000001", "text": f"{SUBJECT}\n{BODY}"}


async def test_dingtalk_bot_gets_a_text_message(http: HttpReceiver, client: httpx.AsyncClient) -> None:
    url = f"{http.url}/robot/send?access_token=abc"
    result = await dispatcher([DingTalkChannel(client, FakeTime())]).deliver(
        message(), recipient(dingtalk=url), "dingtalk"
    )
    assert result.status is DeliveryStatus.DELIVERED
    assert http.requests[0].json() == {"msgtype": "text", "text": {"content": f"{SUBJECT}\n{BODY}"}}


async def test_signed_dingtalk_bot_gets_timestamp_and_hmac_sign(http: HttpReceiver, client: httpx.AsyncClient) -> None:
    url, time = f"{http.url}/robot/send?access_token=abc", FakeTime()
    channel = DingTalkChannel(client, time, secrets={url: "SEC123"})
    await dispatcher([channel]).deliver(message(), recipient(dingtalk=url), "dingtalk")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(http.requests[0].path).query)
    timestamp = query["timestamp"][0]
    assert timestamp == str(int(time.now().timestamp() * 1000))
    expected = base64.b64encode(hmac.new(b"SEC123", f"{timestamp}\nSEC123".encode(), hashlib.sha256).digest())
    assert query["sign"][0] == expected.decode()
    assert query["access_token"] == ["abc"]


async def test_wecom_bot_gets_a_text_message(http: HttpReceiver, client: httpx.AsyncClient) -> None:
    url = f"{http.url}/cgi-bin/webhook/send?key=k"
    result = await dispatcher([WeComChannel(client, FakeTime())]).deliver(message(), recipient(wecom=url), "wecom")
    assert result.status is DeliveryStatus.DELIVERED
    assert http.requests[0].json() == {"msgtype": "text", "text": {"content": f"{SUBJECT}\n{BODY}"}}


async def test_feishu_bot_gets_a_text_message_signed(http: HttpReceiver, client: httpx.AsyncClient) -> None:
    url = f"{http.url}/open-apis/bot/v2/hook/x"
    channel = FeishuChannel(client, FakeTime(), secrets={url: "fs"})
    result = await dispatcher([channel]).deliver(message(), recipient(feishu=url), "feishu")
    assert result.status is DeliveryStatus.DELIVERED
    payload = http.requests[0].json()
    assert payload["msg_type"] == "text"
    assert payload["content"] == {"text": f"{SUBJECT}\n{BODY}"}
    key = f"{payload['timestamp']}\nfs".encode()
    assert payload["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


async def test_email_arrives_with_chinese_subject_and_body(smtp: SmtpReceiver) -> None:
    channel = EmailChannel(smtp.host, smtp.port, "tocsin@district.example")
    sent = message()
    result = await dispatcher([channel]).deliver(sent, recipient(email="cdc@district.example"), "email")
    assert result.status is DeliveryStatus.DELIVERED
    [mail] = smtp.mails
    assert mail.rcpt_tos == ("cdc@district.example",)
    assert mail.message["Subject"] == SUBJECT
    assert str(mail.message["X-Tocsin-Idempotency-Key"]).strip() == sent.idempotency_key  # folded: 64 chars
    assert mail.message.get_content().strip() == BODY
