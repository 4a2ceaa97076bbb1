"""Channel secrets in Settings: from the environment or a `*_FILE`, clear start-up errors naming the variable,
and the value never in a repr, a dump, a JSON rendering or an error message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from infra.clock import SystemClock
from infra.notify.factory import build_channels
from infra.settings import Settings

SECRET = "S3cret-value-9Xq"


def _settings(**values: Any) -> Settings:
    return Settings(**values)


def _renderings(settings: Settings) -> list[str]:
    return [repr(settings), str(settings), settings.model_dump_json(), json.dumps(settings.model_dump(), default=str)]


@pytest.mark.parametrize("name", ["smtp_password", "sms_gateway_token", "webhook_secret"])
def test_a_secret_from_the_environment_is_read_and_never_rendered(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(f"TOCSIN_{name.upper()}", SECRET)
    settings = _settings()
    value = getattr(settings, name)
    assert value is not None and value.get_secret_value() == SECRET
    for text in _renderings(settings):
        assert SECRET not in text


@pytest.mark.parametrize("name", ["smtp_password", "sms_gateway_token", "webhook_secret"])
def test_a_secret_file_is_read_with_its_trailing_newline_dropped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    (tmp_path / "secret").write_text(SECRET + "\n")
    monkeypatch.setenv(f"TOCSIN_{name.upper()}_FILE", str(tmp_path / "secret"))
    settings = _settings()
    assert getattr(settings, name).get_secret_value() == SECRET
    for text in _renderings(settings):
        assert SECRET not in text


def test_a_missing_secret_file_is_a_start_up_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_SMTP_PASSWORD_FILE", "/nonexistent/smtp-password")
    with pytest.raises(ValidationError) as error:
        _settings()
    assert "TOCSIN_SMTP_PASSWORD_FILE: cannot read /nonexistent/smtp-password: No such file or directory" in str(
        error.value
    )


def test_an_unreadable_secret_file_is_a_start_up_error(tmp_path: Path) -> None:
    (tmp_path / "token").write_bytes(b"\xff\xfe" + SECRET.encode())
    with pytest.raises(ValidationError, match="TOCSIN_SMS_GATEWAY_TOKEN_FILE: cannot read") as error:
        _settings(sms_gateway_token_file=tmp_path / "token")
    assert SECRET not in str(error.value)


def test_an_empty_secret_file_is_a_start_up_error(tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ValidationError, match=r"TOCSIN_WEBHOOK_SECRET_FILE: the file .* is empty"):
        _settings(webhook_secret_file=tmp_path / "empty")


def test_both_a_secret_and_its_file_is_an_error_that_does_not_quote_the_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "secret").write_text("from-file")
    monkeypatch.setenv("TOCSIN_SMTP_PASSWORD", SECRET)
    monkeypatch.setenv("TOCSIN_SMTP_PASSWORD_FILE", str(tmp_path / "secret"))
    with pytest.raises(ValidationError, match="set TOCSIN_SMTP_PASSWORD or TOCSIN_SMTP_PASSWORD_FILE, not both") as e:
        _settings()
    assert SECRET not in str(e.value)
    assert "from-file" not in str(e.value)


def test_an_invalid_setting_beside_a_secret_does_not_echo_the_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_SMS_GATEWAY_TOKEN", SECRET)
    monkeypatch.setenv("TOCSIN_SMTP_PORT", "not-a-port")
    with pytest.raises(ValidationError, match="smtp_port") as error:
        _settings()
    assert SECRET not in str(error.value)


def test_an_smtp_login_without_tls_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="TOCSIN_SMTP_USERNAME needs TOCSIN_SMTP_SECURITY=starttls or ssl"):
        _settings(smtp_username="relay", smtp_password=SECRET)


def test_the_channel_secrets_file_gives_robots_and_webhook_targets(tmp_path: Path) -> None:
    path = tmp_path / "channels.yaml"
    path.write_text(
        "robots:\n"
        "  cdc-duty: {url: 'https://oapi.dingtalk.com/robot/send?access_token=t1', secret: " + SECRET + "}\n"
        "  'https://open.feishu.cn/open-apis/bot/v2/hook/h': fs-secret\n"
        "webhooks:\n"
        "  'https://hooks.example.gov.cn/tocsin/': wh-secret\n"
    )
    settings = _settings(channel_secrets_file=path)
    robots = settings.channel_secrets.robots
    assert robots["cdc-duty"].url is not None and robots["cdc-duty"].secret is not None
    assert robots["cdc-duty"].secret.get_secret_value() == SECRET
    feishu = robots["https://open.feishu.cn/open-apis/bot/v2/hook/h"]
    assert feishu.url is None and feishu.secret is not None and feishu.secret.get_secret_value() == "fs-secret"
    [(rule, secret)] = settings.channel_secrets.webhooks
    assert (str(rule), secret.get_secret_value()) == ("https://hooks.example.gov.cn:443/tocsin/", "wh-secret")
    for text in [*_renderings(settings), repr(settings.channel_secrets)]:
        assert SECRET not in text
        assert "access_token=t1" not in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (f"robots:\n  cdc-duty: {{url: 'x', secret: {SECRET}\n", "is not valid YAML or JSON at line"),
        (f"robots:\n  cdc-duty: {{secret: {SECRET}}}\n", "robots.cdc-duty: a robot known by name needs its url"),
        (f"robots:\n  'not a name': {SECRET}\n", "a key is a robot's URL or a name"),
        (f"robots: [{SECRET}]\n", "robots must be a mapping"),
        (f"webhooks:\n  'ftp://x/': {SECRET}\n", "must be a host or an http"),
        (f"passwords: {SECRET}\n", "must be a mapping with the keys robots and/or webhooks"),
    ],
)
def test_a_bad_channel_secrets_file_is_a_start_up_error_that_never_quotes_a_value(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "channels.yaml"
    path.write_text(content)
    with pytest.raises(ValidationError) as error:
        _settings(channel_secrets_file=path)
    assert "TOCSIN_CHANNEL_SECRETS_FILE" in str(error.value)
    assert message in str(error.value)
    assert SECRET not in str(error.value)


async def test_a_robot_url_off_the_vendors_hosts_is_a_start_up_error(tmp_path: Path) -> None:
    path = tmp_path / "channels.yaml"
    path.write_text("robots:\n  cdc: {url: 'https://robot.evil.example/send?access_token=" + SECRET + "'}\n")
    settings = _settings(channel_secrets_file=path, notify_channels="outbox")
    with pytest.raises(ValueError, match="TOCSIN_CHANNEL_SECRETS_FILE: outbound rule robot_host: robot 'cdc'") as error:
        async with httpx.AsyncClient() as client:
            build_channels(settings, client, SystemClock())
    assert SECRET not in str(error.value)
