"""The credentials directory of the local broker: one principal per file pair, readable by the owner only.

`<dir>/<name>.json` is read by Tocsin's own processes (infra.kafka.security); `<dir>/<name>.properties` holds the same
in librdkafka's keys, for `kcat -F`. The directory is 0700 and every file 0600; passwords are written here and nowhere
else (never logged). `broker.json` holds the broker's own secrets (its SCRAM password, its controller password).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

__all__ = [
    "BROKER",
    "BrokerSecrets",
    "LocalCredentials",
    "check_user_name",
    "new_password",
    "read_broker_secrets",
    "read_credentials",
    "remove_credentials",
    "write_broker_secrets",
    "write_credentials",
    "write_private",
]

BROKER = "broker"
"""The broker's own principal (inter-broker and controller connections); a super user, never a client's."""
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def check_user_name(name: str) -> str:
    """`name` if it can be a Kafka user and a file name here; ValueError saying what is allowed otherwise."""
    if not _NAME.match(name):
        raise ValueError(f"user name {name!r}: use 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit")
    return name


def new_password() -> SecretStr:
    """A fresh random password (256 bits, URL-safe text)."""
    return SecretStr(secrets.token_urlsafe(32))


@dataclass(frozen=True)
class LocalCredentials:
    """One SCRAM principal: who it is, its password, its role (admin, api, worker, drill, reporter) and its broker."""

    username: str
    password: SecretStr = field(repr=False)
    role: str
    bootstrap: str
    protocol: str = "SASL_PLAINTEXT"
    mechanism: str = "SCRAM-SHA-512"
    ca_file: str | None = None

    def as_json(self) -> str:
        """The JSON form Tocsin's processes read (it contains the password)."""
        data: dict[str, Any] = {
            "username": self.username,
            "password": self.password.get_secret_value(),
            "role": self.role,
            "bootstrap": self.bootstrap,
            "security_protocol": self.protocol,
            "sasl_mechanism": self.mechanism,
            "ca_file": self.ca_file,
        }
        return json.dumps(data, indent=1) + "\n"

    def as_properties(self) -> str:
        """librdkafka properties for `kcat -F FILE` (they contain the password)."""
        lines = [
            f"# Kafka principal {self.username} ({self.role}); use with: kcat -F <this file> ...",
            f"bootstrap.servers={self.bootstrap}",
            f"security.protocol={self.protocol}",
            f"sasl.mechanisms={self.mechanism}",
            f"sasl.username={self.username}",
            f"sasl.password={self.password.get_secret_value()}",
        ]
        if self.ca_file:
            lines.append(f"ssl.ca.location={self.ca_file}")
        return "\n".join(lines) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LocalCredentials:
        """Parse `as_json`'s output; ValueError when a field is missing."""
        data = json.loads(text)
        try:
            return cls(
                username=str(data["username"]),
                password=SecretStr(str(data["password"])),
                role=str(data["role"]),
                bootstrap=str(data["bootstrap"]),
                protocol=str(data.get("security_protocol") or "SASL_PLAINTEXT"),
                mechanism=str(data.get("sasl_mechanism") or "SCRAM-SHA-512"),
                ca_file=data.get("ca_file"),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"credentials file lacks {exc}") from None


@dataclass(frozen=True)
class BrokerSecrets:
    """The local broker's own passwords: SCRAM on the client listener, PLAIN on the controller listener."""

    scram_password: SecretStr = field(repr=False)
    controller_password: SecretStr = field(repr=False)

    @classmethod
    def generate(cls) -> BrokerSecrets:
        """Fresh random secrets."""
        return cls(new_password(), new_password())


def _private_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.chmod(0o700)


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600 (atomically: a 0600 temporary file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    tmp.replace(path)


def write_credentials(directory: Path, credentials: LocalCredentials) -> None:
    """Store a principal as `<name>.json` and `<name>.properties` (0600, in a 0700 directory)."""
    _private_dir(directory)
    write_private(directory / f"{credentials.username}.json", credentials.as_json())
    write_private(directory / f"{credentials.username}.properties", credentials.as_properties())


def read_credentials(directory: Path, name: str) -> LocalCredentials | None:
    """The stored principal `name`, or None when there is no (readable, valid) file for it."""
    try:
        return LocalCredentials.from_json((directory / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def remove_credentials(directory: Path, name: str) -> bool:
    """Delete a principal's files; True if there were any."""
    found = False
    for suffix in (".json", ".properties"):
        path = directory / f"{name}{suffix}"
        found = path.exists() or found
        path.unlink(missing_ok=True)
    return found


def write_broker_secrets(directory: Path, broker: BrokerSecrets) -> None:
    """Store the broker's own secrets as `broker.json` (0600, in a 0700 directory)."""
    _private_dir(directory)
    data = {
        "scram_password": broker.scram_password.get_secret_value(),
        "controller_password": broker.controller_password.get_secret_value(),
    }
    write_private(directory / f"{BROKER}.json", json.dumps(data, indent=1) + "\n")


def read_broker_secrets(directory: Path) -> BrokerSecrets | None:
    """The broker's secrets, or None when the directory has none (a broker formatted without SASL)."""
    try:
        data = json.loads((directory / f"{BROKER}.json").read_text(encoding="utf-8"))
        return BrokerSecrets(SecretStr(str(data["scram_password"])), SecretStr(str(data["controller_password"])))
    except (OSError, ValueError, KeyError, TypeError):
        return None
