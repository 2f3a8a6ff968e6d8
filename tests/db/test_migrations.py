"""Alembic migrations run up and down on both databases, and match the models exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from atoll.config import Settings
from atoll.db import migrate
from atoll.db.base import Base, UtcDateTime
from atoll.db.engine import make_engine

PERSON = ("id", "email", "name", "title", "bio", "kind", "role", "is_active", "is_analyst")
AUTH = ("id", "token_hash", "person_id", "kind", "user_agent", "address")


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


async def test_tokens_made_before_expiry_existed_expire_30_days_after_their_last_use(
    fresh_database, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    database = await fresh_database("token_expiry")
    engine = make_engine(Settings(database_url=database.url, var_dir=tmp_path))
    last_used = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    session_ends = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)

    def table(name: str, columns: tuple[str, ...], times: tuple[str, ...]) -> sa.TableClause:
        return sa.table(name, *map(sa.column, columns), *(sa.column(t, UtcDateTime) for t in times))

    people = table("person", PERSON, ("created_at", "updated_at"))
    auth = table("auth_session", AUTH, ("created_at", "last_seen_at", "expires_at"))
    try:
        await migrate.upgrade(engine, "0008")
        async with engine.begin() as conn:
            await conn.execute(
                people.insert().values(
                    id=1, email="ana@example.com", name="Ana", title="", bio="", kind="member",
                    role="member", is_active=True, is_analyst=False, created_at=last_used,
                    updated_at=last_used,
                )
            )  # fmt: skip
            for n, (kind, expires) in enumerate((("token", None), ("session", session_ends))):
                await conn.execute(
                    auth.insert().values(
                        id=n + 1, token_hash=f"{n}" * 64, person_id=1, kind=kind,
                        created_at=last_used, last_seen_at=last_used, expires_at=expires,
                        user_agent="", address="",
                    )
                )  # fmt: skip
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            rows = dict(
                (await conn.execute(sa.select(auth.c.kind, auth.c.expires_at))).tuples().all()
            )
        assert rows == {"token": last_used + timedelta(days=30), "session": session_ends}
        await migrate.downgrade(engine, "0008")  # and back: the expiries stay
    finally:
        await engine.dispose()
