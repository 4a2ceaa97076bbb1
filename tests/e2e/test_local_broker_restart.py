"""The local broker lets every platform principal in again after a restart, whatever happened to reporters before.

A broker of this test's own (its own data dir and ports), so the suite's shared broker is never restarted. On
Kafka 4.4 a deleted SCRAM credential in the metadata log made the restarted broker refuse every login: `make run`
after `make test` failed. Removing a reporter now retires its credential instead (infra/kafka/users.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.receivers import free_port_run
from infra.kafka.admin import probe
from infra.kafka.broker import LocalBroker
from infra.kafka.credentials import read_credentials
from infra.kafka.security import KafkaSecurity
from infra.kafka.users import add_user, remove_user
from infra.settings import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.subprocess]

PRINCIPALS = ("admin", "api", "worker", "drill")


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A secured local broker under tmp_path, stopped at the end."""
    broker = LocalBroker(Settings(data_dir=tmp_path, kafka_bootstrap=f"127.0.0.1:{free_port_run(2)}"))
    broker.start(timeout=120)
    try:
        yield broker
    finally:
        broker.stop()


def signs_in(broker: LocalBroker, name: str) -> bool:
    """Whether `name`'s stored credentials are accepted by the broker now."""
    stored = read_credentials(broker.credentials_dir, name)
    assert stored is not None, f"no stored credentials for {name}"
    security = KafkaSecurity(protocol="SASL_PLAINTEXT", username=name, password=stored.password)
    return asyncio.run(probe(broker.bootstrap, 10.0, security))


def test_every_principal_signs_in_after_a_restart_that_follows_a_removed_reporter(own_broker: LocalBroker) -> None:
    admin = own_broker.admin_security()
    for name in ("reporter-kept", "reporter-gone"):
        asyncio.run(
            add_user(own_broker.bootstrap, admin, own_broker.credentials_dir, name, role="reporter", prefix="t.")
        )
    assert asyncio.run(remove_user(own_broker.bootstrap, admin, own_broker.credentials_dir, "reporter-gone"))

    own_broker.stop()
    own_broker.start(timeout=120)

    assert {name: signs_in(own_broker, name) for name in (*PRINCIPALS, "reporter-kept")} == dict.fromkeys(
        (*PRINCIPALS, "reporter-kept"), True
    )
    assert read_credentials(own_broker.credentials_dir, "reporter-gone") is None
