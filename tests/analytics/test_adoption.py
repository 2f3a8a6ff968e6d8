"""Adoption figures on a hand-built month: active people, contributors, the 90-9-1 split and
the time to a first answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.adoption import adoption
from atoll.analytics.models import ActivityDay
from atoll.conversations.models import Comment, Post
from atoll.kit.settings import Settings
from atoll.people.models import Person
from atoll.spaces.service import do_create_space
from tests.analytics.helpers import act, day
from tests.factories import make_person

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)


async def _month(db: AsyncSession) -> dict[str, Person]:
    """m1 comments in 4 weeks (regular), m2 reacts once and m3 posts 3 times in one week
    (occasional), m4 only reads, m5 votes (a reader: a vote is no contribution); m6 is seen only
    outside March and is deactivated; x is an external."""
    p = {f"m{n}": await make_person(db, name=f"m{n}") for n in range(1, 7)}
    p["x"] = await make_person(db, name="x", kind="external")
    for n in (0.0, 7.0, 14.0, 21.0):
        await act(db, p["m1"], p["m2"], day(n))
    await act(db, p["m2"], p["m1"], day(1), kind="reaction")
    for n in (2, 2.1, 2.2):
        await act(db, p["m3"], None, day(n), kind="post")
    await act(db, p["m5"], p["m1"], day(18), kind="vote")
    await act(db, p["x"], p["m1"], day(3))
    days = [("m4", date(2026, 3, 3)), ("m4", date(2026, 3, 10)), ("m5", date(2026, 3, 4))]
    days += [("m6", date(2026, 2, 28)), ("m6", date(2026, 4, 1)), ("m1", date(2026, 3, 2))]
    db.add_all(ActivityDay(person_id=p[name].id, day=d) for name, d in days)
    m6 = await db.get(Person, p["m6"].id)
    assert m6 is not None
    m6.is_active = False
    await db.commit()
    return p


async def test_active_people_participation_and_split(db: AsyncSession, settings: Settings) -> None:
    await _month(db)
    data = await adoption(db, start=MARCH, end=APRIL, settings=settings)
    assert (data["from"], data["to"]) == ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
    assert data["members"] == 5  # m1..m5; m6 is deactivated, x is external
    assert (data["active"], data["contributors"]) == (5, 3)
    assert data["participation"] == pytest.approx(3 / 5)
    assert data["split"] == {
        "readers": 2,
        "occasional": 2,
        "regular": 1,
        "shares": {"readers": 0.4, "occasional": 0.4, "regular": 0.2},
    }
    weekly = [(w["period"], w["start"], w["active"], w["contributors"]) for w in data["weekly"]]
    assert weekly == [
        ("2026-W09", "2026-02-23T00:00:00Z", 0, None),  # only 1 March is in range
        ("2026-W10", "2026-03-02T00:00:00Z", 5, 3),
        ("2026-W11", "2026-03-09T00:00:00Z", 2, None),  # m1 and m4: withheld
        ("2026-W12", "2026-03-16T00:00:00Z", 2, None),
        ("2026-W13", "2026-03-23T00:00:00Z", 1, None),
        ("2026-W14", "2026-03-30T00:00:00Z", 0, None),
    ]
    assert [(m["period"], m["active"], m["contributors"]) for m in data["monthly"]] == [
        ("2026-03", 5, 3)
    ]


async def test_regular_in_a_short_range_means_once_a_week(
    db: AsyncSession, settings: Settings
) -> None:
    await _month(db)
    fortnight = await adoption(db, start=day(0), end=day(14), settings=settings)
    # 14 days: regular from 2 contributions — m1 (2) and m3 (3); m2 (1) is occasional.
    assert fortnight["split"] | {"shares": None} == {
        "readers": 2,
        "occasional": 1,
        "regular": 2,
        "shares": None,
    }
    few = await adoption(db, start=day(14), end=day(28), settings=settings)
    assert (few["active"], few["suppressed"], few["participation"]) == (2, True, None)
    assert few["split"]["regular"] is None and few["contributors"] is None


async def _question(
    db: AsyncSession, space_id: int, author: Person, at: datetime, answers: list[Any]
) -> None:
    post = Post(space_id=space_id, author_id=author.id, kind="question", body="?", html="")
    post.created_at = at
    db.add(post)
    await db.flush()
    for who, seconds, deleted in answers:
        c = Comment(post_id=post.id, author_id=who.id, body="!", html="")
        c.created_at = at + timedelta(seconds=seconds)
        c.deleted_at = c.created_at if deleted else None
        db.add(c)
    await db.commit()


async def test_questions_answered_and_median_first_answer(
    db: AsyncSession, settings: Settings
) -> None:
    p = await _month(db)
    m1, m2, m3, m4, m5, x = (p[k] for k in ("m1", "m2", "m3", "m4", "m5", "x"))
    space = await do_create_space(db, actor=m1, name="Help", kind="community", visibility="open")
    await db.commit()
    s = space.id
    await _question(db, s, m1, day(0), [(m1, 10, False), (m2, 60, False)])  # own comment: no
    await _question(db, s, m2, day(1), [(x, 120, False)])
    await _question(db, s, m3, day(2), [(m1, 3600, True), (m4, 7200, False)])  # deleted: no
    await _question(db, s, m4, day(3), [(m4, 5, False)])  # unanswered
    await _question(db, s, m5, day(4), [(m1, 300, False)])
    await _question(db, s, m1, day(40), [(m2, 1, False)])  # April
    await _question(db, s, x, day(5), [(m1, 30, False)])

    data = await adoption(db, start=MARCH, end=APRIL, settings=settings)
    assert data["questions"] == {
        "asked": 5,
        "answered": 4,
        "median_first_answer_seconds": 210.0,  # of 60, 120, 300 and 7200
        "askers": 5,
        "suppressed": False,
    }
    # One external asker: withheld.
    assert data["questions_by_externals"] == {
        "asked": None,
        "answered": None,
        "median_first_answer_seconds": None,
        "askers": 1,
        "suppressed": True,
    }
