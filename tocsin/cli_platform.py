"""Platform commands: `tocsin worker`, `tocsin api`, `tocsin run`, `tocsin report send`, `tocsin db init`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer

from infra.kafka.admin import ensure_topics
from infra.kafka.security import use_principal
from infra.logs import configure_logging
from infra.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from infra.kafka.broker import LocalBroker

report_app = typer.Typer(no_args_is_help=True, help="Send reports.")
db_app = typer.Typer(no_args_is_help=True, help="The SQL read model.")


def register(app: typer.Typer) -> None:
    """Add the platform commands to the root `tocsin` app."""
    app.command()(worker)
    app.command()(api)
    app.command()(run)
    report_app.command("send")(report_send)
    app.add_typer(report_app, name="report")
    db_app.command("init")(db_init)
    app.add_typer(db_app, name="db")


def worker(
    role: Annotated[
        str,
        typer.Option(
            envvar="TOCSIN_WORKER_ROLE",
            help="What this process runs: all, intake, writer, notifier or projector (start more processes of "
            "a role to scale it; docs/operations.md)",
        ),
    ] = "all",
    worker_id: Annotated[
        str,
        typer.Option(envvar="TOCSIN_WORKER_ID", help="Tells apart processes of one role on one machine"),
    ] = "",
) -> None:
    """Run a stream-processing worker for one role (default: all agents); creates the platform's topics first."""
    from streams.roles import UnknownRole, check_role  # not streams.app: it builds the app of the role it reads

    try:
        check_role(role)
    except UnknownRole as exc:
        raise typer.BadParameter(str(exc), param_hint="--role") from exc
    os.environ["TOCSIN_WORKER_ROLE"] = role  # streams.app reads its settings from the environment at import
    os.environ["TOCSIN_WORKER_ID"] = worker_id
    use_principal("worker")  # the local broker's `worker` principal, unless TOCSIN_KAFKA_* say otherwise (ADR 0022)
    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    from infra.db.migrate import upgrade_shared
    from infra.playbook_archive import with_archive
    from streams import playbooks_cache
    from streams.topics import ALL_TOPICS, CHANGELOG_CONFIG, CHANGELOG_TOPICS
    from streams.worker import TocsinWorker
    from streams.worker import app as faust_app

    if role in ("all", "notifier", "projector"):  # the roles that write the database migrate it first
        asyncio.run(upgrade_shared(settings.database_url))
    created = asyncio.run(ensure_topics(settings.kafka_bootstrap, ALL_TOPICS, settings.partitions))
    created += asyncio.run(
        ensure_topics(settings.kafka_bootstrap, CHANGELOG_TOPICS, settings.partitions, configs=CHANGELOG_CONFIG)
    )
    if created:
        typer.echo(f"created topics: {', '.join(created)}", err=True)
    playbooks_cache.install(
        asyncio.run(
            with_archive(
                settings.kafka_bootstrap,
                playbooks_cache.ARCHIVE_TOPIC,
                playbooks_cache.library(),
            )
        )
    )
    Path(faust_app.conf.datadir).mkdir(parents=True, exist_ok=True)
    TocsinWorker(faust_app, loglevel=settings.log_level.lower(), redirect_stdouts=False).execute_from_commandline()


def api() -> None:
    """Serve the HTTP API on TOCSIN_API_HOST:TOCSIN_API_PORT with TOCSIN_API_WORKERS processes (default 1)."""
    import uvicorn

    use_principal("api")  # in the environment, so uvicorn's worker processes are `api` too (ADR 0022)
    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    if settings.api_workers < 1:
        raise typer.BadParameter(f"TOCSIN_API_WORKERS is {settings.api_workers}; it must be at least 1")
    uvicorn.run(
        "tocsin.cli_platform:api_process_app",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        workers=settings.api_workers,
        log_config=None,
        access_log=False,
    )


def api_process_app() -> FastAPI:
    """The app of one `tocsin api` process. With several workers uvicorn spawns fresh processes that import
    this: each sets up its own logging, then builds its own app (database pool, Kafka producer, caches)."""
    from tocsin.api_factory import create

    use_principal("api")
    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    return create(settings)


def db_init() -> None:
    """Create or migrate the database schema (the same as `tocsin db upgrade`)."""
    from infra.db.migrate import safe_url, upgrade

    settings = Settings()
    revision = asyncio.run(upgrade(settings.database_url))
    typer.echo(f"database ready: {safe_url(settings.database_url)} at revision {revision}")


def sample_reports() -> list[dict[str, Any]]:
    """The sample district's demo reports, stamped `reported_minutes_ago` (each report says) before now.

    The canteen report was made two hours ago and is entered late, so the demo shows its first-report
    deadlines overdue and escalating within seconds.
    """
    text = resources.files("infra.sample").joinpath("reports.json").read_text(encoding="utf-8")
    reports: list[dict[str, Any]] = json.loads(text)
    now = datetime.now(UTC).replace(microsecond=0)
    stamped = []
    for report in reports:
        minutes = int(report.pop("reported_minutes_ago", 0))
        stamped.append({**report, "reported_at": (now - timedelta(minutes=minutes)).isoformat()})
    return stamped


