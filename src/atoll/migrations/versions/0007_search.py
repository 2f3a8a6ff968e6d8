# ruff: noqa: S608 - the SQL below is made of this file's own constants
"""search

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 22:30:00

The table ``search_doc`` and, per database, what indexes its text:
- SQLite: two FTS5 tables with their own copy of the text — ``search_fts`` for posts,
  comments and wiki pages (Porter stemming) and ``search_name_fts`` for people and spaces
  (no stemming, prefix indexes for type-ahead) — kept equal to ``search_doc`` by triggers, so
  every write to ``search_doc`` updates the index in the same transaction. (A later migration
  that rebuilds ``search_doc`` with batch mode must create the triggers again.)
- PostgreSQL: a generated ``tsvector`` column (English configuration for content, ``simple``
  for names; the title weighs A, the body B) with a partial GIN index for each group.
The documents themselves are written by ``atoll reindex`` (or the app as content changes).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTENT = "('post', 'comment', 'wiki')"
NAMES = "('person', 'space')"

# The content index has a third column, ``scope``: the token "s<space id>", so that a search
# inside one space, or by someone who reads only a few spaces, is narrowed by the index itself
# (the visibility rule stays in the SQL around it).
SQLITE_INDEXES = {
    # table: (kinds, columns, values from a search_doc row, tokenizer and options)
    "search_fts": (
        CONTENT,
        "title, body, scope",
        "{row}.title, {row}.body, 's' || coalesce({row}.space_id, 0)",
        "tokenize = 'porter unicode61 remove_diacritics 2'",
    ),
    "search_name_fts": (
        NAMES,
        "title, body",
        "{row}.title, {row}.body",
        "tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'",
    ),
}


def _sqlite_upgrade() -> None:
    for table, (kinds, columns, values, options) in SQLITE_INDEXES.items():
        new = values.format(row="new")
        op.execute(f"CREATE VIRTUAL TABLE {table} USING fts5({columns}, {options})")
        op.execute(
            f"CREATE TRIGGER {table}_ai AFTER INSERT ON search_doc WHEN new.kind IN {kinds} "
            f"BEGIN INSERT INTO {table}(rowid, {columns}) VALUES (new.id, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_ad AFTER DELETE ON search_doc WHEN old.kind IN {kinds} "
            f"BEGIN DELETE FROM {table} WHERE rowid = old.id; END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_au AFTER UPDATE OF title, body, space_id ON search_doc "
            f"WHEN new.kind IN {kinds} BEGIN DELETE FROM {table} WHERE rowid = old.id; "
            f"INSERT INTO {table}(rowid, {columns}) VALUES (new.id, {new}); END"
        )


def _postgresql_upgrade() -> None:
    def vector(config: str) -> str:
        return (
            f"setweight(to_tsvector('{config}'::regconfig, title), 'A') || "
            f"setweight(to_tsvector('{config}'::regconfig, body), 'B')"
        )

    op.execute(
        "ALTER TABLE search_doc ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
        f"CASE WHEN kind IN {NAMES} THEN {vector('simple')} ELSE {vector('english')} END"
        ") STORED"
    )
    op.execute(
        f"CREATE INDEX ix_search_doc_tsv ON search_doc USING gin (tsv) WHERE kind IN {CONTENT}"
    )
    op.execute(
        f"CREATE INDEX ix_search_doc_name_tsv ON search_doc USING gin (tsv) WHERE kind IN {NAMES}"
    )


def upgrade() -> None:
    op.create_table(
        "search_doc",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("ref_id", sa.BigInteger(), nullable=False),
        sa.Column("space_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("post_id", sa.BigInteger(), nullable=True),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["space.id"],
            name=op.f("fk_search_doc_space_id_space"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_doc")),
        sa.UniqueConstraint("kind", "ref_id", name=op.f("uq_search_doc_kind_ref_id")),
    )
    op.create_index("ix_search_doc_space_id", "search_doc", ["space_id"], unique=False)
    op.create_index("ix_search_doc_post_id", "search_doc", ["post_id"], unique=False)
    op.create_index(
        "ix_search_doc_person_id_kind", "search_doc", ["person_id", "kind"], unique=False
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgresql_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in SQLITE_INDEXES:
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}")
    op.drop_index("ix_search_doc_person_id_kind", table_name="search_doc")
    op.drop_index("ix_search_doc_post_id", table_name="search_doc")
    op.drop_index("ix_search_doc_space_id", table_name="search_doc")
    op.drop_table("search_doc")
