"""The data the load runs against: the demo organisation made by ``atoll demo`` at a named scale,
built once per scale, database kind and month, kept (SQLite: ``bench/.cache``; PostgreSQL: a
database named ``atoll_bench_demo_<scale>_<month>``), and copied afresh for every run so that
what one run writes never reaches the next (``working_copy``).

Simulated people sign in with bearer tokens made directly in the database (``sign_in``): the
login form is rate-limited on purpose, and measuring argon2 is not the point of a load test."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from atoll.db.engine import make_engine
from atoll.kit.settings import Settings
from atoll.people import auth
from atoll.people.models import Person
from atoll.spaces.models import Membership, Space
from atoll.wiring import make_sessions
from bench.databases import DEFAULT_PG, _pg_admin
from bench.server import BIN, environment

CACHE = Path(__file__).parent / ".cache"


@dataclass(frozen=True)
class Scale:
    name: str
    people: int
    months: int
    posts: int | None  # None: the demo's default, 0.75 per person and month


SCALES = {
    "small": Scale("small", 300, 12, None),  # the demo `make run` creates
    "default": Scale("default", 3_000, 12, None),  # 27,000 posts
    "large": Scale("large", 10_000, 12, 1_000_000),
}


def history_end(today: date | None = None) -> date:
    """The last day of the previous month: one dataset per month, then rebuilt."""
    first = (today or datetime.now(UTC).date()).replace(day=1)
    return first - timedelta(days=1)


def _pg_url(name: str) -> str:
    admin = make_url(os.environ.get("ATOLL_TEST_POSTGRES_URL") or DEFAULT_PG)
    return admin.set(database=name).render_as_string(hide_password=False)


async def _pg_exists(name: str) -> bool:
    import asyncpg

    url = make_url(os.environ.get("ATOLL_TEST_POSTGRES_URL") or DEFAULT_PG)
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        found = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    finally:
        await conn.close()
    return bool(found)


async def _pg_analyze(name: str) -> None:
    """Planner statistics for a freshly loaded database (autovacuum would gather them in a
    while; a copy made from it as a template keeps them)."""
    import asyncpg

    url = make_url(os.environ.get("ATOLL_TEST_POSTGRES_URL") or DEFAULT_PG)
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=name
    )
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def _atoll(args: list[str], url: str) -> None:
    with tempfile.TemporaryDirectory(prefix="atoll-bench-demo-") as tmp:
        process = await asyncio.create_subprocess_exec(
            str(BIN / "atoll"), *args, env=environment(url, Path(tmp))
        )
        if await process.wait() != 0:
            raise RuntimeError(f"atoll {' '.join(args)} failed with {process.returncode}")


async def _build(scale: Scale, url: str) -> None:
    started = time.perf_counter()
    print(f"  building the {scale.name} dataset ({scale.people:,} people) at {url} ...")
    await _atoll(["migrate"], url)
    demo = ["demo", "--people", str(scale.people), "--months", str(scale.months)]
    demo += ["--end", history_end().isoformat()]
    if scale.posts is not None:
        demo += ["--posts", str(scale.posts)]
    await _atoll(demo, url)
    print(f"  built in {time.perf_counter() - started:.0f} s")


async def pristine(kind: str, scale_name: str) -> str:
    """The URL of the kept dataset of this scale, building it when missing and bringing its
    schema up to date (a dataset kept from before a new migration gets it)."""
    url = await _kept(kind, scale_name)
    await _atoll(["migrate"], url)
    return url


async def _kept(kind: str, scale_name: str) -> str:
    scale = SCALES[scale_name]
    label = f"{scale.name}_{history_end():%Y%m}"
    if kind == "sqlite":
        CACHE.mkdir(exist_ok=True)
        path = CACHE / f"demo-{label}.db"
        if not path.exists():
            partial = path.with_suffix(".partial.db")
            partial.unlink(missing_ok=True)
            await _build(scale, f"sqlite+aiosqlite:///{partial}")
            with contextlib.closing(sqlite3.connect(partial)) as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            partial.rename(path)
        return f"sqlite+aiosqlite:///{path}"
    if kind == "postgres":
        name = f"atoll_bench_demo_{label}"
        if not await _pg_exists(name):
            partial = name + "_partial"
            await _pg_admin(f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)')
            await _pg_admin(f'CREATE DATABASE "{partial}"')
            await _build(scale, _pg_url(partial))
            await _pg_analyze(partial)
            await _pg_admin(f'ALTER DATABASE "{partial}" RENAME TO "{name}"')
        return _pg_url(name)
    raise ValueError(f"unknown database kind {kind!r}")


@contextlib.asynccontextmanager
async def working_copy(kind: str, scale_name: str) -> AsyncIterator[str]:
    """A disposable copy of the kept dataset: yields its URL, removes it afterwards."""
    source = await pristine(kind, scale_name)
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="atoll-bench-data-") as tmp:
            target = Path(tmp) / "atoll.db"
            shutil.copyfile(source.split(":///", 1)[1], target)
            yield f"sqlite+aiosqlite:///{target}"
        return
    name = f"atoll_bench_run_{os.getpid()}_{secrets.token_hex(3)}"
    await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(source).database}"')
    try:
        yield _pg_url(name)
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Member:
    """A simulated person: who they are, their bearer token, the spaces they belong to."""

    person_id: int
    name: str
    token: str
    space_ids: list[int] = field(default_factory=list)


async def sign_in_admin(url: str) -> Member:
    """A bearer token for the first active administrator (analytics is theirs to see)."""
    settings = Settings(database_url=url, secret_key="bench-" + "x" * 40, redis_url="")
    engine = make_engine(settings)
    try:
        async with make_sessions(engine, Settings())() as db:
            person = await db.scalar(
                select(Person)
                .where(Person.is_active.is_(True), Person.role == "admin")
                .order_by(Person.id)
                .limit(1)
            )
            if person is None:
                raise RuntimeError(f"no active administrator in {url}")
            token = (await auth.do_start_session(db, settings, person=person, kind="token")).secret
            await db.commit()
            return Member(person.id, person.name, token)
    finally:
        await engine.dispose()


async def sign_in(url: str, count: int) -> list[Member]:
    """Bearer tokens for ``count`` active internal people (not admins) who belong to at least
    one open space (fewer if the dataset has fewer), in id order."""
    settings = Settings(database_url=url, secret_key="bench-" + "x" * 40, redis_url="")
    engine = make_engine(settings)
    try:
        async with make_sessions(engine, Settings())() as db:
            rows = (
                await db.execute(
                    select(Person, Membership.space_id)
                    .join(Membership, Membership.person_id == Person.id)
                    .join(Space, Space.id == Membership.space_id)
                    .where(
                        Person.is_active.is_(True),
                        Person.kind == "member",
                        Person.role == "member",
                        Space.archived_at.is_(None),
                        Space.closes_at.is_(None),
                    )
                    .order_by(Person.id, Membership.space_id)
                )
            ).all()
            people: dict[int, tuple[Person, list[int]]] = {}
            for person, space_id in rows:
                if person.id not in people and len(people) >= count:
                    break
                people.setdefault(person.id, (person, []))[1].append(space_id)
            members = []
            for person, space_ids in people.values():
                token = (
                    await auth.do_start_session(db, settings, person=person, kind="token")
                ).secret
                members.append(Member(person.id, person.name, token, space_ids))
            await db.commit()
            return members
    finally:
        await engine.dispose()
