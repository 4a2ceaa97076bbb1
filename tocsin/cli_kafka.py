"""`tocsin kafka start|stop|status|classpath`: the locally managed Kafka broker (development and CI).

The broker listens on TOCSIN_KAFKA_BOOTSTRAP (default 127.0.0.1:9092; controller on port+1) and keeps
its files under TOCSIN_DATA_DIR/kafka (default var/kafka). It runs detached from the shell until
`tocsin kafka stop`.
"""

from __future__ import annotations

import json
import logging
import sys

import structlog
import typer

from infra.kafka.broker import BrokerError, BrokerStatus, LocalBroker
from infra.kafka.classpath import ClasspathError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="The local Kafka broker (KRaft).")


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
    return (
        f"broker:    {state}\n"
        f"bootstrap: {status.bootstrap} ({answer})\n"
        f"data dir:  {status.data_dir} ({'formatted' if status.formatted else 'not formatted'})\n"
        f"log:       {status.log_file}"
    )


@app.command()
def start(
    timeout: float = typer.Option(90.0, help="Seconds to wait until the broker serves admin calls."),
) -> None:
    """Start the broker (no-op if it already runs) and wait until it is ready."""
    try:
        status = LocalBroker().start(timeout=timeout)
    except (BrokerError, ClasspathError) as exc:
        typer.echo(f"tocsin kafka start: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(_describe(status))


@app.command()
def stop(timeout: float = typer.Option(30.0, help="Seconds to wait after SIGTERM before SIGKILL.")) -> None:
    """Stop the broker this data dir started (never any other process)."""
    try:
        stopped = LocalBroker().stop(timeout=timeout)
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


if __name__ == "__main__":
    app()
