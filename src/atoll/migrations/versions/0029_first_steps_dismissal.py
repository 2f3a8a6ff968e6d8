"""first steps dismissal

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05 03:18:34

Who hid their first-steps checklist from the home page (analytics/first_steps.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "first_steps_dismissal",
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_first_steps_dismissal_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_first_steps_dismissal")),
    )


def downgrade() -> None:
    op.drop_table("first_steps_dismissal")
