"""The discovery API: signed in only, topics checked, ids as strings, a reason on each item."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.discover.helpers import comment, org, post, skills, space, tie
from tests.factories import auth_headers


@pytest.mark.parametrize(
    "path", ["/communities", "/experts?topic=python", "/active"], ids=["c", "e", "a"]
)
async def test_signed_out_callers_get_401(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get("/api/v1/discover" + path)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("query", ["", "?topic=", "?topic=%20%20", "?topic=" + "x" * 101])
async def test_a_missing_blank_or_long_topic_is_422(
    client: httpx.AsyncClient, db: AsyncSession, query: str
) -> None:
    o = await org(db)
    r = await client.get(
        "/api/v1/discover/experts" + query, headers=await auth_headers(client, o.vera)
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "topic"


async def test_the_three_lists_with_their_reasons(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    o = await org(db)
    await skills(db, o.bob, "Python")
    guild = await space(db, o.ana, "Python Guild")
    thread = await post(db, o.ana, guild, "Which python version?")
    await comment(db, o.bob, thread, guild, "The newest one")
    await tie(db, o.vera, o.ana)
    headers = await auth_headers(client, o.vera)

    communities = (await client.get("/api/v1/discover/communities", headers=headers)).json()
    experts = (await client.get("/api/v1/discover/experts?topic=Python", headers=headers)).json()
    active = (await client.get("/api/v1/discover/active", headers=headers)).json()

    [c] = communities["items"]
    assert c["id"] == str(guild.id) and c["name"] == "Python Guild" and c["member_count"] == 1
    assert c["reason"] == "Ana Silva, who you work with, posts here · Active this week: 1 post"
    assert experts["topic"] == "Python"
    bob = next(e for e in experts["items"] if e["name"] == "Bob Berg")
    assert bob["id"] == str(o.bob.id) and bob["reason"].startswith("Skill: Python")
    [a] = active["items"]
    assert a["id"] == str(thread.id) and a["space_id"] == str(guild.id)
    assert a["reason"] == "1 comment this week"
