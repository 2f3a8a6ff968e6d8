"""reporting lines

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 16:30:00

A person may have a manager: ``person.manager_id``, the id of another person (null: none).

It has no foreign key, on purpose: SQLite adds a constraint only by rebuilding the table, and
rebuilding ``person`` drops the old table inside the migration's transaction, where foreign
keys cannot be turned off — which deletes every membership, session and skill that refers to
a person (ON DELETE CASCADE). A plain nullable column is added in place on both databases.
People are never deleted (they are deactivated), so the id always names someone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_person_manager_id"


def upgrade() -> None:
    # op.add_column, not batch mode: on SQLite it is ALTER TABLE ... ADD COLUMN, in place.
    op.add_column(
        "person",
        sa.Column(
            "manager_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
    )
    op.create_index(INDEX, "person", ["manager_id"], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="person")
    # SQLite (3.35 and later) drops a column in place too.
    op.drop_column("person", "manager_id")
