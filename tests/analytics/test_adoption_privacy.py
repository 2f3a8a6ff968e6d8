"""The privacy floor of adoption: no figure about 1 to 4 people is shown, counts of people
included, in the headline and in every week and month — and none can be worked out by
subtracting figures that are shown."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.adoption import adoption
from atoll.kit.settings import Settings
from atoll.people.models import Person
from tests.analytics.helpers import act
from tests.analytics.test_adoption import APRIL, MARCH, at, group, used

PERSONAS = ("engager", "catalyst", "responder", "broadcaster", "observer")


async def ring(db: AsyncSession, people: list[Person], days: tuple[int, ...]) -> None:
    """Each comments toward the next on these days of March: engagers (give as much as they
    receive), contributing in as many weeks as there are days a week apart."""
    for i, person in enumerate(people):
        for day in days:
            await act(db, person, people[(i + 1) % len(people)], at(day))


async def test_an_active_count_of_one_to_four_is_withheld_everywhere(
    db: AsyncSession, settings: Settings
) -> None:
    trio = await group(db, "t", 3)
    await ring(db, trio, (2, 9))
    data = await adoption(db, start=MARCH, end=APRIL, settings=settings)
    assert data["members"] is None  # three member accounts
    assert (data["active"], data["contributors"], data["participation"]) == (None, None, None)
    assert data["suppressed"] is True
    assert data["split"] == {"readers": None, "occasional": None, "regular": None, "shares": None}
    assert data["personas"] == dict.fromkeys(PERSONAS)
    assert (data["dau_mau"], data["health_index"]) == (None, None)
    weekly = [(w["active"], w["contributors"], w["suppressed"]) for w in data["weekly"]]
    nobody, few = (0, 0, False), (None, None, True)  # no one is shown as no one
    assert weekly == [nobody, few, few, nobody, nobody, nobody]
    assert [(m["active"], m["contributors"], m["suppressed"]) for m in data["monthly"]] == [few]


async def test_a_few_contributors_among_many_readers_cannot_be_worked_out(
    db: AsyncSession, settings: Settings
) -> None:
    readers = await group(db, "r", 10)
    writers = await group(db, "w", 3)
    await used(db, readers, date(2026, 3, 10))
    for w in writers:
        await act(db, w, None, at(11), kind="post")
    data = await adoption(db, start=MARCH, end=APRIL, settings=settings)
    assert data["active"] == 13
    # 3 occasional contributors: withheld, and the readers with them (13 − 10 would give 3);
    # the regular contributors, none, are shown.
    assert data["split"] == {
        "readers": None,
        "occasional": None,
        "regular": 0,
        "shares": {"readers": None, "occasional": None, "regular": 0.0},
    }
    assert (data["contributors"], data["participation"]) == (None, None)
    # The same in the month and its week: 13 active, contributors withheld (13 − 10 readers).
    assert [(m["active"], m["contributors"]) for m in data["monthly"]] == [(13, None)]
    assert [(w["period"], w["active"], w["contributors"]) for w in data["weekly"]][2] == (
        "2026-W11",
        13,
        None,
    )
    # Observers 10, broadcasters 3: the broadcasters withheld, the observers with them.
    assert data["personas"] == {
        "engager": 0,
        "catalyst": 0,
        "responder": 0,
        "broadcaster": None,
        "observer": None,
    }


async def test_a_few_readers_among_many_contributors_cannot_be_worked_out(
    db: AsyncSession, settings: Settings
) -> None:
    writers = await group(db, "w", 12)
    readers = await group(db, "r", 2)
    await ring(db, writers, (2, 9, 16))
    await used(db, readers, date(2026, 3, 20))
    data = await adoption(db, start=MARCH, end=APRIL, settings=settings)
    assert data["active"] == 14
    # 2 readers: withheld, with the regular contributors (so 14 − 12 is not at hand).
    assert (data["split"]["readers"], data["split"]["regular"], data["split"]["occasional"]) == (
        None,
        None,
        0,
    )
    assert data["contributors"] is None
    assert [(m["active"], m["contributors"]) for m in data["monthly"]] == [(14, None)]
    week = next(w for w in data["weekly"] if w["period"] == "2026-W12")
    assert (week["active"], week["contributors"]) == (14, None)  # 12 on the 16th, 2 on the 20th


async def test_a_small_part_takes_the_smallest_other_with_it(
    db: AsyncSession, settings: Settings
) -> None:
    regulars = await group(db, "e", 7)
    posters = await group(db, "p", 3)
    readers = await group(db, "r", 6)
    await ring(db, regulars, (2, 9, 16))  # three weeks of six: regular
    for p in posters:
        await act(db, p, None, at(24), kind="post")
    await used(db, readers, date(2026, 3, 20))
    data = await adoption(db, start=MARCH, end=APRIL, settings=settings)
    # 3 occasional: withheld, with the regular ones (7) rather than the readers (6), so that the
    # contributors (10) stay shown and agree with the month's figures.
    assert data["split"] == {
        "readers": 6,
        "occasional": None,
        "regular": None,
        "shares": {"readers": 6 / 16, "occasional": None, "regular": None},
    }
    assert (data["active"], data["contributors"]) == (16, 10)
    assert [(m["active"], m["contributors"]) for m in data["monthly"]] == [(16, 10)]
    # 3 broadcasters: withheld with the smallest other persona that has people (6 observers).
    assert data["personas"] == {
        "engager": 7,
        "catalyst": 0,
        "responder": 0,
        "broadcaster": None,
        "observer": None,
    }


async def test_readers_who_only_voted_are_not_given_away(
    db: AsyncSession, settings: Settings
) -> None:
    engagers = await group(db, "e", 6)
    voters = await group(db, "v", 2)
    observers = await group(db, "o", 8)
    await ring(db, engagers, (2, 9, 16))
    for v in voters:  # a vote is given toward someone, but it is no contribution
        await act(db, v, engagers[0], at(18), kind="vote")
    await used(db, observers, date(2026, 3, 20))
    data = await adoption(db, start=MARCH, end=APRIL, settings=settings)
    assert data["active"] == 16
    # Readers 10 and observers 8 would give the 2 voters away: both are withheld, each with
    # another part of its own total.
    assert data["split"] == {
        "readers": None,
        "occasional": 0,
        "regular": None,
        "shares": {"readers": None, "occasional": 0.0, "regular": None},
    }
    assert data["personas"] == {
        "engager": 6,
        "catalyst": 0,
        "responder": None,  # the 2 voters
        "broadcaster": 0,
        "observer": None,
    }


async def test_rates_and_members_that_would_give_a_small_group_away(
    db: AsyncSession, settings: Settings
) -> None:
    people = await group(db, "p", 10)
    await group(db, "idle", 2)  # member accounts never used
    await used(db, people, date(2026, 1, 15))
    await used(db, people[:3], date(2026, 3, 20))
    winter = await adoption(
        db, start=datetime(2026, 1, 1, tzinfo=UTC), end=APRIL, settings=settings
    )
    assert winter["active"] == 10
    # 3 people in the last 30 days: DAU/MAU and the Health Index (3 of 10) withheld.
    assert (winter["dau_mau"], winter["health_index"]) == (None, None)
    # 12 member accounts, 10 active: 2 idle ones would show, so the accounts are withheld.
    assert winter["members"] is None
    await used(db, people[3:8], date(2026, 3, 21))
    winter = await adoption(
        db, start=datetime(2026, 1, 1, tzinfo=UTC), end=APRIL, settings=settings
    )
    # Now 8 of 10: DAU/MAU is shown ((3 + 5) person-days / 30 days / 8 people), but not the
    # Health Index, from which 10 − 8 = 2 would follow.
    assert winter["dau_mau"] == pytest.approx(8 / 30 / 8)
    assert winter["health_index"] is None
