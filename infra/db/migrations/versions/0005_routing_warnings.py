"""Routing warnings: incidents.warnings (places the district does not know) and incidents.routing_warnings (who a
step could not reach, why, and who was paged instead); notifications.reason and notifications.fallback_for.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 02:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warnings", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("routing_warnings", sa.JSON(), nullable=True))
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("fallback_for", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("fallback_for")
        batch_op.drop_column("reason")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("routing_warnings")
        batch_op.drop_column("warnings")
