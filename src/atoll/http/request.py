"""The request's transaction: one per request, committed before the answer is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.http import idempotency
from atoll.http.client import settings_of
from atoll.kit.settings import Settings

HOLDS_CLAIM = "atoll.idempotency_claim"  # session.info: its answer is stored with the change


async def _db(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's transaction: committed after the handler returns and before the answer
    is sent (so a 2xx means durable), rolled back when the handler raises. An API write with
    an Idempotency-Key stores its answer in it (``idempotency.IdempotentRoute``)."""
    async with request.app.state.sessionmaker() as session:
        request.state.db_session = session
        if idempotency.holds_claim(request.scope):
            session.info[HOLDS_CLAIM] = True
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            idempotency.answer_rolled_back(request.scope)
            raise


async def commit_change(db: AsyncSession) -> None:
    """Commit a change before reading back what to answer, so that the write lock (SQLite)
    is held for the change alone — unless the request's answer is to be stored with the change
    (an Idempotency-Key): then they commit together, after the answer is made."""
    if not db.info.get(HOLDS_CLAIM):
        await db.commit()


DB = Annotated[AsyncSession, Depends(_db, scope="function")]
AppSettings = Annotated[Settings, Depends(settings_of)]


async def discard_changes(db: AsyncSession, request: Request) -> None:
    """Roll back a failed change before re-rendering its form with the error. The caller's
    person is a detached snapshot and survives; their session row is reloaded."""
    await db.rollback()
    credential = getattr(request.state, "credential", None)
    if credential is not None:
        await db.refresh(credential.auth)
