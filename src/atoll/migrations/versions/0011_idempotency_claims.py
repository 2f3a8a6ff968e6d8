"""idempotency claims

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 10:00:00

``idempotency_key.claim``: the token of the request that holds a key while it runs. Its answer
is stored only while the row still carries that token, and a claim whose request did not
finish can be taken over (see web/idempotency.py). Rows of older versions have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_key") as batch:
        batch.add_column(sa.Column("claim", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_key") as batch:
        batch.drop_column("claim")
