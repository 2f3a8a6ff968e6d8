"""Analytics ranges are whole days of the organisation's time zone (ATOLL_TIMEZONE): two
ranges a millisecond apart are the same range, and dates name that zone's days."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.api import time_range
from atoll.analytics.periods import snap, spans
from atoll.app import create_app
from atoll.kit.errors import Invalid
from atoll.kit.settings import Settings
from tests.factories import auth_headers, make_person

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_range_snaps_to_whole_days_of_the_zone() -> None:
    start = datetime(2026, 3, 1, 0, 0, 0, 1000, tzinfo=UTC)
    end = datetime(2026, 3, 31, 23, 59, 59, 999000, tzinfo=UTC)
    assert snap(start, end) == (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    # In Berlin 00:00:00.001 UTC on March 1 is 01:00 that day; its midnight is 23:00 UTC before.
    first, last = snap(start, end, BERLIN)
    assert first == datetime(2026, 2, 28, 23, tzinfo=UTC)
    assert last == datetime(2026, 4, 1, 22, tzinfo=UTC)  # summer time began on March 29
    # A bound on a midnight stays where it is.
    assert snap(first, last, BERLIN) == (first, last)


def test_dates_name_the_days_of_the_zone_and_ranges_a_millisecond_apart_agree() -> None:
    assert time_range("2026-03-01", "2026-03-31", BERLIN) == (
        datetime(2026, 2, 28, 23, tzinfo=UTC),
        datetime(2026, 3, 31, 22, tzinfo=UTC),
    )
    one = time_range("2026-03-10T10:00:00Z", "2026-03-12T10:00:00Z")
    other = time_range("2026-03-10T10:00:00.001Z", "2026-03-12T10:00:00.001Z")
    assert one == other == (datetime(2026, 3, 10, tzinfo=UTC), datetime(2026, 3, 13, tzinfo=UTC))
    with pytest.raises(Invalid):
        time_range("2026-03-12", "2026-03-10")


def test_months_and_weeks_are_those_of_the_zone() -> None:
    start, end = datetime(2026, 2, 28, 23, tzinfo=UTC), datetime(2026, 4, 30, 22, tzinfo=UTC)
    months = spans(start, end, "month", BERLIN)
    assert [(m.label, m.start, m.end) for m in months] == [
        ("2026-03", start, datetime(2026, 3, 31, 22, tzinfo=UTC)),
        ("2026-04", datetime(2026, 3, 31, 22, tzinfo=UTC), end),
    ]
    weeks = spans(start, datetime(2026, 3, 9, 23, tzinfo=UTC), "week", BERLIN)
    assert [w.label for w in weeks] == ["2026-W09", "2026-W10", "2026-W11"]
    assert weeks[1].start == datetime(2026, 3, 1, 23, tzinfo=UTC)  # Monday March 2, Berlin


def test_an_unknown_zone_stops_the_settings() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        Settings(timezone="Mars/Olympus")


@pytest.fixture
async def berlin(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app on the suite's database whose organisation is in Berlin."""
    made = create_app(settings.model_copy(update={"timezone": "Europe/Berlin"}))
    async with made.router.lifespan_context(made):
        transport = httpx.ASGITransport(app=made)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_the_api_answers_with_the_snapped_range(
    db: AsyncSession, berlin: httpx.AsyncClient
) -> None:
    admin = await make_person(db, role="admin")
    headers = await auth_headers(berlin, admin)
    r = await berlin.get(
        "/api/v1/analytics/value-matrix?from=2026-03-01&to=2026-03-31T12:00:00Z", headers=headers
    )
    assert r.status_code == 200, r.text
    assert (r.json()["from"], r.json()["to"]) == ("2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z")
