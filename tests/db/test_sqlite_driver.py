"""SQLite's driver adapter: one trip to the connection's thread per statement, with the same
answers as SQLAlchemy's own adapter (rows, row counts, last row ids, errors, many rows).

It runs on a SQLite file of its own in both passes of the suite: the adapter is SQLite's
whatever database the rest of the run uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from atoll.db.engine import make_engine
from atoll.kit.settings import Settings


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    made = make_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/driver.db"))
    async with made.begin() as conn:
        await conn.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield made
    await made.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function sent to a connection's thread."""
    sent: list[str] = []
    original = aiosqlite.Connection._execute

    async def counting(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return sent


async def test_a_statement_is_one_trip_with_its_rows(engine: AsyncEngine, trips: list[str]) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO item (name) VALUES ('a'), ('b'), ('c')"))
        trips.clear()
        rows = (await conn.execute(text("SELECT id, name FROM item ORDER BY id"))).all()
        assert trips == ["_run"]
    assert [tuple(r) for r in rows] == [(1, "a"), (2, "b"), (3, "c")]


async def test_counts_and_last_row_ids_as_before(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO item (name) VALUES ('x')"))
        assert inserted.lastrowid == 1
        many = await conn.execute(
            text("INSERT INTO item (name) VALUES (:name)"), [{"name": "y"}, {"name": "z"}]
        )
        assert many.rowcount == 2
        updated = await conn.execute(text("UPDATE item SET name = name || '!' WHERE id > 1"))
        assert updated.rowcount == 2
        deleted = await conn.execute(text("DELETE FROM item WHERE name = 'nobody'"))
        assert deleted.rowcount == 0
        empty = (await conn.execute(text("SELECT name FROM item WHERE id > 99"))).all()
        assert empty == []
    async with engine.connect() as conn:
        names = (await conn.execute(text("SELECT name FROM item ORDER BY id"))).scalars()
        assert list(names) == ["x", "y!", "z!"]


async def test_errors_are_sqlalchemys_and_the_transaction_rolls_back(
    engine: AsyncEngine,
) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO item (name) VALUES ('same')"))
            await conn.execute(text("INSERT INTO item (name) VALUES ('same')"))
    with pytest.raises(OperationalError):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT nothing FROM nowhere"))
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM item"))).scalar() == 0


async def test_server_side_cursors_still_stream(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO item (name) VALUES (:name)"), [{"name": f"n{i}"} for i in range(50)]
        )
    async with engine.connect() as conn:
        result = await conn.stream(text("SELECT name FROM item ORDER BY id"))
        names = [row.name async for row in result]
    assert names == [f"n{i}" for i in range(50)]
