"""`tocsin` command line: one sub-command group per part of the platform."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Tocsin emergency-response platform.")


def _register() -> None:
    from tocsin import cli_admin, cli_drill, cli_kafka, cli_platform, cli_playbook, cli_projector

    app.add_typer(cli_kafka.app, name="kafka")
    app.add_typer(cli_projector.app, name="projector")
    app.add_typer(cli_playbook.app, name="playbook")
    app.add_typer(cli_drill.app, name="drill")
    cli_platform.register(app)
    cli_admin.register(app, cli_platform.db_app)


def main() -> None:
    """Run the `tocsin` command."""
    _register()
    app()
