"""audit log

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 20:20:37

The append-only audit log (``atoll.audit``): one table, no foreign keys (the log outlives
what it names), indexed for the admin page's filters, newest first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("space_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_action_id", ["action", "id"], unique=False)
        batch_op.create_index("ix_audit_entry_actor_id_id", ["actor_id", "id"], unique=False)
        batch_op.create_index("ix_audit_entry_at_id", ["at", "id"], unique=False)
        batch_op.create_index(
            "ix_audit_entry_target_type_target_id", ["target_type", "target_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_target_type_target_id")
        batch_op.drop_index("ix_audit_entry_at_id")
        batch_op.drop_index("ix_audit_entry_actor_id_id")
        batch_op.drop_index("ix_audit_entry_action_id")

    op.drop_table("audit_entry")
