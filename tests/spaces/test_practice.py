"""A personal practice space: made on first use (page or API) with a welcome post, seen by
its owner alone — 404 to everyone else, administrators included — where mentions of others
are refused, nothing notifies anyone or counts in analytics, and nobody can be added."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.models import Interaction
from atoll.conversations.models import Post
from atoll.notifications.models import Notification
from atoll.spaces.models import Membership, Space
from tests.factories import auth_headers, make_person
from tests.web.helpers import csrf_of, sign_in


async def _count(db: AsyncSession, model: type) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_made_on_first_use_once_with_a_welcome_post(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana Silva")
    await sign_in(client, ana.email)
    home = await client.get("/")
    assert 'href="/practice"' in home.text
    opened = await client.get("/practice")
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/spaces/practice-{ana.id}"
    page = await client.get(opened.headers["location"])
    assert page.status_code == 200
    assert "Welcome to your practice space" in page.text and "Practice space" in page.text
    assert "Only you" in page.text
    assert "@mentions" in page.text and "Questions" in page.text and "/wiki" in page.text
    again = await client.get("/practice")
    assert again.headers["location"] == opened.headers["location"]
    api = await client.post("/api/v1/me/practice-space", headers=await auth_headers(client, ana))
    assert api.status_code == 200
    body = api.json()
    assert body["kind"] == "practice" and body["visibility"] == "secret"
    assert body["member_count"] == 1 and body["my_role"] == "owner"
    assert await _count(db, Space) == 1 and await _count(db, Post) == 1
    assert await _count(db, Interaction) == 0  # the welcome post counts nowhere
    home = (await client.get("/")).text
    nav = home[home.index('<nav class="sidebar"') : home.index("</nav>")]
    assert "/spaces/practice-" not in nav and "/spaces/practice-" in home  # in the feed only


async def test_nobody_else_knows_it_not_even_an_administrator(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    admin = await make_person(db, name="Ada", role="admin")
    ben = await make_person(db, name="Ben")
    mine = await client.post("/api/v1/me/practice-space", headers=await auth_headers(client, ana))
    space = mine.json()
    post_id = await db.scalar(select(Post.id))
    for person in (admin, ben):
        headers = await auth_headers(client, person)
        for url in (
            f"/api/v1/spaces/{space['id']}",
            f"/api/v1/spaces/{space['id']}/posts",
            f"/api/v1/spaces/{space['id']}/members",
            f"/api/v1/spaces/{space['id']}/wiki",
            f"/api/v1/posts/{post_id}",
        ):
            assert (await client.get(url, headers=headers)).status_code == 404, (person.name, url)
        joined = await client.post(f"/api/v1/spaces/{space['id']}/join", headers=headers)
        assert joined.status_code == 404
        listed = await client.get("/api/v1/spaces?q=practice", headers=headers)
        assert listed.json()["items"] == []
        feed = await client.get("/api/v1/feed", headers=headers)
        assert all(item["id"] != str(post_id) for item in feed.json()["items"])
        found = await client.get("/api/v1/search?q=practice", headers=headers)
        assert space["name"] not in found.text and "Welcome to your" not in found.text
    pages = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with pages:
        await sign_in(pages, admin.email)
        assert (await pages.get(f"/spaces/{space['slug']}")).status_code == 404
        assert space["name"] not in (await pages.get("/spaces")).text


async def test_nobody_can_be_added_and_it_stays_secret(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    headers = await auth_headers(client, ana)
    space = (await client.post("/api/v1/me/practice-space", headers=headers)).json()
    url = f"/api/v1/spaces/{space['id']}"
    added = await client.post(url + "/members", json={"person_id": str(ben.id)}, headers=headers)
    assert added.status_code == 403 and "practice space" in added.text
    opened = await client.patch(url, json={"visibility": "open"}, headers=headers)
    assert opened.status_code == 422 and "visibility" in opened.text
    renamed = await client.patch(url, json={"name": "My sandbox"}, headers=headers)
    assert renamed.status_code == 200 and renamed.json()["kind"] == "practice"
    assert await _count(db, Membership) == 1


async def test_posts_notify_nobody_and_count_nowhere(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana Silva")
    await make_person(db, name="Ben Okafor")
    headers = await auth_headers(client, ana)
    space = (await client.post("/api/v1/me/practice-space", headers=headers)).json()
    posts = f"/api/v1/spaces/{space['id']}/posts"
    named = await client.post(posts, json={"body": "Hi @Ben Okafor"}, headers=headers)
    assert named.status_code == 422 and "cannot see this space" in named.text
    mine = await client.post(
        posts,
        json={"body": "# Notes\n\n**Bold** and @Ana Silva", "kind": "question"},
        headers=headers,
    )
    assert mine.status_code == 201 and "<strong>Bold</strong>" in mine.json()["html"]
    post_id = mine.json()["id"]
    answered = await client.post(
        f"/api/v1/posts/{post_id}/comments", json={"body": "Answering myself"}, headers=headers
    )
    assert answered.status_code == 201
    wiki = await client.put(
        f"/api/v1/spaces/{space['id']}/wiki/notes",
        json={"title": "Notes", "body": "A first page"},
        headers=headers,
    )
    assert wiki.status_code == 201
    assert await _count(db, Interaction) == 0
    assert await _count(db, Notification) == 0


async def test_practice_spaces_are_never_started_and_externals_have_none(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    carl = await make_person(db, name="Carl", kind="external")
    headers = await auth_headers(client, ana)
    started = await client.post(
        "/api/v1/spaces",
        json={"name": "Sandbox", "kind": "practice", "visibility": "secret"},
        headers=headers,
    )
    assert started.status_code == 422
    await sign_in(client, ana.email)
    new = await client.get("/spaces/new")
    form = await client.post(
        "/spaces/new",
        data={
            "csrf_token": csrf_of(new.text),
            "name": "Sandbox",
            "kind": "practice",
            "visibility": "secret",
        },
    )
    assert form.status_code == 422 and "kind" in form.text
    assert await _count(db, Space) == 0
    refused = await client.post(
        "/api/v1/me/practice-space", headers=await auth_headers(client, carl)
    )
    assert refused.status_code == 403


async def test_first_visits_at_once_make_one_practice_space(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana Silva")
    headers = await auth_headers(client, ana)
    answers = await asyncio.gather(
        *(client.post("/api/v1/me/practice-space", headers=headers) for _ in range(4))
    )
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await _count(db, Space) == 1 and await _count(db, Post) == 1