def report_send(
    file: Annotated[Path | None, typer.Argument(help="JSON file: a report or a list; default: the sample")] = None,
    api_url: Annotated[str, typer.Option(help="Base URL of the API")] = "",
    token: Annotated[str, typer.Option(envvar="TOCSIN_API_TOKEN", help="Bearer token (tocsin token issue)")] = "",
) -> None:
    """Post reports to the API and print the ids it accepted."""
    settings = Settings()
    base = api_url or f"http://{settings.api_host}:{settings.api_port}"
    if file is None:
        reports = sample_reports()
    else:
        loaded = json.loads(file.read_text(encoding="utf-8"))
        reports = loaded if isinstance(loaded, list) else [loaded]
    for report in reports:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        reply = httpx.post(f"{base}/api/v1/reports", json=report, headers=headers, timeout=30)
        if reply.status_code != 202:
            typer.echo(f"{report.get('report_id')}: HTTP {reply.status_code} {reply.text}", err=True)
            raise typer.Exit(1)
        typer.echo(f"accepted {report.get('report_id')}: {reply.json()}")


def _port_taken(host: str, port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) == 0


def _wait_ready(url: str, processes: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in processes:
            if proc.poll() is not None:
                raise RuntimeError(f"{' '.join(map(str, proc.args))} exited with {proc.returncode}")  # type: ignore[arg-type]
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} was not ready within {timeout:.0f} s")


def _wait_for_incidents(base: str, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items: list[dict[str, Any]] = httpx.get(f"{base}/api/v1/incidents", timeout=5).json()["items"]
        if items:
            return items
        time.sleep(0.5)
    return []


def _wait_for_incidents_as(base: str, headers: dict[str, str], timeout: float) -> list[dict[str, Any]]:
    """The incident list once it is not empty (or [] after `timeout`), read with `headers`' token."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = httpx.get(f"{base}/api/v1/incidents", headers=headers, timeout=5)
        items: list[dict[str, Any]] = reply.json().get("items", []) if reply.status_code == 200 else []
        if items:
            return items
        time.sleep(0.5)
    return []


PLATFORM_PROCESSES: dict[str, tuple[str, ...]] = {
    "worker": ("worker",),
    "api": ("api",),
    "drills": ("drill", "serve"),
}
"""The child processes `tocsin run` starts (log file name -> `tocsin` arguments)."""


def run(
    sample: Annotated[bool, typer.Option(help="Load the sample incident")] = True,
) -> None:
    """Start the broker (unless TOCSIN_KAFKA_BOOTSTRAP is set), the worker, the API and the drill service."""
    settings = Settings()
    broker = _local_broker(settings)
    from tocsin.cli_admin import operator_token

    if _port_taken(settings.api_host, settings.api_port):
        typer.echo(
            f"port {settings.api_host}:{settings.api_port} is in use (another Tocsin API?); stop it or set "
            "TOCSIN_API_PORT",
            err=True,
        )
        raise typer.Exit(1)
    db_init()  # migrations first: the API refuses to start on an unmigrated schema
    token = operator_token(settings)
    logs = settings.data_dir / "logs"
    children = _start_children(logs)
    base = f"http://{settings.api_host}:{settings.api_port}"
    try:
        typer.echo("starting the worker, the API and the drill service ...")
        _wait_ready(f"{base}/readyz", children, timeout=90)
        if sample:
            _load_sample(base, {"Authorization": f"Bearer {token}"})
        typer.echo(
            f"\nTocsin is ready.\n  console   {base}/console/#token={token}\n"
            f"  API       {base}/api/v1/incidents\n  API docs  {base}/docs\n"
            f"  token     {token}   (user operator, 24 h; send as 'Authorization: Bearer ...')\n"
            f"  drills    tocsin drill run SCENARIO, or POST /api/v1/drills (hosted by the drill service)\n"
            f"  logs      {logs}/\nPress Ctrl-C to stop."
        )
        _block_until_interrupted(children)
    finally:
        _stop(children, broker)


def _local_broker(settings: Settings) -> LocalBroker | None:
    """Start the local broker unless one runs or TOCSIN_KAFKA_BOOTSTRAP names another; the one started here."""
    if "TOCSIN_KAFKA_BOOTSTRAP" in os.environ:
        return None
    from infra.kafka.broker import LocalBroker

    local = LocalBroker(settings)
    if local.status().running:
        typer.echo(f"using the local Kafka broker already running at {local.bootstrap}")
        return None
    typer.echo("starting the local Kafka broker ...")
    local.start()
    return local  # started here, so stopped here


def _start_children(logs: Path) -> list[subprocess.Popen[bytes]]:
    """Start the platform's processes, each logging to its own file under `logs`."""
    logs.mkdir(parents=True, exist_ok=True)
    children: list[subprocess.Popen[bytes]] = []
    for name, args in PLATFORM_PROCESSES.items():
        log_file = (logs / f"{name}.log").open("ab")
        children.append(
            subprocess.Popen(
                [sys.executable, "-m", "tocsin", *args],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return children


def _load_sample(base: str, auth: dict[str, str]) -> None:
    """Post the sample reports and print the incidents they became."""
    for report in sample_reports():
        reply = httpx.post(f"{base}/api/v1/reports", json=report, headers=auth, timeout=30)
        typer.echo(f"report {report.get('report_id')}: HTTP {reply.status_code}")
    for item in _wait_for_incidents_as(base, auth, timeout=60):
        typer.echo(f"incident {item['id']}: level {item['level']} ({item['explanation']})")


def _stop(children: list[subprocess.Popen[bytes]], broker: LocalBroker | None) -> None:
    """Stop the processes (SIGTERM, then kill after 20 s) and the broker if it was started here."""
    typer.echo("stopping ...")
    for proc in children:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in children:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    if broker is not None:
        broker.stop()


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _block_until_interrupted(children: list[subprocess.Popen[bytes]]) -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        while all(proc.poll() is None for proc in children):
            time.sleep(1)
        typer.echo("a platform process exited; see the logs", err=True)
    except KeyboardInterrupt:
        pass
