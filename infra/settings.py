"""Deployment settings, read from TOCSIN_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can configure; see README's Configuration table."""

    model_config = SettingsConfigDict(env_prefix="TOCSIN_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    """Kafka bootstrap servers (host:port[,host:port]); the local broker listens here by default."""
    topic_prefix: str = "tocsin."
    """Prefix of every topic name and of the worker's consumer group."""
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
    notify_channels: str = "outbox"
    """Enabled delivery channels, comma-separated: outbox, email, sms, webhook, dingtalk, wecom, feishu."""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "tocsin@example.gov.cn"
    sms_gateway_url: str = "http://127.0.0.1:9800/sms"
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
    notify_concurrency: int = 32
    """Deliveries in flight at once per channel in one notifier process."""
    log_level: str = "INFO"
    log_json: bool = True

    @property
    def notify_channel_list(self) -> list[str]:
        """The enabled channel names, in order."""
        return [n.strip() for n in self.notify_channels.split(",") if n.strip()]

    def topic(self, name: str) -> str:
        """The full name of topic `name` under the configured prefix."""
        return f"{self.topic_prefix}{name}"
