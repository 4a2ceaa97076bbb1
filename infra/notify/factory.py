"""Build the worker's Dispatcher from settings: which channels are enabled and where they deliver."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from infra.channels import (
    CapAlertStore,
    CapChannel,
    Channel,
    DingTalkChannel,
    Dispatcher,
    EmailChannel,
    ExerciseRegistry,
    FeishuChannel,
    RetryPolicy,
    SmsGatewayChannel,
    WebhookChannel,
    WeComChannel,
)
from infra.channels.scheduler import PageScheduler
from infra.clock import Clock
from infra.notify.outbox import ExerciseSinkFile, OutboxChannel
from infra.notify.stores import SqlDeliveryStore
from infra.settings import Settings


def build_channels(settings: Settings, client: httpx.AsyncClient, clock: Clock) -> dict[str, Channel]:
    """The channels named in TOCSIN_NOTIFY_CHANNELS, configured from settings; raise on a bad name."""
    available: dict[str, Callable[[], Channel]] = {
        "outbox": lambda: OutboxChannel(settings.data_dir / "outbox" / "outbox.jsonl"),
        "email": lambda: EmailChannel(settings.smtp_host, settings.smtp_port, settings.smtp_from),
        "sms": lambda: SmsGatewayChannel(client, settings.sms_gateway_url),
        "webhook": lambda: WebhookChannel(client),
        "dingtalk": lambda: DingTalkChannel(client, clock),
        "wecom": lambda: WeComChannel(client, clock),
        "feishu": lambda: FeishuChannel(client, clock),
    }
    channels: dict[str, Channel] = {}
    for name in settings.notify_channel_list:
        if name not in available:
            raise ValueError(f"TOCSIN_NOTIFY_CHANNELS: unknown channel {name!r} (known: {', '.join(available)})")
        channels[name] = available[name]()
    return channels


def build_dispatcher(
    settings: Settings,
    store: SqlDeliveryStore,
    registry: ExerciseRegistry,
    clock: Clock,
    client: httpx.AsyncClient,
    alerts: CapAlertStore,
) -> Dispatcher:
    """The Dispatcher with the enabled channels, the file exercise sink and the durable delivery log."""
    retry = RetryPolicy(
        max_attempts=settings.notify_max_attempts,
        base_delay=settings.notify_retry_base_delay,
        max_delay=settings.notify_retry_max_delay,
    )
    channels = {**build_channels(settings, client, clock), "cap": CapChannel(alerts, settings.cap_sender)}
    return Dispatcher(
        channels,
        registry,
        ExerciseSinkFile(settings.data_dir / "outbox" / "exercise-sink.jsonl"),
        store,
        clock,
        retry,
        scheduler=PageScheduler(settings.notify_concurrency),
    )
