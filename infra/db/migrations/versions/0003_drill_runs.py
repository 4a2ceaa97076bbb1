"""drill_runs: the read model of the drill control plane (docs/adr/0018).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 10:11:31
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "drill_runs",
        sa.Column("exercise_id", sa.String(length=200), nullable=False),
        sa.Column("scenario_id", sa.String(length=120), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("speed", sa.Float(), nullable=False),
        sa.Column("elapsed_seconds", sa.Float(), nullable=False),
        sa.Column("end_seconds", sa.Float(), nullable=False),
        sa.Column("bot", sa.String(length=32), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("score", sa.JSON(), nullable=True),
        sa.Column("report_markdown", sa.Text(), nullable=True),
        sa.Column("report_html", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("exercise_id"),
    )
    with op.batch_alter_table("drill_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drill_runs_scenario_id"), ["scenario_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_drill_runs_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_drill_runs_state"), ["state"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("drill_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drill_runs_state"))
        batch_op.drop_index(batch_op.f("ix_drill_runs_started_at"))
        batch_op.drop_index(batch_op.f("ix_drill_runs_scenario_id"))
    op.drop_table("drill_runs")
