"""SCIM provisioning: tokens, and what a client said about users and groups

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 16:30:00

``scim_token`` holds the SHA-256 of each provisioning client's bearer token (``atoll
scim-token``). ``scim_user`` and ``scim_group`` keep the attributes a SCIM client sets that
the person and unit tables do not have (userName, externalId, name parts); people and units
without a row answer with defaults drawn from their own columns.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "scim_token",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scim_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_scim_token_token_hash")),
    )
    op.create_table(
        "scim_user",
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("user_name", sa.String(length=320), nullable=False),
        sa.Column("user_name_key", sa.String(length=320), nullable=False),
        sa.Column("external_id", sa.String(length=320), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("name_formatted", sa.String(length=200), nullable=True),
        sa.Column("given_name", sa.String(length=200), nullable=True),
        sa.Column("family_name", sa.String(length=200), nullable=True),
        sa.Column("email_type", sa.String(length=16), nullable=True),
        sa.Column("email_primary", sa.Boolean(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_scim_user_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_scim_user")),
        sa.UniqueConstraint("user_name_key", name=op.f("uq_scim_user_user_name_key")),
    )
    op.create_index(op.f("ix_scim_user_external_id"), "scim_user", ["external_id"])
    op.create_table(
        "scim_group",
        sa.Column("unit_id", BigId, nullable=False),
        sa.Column("external_id", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_scim_group_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_scim_group")),
    )
    op.create_index(op.f("ix_scim_group_external_id"), "scim_group", ["external_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_scim_group_external_id"), table_name="scim_group")
    op.drop_table("scim_group")
    op.drop_index(op.f("ix_scim_user_external_id"), table_name="scim_user")
    op.drop_table("scim_user")
    op.drop_table("scim_token")
