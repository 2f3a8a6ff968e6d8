"""Fresh, migrated databases for benchmarks: a temporary SQLite file, or a uniquely named
PostgreSQL database that is dropped afterwards (server from ``ATOLL_TEST_POSTGRES_URL``)."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from atoll import migrate
from atoll.db.engine import make_engine
from atoll.kit.settings import Settings

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def _pg_admin(sql: str) -> None:
    url = make_url(os.environ.get("ATOLL_TEST_POSTGRES_URL") or DEFAULT_PG)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_engine(kind: str, label: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a brand-new database of ``kind``, migrated to head, removed at the end."""
    name = f"atoll_bench_{label}_{os.getpid()}_{secrets.token_hex(3)}"
    with tempfile.TemporaryDirectory(prefix="atoll-bench-") as tmp:
        if kind == "sqlite":
            url = f"sqlite+aiosqlite:///{Path(tmp) / (name + '.db')}"
        elif kind == "postgres":
            admin = make_url(os.environ.get("ATOLL_TEST_POSTGRES_URL") or DEFAULT_PG)
            await _pg_admin(f'CREATE DATABASE "{name}"')
            url = admin.set(database=name).render_as_string(hide_password=False)
        else:
            raise ValueError(f"unknown database kind {kind!r}")
        engine = make_engine(Settings(database_url=url, var_dir=Path(tmp), redis_url=""))
        try:
            await migrate.upgrade(engine)
            yield engine
        finally:
            await engine.dispose()
            if kind == "postgres":
                await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
