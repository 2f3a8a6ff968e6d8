"""personal access tokens, TOTP second factor

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 17:00:00

``auth_session`` gains ``name`` and ``scopes`` for personal access tokens (kind "pat"); the
sessions and password tokens there already get "" for both. ``totp_secret`` holds a person's
TOTP secret (encrypted) and the last step a code was accepted for; ``recovery_code`` the
SHA-256 of each single-use recovery code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("scopes", sa.String(length=32), server_default="", nullable=False)
        )
    op.create_table(
        "totp_secret",
        sa.Column("person_id", BIG_ID, nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_totp_secret_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_totp_secret")),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("person_id", BIG_ID, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_recovery_code_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_person_id"), ["person_id"])


def downgrade() -> None:
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_code_person_id"))
    op.drop_table("recovery_code")
    op.drop_table("totp_secret")
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.drop_column("scopes")
        batch_op.drop_column("name")
