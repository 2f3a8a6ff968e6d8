"""Engine and sessions. SQLite gets WAL, foreign keys and a busy timeout on every connection,
and one writing transaction at a time per process (``_WriteGate``)."""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_only

from atoll.db import sqlite as sqlite_dbapi
from atoll.kit.settings import Settings


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 64 MiB of page cache per connection (the default is 2 MB): analytics ranges over the
    # interaction log stay in memory.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")
GATE_TIMEOUT = 15.0  # seconds a writer waits for the gate, like the connection's timeout


class _WriteGate:
    """SQLite has one writer at a time. Left to itself, a transaction that finds the database
    locked sleeps in SQLite's busy handler (1, 2, 5 … 100 ms, again and again) holding its
    pooled connection, and under a steady stream of writes a waiting writer can lose every
    race for seconds. The gate queues the writers of one process instead: before the first
    INSERT, UPDATE or DELETE of a transaction (where the driver begins it), the connection
    takes an asyncio lock, in arrival order, and gives it back when the transaction commits,
    rolls back or the connection closes. Reads never wait for it (WAL), and other processes
    on the same file still meet the busy timeout."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._held: dict[int, asyncio.Lock] = {}  # id(DBAPI connection) -> its lock

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    def before_execute(
        self, conn: Any, _cursor: Any, statement: str, *_args: Any, **_kw: Any
    ) -> None:
        dbapi = conn.connection.dbapi_connection
        if id(dbapi) in self._held or not statement.lstrip()[:6].upper().startswith(_WRITES):
            return
        lock = self._lock()
        try:
            await_only(asyncio.wait_for(lock.acquire(), GATE_TIMEOUT))
        except TimeoutError:
            locked = sqlite3.OperationalError("database is locked (write gate)")
            raise exc.OperationalError(statement, None, locked) from None
        self._held[id(dbapi)] = lock

    def release(self, dbapi: Any) -> None:
        # The dialect is handed the pool's proxy or the driver's connection itself.
        lock = self._held.pop(id(getattr(dbapi, "dbapi_connection", dbapi)), None)
        if lock is not None:
            lock.release()

    def install(self, engine: AsyncEngine) -> None:
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self.before_execute)
        dialect = sync.dialect
        for name in ("do_commit", "do_rollback", "do_close"):
            original = getattr(dialect, name)

            def released(dbapi: Any, _original: Any = original) -> None:
                try:
                    _original(dbapi)
                finally:
                    self.release(dbapi)

            setattr(dialect, name, released)


def make_engine(settings: Settings, **kwargs: Any) -> AsyncEngine:
    url = settings.db_url
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, connect_args={"timeout": 15}, module=sqlite_dbapi.DBAPI, **kwargs
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        _WriteGate().install(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    # No JIT: it compiles the plans PostgreSQL costs as large — a search for a common word, an
    # analytics range — and adds 50–80 ms to exactly the requests that are slow already.
    kwargs.setdefault("connect_args", {"server_settings": {"jit": "off"}})
    return create_async_engine(url, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
