"""SQLite: the writers of one process take turns at the write gate; every way a transaction
ends gives the gate back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from atoll.db import engine as engine_module
from atoll.db.engine import make_engine, make_sessionmaker
from atoll.kit.settings import Settings


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    # A SQLite file of its own in both passes of the suite: the gate is SQLite's.
    made = make_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/gate.db"))
    async with made.begin() as conn:
        await conn.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield made
    await made.dispose()


async def _names(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(text("SELECT name FROM item ORDER BY id"))).scalars())


async def test_concurrent_writers_all_commit_in_turn(engine: AsyncEngine) -> None:
    maker = make_sessionmaker(engine)

    async def write(i: int) -> None:
        async with maker() as session:
            await session.execute(text("SELECT count(*) FROM item"))
            await session.execute(text("INSERT INTO item (name) VALUES (:n)"), {"n": f"w{i}"})
            await asyncio.sleep(0.001)  # other writers arrive while this one holds the gate
            await session.execute(
                text("UPDATE item SET name = name || '!' WHERE name = :n"), {"n": f"w{i}"}
            )
            await session.commit()

    await asyncio.gather(*(write(i) for i in range(40)))
    assert sorted(await _names(engine)) == sorted(f"w{i}!" for i in range(40))


async def test_a_failed_or_abandoned_transaction_gives_the_gate_back(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "GATE_TIMEOUT", 2.0)
    maker = make_sessionmaker(engine)
    async with maker() as session:
        await session.execute(text("INSERT INTO item (name) VALUES ('a')"))
        await session.commit()
    async with maker() as session:  # fails: rolled back
        with pytest.raises(IntegrityError):
            await session.execute(text("INSERT INTO item (name) VALUES ('a')"))
        await session.rollback()
    async with maker() as session:  # closed without commit or rollback
        await session.execute(text("INSERT INTO item (name) VALUES ('dropped')"))
    async with maker() as session:
        await session.execute(text("INSERT INTO item (name) VALUES ('b')"))
        await session.commit()
    assert await _names(engine) == ["a", "b"]


async def test_a_second_writer_in_the_same_task_times_out_instead_of_hanging(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "GATE_TIMEOUT", 0.2)
    maker = make_sessionmaker(engine)
    async with maker() as first, maker() as second:
        await first.execute(text("INSERT INTO item (name) VALUES ('first')"))
        with pytest.raises(OperationalError, match="write gate"):
            await second.execute(text("INSERT INTO item (name) VALUES ('second')"))
        await first.commit()
    assert await _names(engine) == ["first"]
