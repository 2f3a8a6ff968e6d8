"""guidelines, first words to outsiders, practice spaces

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 03:30:00

- ``space.guidelines``: "how we work here", Markdown its owners and moderators write;
- ``membership.guidelines_due``: a member who joined and has not said "Got it" to them yet
  (memberships made before this: none due);
- ``outsider_confirmation``: a person confirmed once that they write where outsiders read
  ("audience") or that they mention an external person ("mention").

A practice space is a space of kind ``practice``: the kind is a plain string, nothing to
migrate. Columns are added in place (no batch rebuild: space and membership are referenced
with ON DELETE CASCADE, and rebuilding them on SQLite would cascade deletes).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("space", sa.Column("guidelines", sa.Text(), nullable=False, server_default=""))
    op.add_column(
        "membership",
        sa.Column("guidelines_due", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "outsider_confirmation",
        sa.Column("person_id", ID, nullable=False),
        sa.Column("what", sa.String(length=16), nullable=False),
        sa.Column("confirmed_at", AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_outsider_confirmation_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "what", name=op.f("pk_outsider_confirmation")),
    )


def downgrade() -> None:
    op.drop_table("outsider_confirmation")
    op.drop_column("membership", "guidelines_due")
    op.drop_column("space", "guidelines")
