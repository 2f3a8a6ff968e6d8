"""readiness and champions

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 03:20:00

Ready to go outward (``atoll.analytics.readiness``): the thresholds an administrator sets,
one row (``readiness_threshold``). Champions (``atoll.analytics.champions``): a person's
"I'm happy to coach others" (``person.coach_opt_in``), a plain column added in place with
``op.add_column`` (no batch mode: on SQLite that would rebuild the ``person`` table).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "readiness_threshold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("active_share", sa.Float(), nullable=False),
        sa.Column("across_share", sa.Float(), nullable=False),
        sa.Column("answer_rate", sa.Float(), nullable=False),
        sa.Column("first_answer_hours", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["person.id"],
            name=op.f("fk_readiness_threshold_updated_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_threshold")),
    )
    op.add_column(
        "person",
        sa.Column("coach_opt_in", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("person", "coach_opt_in")
    op.drop_table("readiness_threshold")
