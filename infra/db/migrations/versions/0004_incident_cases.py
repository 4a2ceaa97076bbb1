"""incident_cases: the case line list of each incident (one row per person, its newest entry); and
incidents.facts_basis: which figures the list gave and which were summed per source.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 02:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "incident_cases",
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column("person_key", sa.String(length=128), nullable=False),
        sa.Column("onset", sa.DateTime(timezone=True), nullable=False),
        sa.Column("town", sa.String(length=200), nullable=False),
        sa.Column("village", sa.String(length=200), nullable=False),
        sa.Column("county", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(length=16), nullable=True),
        sa.Column("symptoms", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("report_id", sa.String(length=200), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("updated_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "person_key"),
    )
    with op.batch_alter_table("incident_cases", schema=None) as batch_op:
        batch_op.create_index("ix_incident_cases_incident_onset", ["incident_id", "onset"], unique=False)
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facts_basis", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("facts_basis")
    with op.batch_alter_table("incident_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_cases_incident_onset")
    op.drop_table("incident_cases")
