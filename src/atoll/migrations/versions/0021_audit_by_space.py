"""audit log by space

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 22:05:00

The audit log's filter by space (``GET /admin/audit?space_id=``, a space's own history) reads
its entries through an index of their own instead of scanning the whole log by time.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_audit_entry_space_id_id"


def upgrade() -> None:
    op.create_index(INDEX, "audit_entry", ["space_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="audit_entry")
