"""How every Kafka client connects: the one place that builds the security options of aiokafka and faust clients.

- A real cluster: TOCSIN_KAFKA_SECURITY_PROTOCOL (PLAINTEXT, SASL_PLAINTEXT, SASL_SSL, SSL) with the SASL mechanism,
  user name, password (or *_FILE), CA file and client certificate; every process uses them, whatever it is.
- The local broker (`tocsin kafka start`, docs/adr/0022): when no protocol is set and the bootstrap is the broker whose
  credentials directory this process sees (<data_dir>/kafka/credentials, or TOCSIN_KAFKA_CREDENTIALS_DIR), the process
  connects as its own principal over SASL/SCRAM-SHA-512: TOCSIN_KAFKA_PRINCIPAL, which `tocsin api`, `tocsin worker`
  and `tocsin drill serve|run` default to api, worker and drill (`use_principal`); anything else is `admin`.
- Otherwise PLAINTEXT (a broker without security, e.g. one started by an older Tocsin).

Clients are built with `client_options(bootstrap)` (aiokafka) and `faust_credentials(settings)` (the faust app), so no
client connects without them. The options are read from the process's environment each time a client is built.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.helpers import create_ssl_context
from pydantic import SecretStr

from infra.kafka.config import parse_bootstrap
from infra.kafka.credentials import LocalCredentials, read_credentials
from infra.settings import Settings

__all__ = [
    "ADMIN",
    "PLAINTEXT",
    "PRINCIPAL_VARIABLE",
    "KafkaSecurity",
    "client_options",
    "credentials_dir",
    "faust_credentials",
    "kafka_security",
    "local_credentials",
    "principal_of",
    "same_broker",
    "use_principal",
]

ADMIN = "admin"
"""The operator's principal on the local broker (a super user): topic creation, users and ACLs, tests."""
PRINCIPAL_VARIABLE = "TOCSIN_KAFKA_PRINCIPAL"


@dataclass(frozen=True)
class KafkaSecurity:
    """How one client authenticates and encrypts: the settings of aiokafka's `security_protocol` family."""

    protocol: str = "PLAINTEXT"
    mechanism: str = "SCRAM-SHA-512"
    username: str = ""
    password: SecretStr | None = field(default=None, repr=False)
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    @property
    def sasl(self) -> bool:
        """The protocol authenticates with SASL."""
        return self.protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    @property
    def tls(self) -> bool:
        """The protocol runs over TLS."""
        return self.protocol in ("SSL", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context (verifying the broker; with the client certificate when one is set), or None."""
        if not self.tls:
            return None
        context: ssl.SSLContext = create_ssl_context(
            cafile=self.ca_file, certfile=self.cert_file, keyfile=self.key_file
        )
        return context

    def aiokafka_options(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.sasl:
            assert self.password is not None, "a SASL protocol needs a password"
            options["sasl_mechanism"] = self.mechanism
            options["sasl_plain_username"] = self.username
            options["sasl_plain_password"] = self.password.get_secret_value()
        if self.tls:
            options["ssl_context"] = self.ssl_context()
        return options


PLAINTEXT = KafkaSecurity()


def credentials_dir(settings: Settings) -> Path:
    """The local broker's credentials directory: TOCSIN_KAFKA_CREDENTIALS_DIR, else <data_dir>/kafka/credentials."""
    directory = settings.kafka_credentials_dir or settings.data_dir / "kafka" / "credentials"
    return directory.resolve()


def principal_of(settings: Settings) -> str:
    """Whose local credentials this process uses: TOCSIN_KAFKA_PRINCIPAL (set by the component's command) or admin."""
    return settings.kafka_principal or ADMIN


def use_principal(name: str) -> None:
    """Make `name` this process's principal on the local broker unless TOCSIN_KAFKA_PRINCIPAL says otherwise.

    Set in the environment, so the processes this one starts (uvicorn's workers) are the same principal.
    """
    os.environ.setdefault(PRINCIPAL_VARIABLE, name)


def same_broker(first: str, second: str) -> bool:
    """Whether two bootstrap lists start with the same host:port."""
    try:
        return parse_bootstrap(first) == parse_bootstrap(second)
    except ValueError:
        return False


def local_credentials(settings: Settings, bootstrap: str | None = None) -> LocalCredentials | None:
    """This process's principal on the local broker, if `bootstrap` (default: the setting) is that broker."""
    found = read_credentials(credentials_dir(settings), principal_of(settings))
    if found is None or not same_broker(found.bootstrap, bootstrap or settings.kafka_bootstrap):
        return None
    return found


def kafka_security(settings: Settings, bootstrap: str | None = None) -> KafkaSecurity:
    """The security a client of `bootstrap` (default: kafka_bootstrap) uses under `settings` (see the module doc)."""
    if settings.kafka_security_protocol is not None:
        return KafkaSecurity(
            protocol=settings.kafka_security_protocol,
            mechanism=settings.kafka_sasl_mechanism,
            username=settings.kafka_username,
            password=settings.kafka_password,
            ca_file=settings.kafka_ca_file,
            cert_file=settings.kafka_cert_file,
            key_file=settings.kafka_key_file,
        )
    local = local_credentials(settings, bootstrap)
    if local is None:
        return PLAINTEXT
    return KafkaSecurity(
        protocol=local.protocol, mechanism=local.mechanism, username=local.username, password=local.password
    )


def client_options(bootstrap: str, security: KafkaSecurity | None = None) -> dict[str, Any]:
    """`bootstrap_servers` and the security options for an aiokafka client of `bootstrap`.

    `security` defaults to this process's (its environment, read now: `kafka_security(Settings(), bootstrap)`).
    """
    chosen = security if security is not None else kafka_security(Settings(), bootstrap)
    return {"bootstrap_servers": bootstrap, **chosen.aiokafka_options()}


def faust_credentials(settings: Settings) -> Any:
    """faust's `broker_credentials` for `settings` (None: PLAINTEXT)."""
    import faust

    security = kafka_security(settings)
    if security.sasl:
        assert security.password is not None
        return faust.SASLCredentials(
            username=security.username,
            password=security.password.get_secret_value(),
            mechanism=security.mechanism,
            ssl_context=security.ssl_context(),
        )
    if security.tls:
        return faust.SSLCredentials(security.ssl_context())
    return None
