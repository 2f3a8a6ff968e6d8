"""Pinning a post in its space, and an administrator's organisation-wide announcement."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.models import AuditEntry
from atoll.kit.time import utcnow
from tests.conversations.helpers import make_post
from tests.governance.helpers import API, crew


async def test_pinned_posts_come_first_newest_pin_first(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await crew(client, db)
    sid, h = c.space["id"], c.h
    first = await make_post(client, h["member"], sid, "First")
    second = await make_post(client, h["member"], sid, "Second")
    third = await make_post(client, h["member"], sid, "Third")
    # a member may not pin; the moderator may
    r = await client.post(f"{API}/posts/{first['id']}/pin", headers=h["member"])
    assert r.status_code == 403
    r = await client.post(f"{API}/posts/{first['id']}/pin", headers=h["moderator"])
    assert r.status_code == 200 and r.json()["pinned"] is True
    r = await client.post(f"{API}/posts/{second['id']}/pin", headers=h["owner"])
    assert r.status_code == 200
    listed = (await client.get(f"{API}/spaces/{sid}/posts", headers=h["member"])).json()
    ids = [p["id"] for p in listed["items"]]
    # newest pin first, then the rest newest first; nothing twice
    assert ids == [second["id"], first["id"], third["id"]]
    assert [p["pinned"] for p in listed["items"]] == [True, True, False]
    # unpin: back in its place by time
    r = await client.delete(f"{API}/posts/{second['id']}/pin", headers=h["moderator"])
    assert r.status_code == 200 and r.json()["pinned"] is False
    listed = (await client.get(f"{API}/spaces/{sid}/posts", headers=h["member"])).json()
    assert [p["id"] for p in listed["items"]] == [first["id"], third["id"], second["id"]]
    await db.rollback()
    actions = list(
        await db.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.target_type == "post")
            .order_by(AuditEntry.id)
        )
    )
    assert actions == ["post.pinned", "post.pinned", "post.unpinned"]


async def test_at_most_five_pins(client: httpx.AsyncClient, db: AsyncSession) -> None:
    c = await crew(client, db)
    sid, h = c.space["id"], c.h
    posts = [await make_post(client, h["member"], sid, f"Post {i}") for i in range(6)]
    for p in posts[:5]:
        assert (
            await client.post(f"{API}/posts/{p['id']}/pin", headers=h["owner"])
        ).status_code == 200
    r = await client.post(f"{API}/posts/{posts[5]['id']}/pin", headers=h["owner"])
    assert r.status_code == 409 and "Unpin one first" in r.json()["detail"]
    # pinning again what is pinned changes nothing
    r = await client.post(f"{API}/posts/{posts[0]['id']}/pin", headers=h["owner"])
    assert r.status_code == 200


async def test_organisation_announcement(client: httpx.AsyncClient, db: AsyncSession) -> None:
    c = await crew(client, db)
    h = c.h
    post = await make_post(client, h["member"], c.space["id"], "Town hall on Friday")
    # only administrators announce to the organisation
    r = await client.post(
        f"{API}/posts/{post['id']}/pin", json={"scope": "organisation"}, headers=h["owner"]
    )
    assert r.status_code == 403
    past = (utcnow() - timedelta(hours=1)).isoformat()
    r = await client.post(
        f"{API}/posts/{post['id']}/pin",
        json={"scope": "organisation", "until": past},
        headers=h["admin"],
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "until"
    far = (utcnow() + timedelta(days=400)).isoformat()
    r = await client.post(
        f"{API}/posts/{post['id']}/pin",
        json={"scope": "organisation", "until": far},
        headers=h["admin"],
    )
    assert r.status_code == 422
    r = await client.post(
        f"{API}/posts/{post['id']}/pin", json={"scope": "organisation"}, headers=h["admin"]
    )
    assert r.status_code == 200
    until = r.json()["announced_until"]
    assert until is not None
    # everyone who can read the (open) space sees it, until they hide it
    for who in ("insider", "member"):
        shown = (await client.get(f"{API}/announcements", headers=h[who])).json()
        assert [p["id"] for p in shown] == [post["id"]]
    assert (
        await client.post(f"{API}/posts/{post['id']}/dismiss", headers=h["insider"])
    ).status_code == 204
    assert (await client.get(f"{API}/announcements", headers=h["insider"])).json() == []
    assert len((await client.get(f"{API}/announcements", headers=h["member"])).json()) == 1
    # the home page shows it above the feed, with a way to hide it
    page = await client.get("/", headers=h["member"])
    assert "Town hall on Friday" in page.text and "Hide this announcement" in page.text
    # withdrawn: gone for everyone
    r = await client.delete(f"{API}/posts/{post['id']}/pin?scope=organisation", headers=h["admin"])
    assert r.status_code == 200 and r.json()["announced_until"] is None
    assert (await client.get(f"{API}/announcements", headers=h["member"])).json() == []


async def test_announcement_in_a_private_space_reaches_its_readers_only(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await crew(client, db, visibility="private")
    h = c.h
    post = await make_post(client, h["member"], c.space["id"], "Members only news")
    # the post page warns the administrator who is about to announce it
    page = await client.get(f"/posts/{post['id']}", headers=h["admin"])
    assert "Only people who can read" in page.text and "Pin for the organisation" in page.text
    r = await client.post(
        f"{API}/posts/{post['id']}/pin", json={"scope": "organisation"}, headers=h["admin"]
    )
    assert r.status_code == 200
    assert len((await client.get(f"{API}/announcements", headers=h["member"])).json()) == 1
    assert (await client.get(f"{API}/announcements", headers=h["insider"])).json() == []


async def test_pinning_in_an_archived_space_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await crew(client, db)
    post = await make_post(client, c.h["member"], c.space["id"], "Old")
    await client.post(f"{API}/spaces/{c.space['id']}/archive", headers=c.h["owner"])
    r = await client.post(f"{API}/posts/{post['id']}/pin", headers=c.h["owner"])
    assert r.status_code == 409 and "archived" in r.json()["detail"]
