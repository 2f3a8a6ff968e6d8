"""record_event: the row is written in the caller's transaction, announced only after it
commits, and dropped with a rollback."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll import tasks
from atoll.db.engine import make_sessionmaker
from atoll.events.models import Event
from atoll.events.outbox import Recorded, decode, record_event, wire
from atoll.kit.time import utcnow
from tests.realtime.helpers import announcements, settle, until


async def _events(app: FastAPI) -> list[Event]:
    async with app.state.sessionmaker() as session:
        return list((await session.execute(select(Event).order_by(Event.id))).scalars())


async def test_an_event_is_written_with_the_change_and_announced_after_commit(
    app: FastAPI, db: AsyncSession
) -> None:
    async with announcements(app.state.broker) as heard:
        event = await record_event(db, type="test.note", data={"post_id": 7}, space_id=3)
        await db.flush()
        assert await _events(app) == []  # another session sees nothing before the commit
        await settle()
        assert heard == []  # and nothing is announced before it
        await db.commit()
        await until(lambda: heard)
    rows = await _events(app)
    assert [(r.id, r.type, r.space_id, r.person_id) for r in rows] == [
        (event.id, "test.note", 3, None)
    ]
    assert json.loads(rows[0].data) == {"post_id": 7}
    assert heard == [str(event.id)]


async def test_one_announcement_names_the_highest_id_of_a_transaction(
    app: FastAPI, db: AsyncSession
) -> None:
    async with announcements(app.state.broker) as heard:
        first = await record_event(db, type="test.note", data={}, space_id=1)
        second = await record_event(db, type="notification", data={"n": 1}, person_id=5)
        await db.commit()
        await until(lambda: heard)
        await settle()
    assert first.id < second.id
    assert heard == [str(second.id)]


async def test_a_rollback_drops_the_event_and_announces_nothing(
    app: FastAPI, db: AsyncSession
) -> None:
    async with announcements(app.state.broker) as heard:
        await record_event(db, type="test.note", data={"post_id": 1}, space_id=1)
        await db.rollback()
        await db.commit()  # a later commit of the same session does not resurrect it
        kept = await record_event(db, type="test.note", data={"post_id": 2}, space_id=1)
        await db.commit()
        await until(lambda: heard)
        await settle()
    assert [json.loads(r.data) for r in await _events(app)] == [{"post_id": 2}]
    assert heard == [str(kept.id)]


async def test_a_savepoint_rollback_drops_only_what_it_recorded(
    app: FastAPI, db: AsyncSession
) -> None:
    await record_event(db, type="a", data={}, space_id=1)
    savepoint = await db.begin_nested()
    await record_event(db, type="b", data={}, space_id=1)
    await savepoint.rollback()
    async with db.begin_nested():
        await record_event(db, type="c", data={}, space_id=1)
    assert await _events(app) == []  # releasing a savepoint is not committing
    await db.commit()
    assert [r.type for r in await _events(app)] == ["a", "c"]


async def test_a_session_closed_without_commit_leaves_nothing(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session:
        await record_event(session, type="a", data={}, space_id=1)
    async with app.state.sessionmaker() as session:
        await session.commit()
    assert await _events(app) == []


async def test_the_type_is_checked(db: AsyncSession) -> None:
    with pytest.raises(ValueError, match="event type"):
        await record_event(db, type="x" * 41, data={})


async def test_a_session_without_subscribers_refuses_events(app: FastAPI) -> None:
    """A change recorded on a session whose followers were never wired would be half-done."""
    async with make_sessionmaker(app.state.engine)() as session:
        with pytest.raises(RuntimeError, match="subscribers"):
            await record_event(session, type="post.created", data={})


async def test_subscribers_run_in_the_transaction_of_the_change(app: FastAPI) -> None:
    """A subscriber's rows commit with the change, and a rollback takes both away."""
    seen: list[Recorded] = []

    async def follow(session: AsyncSession, recorded: Recorded) -> None:
        seen.append(recorded)
        await record_event(session, type="followed", data={"of": recorded.data["n"]})

    maker = make_sessionmaker(app.state.engine)
    wire(maker, subscribers={"t": [follow]})
    async with maker() as session:
        await record_event(session, type="t", data={"n": 1}, facts={"why": "kept"})
        await session.commit()
    async with maker() as session:
        await record_event(session, type="t", data={"n": 2})
        await session.rollback()
    assert [(r.data["n"], dict(r.facts)) for r in seen] == [(1, {"why": "kept"}), (2, {})]
    assert [(e.type, decode(e.data)) for e in await _events(app)] == [
        ("t", {"n": 1}),
        ("followed", {"of": 1}),
    ]


async def test_housekeeping_prunes_events_past_retention_but_never_the_newest(
    app: FastAPI, db: AsyncSession
) -> None:
    rows = [await record_event(db, type="t", data={"i": i}, space_id=1) for i in range(4)]
    await db.commit()
    old = utcnow() - timedelta(hours=80)
    await db.execute(update(Event).where(Event.id <= rows[1].id).values(created_at=old))
    await db.commit()
    await tasks.run_once(app.state.sessionmaker, event_retention_hours=72)
    assert [r.id for r in await _events(app)] == [rows[2].id, rows[3].id]

    await db.execute(update(Event).values(created_at=old))  # everything is old now
    await db.commit()
    await tasks.run_once(app.state.sessionmaker, event_retention_hours=72)
    assert [r.id for r in await _events(app)] == [rows[3].id]  # ids never start over
    newer = await record_event(db, type="t", data={}, space_id=1)
    await db.commit()
    assert newer.id > rows[3].id
