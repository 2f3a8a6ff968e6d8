"""The sign-in throttle's windows, with the time passed in: a window opens at a key's first
attempt, ends ``ATOLL_LOGIN_WINDOW_SECONDS`` later, and housekeeping drops what is over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import RateLimited
from atoll.kit.settings import Settings
from atoll.people import throttle
from atoll.people.models import SignInCounter

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=900)


async def _fail(db: AsyncSession, settings: Settings, at: datetime, address: str) -> None:
    attempt = await throttle.do_count_attempt(
        db, settings, email="Ana@Example.com ", address=address, now=at
    )
    await throttle.do_settle(db, attempt=attempt, succeeded=False)
    await db.commit()


async def test_the_window_opens_with_the_first_failure_and_says_when_it_ends(
    db: AsyncSession, settings: Settings
) -> None:
    for n in range(5):
        await _fail(db, settings, T0 + timedelta(minutes=n), "198.51.100.1")
    with pytest.raises(RateLimited) as refused:
        await throttle.do_count_attempt(
            db, settings, email="ana@example.com", address="198.51.100.1", now=T0 + WINDOW / 3
        )
    await db.rollback()
    assert refused.value.retry_after == 600  # the window opened at T0
    assert "try again in 10 minutes" in refused.value.detail
    later = T0 + WINDOW + timedelta(seconds=1)  # a new window: five more tries
    await _fail(db, settings, later, "198.51.100.1")


async def test_a_success_clears_the_account_from_that_address_and_gives_its_slots_back(
    db: AsyncSession, settings: Settings
) -> None:
    for _ in range(4):
        await _fail(db, settings, T0, "198.51.100.2")
    attempt = await throttle.do_count_attempt(
        db, settings, email="ana@example.com", address="198.51.100.2", now=T0
    )
    await throttle.do_settle(db, attempt=attempt, succeeded=True)
    await db.commit()
    for _ in range(5):  # five again, not one
        await _fail(db, settings, T0, "198.51.100.2")
    with pytest.raises(RateLimited):
        await throttle.do_count_attempt(
            db, settings, email="ana@example.com", address="198.51.100.2", now=T0
        )
    await db.rollback()


async def test_housekeeping_drops_counters_whose_window_is_over(
    db: AsyncSession, settings: Settings
) -> None:
    await _fail(db, settings, T0, "198.51.100.3")
    await _fail(db, settings, T0 + WINDOW, "198.51.100.4")
    # Three counters per address (its failures, its successes, the account from it) and one
    # for the account, whose window opened again with the second failure.
    assert await db.scalar(select(func.count()).select_from(SignInCounter)) == 7
    assert await throttle.do_prune(db, older_than=T0 + WINDOW - timedelta(seconds=1)) == 3
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(SignInCounter)) == 4


def test_an_address_is_counted_by_what_one_client_holds() -> None:
    assert throttle.address_group("192.0.2.7") == "192.0.2.7"
    assert throttle.address_group("2001:db8:1:2::7") == "2001:db8:1:2::/64"
    assert throttle.address_group("::ffff:192.0.2.7") == "192.0.2.7"
    assert throttle.address_group("unknown") == "unknown"
