"""The demo's history ends at its end instant — the end of the day ``--end`` names, the moment
it names, or now — and the month it ends in gets the share of activity its elapsed time
deserves, not a whole month squeezed into its first days.

Every end instant here is passed in, so nothing depends on the clock or the hour; the one
test of the default (now) reads the clock around the build and holds at any hour."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Date, DateTime, func, select
from sqlalchemy.ext.asyncio import AsyncSession

import atoll.models  # noqa: F401 - every domain's tables
from atoll.db.base import Base
from atoll.demo.generator import do_create_demo
from atoll.spaces.models import Space
from tests.conftest import empty_all_tables
from tests.factories import HASHING

# Deadlines, not history: a situation room may close after the end.
DEADLINES = {("space", "closes_at")}
WRITTEN = (
    "post.created_at",
    "comment.created_at",
    "reaction.created_at",
    "mention.created_at",
    "idea_vote.created_at",
    "interaction.at",
    "activity_day.day",
    "wiki_revision.created_at",
    "wiki_page.updated_at",
    "membership.created_at",
    "space.created_at",
    "person.created_at",
    "unit.created_at",
)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def _latest(db: AsyncSession) -> dict[str, Any]:
    """The latest value of every date and time column the demo wrote, by "table.column"."""
    out: dict[str, Any] = {}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if (table.name, column.name) in DEADLINES:
                continue
            if isinstance(column.type, Date | DateTime) or isinstance(
                getattr(column.type, "impl", None), Date | DateTime
            ):
                value = await db.scalar(select(func.max(column)))
                if value is not None:
                    out[f"{table.name}.{column.name}"] = value
    return out


def _after(latest: dict[str, Any], end: datetime) -> dict[str, Any]:
    """The columns holding something dated after ``end`` (a day: after the day ``end`` is in)."""
    late = {}
    for name, value in latest.items():
        if isinstance(value, datetime):
            if _as_utc(value) > end:
                late[name] = value
        elif value > end.date():
            late[name] = value
    return late


@pytest.mark.parametrize(
    "end",
    [
        datetime(2026, 6, 3, 12, 0, tzinfo=UTC),  # the 3rd at noon
        datetime(2026, 6, 16, 9, 30, tzinfo=UTC),  # the middle of a month and of a morning
        datetime(2026, 6, 1, 0, 30, tzinfo=UTC),  # half an hour into a month
    ],
)
async def test_nothing_is_dated_after_the_end_instant(db: AsyncSession, end: datetime) -> None:
    result = await do_create_demo(db, hashing=HASHING, people=80, months=3, seed=5, end=end)
    await db.commit()
    latest = await _latest(db)
    # The check below looks at every kind of row the demo writes.
    assert set(WRITTEN) <= set(latest), set(WRITTEN) - set(latest)
    assert _after(latest, end) == {}
    assert result.ground_truth["stop"] == end.isoformat().replace("+00:00", "Z")
    # The history reaches the end: the landmark threads lie in its last hours or days.
    assert _as_utc(latest["interaction.at"]) > end - timedelta(days=3)
    # The open situation room's deadline is the one date after the end.
    room = await db.scalar(select(Space).where(Space.slug == "checkout-outage"))
    assert room is not None and room.closes_at is not None and room.closes_at > end


@pytest.mark.parametrize(
    "end",
    [datetime(2026, 6, 3, 12, 0, tzinfo=UTC), datetime(2026, 6, 16, 12, 0, tzinfo=UTC)],
)
async def test_the_month_not_over_gets_the_share_its_elapsed_time_deserves(
    db: AsyncSession, end: datetime
) -> None:
    """Posts and interactions per elapsed day in the month not over, against the whole month
    before it. Expected: about 1.15 — the growth the demo gives each month over the one
    before (a weight of 1.5 against 1.3 with six months) — plus, at 2.5 days, the five
    landmark threads; over seeds 1 to 5 the ratios were 1.22 to 1.51. Hence 0.8 to 1.8. A
    whole month squeezed into the elapsed days would be 2.3 times the rate on the 16th at
    noon and 14 times on the 3rd at noon."""
    truth = (
        await do_create_demo(db, hashing=HASHING, people=300, months=6, seed=1, end=end)
    ).ground_truth
    await db.commit()
    months = truth["months"]
    assert [m["period"] for m in months][-2:] == ["2026-05", "2026-06"]
    elapsed = (end - _when(months[-1]["start"])) / timedelta(days=1)
    full, partial = months[-2], months[-1]
    for figure in ("posts", "total"):
        rate = partial[figure] / elapsed
        before = full[figure] / 31
        assert 0.8 <= rate / before <= 1.8, (figure, partial[figure], full[figure])


async def test_a_day_means_up_to_the_end_of_that_day(app: Any, db: AsyncSession) -> None:
    by_day = await do_create_demo(
        db, hashing=HASHING, people=60, months=2, seed=4, end=date(2026, 6, 3)
    )
    await db.commit()
    assert by_day.created
    await db.rollback()  # end the reading transaction: emptying the tables waits for it
    await empty_all_tables(app.state.engine)
    by_moment = await do_create_demo(
        db, hashing=HASHING, people=60, months=2, seed=4, end=datetime(2026, 6, 4, tzinfo=UTC)
    )
    await db.commit()
    day, moment = by_day.ground_truth, by_moment.ground_truth
    assert (day["end"], day["stop"]) == ("2026-06-03", "2026-06-04T00:00:00Z")
    assert moment["end"] == moment["stop"] == "2026-06-04T00:00:00Z"
    assert {**day, "end": None} == {**moment, "end": None}


async def test_without_an_end_the_history_ends_now(db: AsyncSession) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    result = await do_create_demo(db, hashing=HASHING, people=40, months=2, seed=2)
    await db.commit()
    after = datetime.now(UTC)
    assert before <= _when(result.ground_truth["stop"]) <= after
    assert _after(await _latest(db), after) == {}
