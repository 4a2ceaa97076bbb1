"""Every producer of the platform waits for all in-sync replicas and is idempotent (docs/adr/0025)."""

from __future__ import annotations

import ast
import inspect
from types import ModuleType

import pytest

import api.publisher
import drills.host
import drills.live
import drills.service
import infra.playbook_archive
import tocsin.cli_drill
from infra.settings import Settings
from streams.app import create_app
from streams.producer import IdempotentProducer


def test_the_worker_producer_is_idempotent_and_waits_for_all_replicas_outside_transactions() -> None:
    app = create_app(Settings(kafka_bootstrap="127.0.0.1:1", topic_prefix="t."))
    producer = app.producer
    assert isinstance(producer, IdempotentProducer)
    options = {**producer._settings_default(), **producer._settings_extra()}
    assert (options["acks"], options["enable_idempotence"]) in {("all", True), (-1, True)}


def producer_calls(module: ModuleType) -> list[dict[str, object]]:
    """The literal keyword arguments of every `AIOKafkaProducer(...)` call in `module`'s source."""
    calls: list[dict[str, object]] = []
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "AIOKafkaProducer":
            calls.append({k.arg: k.value.value for k in node.keywords if k.arg and isinstance(k.value, ast.Constant)})
    return calls


@pytest.mark.parametrize(
    "module", [api.publisher, drills.host, drills.live, drills.service, infra.playbook_archive, tocsin.cli_drill]
)
def test_every_aiokafka_producer_in_the_code_sets_acks_all_and_idempotence(module: ModuleType) -> None:
    calls = producer_calls(module)
    assert calls, f"{module.__name__} builds no producer"
    assert [(c.get("acks"), c.get("enable_idempotence")) for c in calls] == [("all", True)] * len(calls)
