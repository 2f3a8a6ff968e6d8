"""Event ids commit in id order, so that a reader resuming after the highest id it has seen
skips nothing (see ``atoll.events.outbox``)."""

from __future__ import annotations

import asyncio
import random

from fastapi import FastAPI
from sqlalchemy import event as orm_event
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.util import await_only

from atoll.events.models import Event
from atoll.events.outbox import record_event
from atoll.people.models import Person
from atoll.realtime.history import events_after
from tests.factories import make_person


async def _visible_ids(app: FastAPI) -> list[int]:
    async with app.state.sessionmaker() as session:
        return list((await session.execute(select(Event.id).order_by(Event.id))).scalars())


async def test_without_the_scheme_a_lower_id_can_commit_after_a_higher_one(
    app: FastAPI, db_kind: str
) -> None:
    """The hazard, shown with plain inserts: on PostgreSQL the transaction that drew the lower
    id is still open when a higher id is already visible; SQLite serialises the writers."""
    maker = app.state.sessionmaker
    async with maker() as first, maker() as second:
        first.add(Event(type="raw", data="{}"))
        await first.flush()  # draws an id, holds it uncommitted
        second.add(Event(type="raw", data="{}"))
        insert = asyncio.create_task(second.commit())
        await asyncio.sleep(0.5)
        if db_kind == "postgres":
            assert insert.done()
            [visible] = await _visible_ids(app)
            lower = (await first.execute(select(func.min(Event.id)))).scalar_one()
            assert lower < visible  # a reader at `visible` would never ask for `lower`
            await first.commit()
        else:
            assert not insert.done()  # SQLite's write lock holds the second writer back
            await first.commit()
            await insert
    assert len(await _visible_ids(app)) == 2


async def test_a_transaction_that_drew_a_lower_id_holds_back_every_higher_one(app: FastAPI) -> None:
    """record_event: while the transaction with the lower id is open (paused here just after
    its events are inserted, before COMMIT), a second one cannot write its events; it commits
    after the first, with a higher id, and a reader never sees the higher id alone."""
    maker = app.state.sessionmaker
    gate = asyncio.Event()
    paused = asyncio.Event()
    async with maker() as first, maker() as second:

        def hold(session, _context) -> None:  # type: ignore[no-untyped-def]
            if any(isinstance(obj, Event) for obj in session.new):
                paused.set()
                await_only(gate.wait())  # inside the commit, after the insert

        orm_event.listen(first.sync_session, "after_flush", hold)
        a = await record_event(first, type="a", data={})
        committing_first = asyncio.create_task(first.commit())
        await asyncio.wait_for(paused.wait(), 5)
        b = await record_event(second, type="b", data={})
        committing_second = asyncio.create_task(second.commit())
        try:
            await asyncio.sleep(0.5)
            assert not committing_second.done()  # waiting for the first to finish
            assert await _visible_ids(app) == []  # nothing visible, least of all the higher id
        finally:
            gate.set()
            await committing_first
            await committing_second
        assert a.id < b.id
        assert await _visible_ids(app) == [a.id, b.id]


async def test_a_reader_that_resumes_after_the_highest_id_it_saw_misses_nothing(
    app: FastAPI, db: AsyncSession
) -> None:
    """Many concurrent writers; a reader that follows the log by position as the streams do
    sees every committed event exactly once."""
    admin = await make_person(db, role="admin")
    maker = app.state.sessionmaker
    committed: list[int] = []
    done = asyncio.Event()

    def dawdle(session, _context) -> None:  # type: ignore[no-untyped-def]
        if any(isinstance(obj, Event) for obj in session.new):
            await_only(asyncio.sleep(random.random() / 100))  # between the insert and COMMIT

    async def writer(n: int) -> None:
        for i in range(15):
            async with maker() as session:
                orm_event.listen(session.sync_session, "after_flush", dawdle)
                rows = [
                    await record_event(session, type="t", data={"n": n, "i": i}) for _ in range(2)
                ]
                await session.commit()
            committed.extend(row.id for row in rows)

    async def reader(viewer: Person) -> list[int]:
        seen: list[int] = []
        position = 0
        while True:
            finished = done.is_set()
            async with maker() as session:
                batch = await events_after(
                    session, viewer=viewer, position=position, limit=7, window=20
                )
            seen.extend(row.id for row in batch.events)
            position = batch.position
            if finished and not batch.more:
                return seen
            await asyncio.sleep(0)

    reading = asyncio.create_task(reader(admin))
    await asyncio.gather(*(writer(n) for n in range(8)))
    done.set()
    seen = await reading
    assert len(committed) == 8 * 15 * 2
    assert seen == sorted(committed)
