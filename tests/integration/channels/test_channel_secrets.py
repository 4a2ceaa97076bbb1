"""Channel secrets from Settings reach real local servers, and never the reasons, the logs or a repr.

SMTP: a login over STARTTLS with a certificate from a CA made here (trusted through TOCSIN_SMTP_CA_FILE, never
by turning verification off). SMS: a gateway that refuses a missing or wrong token. Robots: a name in the
contacts resolves to a URL and a signing secret from TOCSIN_CHANNEL_SECRETS_FILE.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from infra.channels import DeliveryResult, DeliveryStatus
from infra.clock import SystemClock
from infra.logs import configure_logging
from infra.notify.factory import build_channels
from infra.settings import Settings
from tests.integration.channels.receivers import HttpReceiver
from tests.integration.channels.secure_receivers import SMTP_USER, SecureSmtpReceiver, TokenGateway
from tests.unit.channels.fakes import dispatcher, message, recipient

PASSWORD = "smtp-pa55-Zq8"
TOKEN = "sms-t0ken-Hk3"
ROBOT_SECRET = "SECrobot-Vb7"


def _settings(**values: Any) -> Settings:
    return Settings(**values)


async def _deliver(settings: Settings, client: httpx.AsyncClient, channel: str, address: str) -> DeliveryResult:
    channels = build_channels(settings, client, SystemClock())
    return await dispatcher([channels[channel]]).deliver(message(), recipient(**{channel: address}), channel)


@pytest.fixture
def secure_smtp(tmp_path: Path) -> Iterator[SecureSmtpReceiver]:
    """An SMTP server that requires STARTTLS and a login."""
    with SecureSmtpReceiver(tmp_path, PASSWORD) as server:
        yield server


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    """TOCSIN_SMTP_PASSWORD_FILE as a secret manager writes it: the password and a newline, owner-only."""
    path = tmp_path / "smtp-password"
    path.write_text(PASSWORD + "\n")
    path.chmod(0o600)
    return path


def _smtp_settings(server: SecureSmtpReceiver, **values: object) -> Settings:
    options: dict[str, Any] = {
        "notify_channels": "email",
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_security": "starttls",
        "smtp_ca_file": server.ca_file,
        "smtp_username": SMTP_USER,
        **values,
    }
    return _settings(**options)


async def test_email_logs_in_over_starttls_with_the_password_from_its_file(
    secure_smtp: SecureSmtpReceiver, password_file: Path, client: httpx.AsyncClient
) -> None:
    settings = _smtp_settings(secure_smtp, smtp_password_file=password_file)
    result = await _deliver(settings, client, "email", "cdc@district.example")
    assert result.status is DeliveryStatus.DELIVERED, result.reason
    [session] = secure_smtp.sessions
    assert session.over_tls
    assert session.login == SMTP_USER
    assert session.message["Subject"] == message().subject


async def test_a_wrong_smtp_password_is_a_permanent_failure_that_does_not_quote_it(
    secure_smtp: SecureSmtpReceiver, client: httpx.AsyncClient
) -> None:
    settings = _smtp_settings(secure_smtp, smtp_password="not-" + PASSWORD)
    result = await _deliver(settings, client, "email", "cdc@district.example")
    assert result.status is DeliveryStatus.FAILED
    assert len(result.attempts) == 1  # a refused login is not retried
    assert "refused the login" in (result.reason or "")
    assert "not-" + PASSWORD not in repr(result)
    assert secure_smtp.refused_logins >= 1  # smtplib tries each mechanism the server offers
    assert secure_smtp.sessions == []


async def test_an_smtp_certificate_from_an_untrusted_ca_stops_the_send(
    secure_smtp: SecureSmtpReceiver, client: httpx.AsyncClient
) -> None:
    settings = _smtp_settings(secure_smtp, smtp_password=PASSWORD, smtp_ca_file=None)  # the system's CAs only
    result = await _deliver(settings, client, "email", "cdc@district.example")
    assert result.status is DeliveryStatus.FAILED
    assert "certificate is not trusted" in (result.reason or "")
    assert secure_smtp.refused_logins == 0
    assert secure_smtp.sessions == []


async def test_starttls_is_never_silently_skipped_when_the_server_does_not_offer_it(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    with SecureSmtpReceiver(tmp_path, PASSWORD, offer_tls=False) as plain:
        settings = _smtp_settings(plain, smtp_password=PASSWORD)
        result = await _deliver(settings, client, "email", "cdc@district.example")
        assert result.status is DeliveryStatus.FAILED
        assert "STARTTLS" in (result.reason or "")
        assert plain.sessions == []


@pytest.mark.parametrize(
    ("configured", "verdict"),
    [(None, "missing token"), ("wrong-" + TOKEN, "wrong token")],
)
async def test_the_sms_gateway_refusing_our_token_is_a_permanent_failure_naming_the_setting(
    client: httpx.AsyncClient, configured: str | None, verdict: str
) -> None:
    with TokenGateway("Authorization", f"Bearer {TOKEN}") as gateway:
        settings = _settings(notify_channels="sms", sms_gateway_url=f"{gateway.url}/sms", sms_gateway_token=configured)
        result = await _deliver(settings, client, "sms", "+8613800000001")
        assert [request.verdict for request in gateway.requests] == [verdict]  # refused once, not retried
    assert result.status is DeliveryStatus.FAILED
    assert "refused our credentials (401); check TOCSIN_SMS_GATEWAY_TOKEN" in (result.reason or "")
    assert TOKEN not in repr(result)


async def test_the_sms_token_from_its_file_goes_in_the_configured_header(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    (tmp_path / "sms-token").write_text(TOKEN + "\n")
    with TokenGateway("X-Api-Key", TOKEN) as gateway:
        settings = _settings(
            notify_channels="sms",
            sms_gateway_url=f"{gateway.url}/sms",
            sms_gateway_token_file=tmp_path / "sms-token",
            sms_gateway_token_header="X-Api-Key",
        )
        result = await _deliver(settings, client, "sms", "+8613800000001")
        [request] = gateway.requests
    assert result.status is DeliveryStatus.DELIVERED, result.reason
    assert request.verdict == "ok"
    assert request.json()["to"] == "+8613800000001"


async def test_a_robot_named_in_the_contacts_gets_its_url_and_signing_secret_from_the_secrets_file(
    tmp_path: Path, http: HttpReceiver, client: httpx.AsyncClient
) -> None:
    secrets = tmp_path / "channel-secrets.yaml"
    secrets.write_text(
        f"robots:\n  cdc-duty:\n    url: {http.url}/robot/send?access_token=tk-cdc\n    secret: {ROBOT_SECRET}\n"
    )
    settings = _settings(
        notify_channels="dingtalk",
        channel_secrets_file=secrets,
        robot_hosts="http://127.0.0.1:*",
        outbound_allow_private="loopback",
    )
    result = await _deliver(settings, client, "dingtalk", "cdc-duty")
    [request] = http.requests
    assert result.status is DeliveryStatus.DELIVERED, result.reason
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query)
    assert query["access_token"] == ["tk-cdc"]
    timestamp = query["timestamp"][0]
    expected = hmac.new(ROBOT_SECRET.encode(), f"{timestamp}\n{ROBOT_SECRET}".encode(), hashlib.sha256).digest()
    assert query["sign"] == [base64.b64encode(expected).decode()]


async def test_a_robot_name_missing_from_the_secrets_file_fails_by_name(client: httpx.AsyncClient) -> None:
    result = await _deliver(_settings(notify_channels="wecom"), client, "wecom", "cdc-wecom")
    assert result.status is DeliveryStatus.FAILED
    assert result.reason == "wecom robot 'cdc-wecom' has no URL in TOCSIN_CHANNEL_SECRETS_FILE"


async def test_no_secret_reaches_the_log_lines_of_failed_and_refused_deliveries(
    secure_smtp: SecureSmtpReceiver, tmp_path: Path, client: httpx.AsyncClient, capfd: pytest.CaptureFixture[str]
) -> None:
    secrets = tmp_path / "channel-secrets.yaml"
    secrets.write_text(f"robots:\n  cdc-duty:\n    url: https://evil.example/robot?access_token={ROBOT_SECRET}\n")
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging("DEBUG", json=True)
    structlog.configure(cache_logger_on_first_use=False)  # leave no logger bound to this test's handler
    try:
        smtp = _smtp_settings(secure_smtp, smtp_password="x" + PASSWORD)
        await _deliver(smtp, client, "email", "cdc@district.example")
        with TokenGateway("Authorization", "Bearer other") as gateway:
            sms = _settings(notify_channels="sms", sms_gateway_url=gateway.url, sms_gateway_token=TOKEN)
            await _deliver(sms, client, "sms", "+8613800000001")
        with pytest.raises(ValueError, match="robot_host") as refused:  # a robot URL off the vendors' hosts
            build_channels(_settings(notify_channels="dingtalk", channel_secrets_file=secrets), client, SystemClock())
        logging.getLogger("tocsin.test").info("settings %r", smtp)
        structlog.get_logger("tocsin.test").info("settings", settings=smtp, sms=sms)
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        structlog.reset_defaults()
    lines = capfd.readouterr().err
    assert lines.count('"delivery.failed"') == 2  # the log lines were rendered and captured
    for secret in ("x" + PASSWORD, TOKEN, ROBOT_SECRET):
        assert secret not in lines
        assert secret not in str(refused.value)
