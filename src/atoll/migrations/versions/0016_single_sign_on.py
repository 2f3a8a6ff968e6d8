"""single sign-on

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 17:00:00

``sso_link`` ties an account at an identity provider (issuer, subject) to the person it signs
in as; ``sso_used`` remembers the OIDC states and SAML assertion ids already used, until they
expire, so that a replayed sign-in is refused.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sso_link",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_sso_link_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_link")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_sso_link_issuer_subject")),
    )
    with op.batch_alter_table("sso_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_link_person_id"), ["person_id"])
    op.create_table(
        "sso_used",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sso_used")),
    )
    with op.batch_alter_table("sso_used", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_used_expires_at"), ["expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("sso_used", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sso_used_expires_at"))
    op.drop_table("sso_used")
    with op.batch_alter_table("sso_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sso_link_person_id"))
    op.drop_table("sso_link")
