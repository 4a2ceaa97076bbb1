"""`tocsin projector rebuild`: rebuild the SQL read model from the incident event log."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.progress import Progress

from infra.db.engine import Database
from infra.db.migrate import upgrade
from infra.db.rebuild import replay
from infra.settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="The read model's projector.")


@app.command()
def rebuild(
    database_url: Annotated[str | None, typer.Option(help="Target database (default: TOCSIN_DATABASE_URL)")] = None,
) -> None:
    """Replay tocsin.incident-events from the beginning into a database (upserts: safe on a live one too)."""
    settings = Settings()
    db = Database(database_url or settings.database_url)

    async def go() -> int:
        await upgrade(db.url.render_as_string(hide_password=False))
        with Progress() as bar:
            task = bar.add_task("replaying events", total=None)
            topics = [settings.topic("incident-events"), settings.topic("drill-events")]
            count = await replay(
                settings.kafka_bootstrap,
                topics,
                db,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        await db.dispose()
        return count

    count = asyncio.run(go())
    typer.echo(f"rebuilt {db.url.render_as_string(hide_password=True)} from {count} events")
