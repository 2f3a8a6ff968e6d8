"""sign-in throttle, tokens that expire

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00

``sign_in_counter`` replaces ``login_failure``: one row per throttle key, counted atomically
(see people/throttle.py); the failures counted so far are dropped (their windows are 15
minutes long). Every API token gets an expiry: until now tokens had none, so an idle token now
lives 30 days (the default of ``ATOLL_TOKEN_DAYS``) from its last use — one unused for longer
stops working. ``auth_session.expires_at`` is required from here on.
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKEN_DAYS = 30  # ATOLL_TOKEN_DAYS' default, frozen here as it was when this was written

_auth_session = sa.table(
    "auth_session",
    sa.column("id", sa.BigInteger()),
    sa.column("last_seen_at", sa.DateTime(timezone=True)),
    sa.column("expires_at", sa.DateTime(timezone=True)),
)


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

    # Computed here rather than in SQL: the two databases store and add times differently.
    bind = op.get_bind()
    unexpiring = bind.execute(
        sa.select(_auth_session.c.id, _auth_session.c.last_seen_at).where(
            _auth_session.c.expires_at.is_(None)
        )
    ).all()
    if unexpiring:
        bind.execute(
            _auth_session.update()
            .where(_auth_session.c.id == sa.bindparam("row_id"))
            .values(expires_at=sa.bindparam("new_expiry")),
            [
                {"row_id": row.id, "new_expiry": row.last_seen_at + timedelta(days=TOKEN_DAYS)}
                for row in unexpiring
            ],
        )
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=True)
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
