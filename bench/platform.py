"""A running Tocsin platform: real worker and API processes on the real broker, under a prefix of their own.

Shared by the benchmarks (bench/pipeline.py) and the end-to-end tests (tests/e2e), which is why it lives here
and not under tests/: bench/ never imports tests/.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx

from bench.receivers import free_port
from infra.kafka.security import PRINCIPAL_VARIABLE, credentials_dir
from infra.settings import Settings

T = TypeVar("T")


@dataclass
class Platform:
    """Worker and API processes under their own topic prefix and database, so test runs never mix."""

    bootstrap: str
    workdir: Path
    prefix: str = field(default_factory=lambda: f"e2e-{uuid.uuid4().hex[:8]}.")
    api_port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    token: str = ""
    """The API token of the platform's test user (a commander and duty officer), made by `create_api_user`."""
    credentials: Path | None = None
    """The local broker's credentials directory, when it is not the one of this process's settings (a test's own)."""

    @property
    def env(self) -> dict[str, str]:
        """Environment of the platform's processes.

        On the local broker each process signs in as its own principal (api, worker, drill; operator commands as
        admin) with the credentials of the broker this process uses, so the e2e tests run under the real ACLs.
        """
        inherited = {k: v for k, v in os.environ.items() if k != PRINCIPAL_VARIABLE}
        return {
            **inherited,
            "TOCSIN_KAFKA_CREDENTIALS_DIR": str(self.credentials or credentials_dir(Settings())),
            "TOCSIN_KAFKA_BOOTSTRAP": self.bootstrap,
            "TOCSIN_TOPIC_PREFIX": self.prefix,
            "TOCSIN_DATABASE_URL": f"sqlite+aiosqlite:///{self.workdir / 'tocsin.db'}",
            "TOCSIN_DATA_DIR": str(self.workdir / "var"),
            "TOCSIN_API_PORT": str(self.api_port),
            "TOCSIN_PARTITIONS": "3",
            "TOCSIN_LOG_LEVEL": "INFO",
            # The receivers are local: allow webhooks to loopback, signed with a throwaway secret (docs/channels.md)
            "TOCSIN_WEBHOOK_ALLOWLIST": "http://127.0.0.1:*",
            "TOCSIN_OUTBOUND_ALLOW_PRIVATE": "loopback",
            "TOCSIN_WEBHOOK_SECRET": "local-receivers-only",
            **self.extra_env,
        }

    @property
    def base_url(self) -> str:
        """Root URL of the API."""
        return f"http://127.0.0.1:{self.api_port}"

    def topic(self, name: str) -> str:
        """Full name of a platform topic under this run's prefix."""
        return f"{self.prefix}{name}"

    def tocsin(self, *args: str) -> str:
        """Run a `tocsin` command against this platform (its database, its topics) and return its output."""
        done = subprocess.run(
            [sys.executable, "-m", "tocsin", *args], env=self.env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise AssertionError(f"tocsin {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout.strip()

    def create_api_user(self) -> None:
        """Grant the prefix's Kafka ACLs, migrate the database, make the test user and its token (as an operator)."""
        self.tocsin("kafka", "grant")
        self.tocsin("db", "upgrade")
        self.token = self.add_user("e2e", "commander", "duty_officer")

    def add_user(self, name: str, *roles: str, exercise_id: str | None = None) -> str:
        """Add an API user with `roles` (limited to one exercise's data when `exercise_id` is given); its token."""
        scope = ("--exercise", exercise_id) if exercise_id is not None else ()
        self.tocsin("user", "add", name, *(arg for role in roles for arg in ("--role", role)), *scope)
        return self.tocsin("token", "issue", name, "--label", "e2e tests").split()[-1]

    def client_as(self, token: str) -> httpx.Client:
        """An HTTP client for the API that signs in with `token`."""
        return httpx.Client(base_url=self.base_url, timeout=10, headers={"Authorization": f"Bearer {token}"})

    def start(self, name: str) -> None:
        """Start `tocsin worker`, `tocsin api` or (name "drills") `tocsin drill serve`, logging to the work dir."""
        if not self.token:
            self.create_api_user()
        if name == "worker":
            self.worker_marker.unlink(missing_ok=True)
        if name == "drills":
            self.drills_marker.unlink(missing_ok=True)
        args = ["drill", "serve"] if name == "drills" else [name]
        log = (self.workdir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "tocsin", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self, role: str, worker_id: str = "") -> str:
        """Start `tocsin worker --role ROLE` (one more process of that role's consumer group); its process name."""
        if not self.token:
            self.create_api_user()
        name = "-".join(p for p in ("worker", role, worker_id) if p)
        self.role_marker(role, worker_id).unlink(missing_ok=True)
        log = (self.workdir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "tocsin", "worker", "--role", role, "--worker-id", worker_id],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return name

    def role_marker(self, role: str, worker_id: str = "") -> Path:
        """The ready marker of one worker process (streams.app.ready_marker)."""
        base = self.workdir / "var" / "worker" / self.prefix.strip(".")
        if role == "all" and not worker_id:
            return base / "ready"
        return base / "-".join(p for p in (role, worker_id) if p) / "ready"

    def wait_role_ready(self, role: str, worker_id: str = "", timeout: float = 120) -> None:
        """Wait until one worker process has joined its group and recovered its tables."""
        marker = self.role_marker(role, worker_id)
        self.wait_for(marker.exists, timeout=timeout, what=f"worker {role} {worker_id} to be ready")

    def kill(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        """Stop a child process with `sig` and wait for it."""
        proc = self.processes.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        """Stop every child process."""
        for name in list(self.processes):
            self.kill(name)

    def check_alive(self) -> None:
        """Raise with the log tail if a child process has died."""
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                tail = (self.workdir / f"{name}.log").read_text(errors="replace")[-4000:]
                raise AssertionError(f"{name} exited with {proc.returncode}:\n{tail}")

    def client(self) -> httpx.Client:
        """An HTTP client for the API, signed in as the platform's test user."""
        return self.client_as(self.token)

    def wait_for(self, probe: Callable[[], T | None], *, timeout: float = 60, what: str = "condition") -> T:
        """Poll `probe` until it returns something truthy; fail with `what` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                result = probe()
            except httpx.HTTPError:
                result = None
            if result:
                return result
            time.sleep(0.25)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")

    def wait_worker_ready(self, timeout: float = 90) -> None:
        """Wait until the worker has created its topics, joined its group and recovered its tables."""
        self.wait_for(self.worker_marker.exists, timeout=timeout, what="the worker to be ready")

    @property
    def worker_marker(self) -> Path:
        """The file the worker touches when it is ready (streams.app.ready_marker)."""
        return self.workdir / "var" / "worker" / self.prefix.strip(".") / "ready"

    @property
    def drills_marker(self) -> Path:
        """The file the drill service touches when it is ready (drills.service.ready_marker)."""
        return self.workdir / "var" / "drill-service" / self.prefix.strip(".") / "ready"

    def wait_drills_ready(self, timeout: float = 90) -> None:
        """Wait until the drill service has joined its group and fixed its positions."""
        self.wait_for(self.drills_marker.exists, timeout=timeout, what="the drill service to be ready")

    def wait_ready(self, timeout: float = 90) -> None:
        """Wait until the API answers /readyz with 200."""

        def ready() -> bool:
            with self.client() as client:
                return client.get("/readyz").status_code == 200

        self.wait_for(ready, timeout=timeout, what="the API to be ready")
