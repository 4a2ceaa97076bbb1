"""`tocsin projector rebuild`: rebuild the SQL read model from the incident event log."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from infra.db.engine import Database
from infra.db.migrate import upgrade
from infra.db.rebuild import BATCH_EVENTS, REPLAY_PROCESSES, replay
from infra.settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="The read model's projector.")


@app.command()
def rebuild(
    database_url: Annotated[str | None, typer.Option(help="Target database (default: TOCSIN_DATABASE_URL)")] = None,
    batch: Annotated[int, typer.Option(min=1, help="Events applied per transaction")] = BATCH_EVENTS,
    processes: Annotated[
        int, typer.Option(min=1, help="Worker processes sharing each topic's partitions (more pay off on idle cores)")
    ] = REPLAY_PROCESSES,
) -> None:
    """Replay tocsin.incident-events from the beginning into a database (upserts: safe on a live one too)."""
    settings = Settings()
    db = Database(database_url or settings.database_url)
    columns = (
        TextColumn("replaying events"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )

    async def go() -> tuple[int, float]:
        await upgrade(db.url.render_as_string(hide_password=False))
        started = time.perf_counter()
        with Progress(*columns) as bar:
            task = bar.add_task("replay", total=None, rate="")

            def show(done: int, total: int) -> None:
                rate = done / max(time.perf_counter() - started, 1e-9)
                bar.update(task, completed=done, total=total, rate=f"{rate:,.0f} events/s")

            topics = [settings.topic("incident-events"), settings.topic("drill-events")]
            count = await replay(settings.kafka_bootstrap, topics, db, progress=show, batch=batch, processes=processes)
        await db.dispose()
        return count, time.perf_counter() - started

    count, seconds = asyncio.run(go())
    rate = count / max(seconds, 1e-9)
    typer.echo(
        f"rebuilt {db.url.render_as_string(hide_password=True)} from {count} events "
        f"in {seconds:.1f} s ({rate:,.0f} events/s)"
    )
