"""Alembic migrations run up and down on both databases, and match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from atoll.config import Settings
from atoll.db import migrate
from atoll.db.base import Base
from atoll.db.engine import make_engine


async def test_upgrade_downgrade_upgrade(fresh_database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = await fresh_database("migrations")
    engine = make_engine(Settings(database_url=database.url, var_dir=tmp_path))
    try:
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) is not None
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            assert {t.name for t in Base.metadata.sorted_tables} <= tables
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"include_name": migrate.include_name}),
                    Base.metadata,
                )
            )
            assert diff == [], f"models and migrations disagree: {diff}"
        await migrate.downgrade(engine, "base")
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            assert tables <= {"alembic_version"}
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) is not None
    finally:
        await engine.dispose()


async def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(Settings(database_url="", var_dir=tmp_path))
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() >= 5000
            assert (await conn.execute(text("PRAGMA cache_size"))).scalar() == -65536
        assert (tmp_path / "atoll.db").exists()
    finally:
        await engine.dispose()
