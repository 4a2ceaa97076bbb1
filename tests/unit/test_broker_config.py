"""The local broker's pure helpers: bootstrap parsing, server.properties (SASL and ACLs), process identification."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from infra.kafka.broker import kafka_cluster_id
from infra.kafka.config import (
    AUTHORIZER,
    BrokerAddress,
    cmdline_is_broker,
    parse_bootstrap,
    render_server_properties,
    scram_bootstrap_argument,
)
from infra.kafka.credentials import BrokerSecrets

SECRETS = BrokerSecrets(SecretStr("scram-secret"), SecretStr("controller-secret"))


def _props(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_default_bootstrap_puts_the_controller_on_the_next_port() -> None:
    address = parse_bootstrap("127.0.0.1:9092")
    assert address == BrokerAddress("127.0.0.1", 9092)
    assert address.controller_port == 9093
    assert address.bootstrap == "127.0.0.1:9092"


def test_only_the_first_server_of_a_bootstrap_list_counts() -> None:
    assert parse_bootstrap("kafka://localhost:19092, other:9092") == BrokerAddress("localhost", 19092)


@pytest.mark.parametrize("bad", ["", "127.0.0.1", "host:", ":9092", "host:port", "host:0", "host:70000"])
def test_a_bootstrap_without_a_usable_port_is_rejected_with_the_value(bad: str) -> None:
    with pytest.raises(ValueError, match="bootstrap"):
        parse_bootstrap(bad)


def test_server_properties_run_kraft_combined_mode_on_the_given_ports(tmp_path: Path) -> None:
    props = _props(render_server_properties(BrokerAddress("127.0.0.1", 19092), tmp_path / "data", SECRETS))

    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["listeners"] == "CLIENT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "CLIENT://127.0.0.1:19092"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["log.dirs"] == str(tmp_path / "data")


def test_every_listener_authenticates_and_nothing_is_allowed_without_an_acl(tmp_path: Path) -> None:
    props = _props(render_server_properties(BrokerAddress("127.0.0.1", 9092), tmp_path, SECRETS))

    assert props["listener.security.protocol.map"] == "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
    assert props["listener.name.client.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["inter.broker.listener.name"] == "CLIENT"
    assert props["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    assert props["sasl.mechanism.controller.protocol"] == "PLAIN"
    assert props["authorizer.class.name"] == AUTHORIZER == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == "User:admin;User:broker"


def test_the_broker_signs_in_as_itself_with_its_own_secrets(tmp_path: Path) -> None:
    props = _props(render_server_properties(BrokerAddress("127.0.0.1", 9092), tmp_path, SECRETS))

    scram = props["listener.name.client.scram-sha-512.sasl.jaas.config"]
    assert scram.startswith("org.apache.kafka.common.security.scram.ScramLoginModule required ")
    assert 'username="broker" password="scram-secret";' in scram
    plain = props["listener.name.controller.plain.sasl.jaas.config"]
    assert 'username="broker" password="controller-secret" user_broker="controller-secret";' in plain


def test_scram_users_are_bootstrapped_in_storage_tools_format() -> None:
    assert scram_bootstrap_argument("api", "pw") == "SCRAM-SHA-512=[name=api,password=pw]"


def test_server_properties_suit_a_single_node(tmp_path: Path) -> None:
    props = _props(render_server_properties(BrokerAddress("127.0.0.1", 9092), tmp_path, SECRETS))

    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["transaction.state.log.min.isr"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"


def test_server_properties_never_set_static_voters_because_storage_is_formatted_standalone(
    tmp_path: Path,
) -> None:
    text = render_server_properties(BrokerAddress("127.0.0.1", 9092), tmp_path, SECRETS)
    assert "controller.quorum.voters" not in _props(text)


def test_extra_properties_override_the_defaults(tmp_path: Path) -> None:
    text = render_server_properties(
        BrokerAddress("127.0.0.1", 9092),
        tmp_path,
        SECRETS,
        {"num.partitions": "6", "auto.create.topics.enable": "false"},
    )
    props = _props(text)
    assert props["num.partitions"] == "6"
    assert props["auto.create.topics.enable"] == "false"


def test_only_our_kafka_jvm_with_our_config_is_recognised_as_our_broker() -> None:
    config = Path("/srv/tocsin/var/kafka/server.properties")
    ours = b"\0".join([b"/usr/bin/java", b"-Xmx512m", b"-cp", b"a.jar", b"kafka.Kafka", str(config).encode()])
    other_data_dir = ours.replace(b"/srv/tocsin", b"/tmp/fresh")
    not_java = b"\0".join([b"/bin/sh", b"-c", b"kafka.Kafka", str(config).encode()])
    storage_tool = ours.replace(b"kafka.Kafka", b"kafka.tools.StorageTool")

    assert cmdline_is_broker(ours + b"\0", config)
    assert not cmdline_is_broker(other_data_dir, config)
    assert not cmdline_is_broker(not_java, config)
    assert not cmdline_is_broker(storage_tool, config)
    assert not cmdline_is_broker(b"", config)


def test_cluster_ids_have_kafkas_uuid_format() -> None:
    ids = {kafka_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    for cluster_id in ids:
        assert len(cluster_id) == 22
        assert not cluster_id.startswith("-")
        assert set(cluster_id) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
