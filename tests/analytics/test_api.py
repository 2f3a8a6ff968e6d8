"""The analytics API: who may call it, its parameters, JSON and CSV answers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll import tasks
from atoll.analytics.matrix import value_matrix
from atoll.analytics.models import AdoptionFill, InteractionMonth
from atoll.analytics.periods import midnight
from atoll.kit.settings import Settings
from atoll.people.models import Person
from tests.analytics.helpers import act, day, org, people
from tests.factories import auth_headers, make_person

API = "/api/v1/analytics"
VIEWS = ("value-matrix", "network", "adoption")
MARCH = "from=2026-03-01&to=2026-04-30"
WRITES = {"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE"}


async def _analyst(db: AsyncSession) -> Person:
    person = await make_person(db, name="Ann Alyst")
    person.is_analyst = True
    db.add(person)
    await db.commit()
    return person


@pytest.mark.parametrize("view", VIEWS)
async def test_signed_out_is_401_and_members_403(
    client: httpx.AsyncClient, db: AsyncSession, view: str
) -> None:
    r = await client.get(f"{API}/{view}")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    member = await make_person(db)
    r = await client.get(f"{API}/{view}", headers=await auth_headers(client, member))
    assert r.status_code == 403, r.text
    assert "analyst" in r.json()["detail"]
    guest = await make_person(db, kind="external", role="guest")
    r = await client.get(f"{API}/{view}", headers=await auth_headers(client, guest))
    assert r.status_code == 403


@pytest.mark.parametrize("view", VIEWS)
async def test_admins_and_analysts_may_open_it(
    client: httpx.AsyncClient, db: AsyncSession, view: str
) -> None:
    admin = await make_person(db, role="admin")
    analyst = await _analyst(db)
    for person in (admin, analyst):
        headers = await auth_headers(client, person)
        before = datetime.now(UTC)
        r = await client.get(f"{API}/{view}", headers=headers)
        after = datetime.now(UTC)
        assert r.status_code == 200, r.text
        body = r.json()
        # The default range: the last 12 calendar months up to the end of today (UTC here).
        start = datetime.fromisoformat(body["from"])
        end = datetime.fromisoformat(body["to"])
        ends = {midnight(moment.date() + timedelta(days=1)) for moment in (before, after)}
        assert end in ends
        last = end - timedelta(days=1)
        months = (last.year - start.year) * 12 + last.month - start.month
        assert (start.day, start.hour, start.minute, months) == (1, 0, 0, 11)


async def test_value_matrix_answers_what_the_log_says(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    units = await org(db)
    p = await people(db, units)
    await act(db, p["ana"], p["bea"], day(0))
    await act(db, p["bea"], p["ana"], day(1))
    await act(db, p["ana"], p["cid"], day(2))
    await act(db, p["xan"], p["ana"], day(3), kind="reaction")
    await act(db, p["cid"], p["dan"], day(8))
    await act(db, p["eli"], p["ana"], day(30))
    headers = await auth_headers(client, await _analyst(db))

    r = await client.get(f"{API}/value-matrix?{MARCH}&period=week", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from"], body["to"]) == ("2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z")
    expected = await value_matrix(
        db,
        start=datetime(2026, 3, 1, tzinfo=UTC),
        end=datetime(2026, 5, 1, tzinfo=UTC),
        unit_id=None,
        period="week",
        settings=settings,
    )
    assert body == expected | {"recommendations": body["recommendations"]}
    assert body["total"] == 6 and body["stage"] == "transformation"
    assert body["journey"][0]["period"] == "2026-W09"

    emea = units["emea"].id
    r = await client.get(
        f"{API}/value-matrix?from=2026-03-01T00:00:00Z&to=2026-03-31&unit_id={emea}",
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["unit_id"] == str(emea)
    # EMEA's people: ana and bea (never their counterparts cid and xan): withheld, the
    # count of people too.
    assert r.json()["people"] is None and r.json()["suppressed"] is True
    assert r.json()["total"] is None and r.json()["timezone"] == "UTC"


async def test_reading_the_matrix_writes_nothing_and_counts_unstored_months_from_the_log(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """A GET only reads: the closed months housekeeping has not counted yet come from the log,
    with the figures they have once counted."""
    units = await org(db)
    p = await people(db, units)
    for n, (actor, target) in enumerate(
        [("ana", "bea"), ("bea", "cid"), ("cid", "dan"), ("xan", "eli"), ("eli", "ana")] * 3
    ):
        await act(db, p[actor], p[target], day(n * 9))  # March to mid-July 2026, all closed
    headers = await auth_headers(client, await _analyst(db))
    url = f"{API}/value-matrix?from=2026-03-01&to=2026-08-01&period=month"
    # The day's activity is written, and the network the recommendations read is kept.
    network = f"{API}/network?from=2026-03-01&to=2026-08-01"
    assert (await client.get(network, headers=headers)).status_code == 200

    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sqlalchemy_event.listen(app.state.engine.sync_engine, "before_cursor_execute", seen)
    try:
        unstored = await client.get(url, headers=headers)
    finally:
        sqlalchemy_event.remove(app.state.engine.sync_engine, "before_cursor_execute", seen)
    assert unstored.status_code == 200, unstored.text
    assert statements, "the listener saw the request's queries"
    writes = [s for s in statements if s.lstrip().split()[0].upper() in WRITES]
    assert writes == []
    assert await db.scalar(select(func.count()).select_from(InteractionMonth)) == 0

    await tasks.run_once(app.state.sessionmaker)  # housekeeping counts the closed months
    m = InteractionMonth
    stored_months = set((await db.execute(select(m.month).where(m.period == "month"))).scalars())
    assert stored_months == {f"2026-0{m}-01" for m in range(3, 8)}
    stored = await client.get(url, headers=headers)
    assert stored.json() == unstored.json()
    assert unstored.json()["total"] == 15 and unstored.json()["suppressed"] is False


async def test_csv_answers(client: httpx.AsyncClient, db: AsyncSession) -> None:
    units = await org(db)
    p = await people(db, units)
    await act(db, p["ana"], p["bea"], day(0))
    headers = await auth_headers(client, await make_person(db, role="admin"))
    headers["Accept"] = "text/csv"

    r = await client.get(f"{API}/value-matrix?{MARCH}", headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 6 * 2 + 6 + 2 + 2 + 1  # March, April, the range, apart, limits, zone
    assert [r["period"] for r in rows[:18:6]] == ["2026-03", "2026-04", "total"]
    assert rows[0]["scope"] == "within" and rows[0]["interactions"] == ""  # 2 people: withheld
    assert rows[17]["people"] == "" and rows[17]["suppressed"] == "true"
    assert rows[-1]["section"] == "timezone" and rows[-1]["period"] == "UTC"

    r = await client.get(f"{API}/network?{MARCH}", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.text.splitlines()[0].startswith("section,id,name,to_id,to_name,people,interactions,")
    assert r.text.splitlines()[1].startswith("organisation,,2026-03-01T00:00:00Z to ")

    r = await client.get(f"{API}/adoption?{MARCH}", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    lines = r.text.splitlines()
    assert lines[0] == "section,figure,period,start,end,value,partial"
    assert lines[1] == "headline,timezone,,2026-03-01T00:00:00Z,2026-05-01T00:00:00Z,UTC,"
    assert "headline,active,,2026-03-01T00:00:00Z,2026-05-01T00:00:00Z,," in lines  # 2 people
    assert any(line.startswith("rates,dau_mau,,") for line in lines)
    assert any(line.startswith("personas,observer,,") for line in lines)
    assert any(line.startswith("questions_by_externals,asked,,") for line in lines)
    assert lines[-1].startswith("monthly,contributors,2026-04,2026-04-01T00:00:00Z,")


@pytest.mark.parametrize(
    ("view", "query", "field"),
    [
        ("value-matrix", "from=2026-05-01&to=2026-03-01", "from"),
        ("value-matrix", "from=2026-03-01&to=2026-03-01T00:00:00Z", "from"),
        ("value-matrix", "unit_id=999999", "unit_id"),
        ("value-matrix", "unit_id=abc", "unit_id"),
        ("value-matrix", "period=day", "period"),
        ("value-matrix", "from=2020-01-01&to=2026-01-01", "to"),
        ("value-matrix", "from=yesterday", "from"),
        ("value-matrix", "to=2026-02-30", "to"),
        ("value-matrix", "from=0001-01-01&to=0001-02-01", "from"),
        ("value-matrix", "to=9999-12-31", "to"),
        ("network", "level=11", "level"),
        ("network", "level=-1", "level"),
        ("network", "from=2026-13-01", "from"),
        ("network", "unit_id=999999", "unit_id"),
        ("network", "unit_id=abc", "unit_id"),
        ("network", "unit_id=-3", "unit_id"),
        ("adoption", "from=2026-03-01&to=2025-03-01", "from"),
    ],
)
async def test_bad_parameters_are_422(
    client: httpx.AsyncClient, db: AsyncSession, view: str, query: str, field: str
) -> None:
    headers = await auth_headers(client, await make_person(db, role="admin"))
    r = await client.get(f"{API}/{view}?{query}", headers=headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in r.text


async def test_housekeeping_counts_adoption_and_the_answer_stays_the_same(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Adoption reads the days housekeeping has counted from its roll-ups and the others from
    the log: the answer is the same before, while and after housekeeping counts them."""
    units = await org(db)
    p = await people(db, units)
    for n, (actor, target) in enumerate(
        [("ana", "bea"), ("bea", "cid"), ("cid", "dan"), ("dan", "eli"), ("eli", "ana")] * 8
    ):
        await act(db, p[actor], p[target], day(n * 2))  # March to mid-May 2026
    headers = await auth_headers(client, await _analyst(db))
    url = f"{API}/adoption?from=2026-03-01&to=2026-05-31"
    before = await client.get(url, headers=headers)
    assert before.status_code == 200, before.text
    assert before.json()["active"] == 5 and before.json()["personas"]["engager"] == 5
    await tasks.run_once(app.state.sessionmaker)  # 31 days a round at most: 2 March to 1 April
    fill = await db.scalar(select(AdoptionFill).where(AdoptionFill.zone == "UTC"))
    assert fill is not None and fill.filled_to == date(2026, 4, 2)
    assert (await client.get(url, headers=headers)).json() == before.json()
    for _ in range(3):
        await tasks.run_once(app.state.sessionmaker)
    await db.refresh(fill)
    assert fill.filled_to >= date(2026, 6, 1)
    assert (await client.get(url, headers=headers)).json() == before.json()
