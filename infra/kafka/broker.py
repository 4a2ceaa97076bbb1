"""A single-node Kafka broker (KRaft combined mode) managed under `<data_dir>/kafka`.

For development and CI: `tocsin kafka start|stop|status` drive it. Production points
`TOCSIN_KAFKA_BOOTSTRAP` at a real cluster and never uses this module.

Process model: `start()` launches the JVM in a new session (`setsid`), detached from the caller, so
Ctrl-C in the shell that ran `tocsin kafka start` (or `make test`) does not kill the broker; it runs
until `stop()`. `stop()` signals only the PID in our PID file, and only after /proc confirms that PID is
a `kafka.Kafka` JVM running our server.properties, so other brokers on the machine are never touched.

Security (docs/adr/0022): the broker listens with SASL_PLAINTEXT (SCRAM-SHA-512) on loopback and authorizes with
ACLs. Formatting creates the principals (broker, admin, api, worker, drill) with random passwords, stored in
credentials/ (0700, files 0600); every start re-creates a missing one and grants the components' ACLs under the topic
prefix. A data dir formatted by an older Tocsin (no credentials) is refused unless `start(reformat=True)`, which moves
the old data aside and formats a secured broker.

Files under the data dir: server.properties (0600: it holds the broker's passwords) and log4j2.yaml (rewritten on every
start), data/ (the Kafka log dir; formatted once), credentials/, broker.log (+ broker.log.1 from the previous run),
broker.pid, classpath.json (mvn result, keyed by the pom's hash).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import structlog

from infra.kafka.acls import COMPONENTS, upsert_scram_user
from infra.kafka.admin import admin_client, probe
from infra.kafka.classpath import resolve_classpath
from infra.kafka.config import (
    BrokerAddress,
    cmdline_is_broker,
    parse_bootstrap,
    render_server_properties,
    scram_bootstrap_argument,
)
from infra.kafka.credentials import (
    BROKER,
    BrokerSecrets,
    LocalCredentials,
    new_password,
    read_broker_secrets,
    read_credentials,
    write_broker_secrets,
    write_credentials,
    write_private,
)
from infra.kafka.security import ADMIN, PLAINTEXT, KafkaSecurity
from infra.kafka.users import grant_components
from infra.settings import Settings

__all__ = ["BrokerError", "BrokerStatus", "LocalBroker", "kafka_cluster_id"]

log = structlog.get_logger(__name__)

LOG4J2_TEMPLATE = Path(__file__).with_name("log4j2.yaml")
STARTED_MARKER = "Kafka Server started"
_LOG_TAIL_LINES = 40


class BrokerError(RuntimeError):
    """The local broker could not be started, or something else holds its ports."""


@dataclass(frozen=True)
class BrokerStatus:
    """What `tocsin kafka status` reports."""

    running: bool
    """Our broker process (from the PID file) is alive."""
    pid: int | None
    bootstrap: str
    data_dir: Path
    reachable: bool
    """An admin call to `bootstrap` succeeded (whoever runs the broker there)."""
    formatted: bool
    log_file: Path
    secured: bool = False
    """The data dir has the broker's credentials (SASL/SCRAM and ACLs); False for one formatted by an older Tocsin."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        data = asdict(self)
        data["data_dir"], data["log_file"] = str(self.data_dir), str(self.log_file)
        return data


