"""Test harness: the whole suite runs on one database per run — SQLite or PostgreSQL
(``--db``), migrated with Alembic — against the real app over ASGI. Each test starts with
empty tables."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from atoll import migrate
from atoll.app import create_app
from atoll.db.base import Base
from atoll.db.engine import make_engine
from atoll.kit.settings import Settings

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"

# Fixtures of their own modules, for every test: ``inbox`` (a real SMTP server).
pytest_plugins = ["tests.mailbox"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=["sqlite", "postgres"], default="sqlite", help="database")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres_only`` (several processes sharing one database) belong to the
    PostgreSQL run: the SQLite run leaves them out (deselected, not skipped)."""
    if config.getoption("--db") == "postgres":
        return
    dropped = [item for item in items if item.get_closest_marker("postgres_only")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not item.get_closest_marker("postgres_only")]


def pg_admin_url() -> str:
    return os.environ.get("ATOLL_TEST_POSTGRES_URL") or DEFAULT_PG


async def create_pg_database(name: str) -> str:
    url = make_url(pg_admin_url())
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
    )
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_pg_database(name: str) -> None:
    url = make_url(pg_admin_url())
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


class FreshDatabase:
    """A brand-new database of the run's kind; ``url`` to use it, ``drop()`` when done."""

    def __init__(self, kind: str, directory: Path, label: str) -> None:
        self.kind, self.directory, self.label = kind, directory, label
        self.name = f"atoll_test_{label}_{os.getpid()}_{secrets.token_hex(3)}"
        self.url = ""

    async def create(self) -> str:
        if self.kind == "sqlite":
            self.url = f"sqlite+aiosqlite:///{self.directory / (self.name + '.db')}"
        else:
            self.url = await create_pg_database(self.name)
        return self.url

    async def drop(self) -> None:
        if self.kind == "postgres":
            await drop_pg_database(self.name)


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
def fresh_database(db_kind: str, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A factory of extra fresh databases (migration tests, browser servers)."""
    made: list[FreshDatabase] = []

    async def make(label: str) -> FreshDatabase:
        db = FreshDatabase(db_kind, tmp_path_factory.mktemp(label), label)
        await db.create()
        made.append(db)
        return db

    yield make
    import asyncio

    async def cleanup() -> None:
        for db in made:
            await db.drop()

    asyncio.run(cleanup())


def settings_for(url: str, var_dir: Path, **overrides: object) -> Settings:
    return Settings(
        database_url=url,
        var_dir=var_dir,
        secret_key="test-secret-key-" + "x" * 32,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        redis_url="",
        housekeeping_seconds=0,
        # The suite posts, comments and reacts quickly as one person; the write rate limits'
        # own tests set theirs (tests/governance/test_write_limits.py).
        rate_posts_per_minute=1000,
        rate_comments_per_minute=1000,
        rate_reactions_per_minute=1000,
        rate_reports_per_minute=1000,
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
async def settings(
    fresh_database, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Settings]:  # type: ignore[no-untyped-def]
    database = await fresh_database("main")
    yield settings_for(database.url, tmp_path_factory.mktemp("var"))


@pytest.fixture(scope="session")
async def app(settings: Settings):  # type: ignore[no-untyped-def]
    engine = make_engine(settings)
    await migrate.upgrade(engine)
    await engine.dispose()
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(autouse=True)
async def _empty_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    await empty_all_tables(request.getfixturevalue("app").state.engine)


async def empty_all_tables(engine: AsyncEngine) -> None:
    """Delete every row (a module that keeps data across its tests calls this at its end)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:  # the unit tree refers to itself; SQLite checks that row by row
            await conn.execute(text("PRAGMA foreign_keys=OFF"))
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - our table names
            await conn.commit()
            await conn.execute(text("PRAGMA foreign_keys=ON"))
        await conn.commit()


@pytest.fixture
async def db(app) -> AsyncIterator[AsyncSession]:  # type: ignore[no-untyped-def]
    """A session for arranging and checking data; commit to make it visible to requests."""
    async with app.state.sessionmaker() as session:
        yield session


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def anyio_backend() -> Iterator[str]:
    yield "asyncio"


@pytest.fixture
async def cli_env(fresh_database, tmp_path):  # type: ignore[no-untyped-def]
    """The environment of a command run against a fresh, migrated database."""
    database = await fresh_database("cli")
    env = {
        "ATOLL_DATABASE_URL": database.url,
        "ATOLL_VAR_DIR": str(tmp_path / "var"),
        "ATOLL_ARGON2_TIME_COST": "1",
        "ATOLL_ARGON2_MEMORY_KIB": "1024",
    }
    engine = make_engine(Settings(database_url=database.url, var_dir=tmp_path / "var"))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    return env
