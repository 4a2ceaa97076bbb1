"""`tocsin kafka start|stop|status|classpath|grant|user`: the locally managed Kafka broker, and Kafka principals.

The broker listens on TOCSIN_KAFKA_BOOTSTRAP (default 127.0.0.1:9092; controller on port+1) and keeps
its files under TOCSIN_DATA_DIR/kafka (default var/kafka). It runs detached from the shell until
`tocsin kafka stop`. It authenticates every client (SASL/SCRAM-SHA-512) and authorizes with ACLs (docs/adr/0022):
`grant` gives the platform's components their ACLs under a topic prefix, `user add|remove` manage reporters. Those two
also work on a real cluster, as the super user the TOCSIN_KAFKA_* settings name.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Annotated

import structlog
import typer
from aiokafka.errors import KafkaError

from infra.kafka.acls import ROLES, KafkaAdminError, SecurityDisabled
from infra.kafka.broker import BrokerError, BrokerStatus, LocalBroker
from infra.kafka.classpath import ClasspathError
from infra.kafka.cluster import LocalCluster, formatted_nodes, is_cluster
from infra.kafka.credentials import LocalCredentials
from infra.kafka.security import credentials_dir, kafka_security
from infra.kafka.users import add_user, grant_components, remove_user
from infra.settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="The local Kafka broker (KRaft).")
user_app = typer.Typer(no_args_is_help=True, help="Kafka users (SCRAM) and their ACLs: reporters from outside.")
app.add_typer(user_app, name="user")


@app.callback()
def _logging() -> None:
    """Library log lines go to stderr at INFO (stdout carries the result), unless already configured.

    aiokafka logs every refused connection while we probe a broker that is down: that is expected here.
    """
    if not structlog.is_configured():
        structlog.configure(
            logger_factory=structlog.PrintLoggerFactory(sys.stderr),
            wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        )
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


def _describe(status: BrokerStatus) -> str:
    state = f"running (pid {status.pid})" if status.running else "not running"
    answer = "reachable" if status.reachable else "unreachable"
    if status.secured:
        security = f"SASL_PLAINTEXT (SCRAM-SHA-512) and ACLs; credentials in {status.data_dir / 'credentials'}/"
    elif status.formatted:
        security = "none: formatted by an older Tocsin (`tocsin kafka start --reformat` secures it)"
    else:
        security = "SASL_PLAINTEXT (SCRAM-SHA-512) and ACLs, once started"
    return (
        f"broker:    {state}\n"
        f"bootstrap: {status.bootstrap} ({answer})\n"
        f"data dir:  {status.data_dir} ({'formatted' if status.formatted else 'not formatted'})\n"
        f"security:  {security}\n"
        f"log:       {status.log_file}"
    )


@app.command()
def start(
    timeout: float = typer.Option(90.0, help="Seconds to wait until the broker serves admin calls."),
    reformat: bool = typer.Option(
        False,
        "--reformat",
        help="Secure a data dir formatted by an older Tocsin (without authentication): move its topics aside and "
        "start a new, empty, secured broker; or one formatted for another --brokers count.",
    ),
    brokers: int = typer.Option(
        1,
        "--brokers",
        min=1,
        max=9,
        help="KRaft nodes to run on this machine (ports P, P+2, ...; P from TOCSIN_KAFKA_BOOTSTRAP). From 3 on, "
        "topics get 3 replicas and min.insync.replicas=2.",
    ),
) -> None:
    """Start the broker or the local cluster (no-op if it runs), wait until it is ready, grant the components' ACLs."""
    settings = Settings()
    try:
        if brokers == 1 and not is_cluster(settings):
            status = LocalBroker().start(timeout=timeout, reformat=reformat)
        else:
            cluster = LocalCluster(settings, nodes=brokers)
            cluster.start(timeout=max(timeout, 60.0 * brokers), reformat=reformat)
            status = cluster.node(1).status()
            typer.echo(f"cluster:   {brokers} node(s); clients use TOCSIN_KAFKA_BOOTSTRAP={cluster.bootstrap}")
    except (BrokerError, ClasspathError, KafkaError, KafkaAdminError) as exc:
        typer.echo(f"tocsin kafka start: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(_describe(status))


@app.command()
def stop(timeout: float = typer.Option(30.0, help="Seconds to wait after SIGTERM before SIGKILL.")) -> None:
    """Stop the broker this data dir started (never any other process)."""
    try:
        settings = Settings()
        nodes = formatted_nodes(settings) or 1
        stopped = (
            LocalCluster(settings, nodes=nodes).stop(timeout) if is_cluster(settings) else LocalBroker().stop(timeout)
        )
    except BrokerError as exc:
        typer.echo(f"tocsin kafka stop: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo("broker stopped" if stopped else "broker was not running")


@app.command()
def status(
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """Show the broker's state. Exit code 0 when the bootstrap answers admin calls, 1 otherwise."""
    result = LocalBroker().status()
    typer.echo(json.dumps(result.as_dict()) if as_json else _describe(result))
    if not result.reachable:
        raise typer.Exit(1)


@app.command()
def classpath() -> None:
    """Resolve (once, with mvn) and print the broker's Java classpath."""
    try:
        typer.echo(LocalBroker().ensure_classpath())
    except ClasspathError as exc:
        typer.echo(f"tocsin kafka classpath: {exc}", err=True)
        raise typer.Exit(1) from exc


def _admin_target() -> tuple[Settings, str]:
    settings = Settings()
    return settings, settings.kafka_bootstrap


@app.command()
def grant() -> None:
    """Grant api, worker and drill their ACLs on the topics under TOCSIN_TOPIC_PREFIX (`start` does it too)."""
    settings, bootstrap = _admin_target()
    try:
        count = asyncio.run(grant_components(bootstrap, kafka_security(settings), settings.topic_prefix))
    except SecurityDisabled:
        typer.echo(f"the broker at {bootstrap} has no authorizer: there are no ACLs to grant", err=True)
        return
    except (KafkaAdminError, KafkaError, OSError) as exc:
        typer.echo(f"tocsin kafka grant: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{count} ACLs for api, worker and drill under {settings.topic_prefix!r} on {bootstrap}")


def aiokafka_snippet(credentials: LocalCredentials, topic: str) -> str:
    """Python that sends one report as this user (printed by `user add`)."""
    return (
        "from aiokafka import AIOKafkaProducer\n\n"
        "producer = AIOKafkaProducer(\n"
        f'    bootstrap_servers="{credentials.bootstrap}",\n'
        f'    security_protocol="{credentials.protocol}",\n'
        f'    sasl_mechanism="{credentials.mechanism}",\n'
        f'    sasl_plain_username="{credentials.username}",\n'
        f'    sasl_plain_password="{credentials.password.get_secret_value()}",\n'
        ")\n"
        "await producer.start()\n"
        f'await producer.send_and_wait("{topic}", report_json_bytes, key=report_id.encode())\n'
        "await producer.stop()\n"
    )


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The user name (a-z, 0-9, '.', '_', '-').")],
    role: Annotated[str, typer.Option(help=f"What the user may do: {', '.join(ROLES)}.")] = "reporter",
) -> None:
    """Add a SCRAM user with its role's ACLs under TOCSIN_TOPIC_PREFIX; print its kcat and aiokafka config once.

    The password is also stored, readable by you only, in the credentials directory (NAME.properties, NAME.json).
    """
    if role not in ROLES:
        raise typer.BadParameter(f"{role!r}: choose {', '.join(ROLES)}", param_hint="--role")
    settings, bootstrap = _admin_target()
    directory = credentials_dir(settings)
    try:
        created = asyncio.run(
            add_user(bootstrap, kafka_security(settings), directory, name, role=role, prefix=settings.topic_prefix)
        )
    except (KafkaAdminError, KafkaError, OSError, ValueError) as exc:
        typer.echo(f"tocsin kafka user add: {exc}", err=True)
        raise typer.Exit(1) from exc
    properties = directory / f"{name}.properties"
    typer.echo(
        f"# Kafka user {name} ({role}) on {bootstrap}; stored in {properties} (mode 0600)\n"
        f"# kcat:  kcat -F {properties} -P -t {settings.topic('reports')} -k REPORT_ID report.json\n\n"
        f"{created.as_properties()}\n"
        f"# aiokafka:\n{aiokafka_snippet(created, settings.topic('reports'))}"
    )


@user_app.command("remove")
def user_remove(name: Annotated[str, typer.Argument(help="The user name.")]) -> None:
    """Remove a user: its SCRAM credential, its ACLs and its stored credentials."""
    settings, bootstrap = _admin_target()
    try:
        found = asyncio.run(remove_user(bootstrap, kafka_security(settings), credentials_dir(settings), name))
    except (KafkaAdminError, KafkaError, OSError, ValueError) as exc:
        typer.echo(f"tocsin kafka user remove: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"user {name} removed" if found else f"there was no user {name}")
    if not found:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
