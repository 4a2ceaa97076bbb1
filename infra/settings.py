"""Deployment settings, read from TOCSIN_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.channels.outbound import DEFAULT_ROBOT_HOSTS, parse_networks, parse_rules
from infra.channels.secrets import ChannelSecrets, load_channel_secrets, read_secret_file

_SECRETS = ("smtp_password", "sms_gateway_token", "webhook_secret", "kafka_password")
"""Secret settings that may instead be read from the file named by <NAME>_FILE."""


class Settings(BaseSettings):
    """Everything an operator can configure; see README's Configuration table."""

    model_config = SettingsConfigDict(env_prefix="TOCSIN_", extra="ignore", hide_input_in_errors=True)

    kafka_bootstrap: str = "127.0.0.1:9092"
    """Kafka bootstrap servers (host:port[,host:port]); the local broker listens here by default."""
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"] | None = None
    """How Kafka clients connect; unset: the local broker's credentials if it serves kafka_bootstrap, else PLAINTEXT."""
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_username: str = ""
    """SASL user name (needs kafka_security_protocol SASL_PLAINTEXT or SASL_SSL)."""
    kafka_password: SecretStr | None = None
    kafka_password_file: Path | None = None
    """A file holding the SASL password (instead of TOCSIN_KAFKA_PASSWORD)."""
    kafka_ca_file: Path | None = None
    """PEM file of the CAs that may sign the brokers' certificates (SSL, SASL_SSL; default: the system's CAs)."""
    kafka_cert_file: Path | None = None
    """PEM client certificate for mutual TLS (SSL, SASL_SSL); its key in kafka_key_file or in the same file."""
    kafka_key_file: Path | None = None
    kafka_principal: str = ""
    """Whose credentials a process uses on the local broker: api, worker, drill (by command) or admin (operators)."""
    kafka_credentials_dir: Path | None = None
    """Where the local broker keeps the principals' credentials (default <data_dir>/kafka/credentials)."""
    topic_prefix: str = "tocsin."
    """Prefix of every topic name and of the worker's consumer group."""
    kafka_publish_timeout: float = 8.0
    """Seconds the API waits for Kafka to confirm a report or command before answering 503 (docs/adr/0025)."""
    partitions: int = 6
    """Partition count of the topics the platform creates at start-up."""
    database_url: str = "sqlite+aiosqlite:///var/tocsin.db"
    """SQLAlchemy async URL of the read model (SQLite by default, postgresql+asyncpg:// for PostgreSQL)."""
    data_dir: Path = Path("var")
    """Working directory for the local broker, the worker's state and logs."""
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = 1
    """Worker processes of `tocsin api` (uvicorn); each has its own database pool, Kafka producer and caches."""
    token_cache_seconds: float = 5.0
    """How long the API trusts a token it has looked up; a revoked token is refused within this time (0: no cache)."""
    worker_web_port: int = 6066
    """Port of the faust worker's own web server (metrics and health of the worker)."""
    playbook_dir: Path | None = None
    """Directory of playbook YAML files; the built-in library when unset."""
    grading_family: str = "family_a"
    """Which rule set grades food-safety incidents: family_a (provincial manual) or family_b (county plans)."""
    clock_speed: float = 1.0
    """Speed of the worker's clock relative to the wall clock (1 in production; >1 only for demos and tests)."""
    sweep_interval: float = 10.0
    """Seconds between deadline sweeps of the worker (real time)."""
    correlation_window_hours: float = 72.0
    """Reports at the same place within this window join the same incident."""
    district_dir: Path | None = None
    """Directory of the district's organisation and duty roster files; the sample district when unset."""
    district_timezone: str = "Asia/Shanghai"
    """IANA time zone of the district: the console shows every time in it, labelled (docs/console.md)."""
    notify_channels: str = "outbox"
    """Enabled delivery channels, comma-separated: outbox, email, sms, webhook, dingtalk, wecom, feishu."""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "tocsin@example.gov.cn"
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    """TLS to the SMTP server: none, starttls (upgrade, refused if not offered) or ssl (SMTPS); always verified."""
    smtp_ca_file: Path | None = None
    """PEM file of the CAs that may sign the SMTP server's certificate (the system's trust store when unset)."""
    smtp_username: str = ""
    """SMTP login (needs smtp_security starttls or ssl); no login when empty."""
    smtp_password: SecretStr | None = None
    smtp_password_file: Path | None = None
    """A file holding the SMTP password (instead of TOCSIN_SMTP_PASSWORD)."""
    sms_gateway_url: str = "http://127.0.0.1:9800/sms"
    sms_gateway_token: SecretStr | None = None
    """Token of the SMS gateway, sent in sms_gateway_token_header."""
    sms_gateway_token_file: Path | None = None
    sms_gateway_token_header: str = "Authorization"
    """Header of the SMS token: "Authorization" sends `Bearer <token>`, any other header the bare token."""
    webhook_allowlist: str = ""
    """Where webhooks may go: hosts (https) or URL prefixes (`http://127.0.0.1:*/`: any port), comma-separated."""
    webhook_secret: SecretStr | None = None
    """Signing secret of webhook targets without their own in channel_secrets_file; a target without any is refused."""
    webhook_secret_file: Path | None = None
    robot_hosts: str = DEFAULT_ROBOT_HOSTS
    """Where group robots may be: the vendors' official hosts (https), comma-separated hosts or URL prefixes."""
    outbound_allow_private: str = ""
    """Networks webhooks and robots may reach although not public: CIDRs or loopback, private, link-local."""
    channel_secrets_file: Path | None = None
    """YAML/JSON file of per-robot URLs and signing secrets and per-target webhook secrets (docs/channels.md)."""
    cap_sender: str = "tocsin@district.example.gov.cn"
    """CAP 1.2 `sender` of published alerts (no spaces or commas)."""
    cap_sender_name: str = "区食品安全委员会办公室"
    notify_max_attempts: int = 5
    notify_retry_base_delay: float = 1.0
    notify_retry_max_delay: float = 30.0
    worker_role: str = "all"
    """What a `tocsin worker` process runs: all, intake, writer, notifier or projector (docs/operations.md)."""
    worker_id: str = ""
    """Tells apart processes of one role on one machine (their state directories and ready markers)."""
    worker_session_timeout: float = 15.0
    """Seconds without a heartbeat before Kafka gives a dead worker's partitions to the others (faust: 60)."""
    notify_concurrency: int = 32
    """Deliveries in flight at once per channel in one notifier process."""
    notify_circuit_threshold: int = 5
    """Failed attempts in a row after which an endpoint is not tried for a while (infra/channels/circuits.py)."""
    notify_circuit_open_seconds: float = 30.0
    """How long such an endpoint is not tried before one attempt probes it again."""
    log_level: str = "INFO"
    log_json: bool = True

    _channel_secrets: ChannelSecrets = PrivateAttr(default_factory=ChannelSecrets)

    @field_validator("district_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """The zone must be one the IANA database knows (e.g. Asia/Shanghai, Asia/Urumqi)."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"TOCSIN_DISTRICT_TIMEZONE {value!r} is not an IANA zone like Asia/Shanghai") from exc
        return value

    @model_validator(mode="after")
    def _secrets_and_rules(self) -> Self:
        """Read the `*_FILE` secrets and the channel secrets file; check the outbound rules parse."""
        for name in _SECRETS:
            variable, path = f"TOCSIN_{name.upper()}", getattr(self, f"{name}_file")
            if path is not None and getattr(self, name) is not None:
                raise ValueError(f"set {variable} or {variable}_FILE, not both")
            if path is not None:
                setattr(self, name, read_secret_file(path, f"{variable}_FILE"))
        if self.smtp_username and self.smtp_security == "none":
            raise ValueError("TOCSIN_SMTP_USERNAME needs TOCSIN_SMTP_SECURITY=starttls or ssl: no login in clear text")
        _check_kafka_security(self)
        parse_rules(self.webhook_allowlist, "TOCSIN_WEBHOOK_ALLOWLIST")
        parse_rules(self.robot_hosts, "TOCSIN_ROBOT_HOSTS")
        parse_networks(self.outbound_allow_private, "TOCSIN_OUTBOUND_ALLOW_PRIVATE")
        if self.channel_secrets_file is not None:
            self._channel_secrets = load_channel_secrets(self.channel_secrets_file, "TOCSIN_CHANNEL_SECRETS_FILE")
        return self

    @property
    def channel_secrets(self) -> ChannelSecrets:
        """The per-robot and per-webhook secrets read from channel_secrets_file at start-up."""
        return self._channel_secrets

    @property
    def notify_channel_list(self) -> list[str]:
        """The enabled channel names, in order."""
        return [n.strip() for n in self.notify_channels.split(",") if n.strip()]

    def topic(self, name: str) -> str:
        """The full name of topic `name` under the configured prefix."""
        return f"{self.topic_prefix}{name}"


def _check_kafka_security(settings: Settings) -> None:
    """The Kafka security settings fit together; ValueError naming the variables otherwise (never a value)."""
    protocol = settings.kafka_security_protocol
    sasl = protocol in ("SASL_PLAINTEXT", "SASL_SSL")
    tls = protocol in ("SSL", "SASL_SSL")
    if sasl and not (settings.kafka_username and settings.kafka_password is not None):
        raise ValueError(
            f"TOCSIN_KAFKA_SECURITY_PROTOCOL={protocol} needs TOCSIN_KAFKA_USERNAME and TOCSIN_KAFKA_PASSWORD "
            "(or TOCSIN_KAFKA_PASSWORD_FILE)"
        )
    if not sasl and (settings.kafka_username or settings.kafka_password is not None):
        raise ValueError(
            "TOCSIN_KAFKA_USERNAME/TOCSIN_KAFKA_PASSWORD need TOCSIN_KAFKA_SECURITY_PROTOCOL=SASL_SSL or SASL_PLAINTEXT"
        )
    files = [settings.kafka_ca_file, settings.kafka_cert_file, settings.kafka_key_file]
    if not tls and any(path is not None for path in files):
        raise ValueError(
            "TOCSIN_KAFKA_CA_FILE, _CERT_FILE and _KEY_FILE need TOCSIN_KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL"
        )
    if settings.kafka_key_file is not None and settings.kafka_cert_file is None:
        raise ValueError("TOCSIN_KAFKA_KEY_FILE needs TOCSIN_KAFKA_CERT_FILE (the client certificate)")
