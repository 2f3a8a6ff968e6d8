"""events_after and resume_position: what a stream behind the window reads next, and where a
stream starts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.outbox import record_event
from atoll.realtime.history import events_after, resume_position
from tests.factories import make_person


async def test_a_batch_skips_what_the_viewer_may_not_see_and_moves_past_it(
    db: AsyncSession,
) -> None:
    ana, ben = await make_person(db), await make_person(db)
    for i in range(30):
        await record_event(db, type="t", data={"i": i}, person_id=ben.id if i % 10 else ana.id)
    await db.commit()

    batch = await events_after(db, viewer=ana, position=0, limit=2, window=1000)
    assert [e.type for e in batch.events] == ["t", "t"] and batch.more
    first, second = batch.events
    rest = await events_after(db, viewer=ana, position=batch.position, limit=2, window=1000)
    assert len(rest.events) == 1 and not rest.more
    assert rest.position == first.id + 29  # the newest event (Ben's): nothing left to read
    assert (await events_after(db, viewer=ana, position=rest.position)).events == []
    assert first.id < second.id < rest.events[0].id


async def test_one_query_reads_at_most_a_window_of_ids(db: AsyncSession) -> None:
    ana, ben = await make_person(db), await make_person(db)
    rows = [await record_event(db, type="t", data={}, person_id=ben.id) for _ in range(25)]
    mine = await record_event(db, type="mine", data={}, person_id=ana.id)
    await db.commit()
    start = rows[0].id - 1
    batch = await events_after(db, viewer=ana, position=start, window=10)
    assert batch.events == [] and batch.position == start + 10 and batch.more
    batch = await events_after(db, viewer=ana, position=batch.position, window=10)
    batch = await events_after(db, viewer=ana, position=batch.position, window=10)
    assert [e.id for e in batch.events] == [mine.id] and not batch.more


def test_where_a_stream_starts() -> None:
    assert resume_position(None, 5, 90) == (90, False)  # new: from now on
    assert resume_position(None, None, None) == (0, False)
    assert resume_position(40, 5, 90) == (40, False)  # back: from where it left off
    assert resume_position(4, 5, 90) == (4, False)  # the oldest kept is the next one
    assert resume_position(3, 5, 90) == (90, True)  # older than the log: reload
    assert resume_position(91, 5, 90) == (90, True)  # an id the log never had: reload
    assert resume_position(7, None, None) == (0, True)
