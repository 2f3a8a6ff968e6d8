"""network snapshots

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 23:40:00

Computed networks are kept (``analytics/network_store.py``): one row per set of parameters
(range, level, unit, silo level, ties' minimum), refreshed by housekeeping.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "network_snapshot",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=True),
        sa.Column("silo_level", sa.Integer(), nullable=False),
        sa.Column("min_interactions", sa.Integer(), nullable=False),
        sa.Column("range_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("range_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("sources", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_network_snapshot")),
    )


def downgrade() -> None:
    op.drop_table("network_snapshot")
