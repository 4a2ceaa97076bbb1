"""A single-node Kafka broker (KRaft combined mode) managed under `<data_dir>/kafka`.

For development and CI: `tocsin kafka start|stop|status` drive it. Production points
`TOCSIN_KAFKA_BOOTSTRAP` at a real cluster and never uses this module.

Process model: `start()` launches the JVM in a new session (`setsid`), detached from the caller, so
Ctrl-C in the shell that ran `tocsin kafka start` (or `make test`) does not kill the broker; it runs
until `stop()`. `stop()` signals only the PID in our PID file, and only after /proc confirms that PID is
a `kafka.Kafka` JVM running our server.properties, so other brokers on the machine are never touched.

Files under the data dir: server.properties and log4j2.yaml (rewritten on every start), data/ (the
Kafka log dir; formatted once), broker.log (+ broker.log.1 from the previous run), broker.pid,
classpath.json (mvn result, keyed by the pom's hash).
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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import structlog

from infra.kafka.admin import probe
from infra.kafka.classpath import resolve_classpath
from infra.kafka.config import BrokerAddress, cmdline_is_broker, parse_bootstrap, render_server_properties
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

    def __init__(self, settings: Settings | None = None, *, heap: str = "512m") -> None:
        settings = settings or Settings()
        self.address: BrokerAddress = parse_bootstrap(settings.kafka_bootstrap)
        self.data_dir: Path = (settings.data_dir / "kafka").resolve()
        self.heap = heap
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
        reachable = bool(_run_async(probe(self.bootstrap, probe_timeout)))
        return BrokerStatus(
            running=pid is not None,
            pid=pid,
            bootstrap=self.bootstrap,
            data_dir=self.data_dir,
            reachable=reachable,
            formatted=self.formatted,
            log_file=self.log_file,
        )

    # ---- start -----------------------------------------------------------------------------------

    def start(self, timeout: float = 90.0) -> BrokerStatus:
        """Start the broker unless ours already runs; return once it serves admin calls.

        Raises `BrokerError` (with the tail of broker.log) if the JVM exits early or is not ready
        within `timeout` seconds; a broker this call launched is then stopped again.
        """
        deadline = time.monotonic() + timeout
        pid = self.pid()
        if pid is not None:
            log.info("kafka.broker.already_running", pid=pid, bootstrap=self.bootstrap)
            self._wait_ready(pid, None, deadline)
            return self.status()
        self._check_ports_free()
        classpath = self.ensure_classpath()
        java = self._java()
        self._write_config()
        if not self.formatted:
            self._format(java, classpath)
        proc = self._launch(java, classpath)
        try:
            self._wait_ready(proc.pid, proc, deadline)
        except BrokerError:
            self._terminate(proc.pid, grace=10.0)
            self.pid_file.unlink(missing_ok=True)
            raise
        log.info("kafka.broker.started", pid=proc.pid, bootstrap=self.bootstrap, data_dir=str(self.data_dir))
        return self.status()

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

    def _write_config(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(render_server_properties(self.address, self.log_dir))
        self.log4j_path.write_text(LOG4J2_TEMPLATE.read_text())

    def _jvm_base(self, java: str, classpath: str) -> list[str]:
        return [java, f"-Dlog4j2.configurationFile={self.log4j_path}", "-cp", classpath]

    def _format(self, java: str, classpath: str) -> None:
        cluster_id = kafka_cluster_id()
        cmd = [
            *self._jvm_base(java, classpath), "kafka.tools.StorageTool", "format",
            "-t", cluster_id, "-c", str(self.config_path), "--standalone",
        ]  # fmt: skip
        log.info("kafka.broker.formatting", log_dir=str(self.log_dir), cluster_id=cluster_id)
        result = subprocess.run(cmd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
        if result.returncode != 0 or not self.formatted:
            output = (result.stdout + result.stderr).strip()[-4000:]
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
            if self._log_has_started() and _run_async(probe(self.bootstrap, min(3.0, remaining))):
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
