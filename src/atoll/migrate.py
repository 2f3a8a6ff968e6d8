"""Run Alembic migrations programmatically, on either database."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


# Made by migration 0007 and invisible to the models: the FTS5 tables on SQLite (with their
# shadow tables), the generated tsvector column and its GIN indexes on PostgreSQL.
HAND_MADE = ("search_fts", "search_name_fts", "ix_search_doc_tsv", "ix_search_doc_name_tsv")


def include_name(name: str | None, type_: str, parent_names: Mapping[str, str | None]) -> bool:
    """What the comparison of models and database looks at (Alembic's ``include_name``)."""
    if name is None:
        return True
    if type_ == "column" and parent_names.get("table_name") == "search_doc":
        return name != "tsv"
    return not name.startswith(HAND_MADE)


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
