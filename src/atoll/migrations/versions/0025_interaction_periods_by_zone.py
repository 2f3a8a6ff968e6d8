"""interaction periods by zone

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-04 23:50:00

``interaction_month`` says which calendar its counts are of: the kind of period (``period``:
month, or ISO week) and the organisation's time zone (``zone``, ATOLL_TIMEZONE), both in its
key, so that counts made for one zone are never read for another. Its rows are derived from
the interaction log: the table is made again empty, and housekeeping counts the closed periods
again in the zone the app runs with.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "interaction_month"


def _create(*calendar: sa.Column[str]) -> None:
    scope = sa.String(length=16).with_variant(sa.String(length=8), "sqlite")
    op.create_table(
        TABLE,
        sa.Column("month", sa.String(length=10), nullable=False),
        sa.Column("scope", scope, nullable=False),
        sa.Column("new_tie", sa.Boolean(), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("prev_month", sa.String(length=10), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        *calendar,
        sa.PrimaryKeyConstraint(
            "month",
            "scope",
            "new_tie",
            "side",
            "prev_month",
            *(c.name for c in calendar),
            name=op.f("pk_interaction_month"),
        ),
    )


def upgrade() -> None:
    op.drop_table(TABLE)
    _create(
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table(TABLE)
    _create()
