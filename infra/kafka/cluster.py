"""A local Kafka cluster of N KRaft nodes on one machine: `tocsin kafka start --brokers 3` (docs/adr/0025).

Node 1 lives where the single broker does (`<data_dir>/kafka`), nodes 2..N under `<data_dir>/kafka/node-<i>`; all
share one credentials directory, so every client finds its principal as with one broker. Node i listens for
clients on port P+2(i-1) and for the controller quorum on the port above, P being the port of
TOCSIN_KAFKA_BOOTSTRAP. Each node is a combined broker+controller in a static quorum of all N.

With three nodes or more, topics get 3 replicas and `min.insync.replicas=2` (the brokers' defaults, and
`infra.kafka.admin.ensure_topics` asks for them): with acks=all a write survives one broker's loss, and one
broker may be down while producing goes on.

`<data_dir>/kafka/cluster.json` records how many nodes the storage was formatted for; a data dir formatted for
another count is refused unless `reformat`, which moves every node's data aside first.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import structlog

from infra.kafka.broker import BrokerError, LocalBroker, _run_async, kafka_cluster_id
from infra.kafka.config import BrokerAddress, parse_bootstrap
from infra.kafka.credentials import read_broker_secrets
from infra.settings import Settings

__all__ = ["LocalCluster", "cluster_addresses", "formatted_nodes", "is_cluster"]

log = structlog.get_logger(__name__)

LAYOUT = "cluster.json"


def cluster_addresses(bootstrap: str, nodes: int) -> tuple[BrokerAddress, ...]:
    """The client addresses of `nodes` local nodes from the first of `bootstrap`: ports P, P+2, P+4, ..."""
    first = parse_bootstrap(bootstrap)
    return tuple(BrokerAddress(first.host, first.port + 2 * i) for i in range(nodes))


def formatted_nodes(settings: Settings) -> int | None:
    """How many nodes the local storage was formatted for (1 for a data dir formatted before clusters), or None."""
    home = (settings.data_dir / "kafka").resolve()
    try:
        return int(json.loads((home / LAYOUT).read_text())["nodes"])
    except (OSError, ValueError, KeyError):
        return 1 if (home / "data" / "meta.properties").is_file() else None


def is_cluster(settings: Settings) -> bool:
    """Whether the local storage was formatted by `LocalCluster` (a static quorum), so LocalCluster must run it."""
    return ((settings.data_dir / "kafka").resolve() / LAYOUT).is_file()


@dataclass(frozen=True)
class NodeStatus:
    """One node of the cluster: its node id, address and PID (None when it does not run)."""

    node_id: int
    bootstrap: str
    pid: int | None


class LocalCluster:
    """N local KRaft nodes with one cluster id, one set of credentials and replicated topics."""

    def __init__(self, settings: Settings | None = None, *, nodes: int = 3, heap: str = "384m") -> None:
        if nodes < 1:
            raise ValueError(f"a cluster has at least one node, not {nodes}")
        self.settings = settings or Settings()
        self.home = (self.settings.data_dir / "kafka").resolve()
        self.addresses = cluster_addresses(self.settings.kafka_bootstrap, nodes)
        self.nodes = [
            LocalBroker(self.settings, heap=heap, node_id=i, voters=self.addresses) for i in range(1, nodes + 1)
        ]

    @property
    def bootstrap(self) -> str:
        """Every node's `host:port`, as clients should be given them."""
        return ",".join(address.bootstrap for address in self.addresses)

    def node(self, node_id: int) -> LocalBroker:
        """Node `node_id` (1-based)."""
        return self.nodes[node_id - 1]

    def status(self) -> list[NodeStatus]:
        """Each node's address and whether it runs."""
        return [NodeStatus(n.node_id, n.bootstrap, n.pid()) for n in self.nodes]

    def start(self, timeout: float = 180.0, *, reformat: bool = False) -> None:
        """Start every node that is not running, format new storage, and return once all serve admin calls."""
        deadline = time.monotonic() + timeout
        self._check_layout(reformat)
        first = self.nodes[0]
        classpath, java = first.ensure_classpath(), first._java()
        secrets = read_broker_secrets(first.credentials_dir) if first.formatted else None
        if secrets is None:
            secrets = first._new_identities()
        cluster_id = kafka_cluster_id()
        launched = []
        for node in self.nodes:
            if node.pid() is not None:
                continue
            node._check_ports_free()
            node._write_config(secrets)
            if not node.formatted:
                node._format(java, classpath, secrets, cluster_id)
            launched.append((node, node._launch(java, classpath)))
        (self.home / LAYOUT).write_text(json.dumps({"nodes": len(self.nodes)}) + "\n")
        try:
            for node in self.nodes:
                proc = next((p for n, p in launched if n is node), None)
                node._wait_ready(proc.pid if proc else node.pid() or -1, proc, deadline)
            _run_async(first._provision())
        except BrokerError:
            for node, proc in launched:
                node._terminate(proc.pid, grace=10.0)
                node.pid_file.unlink(missing_ok=True)
            raise
        log.info("kafka.cluster.started", nodes=len(self.nodes), bootstrap=self.bootstrap)

    def stop(self, timeout: float = 30.0) -> int:
        """Stop every node that runs; how many did."""
        return sum(node.stop(timeout=timeout) for node in reversed(self.nodes))

    def _check_layout(self, reformat: bool) -> None:
        """Refuse storage formatted for another node count, or move all of it aside when `reformat`."""
        formatted = formatted_nodes(self.settings)
        if formatted is None or formatted == len(self.nodes):
            return
        if any(node.pid() is not None for node in self.nodes):
            raise BrokerError(
                f"the local Kafka in {self.home} runs with {formatted} node(s): `tocsin kafka stop` first"
            )
        if not reformat:
            raise BrokerError(
                f"the local Kafka in {self.home} was formatted for {formatted} broker(s), not {len(self.nodes)}. "
                f"`tocsin kafka start --brokers {len(self.nodes)} --reformat` moves its data aside and starts an "
                "empty cluster (rebuild the read model from it afterwards: `tocsin projector rebuild`)."
            )
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for path in [self.home / "data", *sorted(self.home.glob("node-*"))]:
            if path.exists():
                path.replace(path.with_name(f"{path.name}.before-{len(self.nodes)}-nodes-{stamp}"))
        log.warning("kafka.cluster.reformatting", nodes=len(self.nodes), was=formatted)
