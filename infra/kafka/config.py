"""Pure helpers for the local broker: address parsing, server.properties, process identification."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.kafka.credentials import BROKER, BrokerSecrets

__all__ = [
    "AUTHORIZER",
    "BrokerAddress",
    "cmdline_is_broker",
    "parse_bootstrap",
    "render_server_properties",
    "replication_properties",
    "scram_bootstrap_argument",
    "security_properties",
]

AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
SUPER_USERS = ("admin", BROKER)


@dataclass(frozen=True)
class BrokerAddress:
    """Where the local broker listens: clients on `port`, the KRaft controller on `controller_port`."""

    host: str
    port: int

    @property
    def controller_port(self) -> int:
        """The controller listener sits right above the client port."""
        return self.port + 1

    @property
    def bootstrap(self) -> str:
        """`host:port` as clients use it."""
        return f"{self.host}:{self.port}"


def parse_bootstrap(bootstrap: str) -> BrokerAddress:
    """The first `host:port` of a bootstrap list ("127.0.0.1:9092,other:9092" -> 127.0.0.1, 9092)."""
    first = bootstrap.split(",")[0].strip()
    if first.startswith("kafka://"):
        first = first.removeprefix("kafka://")
    host, sep, port_text = first.rpartition(":")
    if not sep or not host or not port_text.isdigit():
        raise ValueError(f"bootstrap {bootstrap!r}: expected host:port, e.g. 127.0.0.1:9092")
    port = int(port_text)
    if not 0 < port < 65535:
        raise ValueError(f"bootstrap {bootstrap!r}: port {port} is out of range 1..65534")
    return BrokerAddress(host=host, port=port)


def _jaas(module: str, username: str, password: str, **users: str) -> str:
    """A JAAS line for a listener; `users` are the PLAIN users the listener accepts (user_NAME="password")."""
    accepted = "".join(f' user_{name}="{secret}"' for name, secret in users.items())
    return f'{module} required username="{username}" password="{password}"{accepted};'


def security_properties(secrets: BrokerSecrets) -> dict[str, str]:
    """SASL and ACLs (docs/adr/0022): SCRAM-SHA-512 for clients and the broker itself on CLIENT, PLAIN on CONTROLLER.

    The controller listener cannot use SCRAM (KRaft keeps SCRAM credentials in the metadata log the controller serves),
    so it authenticates the broker with a static PLAIN user instead of trusting anonymous loopback connections.
    """
    scram, plain = secrets.scram_password.get_secret_value(), secrets.controller_password.get_secret_value()
    return {
        "sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.client.sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "listener.name.client.scram-sha-512.sasl.jaas.config": _jaas(
            "org.apache.kafka.common.security.scram.ScramLoginModule", BROKER, scram
        ),
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": _jaas(
            "org.apache.kafka.common.security.plain.PlainLoginModule", BROKER, plain, **{BROKER: plain}
        ),
        "authorizer.class.name": AUTHORIZER,
        "allow.everyone.if.no.acl.found": "false",
        "super.users": ";".join(f"User:{name}" for name in SUPER_USERS),
    }


def scram_bootstrap_argument(username: str, password: str) -> str:
    """A `StorageTool format --add-scram` value that creates SCRAM-SHA-512 user `username`."""
    return f"SCRAM-SHA-512=[name={username},password={password}]"


def replication_properties(nodes: int) -> dict[str, str]:
    """Replication defaults of a cluster of `nodes` brokers: 3 replicas and 2 in sync from three brokers up."""
    replicas = min(3, nodes)
    in_sync = 2 if replicas >= 3 else 1
    return {
        "default.replication.factor": str(replicas),
        "min.insync.replicas": str(in_sync),
        "offsets.topic.replication.factor": str(replicas),
        "share.coordinator.state.topic.replication.factor": str(replicas),
        "share.coordinator.state.topic.min.isr": str(in_sync),
        "transaction.state.log.replication.factor": str(replicas),
        "transaction.state.log.min.isr": str(in_sync),
    }


def render_server_properties(
    address: BrokerAddress,
    log_dir: Path,
    secrets: BrokerSecrets,
    extra: Mapping[str, str] | None = None,
    *,
    node_id: int = 1,
    voters: Sequence[BrokerAddress] = (),
) -> str:
    """server.properties for a KRaft node in combined (broker+controller) mode, with SASL and ACLs.

    Alone (no `voters`) it is formatted with `StorageTool format --standalone`, so `controller.quorum.voters` stays
    unset; in a local cluster every node lists the same static `voters` (node i is voters[i-1]). Both listeners are
    on `address.host` (loopback by default) and SASL_PLAINTEXT: the broker reaches itself as user `broker`.
    """
    host, port, cport = address.host, address.port, address.controller_port
    quorum = (
        {"controller.quorum.voters": ",".join(f"{i}@{v.host}:{v.controller_port}" for i, v in enumerate(voters, 1))}
        if voters
        else {"controller.quorum.bootstrap.servers": f"{host}:{cport}"}
    )
    props: dict[str, str] = {
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        **quorum,
        "listeners": f"CLIENT://{host}:{port},CONTROLLER://{host}:{cport}",
        "advertised.listeners": f"CLIENT://{host}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "CLIENT",
        "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
        **security_properties(secrets),
        "log.dirs": str(log_dir),
        "num.partitions": "1",
        **replication_properties(len(voters) or 1),
        "group.initial.rebalance.delay.ms": "0",
    }
    if extra:
        props.update(extra)
    lines = ["# Written by infra.kafka.broker.LocalBroker on every start; edits are overwritten."]
    lines += [f"{key}={value}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


def cmdline_is_broker(cmdline: bytes, config_path: Path) -> bool:
    """Whether a /proc/PID/cmdline (NUL-separated) is a `kafka.Kafka` JVM running `config_path`."""
    args = [arg.decode("utf-8", "replace") for arg in cmdline.split(b"\0") if arg]
    if not args or not Path(args[0]).name.startswith("java"):
        return False
    return "kafka.Kafka" in args and str(config_path) in args
