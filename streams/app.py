"""The faust application object (faust's `-A` finds the name `app`); settings come from the environment."""

from __future__ import annotations

from pathlib import Path

import faust
from mode import CrashingSupervisor

from infra.clock import clock_for
from infra.settings import Settings

settings = Settings()
clock = clock_for(settings.clock_speed)
"""The worker's clock (scaled only for demos and tests: TOCSIN_CLOCK_SPEED)."""


def broker_urls(bootstrap: str) -> list[str]:
    """Turn 'h1:9092,h2:9092' into faust's broker URL list."""
    return [f"kafka://{host.strip()}" for host in bootstrap.split(",") if host.strip()]


def create_app(config: Settings) -> faust.App:
    """Build the worker app for one deployment; nothing here touches the network or the event loop."""
    return faust.App(
        f"{config.topic_prefix}worker",
        broker=broker_urls(config.kafka_bootstrap),
        store="memory://",
        topic_partitions=config.partitions,
        topic_replication_factor=1,
        datadir=str(config.data_dir / "worker" / config.topic_prefix.strip(".")),
        web_enabled=False,
        autodiscover=False,
        consumer_metadata_max_age_ms=5_000,
        producer_metadata_max_age_ms=5_000,
        producer_acks=-1,
        broker_commit_every=100,
        broker_commit_interval=1.0,
        table_standby_replicas=0,
        origin="streams",
        # An agent that raises stops the worker: its uncommitted input is processed again on restart,
        # never skipped. (faust's default restarts the agent and moves on.)
        agent_supervisor=CrashingSupervisor,
    )


app = create_app(settings)


def ready_marker(config: Settings) -> Path:
    """The file a worker touches once it has joined its group and recovered its tables."""
    return config.data_dir / "worker" / config.topic_prefix.strip(".") / "ready"
