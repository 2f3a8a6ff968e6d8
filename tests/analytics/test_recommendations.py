"""Recommendations: what to do next, from the data — islands with the spaces where their
people meet (only spaces the viewer reads), units more inward than chance, externals'
questions waiting, communities whose activity fell."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.recommendations import recommendations
from atoll.kit.time import utcnow
from atoll.people.models import Person
from tests.analytics.helpers import act, day, org, people
from tests.conversations.helpers import add_member, comment, make_post, make_space
from tests.factories import auth_headers, make_person
from tests.wiki.helpers import make_space as space_in_db


def _unit(unit_id: int, name: str, ei: float | None, expected: float | None, island: bool):  # type: ignore[no-untyped-def]
    return {"id": str(unit_id), "name": name, "ei": ei, "ei_expected": expected, "island": island}


async def _analyst(db: AsyncSession) -> Person:
    person = await make_person(db, name="Ann Alyst")
    person.is_analyst = True
    await db.commit()
    return person


async def test_an_island_is_told_where_its_people_already_meet(db: AsyncSession) -> None:
    units = await org(db)
    who = await people(db, units)
    viewer = await _analyst(db)
    guild = await space_in_db(db, who["ana"], name="Sales Guild")
    cabal = await space_in_db(db, who["bea"], name="Quiet Cabal", visibility="secret")
    for space in (guild, cabal):  # EMEA's two people act in both; the viewer reads one
        await act(db, who["ana"], who["bea"], day(1), space=space)
        await act(db, who["bea"], who["ana"], day(2), space=space)
    network = {
        "units": [
            _unit(units["emea"].id, "EMEA", -1.0, 0.5, True),
            _unit(units["apac"].id, "APAC", 0.9, 0.5, False),
        ]
    }

    found = await recommendations(
        db, viewer=viewer, start=day(0), end=day(30), network=network, now=day(30)
    )

    islands = [r for r in found if r["kind"] == "island"]
    assert len(islands) == 1
    assert islands[0]["unit_ids"] == [str(units["emea"].id)]
    assert islands[0]["space_ids"] == [str(guild.id)]
    assert "EMEA has no tie with another unit" in islands[0]["text"]
    assert "Sales Guild" in islands[0]["text"] and "Quiet Cabal" not in islands[0]["text"]
    assert not [r for r in found if r["kind"] == "inward"]  # APAC is above its expected E-I


async def test_units_below_their_expected_e_i_are_named_furthest_first(
    db: AsyncSession,
) -> None:
    viewer = await _analyst(db)
    network = {
        "units": [
            _unit(1, "Finance", 0.5, 0.8, False),  # 0.3 below
            _unit(2, "Legal", 0.6, 0.7, False),  # 0.1 below
            _unit(3, "Sales", 0.1, 0.8, False),  # 0.7 below
            _unit(4, "Support", 0.9, 0.8, False),
            _unit(5, "HR", 0.2, 0.8, False),  # 0.6 below
            _unit(6, "Ops", None, None, False),
        ]
    }

    found = await recommendations(
        db, viewer=viewer, start=day(0), end=day(30), network=network, now=day(30)
    )

    inward = [r for r in found if r["kind"] == "inward"]
    assert [r["unit_ids"] for r in inward] == [["3", "5", "1"]]
    text = inward[0]["text"]
    assert text.index("Sales") < text.index("HR") < text.index("Finance")
    assert "E-I +0.10 against +0.80" in text and "1 more" in text
    assert inward[0]["href"] == "/analytics?unit_id=3"


async def test_externals_questions_waiting_for_an_answer(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    member = await make_person(db, name="Mo Member")
    guest = await make_person(db, kind="external", role="guest", organization="Acme Corp")
    headers = await auth_headers(client, admin)
    space = await make_space(client, headers, name="Acme collaboration", kind="hybrid")
    for person in (member, guest):
        await add_member(client, headers, space["id"], person.id)
    asks = await auth_headers(client, guest)
    waiting = await make_post(client, asks, space["id"], "How do I export?", kind="question")
    answered = await make_post(client, asks, space["id"], "Where is the API?", kind="question")
    r = await comment(client, await auth_headers(client, member), answered["id"], "Here.")
    assert r.status_code == 201, r.text
    await make_post(client, headers, space["id"], "A question of ours", kind="question")

    found = await recommendations(
        db,
        viewer=admin,
        start=utcnow() - timedelta(days=30),
        end=utcnow() + timedelta(days=1),
        network={"units": []},
        now=utcnow() + timedelta(days=2),
    )
    soon = await recommendations(
        db,
        viewer=admin,
        start=utcnow() - timedelta(days=30),
        end=utcnow() + timedelta(days=1),
        network={"units": []},
        now=utcnow() + timedelta(hours=1),
    )

    questions = [r for r in found if r["kind"] == "external_questions"]
    assert len(questions) == 1
    assert questions[0]["text"].startswith("1 question from customers, partners or guests is")
    assert "1 in Acme collaboration" in questions[0]["text"]
    assert questions[0]["href"] == f"/posts/{waiting['id']}"
    assert questions[0]["space_ids"] == [space["id"]]
    assert not [r for r in soon if r["kind"] == "external_questions"]  # not a day old yet


async def test_a_community_whose_activity_fell_is_named(db: AsyncSession) -> None:
    units = await org(db)
    who = await people(db, units)
    viewer = await _analyst(db)
    falling = await space_in_db(db, who["ana"], name="Fading Guild")
    steady = await space_in_db(db, who["ana"], name="Steady Guild")
    five = [who[n] for n in ("ana", "bea", "cid", "dan", "eli")]

    async def acts(space: Any, first: float, count: int) -> None:
        for k in range(count):
            one, other = five[k % 5], five[(k + 1) % 5]
            await act(db, one, other, day(first + k * 0.5), space=space)

    await acts(falling, 1, 12)  # in the four weeks before
    await acts(falling, 30, 3)  # in the last four weeks
    await acts(steady, 1, 12)
    await acts(steady, 30, 10)

    found = await recommendations(
        db, viewer=viewer, start=day(0), end=day(56), network={"units": []}, now=day(80)
    )

    named = [r for r in found if r["kind"] == "falling_community"]
    assert [r["space_ids"] for r in named] == [[str(falling.id)]]
    assert "fell from 12 to 3 acts" in named[0]["text"]
    assert named[0]["href"] == f"/spaces/{falling.slug}"


async def test_the_value_matrix_answer_the_page_and_the_csv_carry_them(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    units = await org(db)
    who = await people(db, units)
    admin = await make_person(db, role="admin")
    fading = await space_in_db(db, who["ana"], name="Fading Guild")
    five = [who[n] for n in ("ana", "bea", "cid", "dan", "eli")]
    now = utcnow()
    for k in range(12):  # six weeks ago, then almost nothing in the last four
        await act(
            db, five[k % 5], five[(k + 1) % 5], now - timedelta(days=40, hours=k), space=fading
        )
    await act(db, who["ana"], who["bea"], now - timedelta(days=10), space=fading)
    headers = await auth_headers(client, admin)

    r = await client.get("/api/v1/analytics/value-matrix", headers=headers)
    page = await client.get("/analytics", headers=headers)
    download = await client.get("/analytics/value-matrix.csv", headers=headers)

    assert r.status_code == 200, r.text
    advice = [a for a in r.json()["recommendations"] if a["kind"] == "falling_community"]
    assert advice and advice[0]["space_ids"] == [str(fading.id)]
    assert "fell from 12 to 1 acts" in advice[0]["text"]
    assert page.status_code == 200
    assert "What to do next" in page.text and "Activity in Fading Guild fell" in page.text
    assert f'href="/spaces/{fading.slug}"' in page.text
    assert download.status_code == 200
    assert "recommendation,falling_community," in download.text
