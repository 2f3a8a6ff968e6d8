"""Every change writes its interaction rows in the same transaction, with each side's unit,
silo, kind and organisation as they were at that moment; nothing toward oneself."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import service as analytics
from atoll.analytics.models import Interaction
from atoll.org.models import Unit
from atoll.people.models import Person
from tests.conversations.helpers import add_member, comment, make_post, make_space, post
from tests.factories import auth_headers, make_person, make_unit

API = "/api/v1"


async def _log(db: AsyncSession) -> list[Interaction]:
    await db.rollback()
    return list((await db.execute(select(Interaction).order_by(Interaction.id))).scalars())


async def _org(db: AsyncSession) -> dict[str, Unit]:
    """Company > Sales > EMEA Sales (department: the silo) > Team A; Company > Engineering >
    Platform (department)."""
    sales = await make_unit(db, "Sales")
    emea = await make_unit(db, "EMEA Sales", parent=sales)
    team = await make_unit(db, "Team A", parent=emea)
    engineering = await make_unit(db, "Engineering")
    platform = await make_unit(db, "Platform", parent=engineering)
    return {"sales": sales, "emea": emea, "team": team, "eng": engineering, "platform": platform}


async def test_each_act_is_logged_toward_the_right_person(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    units = await _org(db)
    ids = {k: u.id for k, u in units.items()}
    ana = await make_person(db, name="Ana", unit_id=ids["team"])
    ben = await make_person(db, name="Ben", unit_id=ids["platform"])
    gus = await make_person(db, name="Gus", kind="external", organization="Acme Corp")
    pid = {"ana": ana.id, "ben": ben.id, "gus": gus.id}
    a, b, g = [await auth_headers(client, p) for p in (ana, ben, gus)]
    sid = (await make_space(client, a, name="With Acme", kind="hybrid", visibility="private"))["id"]
    await add_member(client, a, sid, ben.id)
    await add_member(client, a, sid, gus.id)

    question = await make_post(client, a, sid, "Who knows?", kind="question")
    answer = (await comment(client, b, question["id"], "I do")).json()
    await comment(client, g, question["id"], "Me too", parent_id=answer["id"])
    await comment(client, a, question["id"], "My own question: no interaction")
    await client.put(f"{API}/posts/{question['id']}/reactions/{quote('🎉')}", headers=g)
    await client.put(f"{API}/posts/{question['id']}/reactions/{quote('🎉')}", headers=a)
    await client.post(
        f"{API}/posts/{question['id']}/accept", json={"comment_id": answer["id"]}, headers=a
    )
    idea = await make_post(client, b, sid, f"Idea for @[{gus.id}] and @[{ben.id}]", kind="idea")
    await client.put(f"{API}/posts/{idea['id']}/vote", headers=a)
    await client.put(f"{API}/posts/{idea['id']}/vote", headers=b)  # own idea: none

    log = await _log(db)
    who = {v: k for k, v in pid.items()}
    got = [(i.kind, who[i.actor_id], who.get(i.target_id) if i.target_id else None) for i in log]
    assert got == [
        ("post", "ana", None),
        ("comment", "ben", "ana"),
        ("reply", "gus", "ben"),
        ("reaction", "gus", "ana"),
        ("accept", "ana", "ben"),
        ("post", "ben", None),
        ("mention", "ben", "gus"),
        ("vote", "ana", "ben"),
    ]
    assert all(i.space_id == int(sid) for i in log)
    assert {i.post_id for i in log} == {int(question["id"]), int(idea["id"])}
    first, comment_row, reply_row = log[0], log[1], log[2]
    # Ana sits in a team below the silo level: her silo is the department above it
    assert (first.actor_unit_id, first.actor_silo_id, first.actor_kind) == (
        ids["team"],
        ids["emea"],
        "member",
    )
    assert first.target_kind is None and first.target_silo_id is None
    assert (comment_row.actor_unit_id, comment_row.actor_silo_id) == (
        ids["platform"],
        ids["platform"],
    )
    assert (comment_row.target_unit_id, comment_row.target_silo_id) == (ids["team"], ids["emea"])
    assert (reply_row.actor_kind, reply_row.actor_organization, reply_row.actor_unit_id) == (
        "external",
        "Acme Corp",
        None,
    )
    assert reply_row.target_organization is None and reply_row.target_kind == "member"


async def test_history_is_not_rewritten_and_failures_log_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    units = await _org(db)
    team, platform = units["team"].id, units["platform"].id
    ana = await make_person(db, unit_id=team)
    outsider = await make_person(db, kind="external")
    a = await auth_headers(client, ana)
    sid = (await make_space(client, a))["id"]
    await make_post(client, a, sid, "Before the move")
    person = await db.get(Person, ana.id)
    assert person is not None
    person.unit_id = platform
    await db.commit()
    await make_post(client, a, sid, "After the move")
    refused = await post(client, a, sid, f"Hello @[{outsider.id}]")
    assert refused.status_code == 422
    log = await _log(db)
    assert [(i.actor_unit_id, i.actor_silo_id) for i in log] == [
        (team, units["emea"].id),
        (platform, platform),
    ]


async def test_silo_level_is_a_setting(db: AsyncSession) -> None:
    units = await _org(db)
    team = units["team"]
    assert await analytics.silo_of(db, team.id, level=2) == units["emea"].id
    assert await analytics.silo_of(db, team.id, level=1) == units["sales"].id
    assert await analytics.silo_of(db, team.id, level=3) == team.id
    # A unit at the silo level is its own silo; a unit above it is in none.
    assert await analytics.silo_of(db, units["emea"].id, level=2) == units["emea"].id
    assert await analytics.silo_of(db, units["sales"].id, level=2) is None
    assert await analytics.silo_of(db, team.id, level=0) == units["sales"].parent_id
    assert await analytics.silo_of(db, None, level=2) is None
