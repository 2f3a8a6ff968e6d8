"""Adoption figures on hand-built months: active people, contributors, the 90-9-1 split that
scales with the range, DAU/MAU, the Community Health Index, the personas and the time to a first
answer — every expected number worked out by hand below."""

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
from tests.analytics.helpers import act
from tests.factories import make_person

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)  # every period of these tests is over


def at(day: int, hour: int = 10, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


async def group(db: AsyncSession, name: str, n: int = 5, **kw: Any) -> list[Person]:
    return [await make_person(db, name=f"{name}{i}", **kw) for i in range(n)]


async def used(db: AsyncSession, people: list[Person], *days: date) -> None:
    db.add_all(ActivityDay(person_id=p.id, day=d) for p in people for d in days)
    await db.commit()


async def _march(db: AsyncSession) -> dict[str, list[Person]]:
    """Six groups of five members and an external, in March 2026 (UTC):

    - r (engagers, regular): each comments toward the next r on 2, 9 and 16 March (weeks 10,
      11 and 12): gives 3, receives 3;
    - o (broadcasters, occasional): each posts twice on 24 March;
    - c (catalysts, occasional): each posts once on 12 March and receives two comments;
    - s (responders, occasional): each comments twice toward one c on 12 March;
    - q (observers, readers): use Atoll on 10 and 20 March, nothing more;
    - z: used Atoll on 15 November 2025 only (in the last 12 months, not in March);
    - x, an external, comments toward r0 on 3 March: r0 receives 4, and x is not counted."""
    g = {name: await group(db, name) for name in "rocsqz"}
    x = await make_person(db, name="x", kind="external")
    for i, r in enumerate(g["r"]):
        for day in (2, 9, 16):
            await act(db, r, g["r"][(i + 1) % 5], at(day))
    await act(db, x, g["r"][0], at(3))
    for o in g["o"]:
        for hour in (9, 15):
            await act(db, o, None, at(24, hour), kind="post")
    for c, s in zip(g["c"], g["s"], strict=True):
        await act(db, c, None, at(12, 9), kind="post")
        for hour in (10, 11):
            await act(db, s, c, at(12, hour))
    await used(db, g["q"], date(2026, 3, 10), date(2026, 3, 20))
    await used(db, [x], date(2026, 3, 10))
    await used(db, g["z"], date(2025, 11, 15))
    return g


async def test_march_figure_by_figure(db: AsyncSession, settings: Settings) -> None:
    await _march(db)
    data = await adoption(db, start=MARCH, end=APRIL, settings=settings, now=NOW)
    assert (data["from"], data["to"], data["timezone"]) == (
        "2026-03-01T00:00:00Z",
        "2026-04-01T00:00:00Z",
        "UTC",
    )
    assert data["members"] == 30  # six groups of five; x is external
    assert (data["active"], data["contributors"], data["suppressed"]) == (25, 20, False)
    assert data["participation"] == pytest.approx(20 / 25)
    # March touches six ISO weeks (W09 holds 1 March, W14 30 and 31 March): regular is 3 weeks.
    assert data["split"] == {
        "readers": 5,
        "occasional": 15,
        "regular": 5,
        "shares": {"readers": 0.2, "occasional": 0.6, "regular": 0.2},
    }
    assert data["personas"] == dict.fromkeys(
        ("engager", "catalyst", "responder", "broadcaster", "observer"), 5
    )
    # The last 30 days are 2 to 31 March: 5 + 5 + 5 + 10 + 5 + 5 + 5 = 40 person-days (2, 9,
    # 10, 12, 16, 20 and 24 March) over 30 days, among 25 people.
    assert data["dau_mau"] == pytest.approx(40 / 30 / 25)
    assert data["windows"]["month"] == {
        "from": "2026-03-02T00:00:00Z",
        "to": "2026-04-01T00:00:00Z",
        "first": "2026-03-02",
        "last": "2026-03-31",
    }
    # 25 people in the last 30 days; 30 in the twelve months to 31 March (z in November).
    assert data["health_index"] == pytest.approx(25 / 30)
    assert data["windows"]["year"]["first"] == "2025-04-01"
    weekly = [(w["period"], w["active"], w["contributors"], w["partial"]) for w in data["weekly"]]
    assert weekly == [
        ("2026-W09", 0, 0, True),  # cut by the range: only 1 March is in it
        ("2026-W10", 5, 5, False),
        ("2026-W11", 20, 15, False),  # r on the 9th, q on the 10th, c and s on the 12th
        ("2026-W12", 10, 5, False),
        ("2026-W13", 5, 5, False),
        ("2026-W14", 0, 0, True),
    ]
    assert [(m["period"], m["active"], m["contributors"]) for m in data["monthly"]] == [
        ("2026-03", 25, 20)
    ]
    assert data["weekly"][1]["end"] == "2026-03-09T00:00:00Z"


async def test_the_regular_bar_rises_with_the_range(db: AsyncSession, settings: Settings) -> None:
    await _march(db)
    # Twelve months (April 2025 to March 2026) touch 53 ISO weeks: regular needs 27. The
    # engagers' three weeks make them occasional now.
    year = await adoption(db, start=datetime(2025, 4, 1, tzinfo=UTC), end=APRIL, settings=settings)
    assert len(year["weekly"]) == 53
    assert (year["split"]["regular"], year["split"]["occasional"], year["split"]["readers"]) == (
        0,
        20,
        10,  # q, and z (active in November, contributed nothing)
    )
    # One week (Monday 9 to Sunday 15 March): on at least half of its days, i.e. 4 of 7. The
    # engagers contributed on one day: occasional.
    week = await adoption(db, start=at(9, 0), end=at(16, 0), settings=settings)
    assert len(week["weekly"]) == 1
    assert (week["active"], week["split"]["regular"], week["split"]["occasional"]) == (20, 0, 15)
    # Four weeks (2 to 29 March): regular means two of them; only the engagers (three).
    month = await adoption(db, start=at(2, 0), end=at(30, 0), settings=settings)
    assert (month["split"]["regular"], month["split"]["occasional"]) == (5, 15)


async def test_contributing_on_half_the_days_of_a_short_range_is_regular(
    db: AsyncSession, settings: Settings
) -> None:
    talkers = await group(db, "t")
    quiet = await group(db, "u")
    for i, t in enumerate(talkers):  # four days of Monday 9 to Sunday 15 March
        for day in (9, 10, 11, 12):
            await act(db, t, talkers[(i + 1) % 5], at(day))
    for u in quiet:
        for day in (13, 14, 15):  # three days: under half of seven
            await act(db, u, None, at(day), kind="post")
    week = await adoption(db, start=at(9, 0), end=at(16, 0), settings=settings)
    assert (week["split"]["regular"], week["split"]["occasional"]) == (5, 5)
    # A range of three days (13 to 15 March): two days are enough.
    days = await adoption(db, start=at(13, 0), end=at(16, 0), settings=settings)
    assert (days["split"]["regular"], days["active"]) == (5, 5)


async def _question(
    db: AsyncSession, space_id: int, author: Person, asked: datetime, answers: list[Any]
) -> None:
    post = Post(space_id=space_id, author_id=author.id, kind="question", body="?", html="")
    post.created_at = asked
    db.add(post)
    await db.flush()
    for who, seconds, deleted in answers:
        c = Comment(post_id=post.id, author_id=who.id, body="!", html="")
        c.created_at = asked + timedelta(seconds=seconds)
        c.deleted_at = c.created_at if deleted else None
        db.add(c)
    await db.commit()


async def test_questions_answered_and_median_first_answer(
    db: AsyncSession, settings: Settings
) -> None:
    g = {name: await group(db, name) for name in "ab"}
    a, b = g["a"], g["b"]
    x = await group(db, "x", 2, kind="external")
    space = await do_create_space(db, actor=a[0], name="Help", kind="community", visibility="open")
    await db.commit()
    s = space.id
    await _question(db, s, a[0], at(2), [(a[0], 10, False), (b[0], 60, False)])  # own: no
    await _question(db, s, a[1], at(3), [(x[0], 120, False)])
    await _question(db, s, a[2], at(4), [(b[1], 3600, True), (b[2], 7200, False)])  # deleted
    await _question(db, s, a[3], at(5), [(b[3], 300, False)])
    await _question(db, s, a[4], at(6), [(b[4], 30, False), (b[0], 45, False)])
    await _question(db, s, b[0], at(7), [(b[0], 5, False)])  # unanswered
    await _question(db, s, a[0], at(9, month=4), [(b[1], 1, False)])  # April
    await _question(db, s, x[0], at(8), [(a[0], 30, False)])
    data = await adoption(db, start=MARCH, end=APRIL, settings=settings)
    # Six questions by six askers; five answered (by b0, x0, b2, b3, b4: five answerers), the
    # waits 60, 120, 7200, 300 and 30 seconds: the median is 120. One asker (b0) is waiting:
    # how many were answered is withheld (six asked − answered would name that one person's).
    assert data["questions"] == {
        "asked": 6,
        "answered": None,
        "median_first_answer_seconds": 120.0,
        "askers": 6,
        "suppressed": False,
    }
    # One external asked: everything withheld, the count of askers too.
    assert data["questions_by_externals"] == {
        "asked": None,
        "answered": None,
        "median_first_answer_seconds": None,
        "askers": None,
        "suppressed": True,
    }
    # Four more people wait on questions: answered is shown (five answered of ten).
    for c in await group(db, "c", 4):
        await _question(db, s, c, at(10), [])
    data = await adoption(db, start=MARCH, end=APRIL, settings=settings)
    assert (data["questions"]["asked"], data["questions"]["answered"]) == (10, 5)
    # A sixth answer (after 200 seconds): the median of an even count is the mean of the two
    # in the middle, 120 and 200.
    await _question(db, s, a[1], at(11), [(b[1], 200, False)])
    data = await adoption(db, start=MARCH, end=APRIL, settings=settings)
    assert data["questions"]["answered"] == 6
    assert data["questions"]["median_first_answer_seconds"] == 160.0
