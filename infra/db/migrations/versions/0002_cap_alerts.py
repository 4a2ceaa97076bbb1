"""CAP alerts published by the notifier and served on the Atom feed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 08:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "cap_alerts",
        sa.Column("feed", sa.String(length=200), nullable=False),
        sa.Column("identifier", sa.String(length=200), nullable=False),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alert", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("feed", "identifier"),
    )
    with op.batch_alter_table("cap_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cap_alerts_sent"), ["sent"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("cap_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cap_alerts_sent"))
    op.drop_table("cap_alerts")
