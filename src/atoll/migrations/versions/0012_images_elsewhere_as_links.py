# ruff: noqa: S608 - the SQL below is made of this file's own constants
"""images elsewhere as links

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 12:00:00

Posts, comments and wiki pages keep their rendered HTML. Before this release an image of
another host was rendered as an ``<img>``, which made every reader's browser fetch it (a
tracking pixel); now it is a link that names the host, and the Content-Security-Policy no
longer lets a page load images from elsewhere. This renders the stored HTML the new way, so
that what was written before shows a link too rather than a blocked image. Only rows that hold
an ``<img>`` are read, a batch at a time.

There is nothing to undo: the downgrade leaves the HTML as it is.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from atoll.kit.markdown import link_images_elsewhere

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("post", "comment", "wiki_page")
BATCH = 500


def upgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        after = 0
        while True:
            rows = bind.execute(
                sa.text(
                    f"SELECT id, html FROM {table} WHERE id > :after AND html LIKE :img "
                    "ORDER BY id LIMIT :batch"
                ),
                {"after": after, "img": "%<img%", "batch": BATCH},
            ).all()
            if not rows:
                break
            changed = [
                {"id": row_id, "html": new}
                for row_id, html in rows
                if (new := link_images_elsewhere(html)) != html
            ]
            if changed:
                bind.execute(sa.text(f"UPDATE {table} SET html = :html WHERE id = :id"), changed)
            after = rows[-1][0]


def downgrade() -> None:
    pass
