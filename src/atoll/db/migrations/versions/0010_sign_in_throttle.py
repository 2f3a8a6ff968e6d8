"""sign-in throttle

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03 10:00:00

``sign_in_counter`` replaces ``login_failure``: one row per throttle key, counted atomically
(see people/throttle.py); the failures counted so far are dropped (their windows are 15
minutes long).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_counter",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_counter")),
    )
    with op.batch_alter_table("sign_in_counter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_counter_started_at"), ["started_at"])
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_key_at")
    op.drop_table("login_failure")


def downgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_login_failure_key_at", ["key", "at"], unique=False)
    with op.batch_alter_table("sign_in_counter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_counter_started_at"))
    op.drop_table("sign_in_counter")
