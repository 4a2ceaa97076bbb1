"""A private, throwaway PostgreSQL cluster for the crash matrix (as scripts/with-postgres.sh starts one).

    with PrivatePostgres(root) as pg:
        url = pg.url            # postgresql+asyncpg://tocsin:tocsin@127.0.0.1:<port>/tocsin
        pg.stop()               # immediate shutdown: clients see their connections drop
        pg.start()

It lives in a directory of its own on a free port (never the machine's own clusters); under root it runs as the
`postgres` user, as PostgreSQL insists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Self

from bench.receivers import free_port

__all__ = ["PrivatePostgres", "postgres_bin"]


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL bin directory with initdb, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


class PrivatePostgres:
    """initdb, start, stop and remove one PostgreSQL cluster with a `tocsin` database and role."""

    def __init__(self, root: Path) -> None:
        bins = postgres_bin()
        if bins is None:
            raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql (apt-get install postgresql)")
        self.bins = bins
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the `tocsin` database."""
        return f"postgresql+asyncpg://tocsin:tocsin@127.0.0.1:{self.port}/tocsin"

    def _run(self, *args: str, as_pg: bool = True) -> None:
        prefix = self.as_pg if as_pg else []
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}")

    def __enter__(self) -> Self:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        if self.as_pg:
            shutil.chown(self.root, "postgres")
        self._run(str(self.bins / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run(
            str(self.bins / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-v",
            "ON_ERROR_STOP=1", "-q", "-c", "CREATE ROLE tocsin LOGIN PASSWORD 'tocsin'",
            "-c", "CREATE DATABASE tocsin OWNER tocsin", as_pg=False,
        )  # fmt: skip
        return self

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} -c fsync=off"
        )
        self._run(
            str(self.bins / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60",
            "-o", options, "start",
        )  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server (`immediate`: no checkpoint, every connection dropped, as a crash or a pulled cable)."""
        self._run(str(self.bins / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("fast")
        shutil.rmtree(self.root, ignore_errors=True)
