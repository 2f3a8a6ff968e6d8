"""Computed networks are kept: a read returns the stored answer while it holds, and
housekeeping recomputes the stale ones and forgets those nobody reads."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import network_store
from atoll.analytics.network import compute_snapshot, network
from atoll.analytics.network_store import NetworkSnapshot, do_refresh_networks
from atoll.kit.settings import Settings
from atoll.org.models import Unit
from tests.analytics.helpers import act, day
from tests.factories import make_person, make_unit

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


async def _team(db: AsyncSession) -> list[object]:
    unit = await make_unit(db, "Sales")
    team = await make_unit(db, "EMEA", parent=unit)
    people = [await make_person(db, name=f"p{n}", unit_id=team.id) for n in range(6)]
    for n in range(5):
        await act(db, people[n], people[n + 1], day(n / 10))
        await act(db, people[n + 1], people[n], day(n / 10 + 0.05))
    return list(people)


async def _read(db: AsyncSession, settings: Settings, now: datetime) -> dict[str, object]:
    data = await network(
        db, start=START, end=END, level=2, settings=settings, show_names=True, now=now
    )
    await db.commit()
    return data


async def test_a_read_stores_the_network_and_the_next_reads_get_it_back(
    db: AsyncSession, settings: Settings
) -> None:
    people = await _team(db)
    # Read while March is still going on (the range is open).
    now = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    first = await _read(db, settings, now)
    assert first["computed_at"] == "2026-03-20T09:00:00Z"
    assert first["units"][0]["people"] == 6  # type: ignore[index]
    # A row lands in the range: for a while the stored answer still holds (and says when it
    # was computed), then the network is computed again.
    await act(db, people[0], people[5], day(1))  # type: ignore[arg-type]
    assert await _read(db, settings, now + network_store.MAX_AGE / 2) == first
    fresh = await _read(db, settings, now + timedelta(hours=4))
    assert fresh["computed_at"] == "2026-03-20T13:00:00Z"
    assert fresh["units"][0]["interactions_within"] == 11  # type: ignore[index]
    # Nothing new since: it holds however old.
    assert await _read(db, settings, now + timedelta(hours=9)) == fresh
    # Another level or a unit filter is another network.
    await network(db, start=START, end=END, level=1, settings=settings, show_names=True, now=NOW)
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(NetworkSnapshot)) == 2


async def test_computed_after_its_range_closed_it_holds_until_housekeeping_counts(
    db: AsyncSession, settings: Settings
) -> None:
    people = await _team(db)
    closed = await _read(db, settings, NOW)
    await act(db, people[1], people[5], day(2))  # type: ignore[arg-type]  # a late row
    assert await _read(db, settings, NOW + timedelta(days=3)) == closed
    assert await do_refresh_networks(db, compute_snapshot, now=NOW + timedelta(days=3)) == 1
    later = await _read(db, settings, NOW + timedelta(days=3, minutes=1))
    assert later["units"][0]["interactions_within"] == 11  # type: ignore[index]


async def test_housekeeping_recomputes_what_went_stale_and_forgets_what_nobody_reads(
    db: AsyncSession, settings: Settings
) -> None:
    people = await _team(db)
    await _read(db, settings, NOW)
    # Computed in full already (a small graph: every person a source): nothing to do.
    assert await do_refresh_networks(db, compute_snapshot, now=NOW + timedelta(minutes=1)) == 0
    await act(db, people[0], people[5], day(1))  # type: ignore[arg-type]
    moment = NOW + network_store.REFRESH_AFTER * 2
    assert await do_refresh_networks(db, compute_snapshot, now=moment) == 1
    await db.commit()
    snapshot = (await db.scalars(select(NetworkSnapshot))).one()
    await db.refresh(snapshot)
    assert snapshot.complete and snapshot.computed_at == moment
    data = await _read(db, settings, moment + timedelta(minutes=1))
    assert data["units"][0]["interactions_within"] == 11  # type: ignore[index]
    # Nobody reads it for two weeks: it goes.
    gone = moment + network_store.KEEP + timedelta(days=1)
    assert await do_refresh_networks(db, compute_snapshot, now=gone) == 0
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(NetworkSnapshot)) == 0


async def test_a_range_that_ends_today_is_ready_for_tomorrow(
    db: AsyncSession, settings: Settings
) -> None:
    await _team(db)
    # The page's default on 31 March: April a year before to the end of 31 March.
    start, end = datetime(2025, 4, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    await network(
        db, start=start, end=end, level=2, settings=settings, show_names=True,
        now=datetime(2026, 3, 31, 17, 0, tzinfo=UTC),
    )  # fmt: skip
    await db.commit()
    after_midnight = datetime(2026, 4, 1, 0, 5, tzinfo=UTC)
    assert await do_refresh_networks(db, compute_snapshot, now=after_midnight) == 1
    await db.commit()
    # On 1 April the default is May a year before to the end of 1 April: it is there.
    tomorrow = await network(
        db, start=datetime(2025, 5, 1, tzinfo=UTC), end=datetime(2026, 4, 2, tzinfo=UTC),
        level=2, settings=settings, show_names=True, now=datetime(2026, 4, 1, 8, 0, tzinfo=UTC),
    )  # fmt: skip
    assert tomorrow["computed_at"] == "2026-04-01T00:05:00Z"
    assert tomorrow["units"][0]["interactions_within"] == 10  # type: ignore[index]
    assert await do_refresh_networks(db, compute_snapshot, now=after_midnight) == 0


async def test_a_kept_network_names_units_as_they_are_now(
    db: AsyncSession, settings: Settings
) -> None:
    await _team(db)
    first = await _read(db, settings, NOW)
    unit = await db.get(Unit, int(first["units"][0]["id"]))  # type: ignore[index]
    assert unit is not None and unit.name == "EMEA"
    unit.name = "Europe"
    await db.commit()
    again = await _read(db, settings, NOW + timedelta(minutes=1))
    assert again["computed_at"] == first["computed_at"]  # the kept answer
    assert again["units"][0]["name"] == again["units"][0]["label"] == "Europe"  # type: ignore[index]


async def test_tomorrows_range_follows_the_organisations_time_zone(
    db: AsyncSession, settings: Settings
) -> None:
    await _team(db)
    berlin = ZoneInfo("Europe/Berlin")
    zoned = settings.model_copy(update={"timezone": "Europe/Berlin"})
    start, end = datetime(2025, 4, 1, tzinfo=berlin), datetime(2026, 4, 1, tzinfo=berlin)
    await network(
        db, start=start, end=end, level=2, settings=zoned, show_names=True,
        now=datetime(2026, 3, 31, 17, 0, tzinfo=UTC),
    )  # fmt: skip
    await db.commit()
    after_midnight = datetime(2026, 4, 1, 0, 5, tzinfo=berlin)
    refresh = functools.partial(compute_snapshot, zone=berlin)
    assert await do_refresh_networks(db, refresh, now=after_midnight, zone=berlin) == 1
    await db.commit()
    tomorrow = await network(
        db, start=datetime(2025, 5, 1, tzinfo=berlin), end=datetime(2026, 4, 2, tzinfo=berlin),
        level=2, settings=zoned, show_names=True, now=datetime(2026, 4, 1, 8, tzinfo=berlin),
    )  # fmt: skip
    assert tomorrow["computed_at"] == "2026-03-31T22:05:00Z"  # ready since 00:05 in Berlin
    # The same instants read in UTC are another network.
    plain = await network(
        db, start=datetime(2025, 5, 1, tzinfo=berlin), end=datetime(2026, 4, 2, tzinfo=berlin),
        level=2, settings=settings, show_names=True, now=datetime(2026, 4, 1, 8, tzinfo=berlin),
    )  # fmt: skip
    assert plain["computed_at"] == "2026-04-01T06:00:00Z"
