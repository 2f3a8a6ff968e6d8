"""interaction periods by zone

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 23:50:00

``interaction_month`` says which calendar its counts are of: the kind of period (``period``:
month, or ISO week) and the organisation's time zone (``zone``, ATOLL_TIMEZONE), both in its
key, so that counts made for one zone are never read for another. Its rows are derived from
the interaction log: the table is made again empty, and housekeeping counts the closed periods
again in the zone the app runs with.

Two indexes cover the value matrix under a unit filter: the rows whose actor (or target) was
in one of the unit's units, in a time range, read from the index alone; a third, partial, the
people of the rows reported apart from the grid.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "interaction_month"
COVER = ("scope", "new_tie", "tie_key", "actor_id", "target_id")
INDEXES = {
    "ix_interaction_actor_unit_id_at": ["actor_unit_id", "at", *COVER, "target_unit_id"],
    "ix_interaction_target_unit_id_at": ["target_unit_id", "at", *COVER, "actor_unit_id"],
}


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


APART_INDEX = "ix_interaction_at_apart"
APART = sa.text("scope IN ('externals', 'no_silo')")


def upgrade() -> None:
    op.drop_table(TABLE)
    _create(
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
    )
    for name, columns in INDEXES.items():
        op.create_index(name, "interaction", columns, unique=False)
    op.create_index(
        APART_INDEX,
        "interaction",
        ["at", "scope", "actor_id", "target_id"],
        unique=False,
        sqlite_where=APART,
        postgresql_where=APART,
    )


def downgrade() -> None:
    op.drop_index(APART_INDEX, table_name="interaction")
    for name in INDEXES:
        op.drop_index(name, table_name="interaction")
    op.drop_table(TABLE)
    _create()
