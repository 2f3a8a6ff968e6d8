"""SQLite through aiosqlite with one trip to the connection's thread per statement.

SQLAlchemy's aiosqlite adapter makes four trips to aiosqlite's worker thread for every
statement: open a cursor, execute, fetch all rows, close the cursor. Each trip is a queue put,
a thread wake-up and a call back into the event loop, and together they cost far more than
the statement itself: an indexed lookup takes about 7 µs in sqlite3 and about 400 µs of CPU
through the adapter. Here the same work — execute, read the description, fetch every row,
close — runs as one function on the worker thread, so a statement costs one trip. Everything
else (transactions, errors, server-side cursors, the pool) is SQLAlchemy's adapter unchanged.

``make_engine`` passes :data:`DBAPI` to ``create_async_engine(module=...)``; the URL stays
``sqlite+aiosqlite://``."""

from __future__ import annotations

import sqlite3
from collections import deque
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)


def _run(
    conn: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, list[Any] | None, int, int | None]:
    """On the connection's thread: the whole statement, from cursor to closed cursor."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _one_trip(self, operation: Any, parameters: Any, many: bool) -> None:
        connection = self._connection
        try:
            description, rows, rowcount, lastrowid = self.await_(
                connection._execute(_run, connection._conn, operation, parameters, many)
            )
        except Exception as error:  # noqa: BLE001 - translated exactly as the adapter does
            self._adapt_connection._handle_exception(error)
        if description:
            self.description = description
            self.lastrowid = self.rowcount = -1
            self._rows = deque(rows or ())
        else:
            self.description = None
            self.lastrowid = lastrowid
            self.rowcount = rowcount

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._one_trip(operation, parameters, False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._one_trip(operation, seq_of_parameters, True)


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:
            return super().cursor(server_side=True)
        return _Cursor(self)


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        return _Connection(self, adapted._connection)


DBAPI = _DBAPI(aiosqlite, sqlite3)
