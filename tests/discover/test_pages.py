"""The Discover page, its Join button, and the home page's right column."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.spaces.models import Membership
from tests.discover.helpers import org, post, skills, space, tie
from tests.web.helpers import csrf_of, sign_in


async def test_discover_shows_each_suggestion_with_its_reason_and_joins(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    o = await org(db)
    await skills(db, o.vera, "Python")
    await skills(db, o.bob, "Python")
    guild = await space(db, o.ana, "Python Guild")
    await post(db, o.ana, guild, "Hello <b>world</b>")
    await space(db, o.ana, "Python Circle", visibility="private")
    await tie(db, o.vera, o.ana)
    await sign_in(client, o.vera.email)

    page = await client.get("/discover")

    assert page.status_code == 200
    assert "Ana Silva, who you work with, posts here" in page.text
    assert "Matches your skills: Python" in page.text
    assert "People who know about Python" in page.text and "Skill: Python" in page.text
    assert "Community · Open to everyone · 1 member" in page.text
    assert 'aria-label="Ask to join Python Circle"' in page.text
    assert "<b>world</b>" not in page.text  # user text is escaped
    nav = re.search(r'<nav class="sidebar".*?</nav>', page.text, re.S)
    assert nav and 'href="/discover" aria-current="page">Discover' in nav.group(0)
    button = re.search(
        r'<form method="post" action="/spaces/python-guild/join">.*?'
        r'<button type="submit"[^>]*aria-label="Join Python Guild">Join</button>',
        page.text,
        re.S,
    )
    assert button

    joined = await client.post("/spaces/python-guild/join", data={"csrf_token": csrf_of(page.text)})

    assert (
        joined.status_code == 303 and joined.headers["location"] == "/spaces/python-guild?joined=1"
    )
    assert await db.get(Membership, (guild.id, o.vera.id)) is not None
    again = await client.get("/discover")
    assert 'aria-label="Join Python Guild"' not in again.text


async def test_asking_about_a_topic_and_the_empty_states(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    o = await org(db)
    await skills(db, o.ana, "Pricing")
    await sign_in(client, o.vera.email)

    empty = await client.get("/discover")
    assert empty.status_code == 200
    assert "No suggestions yet" in empty.text and "A quiet week so far" in empty.text
    asked = await client.get("/discover?topic=pricing")
    assert "People who know about pricing" in asked.text and "Ana Silva" in asked.text
    nobody = await client.get("/discover?topic=juggling")
    assert "Nobody you can see has “juggling”" in nobody.text
    long = await client.get("/discover?topic=" + "x" * 150)
    assert long.status_code == 422 and "must be at most 100 characters" in long.text


async def test_the_home_page_has_communities_and_people_for_you(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    o = await org(db)
    await skills(db, o.vera, "Kubernetes")
    await skills(db, o.sam, "Kubernetes")
    guild = await space(db, o.ana, "Guild")
    await post(db, o.ana, guild)
    await tie(db, o.vera, o.ana)
    await sign_in(client, o.vera.email)

    home = await client.get("/")
    # The page holds a place that loads the suggestions (and links to Discover meanwhile).
    slot = re.search(r'<aside class="home-aside".*?</aside>', home.text, re.S)
    assert home.status_code == 200 and slot
    assert 'hx-get="/discover/panel"' in slot.group(0) and 'href="/discover"' in slot.group(0)

    panel = await client.get("/discover/panel")
    aside = re.search(r'<aside class="home-aside".*?</aside>', panel.text, re.S)
    assert panel.status_code == 200 and aside
    assert "Ana Silva, who you work with, posts here" in aside.group(0)
    assert "People who know about Kubernetes" in aside.group(0)
    assert "Sam Same" in aside.group(0) and "Skill: Kubernetes" in aside.group(0)
    assert 'href="/discover"' in aside.group(0)


async def test_the_suggestions_need_a_sign_in(client: httpx.AsyncClient) -> None:
    answer = await client.get("/discover/panel", follow_redirects=False)
    assert answer.status_code in (303, 401) and "Ana" not in answer.text
