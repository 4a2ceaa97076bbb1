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
from infra.channels.circuits import Circuits
from infra.channels.outbound import OutboundPolicy, OutboundRefused, check_address, parse_networks, parse_rules
from infra.channels.scheduler import PageScheduler
from infra.channels.webhook import WebhookSecrets
from infra.clock import Clock, SystemClock
from infra.notify.outbox import ExerciseSinkFile, OutboxChannel
from infra.notify.stores import SqlDeliveryStore
from infra.settings import Settings


def outbound_policy(settings: Settings) -> OutboundPolicy:
    """The outbound rules: TOCSIN_WEBHOOK_ALLOWLIST, TOCSIN_ROBOT_HOSTS, TOCSIN_OUTBOUND_ALLOW_PRIVATE."""
    return OutboundPolicy(
        webhook_allowlist=parse_rules(settings.webhook_allowlist, "TOCSIN_WEBHOOK_ALLOWLIST"),
        robot_hosts=parse_rules(settings.robot_hosts, "TOCSIN_ROBOT_HOSTS"),
        allow_private=parse_networks(settings.outbound_allow_private, "TOCSIN_OUTBOUND_ALLOW_PRIVATE"),
    )


def build_channels(settings: Settings, client: httpx.AsyncClient, clock: Clock) -> dict[str, Channel]:
    """The channels named in TOCSIN_NOTIFY_CHANNELS, configured from settings; raise on a bad name or robot URL.

    `clock` is unused by the channels: the signatures of robots and webhooks carry wall-clock time, which is what
    their receivers check against, even when the worker's clock runs faster (TOCSIN_CLOCK_SPEED)."""
    policy = outbound_policy(settings)
    secrets = settings.channel_secrets
    for name, robot in secrets.robots.items():  # a robot URL off the vendors' hosts is a start-up error
        if robot.url is not None:
            try:
                check_address("dingtalk", robot.url.get_secret_value(), policy, label=f"robot {name!r}")
            except OutboundRefused as error:
                raise ValueError(f"TOCSIN_CHANNEL_SECRETS_FILE: {error}") from None
    wall = SystemClock()
    signing = WebhookSecrets(secrets.webhooks, settings.webhook_secret)
    available: dict[str, Callable[[], Channel]] = {
        "outbox": lambda: OutboxChannel(settings.data_dir / "outbox" / "outbox.jsonl"),
        "email": lambda: EmailChannel(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            username=settings.smtp_username or None,
            password=settings.smtp_password,
            security=settings.smtp_security,
            ca_file=settings.smtp_ca_file,
        ),
        "sms": lambda: SmsGatewayChannel(
            client,
            settings.sms_gateway_url,
            token=settings.sms_gateway_token,
            token_header=settings.sms_gateway_token_header,
        ),
        "webhook": lambda: WebhookChannel(client, policy=policy, signing=signing),
        "dingtalk": lambda: DingTalkChannel(client, wall, robots=secrets.robots, policy=policy),
        "wecom": lambda: WeComChannel(client, wall, robots=secrets.robots, policy=policy),
        "feishu": lambda: FeishuChannel(client, wall, robots=secrets.robots, policy=policy),
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
        circuits=Circuits(settings.notify_circuit_threshold, settings.notify_circuit_open_seconds),
    )
