# ruff: noqa: S608 - the SQL below is made of this file's own constants
"""interaction months

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 01:40:00

``interaction_month``: the interaction log's closed calendar months counted by cell and by
the month of each side's previous appearance, which the value matrix sums over whole months
(see analytics/months.py). Filled here for the months already closed; the app fills the
others as they close.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (Frozen here as it was written; analytics/months.py keeps the live copy.)
_MONTH = {
    "sqlite": "date({column}, 'start of month')",
    "postgresql": "to_char(date_trunc('month', {column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
}
_CLOSED = {  # the first day of the month that holds "a day ago": months before it are closed
    "sqlite": "date('now', '-1 day', 'start of month')",
    "postgresql": "date_trunc('month', (now() - interval '1 day') AT TIME ZONE 'UTC')",
}


def upgrade() -> None:
    op.create_table(
        "interaction_month",
        sa.Column("month", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("new_tie", sa.Boolean(), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("prev_month", sa.String(length=10), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "scope", "new_tie", "side", "prev_month", name=op.f("pk_interaction_month")
        ),
    )
    name = "postgresql" if op.get_bind().dialect.name == "postgresql" else "sqlite"

    def month(column: str) -> str:
        return _MONTH[name].format(column=column)

    closed = _CLOSED[name]
    if name == "postgresql":
        closed = f"({closed} AT TIME ZONE 'UTC')"

    def side(label: str, prev: str, extra: str = "") -> str:
        return (
            f"SELECT {month('at')} AS month, scope, new_tie, '{label}' AS side, "
            f"COALESCE({month(prev)}, '0000-00-00') AS prev_month FROM interaction "
            f"WHERE at < {closed}{extra}"
        )

    sides = " UNION ALL ".join(
        (
            side("cell", "cell_prev_at"),
            side("actor", "actor_prev_at"),
            side("target", "target_prev_at", " AND target_id IS NOT NULL"),
        )
    )
    op.execute(
        "INSERT INTO interaction_month (month, scope, new_tie, side, prev_month, count) "
        f"SELECT month, scope, new_tie, side, prev_month, COUNT(*) FROM ({sides}) AS sides "
        "GROUP BY month, scope, new_tie, side, prev_month"
    )


def downgrade() -> None:
    op.drop_table("interaction_month")
