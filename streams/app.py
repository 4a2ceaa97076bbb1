"""The faust application object (faust's `-A` finds the name `app`); settings come from the environment.

A worker process runs one role (`TOCSIN_WORKER_ROLE`): each role is its own consumer group, so it scales by
starting more processes of that role, and Kafka shares the partitions among them (docs/operations.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faust
from mode import CrashingSupervisor

from infra.clock import clock_for
from infra.kafka.security import faust_credentials
from infra.settings import Settings
from streams.producer import IdempotentApp
from streams.roles import ALL as ALL
from streams.roles import ROLES as ROLES
from streams.roles import check_role as check_role

settings = Settings()
clock = clock_for(settings.clock_speed)
"""The worker's clock (scaled only for demos and tests: TOCSIN_CLOCK_SPEED)."""


def broker_urls(bootstrap: str) -> list[str]:
    """Turn 'h1:9092,h2:9092' into faust's broker URL list."""
    return [f"kafka://{host.strip()}" for host in bootstrap.split(",") if host.strip()]


def group_id(config: Settings) -> str:
    """The consumer group (faust app id) of the configured role: `<prefix>worker` for all, `<prefix><role>`."""
    role = check_role(config.worker_role)
    return f"{config.topic_prefix}worker" if role == ALL else f"{config.topic_prefix}{role}"


def process_dir(config: Settings) -> Path:
    """This process's state directory: one per role and worker id, so processes on one machine never share."""
    base = config.data_dir / "worker" / config.topic_prefix.strip(".")
    if config.worker_role == ALL and not config.worker_id:
        return base
    return base / "-".join(p for p in (config.worker_role, config.worker_id) if p)


def changelog_topic(config: Settings, table: str) -> str:
    """The changelog topic of worker table `table`: named after the whole worker, not the role's app id."""
    return config.topic(f"worker-{table}-changelog")


class SharedChangelogTable(faust.Table[Any, Any]):
    """A table whose changelog is named after the whole worker (`<prefix>worker-<table>-changelog`).

    faust names a changelog after the app id, which differs per role; naming it after the worker keeps the
    state when a deployment moves from `all` to separate roles, or back.
    """

    def _changelog_topic_name(self) -> str:
        return changelog_topic(settings, self.name)


def create_app(config: Settings) -> faust.App:
    """Build the worker app for one deployment; nothing here touches the network or the event loop."""
    return IdempotentApp(
        group_id(config),
        broker=broker_urls(config.kafka_bootstrap),
        broker_credentials=faust_credentials(config),  # TOCSIN_KAFKA_* or the local broker's `worker` (ADR 0022)
        store="memory://",
        topic_partitions=config.partitions,
        topic_replication_factor=1,
        datadir=str(process_dir(config)),
        web_enabled=False,
        autodiscover=False,
        consumer_metadata_max_age_ms=5_000,
        broker_session_timeout=config.worker_session_timeout,
        broker_heartbeat_interval=min(3.0, config.worker_session_timeout / 5),
        producer_metadata_max_age_ms=5_000,
        producer_acks=-1,  # and idempotence: streams/producer.py
        producer_linger=0.005,  # batch a burst's messages into one produce request (was one request per message)
        broker_commit_every=100,
        broker_commit_interval=1.0,
        table_standby_replicas=0,
        origin="streams",
        Table=SharedChangelogTable,
        # An agent that raises stops the worker: its uncommitted input is processed again on restart,
        # never skipped. (faust's default restarts the agent and moves on.)
        agent_supervisor=CrashingSupervisor,
    )


app = create_app(settings)


def ready_marker(config: Settings) -> Path:
    """The file a worker process touches once it has joined its group and recovered its tables."""
    return process_dir(config) / "ready"
