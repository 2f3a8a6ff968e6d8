"""Bulk writing for the demo generator: core INSERTs of many rows at once, in chunks, with
ids the generator chose; afterwards PostgreSQL's id sequences are moved past them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

# The models of every domain the generator writes, so that their tables are on Base.metadata
# whatever was imported before (the demo sits above every domain).
from atoll.analytics import models as _analytics
from atoll.conversations import models as _conversations
from atoll.db.base import Base
from atoll.org import models as _org
from atoll.people import models as _people
from atoll.search import models as _search
from atoll.spaces import models as _spaces
from atoll.wiki import models as _wiki

MODELS = (_analytics, _conversations, _org, _people, _search, _spaces, _wiki)

CHUNK = 10_000
# Tables whose ids the generator assigns.
ID_TABLES = (
    "unit",
    "person",
    "space",
    "post",
    "comment",
    "mention",
    "wiki_page",
    "wiki_revision",
    "interaction",
)


def table(name: str) -> Table:
    return Base.metadata.tables[name]


async def last_ids(session: AsyncSession) -> dict[str, int]:
    """The highest id in use in each table the generator writes ids into."""
    out = {}
    for name in ID_TABLES:
        out[name] = int(await session.scalar(select(func.max(table(name).c.id))) or 0)
    return out


async def insert_rows(session: AsyncSession, name: str, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(table(name)), list(rows[start : start + CHUNK]))


async def move_sequences(session: AsyncSession) -> None:
    """On PostgreSQL, make each id sequence continue after the ids written explicitly."""
    if (await session.connection()).dialect.name != "postgresql":
        return
    for name in ID_TABLES:
        await session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
            )
        )
