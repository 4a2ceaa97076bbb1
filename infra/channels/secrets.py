"""Secrets of the channels read from files: one secret per file (`*_FILE`), and the per-target channel secrets file.

Errors name the file or setting and, at most, a line number: never a value, and never a YAML snippet (a parser's
snippet would quote the secret on the offending line).

The channel secrets file (TOCSIN_CHANNEL_SECRETS_FILE), YAML or JSON:

    robots:                     # key: a robot's address in the district files, a name or a URL
      district-office-duty:     # people.yaml: `dingtalk: district-office-duty`
        url: https://oapi.dingtalk.com/robot/send?access_token=...
        secret: SEC...          # DingTalk / Feishu signing secret (optional)
      cdc-wecom:
        url: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...
      "https://open.feishu.cn/open-apis/bot/v2/hook/abc": SEC...   # a URL key: its signing secret
    webhooks:                   # key: a host or URL prefix (TOCSIN_WEBHOOK_ALLOWLIST form); the longest match wins
      "https://hooks.cdc.example.gov.cn/tocsin/": s3cret
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import SecretStr

from infra.channels.bots import Robot
from infra.channels.outbound import UrlRule, is_robot_name, parse_rules, safe_url

__all__ = ["ChannelSecrets", "load_channel_secrets", "read_secret_file"]


@dataclass(frozen=True)
class ChannelSecrets:
    """Per-robot URLs and signing secrets, and per-target webhook signing secrets."""

    robots: dict[str, Robot] = field(default_factory=dict)
    webhooks: tuple[tuple[UrlRule, SecretStr], ...] = ()

    def __repr__(self) -> str:
        return f"ChannelSecrets(robots={sorted(self.robots)!r}, webhooks={len(self.webhooks)} targets)"


def read_secret_file(path: Path, variable: str) -> SecretStr:
    """The secret in the file at `path` (one trailing newline dropped); ValueError naming `variable` otherwise."""
    text = _read(path, variable).removesuffix("\n").removesuffix("\r")
    if not text:
        raise ValueError(f"{variable}: the file {path} is empty")
    return SecretStr(text)


def load_channel_secrets(path: Path, variable: str) -> ChannelSecrets:
    """Parse the channel secrets file at `path`; ValueError naming `variable` and where, never a value."""
    try:
        data = yaml.safe_load(_read(path, variable))
    except yaml.MarkedYAMLError as error:
        line = f" at line {error.problem_mark.line + 1}" if error.problem_mark else ""
        raise ValueError(f"{variable}: {path} is not valid YAML or JSON{line}") from None
    except yaml.YAMLError:
        raise ValueError(f"{variable}: {path} is not valid YAML or JSON") from None
    if data is None:
        return ChannelSecrets()
    if not isinstance(data, dict) or set(data) - {"robots", "webhooks"}:
        raise ValueError(f"{variable}: {path} must be a mapping with the keys robots and/or webhooks")
    robots = {str(key): _robot(key, value, variable) for key, value in _section(data, "robots", variable).items()}
    webhooks: list[tuple[UrlRule, SecretStr]] = []
    for key, value in _section(data, "webhooks", variable).items():
        if not isinstance(value, str) or not value:
            raise ValueError(f"{variable}: webhooks.{safe_url(str(key))} must be a non-empty string")
        rules = parse_rules(str(key), f"{variable}: webhooks")
        if len(rules) != 1:
            raise ValueError(f"{variable}: webhooks.{safe_url(str(key))} must be one host or URL prefix")
        webhooks.append((rules[0], SecretStr(value)))
    return ChannelSecrets(robots, tuple(webhooks))


def _read(path: Path, variable: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        raise ValueError(f"{variable}: cannot read {path}: {reason}") from None


def _section(data: dict[object, object], name: str, variable: str) -> dict[object, object]:
    section = data.get(name) or {}
    if not isinstance(section, dict):
        raise ValueError(f"{variable}: {name} must be a mapping")
    return section


def _robot(key: object, value: object, variable: str) -> Robot:
    where = f"{variable}: robots.{safe_url(str(key)) if '://' in str(key) else key}"
    if not isinstance(key, str) or not ("://" in key or is_robot_name(key)):
        raise ValueError(f"{where}: a key is a robot's URL or a name of letters, digits, '_', '.', '-'")
    if isinstance(value, str) and value:
        return Robot(secret=SecretStr(value))
    if not isinstance(value, dict) or not value or set(value) - {"url", "secret"}:
        raise ValueError(f"{where}: give a signing secret, or a mapping with url and/or secret")
    if any(not isinstance(item, str) or not item for item in value.values()):
        raise ValueError(f"{where}: url and secret are non-empty strings")
    if "://" not in key and "url" not in value:
        raise ValueError(f"{where}: a robot known by name needs its url")
    url, secret = value.get("url"), value.get("secret")
    return Robot(url=SecretStr(url) if url else None, secret=SecretStr(secret) if secret else None)