def kafka_cluster_id() -> str:
    """A random cluster id in Kafka's format (`Uuid.randomUuid()`: url-safe base64, 22 chars)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _argfile_quote(arg: str) -> str:
    """One argument of a java @argfile: quoted, with backslashes and quotes escaped."""
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _run_async(coro: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise BrokerError("LocalBroker's methods are synchronous: call them outside a running event loop")


def _port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def _is_zombie_or_gone(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


class LocalBroker:
    """One Kafka broker under `<data_dir>/kafka`, listening on the host:port of `kafka_bootstrap`.

    The KRaft controller listens on port+1 of the same host.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        heap: str = "512m",
        node_id: int = 1,
        voters: tuple[BrokerAddress, ...] = (),
    ) -> None:
        settings = settings or Settings()
        home = (settings.data_dir / "kafka").resolve()
        self.node_id = node_id
        self.voters = voters
        """The static quorum of a local cluster (infra/kafka/cluster.py), this node being voters[node_id-1]; ()
        for the single broker."""
        self.address: BrokerAddress = voters[node_id - 1] if voters else parse_bootstrap(settings.kafka_bootstrap)
        self.data_dir: Path = home if node_id == 1 else home / f"node-{node_id}"
        self.topic_prefix = settings.topic_prefix
        self.heap = heap
        self.credentials_dir = home / "credentials"
        self.config_path = self.data_dir / "server.properties"
        self.log4j_path = self.data_dir / "log4j2.yaml"
        self.log_dir = self.data_dir / "data"
        self.log_file = self.data_dir / "broker.log"
        self.pid_file = self.data_dir / "broker.pid"
        self.classpath_cache = self.data_dir / "classpath.json"

    @property
    def bootstrap(self) -> str:
        """`host:port` for clients."""
        return self.address.bootstrap

    @property
    def formatted(self) -> bool:
        """Storage has been formatted (KRaft meta.properties exists)."""
        return (self.log_dir / "meta.properties").is_file()

    @property
    def secured(self) -> bool:
        """The broker's secrets exist (it was formatted with SASL users; older Tocsin versions formatted without)."""
        return read_broker_secrets(self.credentials_dir) is not None

    def admin_security(self) -> KafkaSecurity:
        """How the operator connects: as admin (as the broker itself if admin.json is lost); PLAINTEXT if unsecured."""
        admin = read_credentials(self.credentials_dir, ADMIN)
        if admin is not None:
            return KafkaSecurity(
                protocol=admin.protocol, mechanism=admin.mechanism, username=ADMIN, password=admin.password
            )
        return self._broker_security() if self.secured else PLAINTEXT

    # ---- classpath -------------------------------------------------------------------------------

    def ensure_classpath(self) -> str:
        """The broker's classpath; runs mvn only when the pom changed or a cached jar is missing."""
        return resolve_classpath(self.classpath_cache)

    # ---- status ----------------------------------------------------------------------------------

    def pid(self) -> int | None:
        """The PID of our running broker, or None (a stale PID file is ignored)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        if not cmdline_is_broker(cmdline, self.config_path) or _is_zombie_or_gone(pid):
            return None
        return pid

    def status(self, probe_timeout: float = 2.0) -> BrokerStatus:
        """Whether our broker runs, and whether anything answers Kafka admin calls at the bootstrap."""
        pid = self.pid()
        reachable = bool(_run_async(probe(self.bootstrap, probe_timeout, self.admin_security())))
        return BrokerStatus(
            running=pid is not None,
            pid=pid,
            bootstrap=self.bootstrap,
            data_dir=self.data_dir,
            reachable=reachable,
            formatted=self.formatted,
            log_file=self.log_file,
            secured=self.secured,
        )

    # ---- start -----------------------------------------------------------------------------------

    def start(self, timeout: float = 90.0, *, reformat: bool = False) -> BrokerStatus:
        """Start the broker unless ours already runs; return once it serves admin calls, its principals and ACLs made.

        Raises `BrokerError` (with the tail of broker.log) if the JVM exits early or is not ready
        within `timeout` seconds; a broker this call launched is then stopped again. A data dir formatted without
        security (an older Tocsin) is refused unless `reformat`, which moves its data aside first.
        """
        deadline = time.monotonic() + timeout
        pid = self.pid()
        if pid is not None:
            if not self.secured:
                raise BrokerError(self._unsecured_message(running=pid))
            log.info("kafka.broker.already_running", pid=pid, bootstrap=self.bootstrap)
            self._wait_ready(pid, None, deadline)
            _run_async(self._provision())
            return self.status()
        self._check_ports_free()
        self._check_secured(reformat)
        classpath = self.ensure_classpath()
        java = self._java()
        secrets = read_broker_secrets(self.credentials_dir) if self.formatted else None
        if secrets is None:
            secrets = self._new_identities()
        self._write_config(secrets)
        if not self.formatted:
            self._format(java, classpath, secrets)
        proc = self._launch(java, classpath)
        try:
            self._wait_ready(proc.pid, proc, deadline)
            _run_async(self._provision())
        except BrokerError:
            self._terminate(proc.pid, grace=10.0)
            self.pid_file.unlink(missing_ok=True)
            raise
        log.info("kafka.broker.started", pid=proc.pid, bootstrap=self.bootstrap, data_dir=str(self.data_dir))
        return self.status()

    # ---- security --------------------------------------------------------------------------------

    def _unsecured_message(self, running: int | None = None) -> str:
        state = f"is running (pid {running}) without" if running else "was formatted by an older Tocsin, without"
        stop = "`tocsin kafka stop`, then " if running else ""
        return (
            f"the Kafka broker in {self.data_dir} {state} authentication or ACLs. Secure it with "
            f"{stop}`tocsin kafka start --reformat`: its topics move to {self.log_dir}.before-sasl-<time>/ and a new, "
            "secured broker starts empty (the read model rebuilds from it: `tocsin projector rebuild`)."
        )

    def _check_secured(self, reformat: bool) -> None:
        """Refuse a data dir formatted without security, or move its data aside when `reformat`."""
        if not self.formatted or self.secured:
            return
        if not reformat:
            raise BrokerError(self._unsecured_message())
        aside = self.log_dir.with_name(f"{self.log_dir.name}.before-sasl-{time.strftime('%Y%m%d-%H%M%S')}")
        self.log_dir.replace(aside)
        log.warning("kafka.broker.reformatting", moved_to=str(aside), reason="formatted without authentication")

    def _new_identities(self) -> BrokerSecrets:
        """Fresh passwords for the broker and every platform principal, stored before formatting (old ones go)."""
        if self.credentials_dir.exists():
            for old in self.credentials_dir.iterdir():
                if old.suffix in (".json", ".properties"):
                    old.unlink()
        secrets = BrokerSecrets.generate()
        write_broker_secrets(self.credentials_dir, secrets)
        for name in (ADMIN, *COMPONENTS):
            write_credentials(self.credentials_dir, LocalCredentials(name, new_password(), name, self.bootstrap))
        log.info("kafka.broker.credentials_created", directory=str(self.credentials_dir))
        return secrets

    def _broker_security(self) -> KafkaSecurity:
        """The broker's own identity (a super user): provisioning uses it, so a lost admin.json is made again."""
        secrets = read_broker_secrets(self.credentials_dir)
        assert secrets is not None, "provisioning needs a secured broker"
        return KafkaSecurity(protocol="SASL_PLAINTEXT", username=BROKER, password=secrets.scram_password)

    async def _provision(self) -> None:
        """Make the platform's principals exist with stored credentials, and grant their ACLs under the prefix."""
        security = self._broker_security()
        async with admin_client(self.bootstrap, security) as client:
            for name in (ADMIN, *COMPONENTS):
                stored = read_credentials(self.credentials_dir, name)
                if stored is None:  # lost: a new password, set on the broker before it is stored
                    stored = LocalCredentials(name, new_password(), name, self.bootstrap)
                    await upsert_scram_user(client, name, stored.password)
                    write_credentials(self.credentials_dir, stored)
                    log.info("kafka.broker.principal_recreated", principal=name)
                elif stored.bootstrap != self.bootstrap:  # the same data dir, served on another port
                    write_credentials(self.credentials_dir, replace(stored, bootstrap=self.bootstrap))
        await grant_components(self.bootstrap, security, self.topic_prefix)

    def _check_ports_free(self) -> None:
        host = self.address.host
        for port in (self.address.port, self.address.controller_port):
            if _port_open(host, port):
                raise BrokerError(
                    f"{host}:{port} is already in use by a process that is not the broker of "
                    f"{self.data_dir}. Stop it, or choose another port with "
                    f"TOCSIN_KAFKA_BOOTSTRAP=host:port (the controller uses port+1)."
                )

    def _java(self) -> str:
        java_home = os.environ.get("JAVA_HOME")
        if java_home and (Path(java_home) / "bin" / "java").is_file():
            return str(Path(java_home) / "bin" / "java")
        java = shutil.which("java")
        if java is None:
            raise BrokerError("java not found: install a JDK/JRE 17+ (Debian: openjdk-17-jre-headless)")
        return java

    def _write_config(self, secrets: BrokerSecrets) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        write_private(
            self.config_path,
            render_server_properties(self.address, self.log_dir, secrets, node_id=self.node_id, voters=self.voters),
        )
        self.log4j_path.write_text(LOG4J2_TEMPLATE.read_text())

    def _jvm_base(self, java: str, classpath: str) -> list[str]:
        return [java, f"-Dlog4j2.configurationFile={self.log4j_path}", "-cp", classpath]

    def _format(self, java: str, classpath: str, secrets: BrokerSecrets, cluster_id: str | None = None) -> None:
        """Format the storage with the SCRAM users bootstrapped; their passwords go in a 0600 @argfile, not argv.

        A node of a local cluster is formatted with the cluster's id and its static quorum (no --standalone).
        """
        cluster_id = cluster_id or kafka_cluster_id()
        users = [(BROKER, secrets.scram_password.get_secret_value())]
        for name in (ADMIN, *COMPONENTS):
            stored = read_credentials(self.credentials_dir, name)
            assert stored is not None, f"{name}'s credentials are written before formatting"
            users.append((name, stored.password.get_secret_value()))
        args = [
            f"-Dlog4j2.configurationFile={self.log4j_path}", "-cp", classpath, "kafka.tools.StorageTool", "format",
            "-t", cluster_id, "-c", str(self.config_path), *(() if self.voters else ("--standalone",)),
        ]  # fmt: skip
        for name, password in users:
            args += ["--add-scram", scram_bootstrap_argument(name, password)]
        argfile = self.credentials_dir / f"format-{self.node_id}.args"
        write_private(argfile, "\n".join(_argfile_quote(arg) for arg in args) + "\n")
        log.info("kafka.broker.formatting", log_dir=str(self.log_dir), cluster_id=cluster_id, users=len(users))
        try:
            result = subprocess.run(
                [java, f"@{argfile}"], capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
            )
        finally:
            argfile.unlink(missing_ok=True)
        if result.returncode != 0 or not self.formatted:
            lines = (result.stdout + result.stderr).splitlines()
            output = "\n".join(line for line in lines if "UserScramCredentialRecord" not in line)[-4000:]
            raise BrokerError(f"formatting {self.log_dir} failed (exit {result.returncode}):\n{output}")

    def _launch(self, java: str, classpath: str) -> subprocess.Popen[bytes]:
        if self.log_file.exists():
            self.log_file.replace(self.log_file.with_name(self.log_file.name + ".1"))
        cmd = [
            java, f"-Xmx{self.heap}", f"-Xms{self.heap}", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.log4j_path}", "-cp", classpath,
            "kafka.Kafka", str(self.config_path),
        ]  # fmt: skip
        with self.log_file.open("ab") as out:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
                close_fds=True,
            )
        self.pid_file.write_text(f"{proc.pid}\n")
        log.info("kafka.broker.launched", pid=proc.pid, log_file=str(self.log_file))
        return proc

    def _log_has_started(self) -> bool:
        try:
            with self.log_file.open("rb") as f:
                return STARTED_MARKER.encode() in f.read()
        except OSError:
            return False

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last `lines` lines of broker.log (empty if there is none)."""
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _wait_ready(self, pid: int, proc: subprocess.Popen[bytes] | None, deadline: float) -> None:
        """Wait for "Kafka Server started" in the log and a successful admin call."""
        while True:
            exited = proc.poll() is not None if proc is not None else _is_zombie_or_gone(pid)
            if exited:
                code = f" with code {proc.returncode}" if proc is not None else ""
                raise BrokerError(
                    f"Kafka broker (pid {pid}) exited{code} before it was ready. "
                    f"Last lines of {self.log_file}:\n{self.log_tail()}"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrokerError(
                    f"Kafka broker (pid {pid}) not ready at {self.bootstrap} in time "
                    f"(log line {STARTED_MARKER!r} seen: {self._log_has_started()}). "
                    f"Last lines of {self.log_file}:\n{self.log_tail()}"
                )
            if self._log_has_started() and _run_async(
                probe(self.bootstrap, min(3.0, remaining), self.admin_security())
            ):
                return
            time.sleep(0.2)

    # ---- stop ------------------------------------------------------------------------------------

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop our broker (SIGTERM, then SIGKILL after `timeout` s). True if one was running.

        Only the PID from our PID file is signalled, and only if it is our kafka.Kafka JVM.
        """
        pid = self.pid()
        if pid is None:
            if self.pid_file.exists():
                log.info("kafka.broker.stale_pid_file", pid_file=str(self.pid_file))
                self.pid_file.unlink(missing_ok=True)
            return False
        log.info("kafka.broker.stopping", pid=pid)
        self._terminate(pid, grace=timeout)
        self.pid_file.unlink(missing_ok=True)
        log.info("kafka.broker.stopped", pid=pid)
        return True

    def _terminate(self, pid: int, grace: float) -> None:
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            until = time.monotonic() + wait
            while time.monotonic() < until:
                if _is_zombie_or_gone(pid):
                    return
                time.sleep(0.1)
            log.warning("kafka.broker.did_not_exit", pid=pid, signal=sig.name, waited_s=wait)
        raise BrokerError(f"Kafka broker pid {pid} did not exit after SIGKILL")
