"""Closing a thread to new comments, and locking a wiki page to the space's moderators."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.models import AuditEntry
from tests.conversations.helpers import comment, make_post
from tests.governance.helpers import API, crew


async def test_a_closed_thread_takes_no_comments_but_reactions(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await crew(client, db)
    h = c.h
    post = await make_post(client, h["member"], c.space["id"], "Decided: we ship Friday")
    first = (await comment(client, h["insider"], post["id"], "Great")).json()
    assert (
        await client.post(f"{API}/posts/{post['id']}/close", headers=h["member"])
    ).status_code == 403
    r = await client.post(f"{API}/posts/{post['id']}/close", headers=h["moderator"])
    assert r.status_code == 200 and r.json()["closed"] is True
    r = await comment(client, h["insider"], post["id"], "One more thing")
    assert r.status_code == 403 and "This conversation is closed" in r.json()["detail"]
    r = await comment(client, h["owner"], post["id"], "A reply", parent_id=first["id"])
    assert r.status_code == 403
    # reactions still allowed
    r = await client.put(f"{API}/posts/{post['id']}/reactions/👍", headers=h["insider"])
    assert r.status_code == 200
    # the page says who closed it instead of offering the comment box
    page = await client.get(f"/posts/{post['id']}", headers=h["insider"])
    assert "Closed by " in page.text and "no new comments" in page.text
    assert 'id="new-comment"' not in page.text and ">Reply</summary>" not in page.text
    # reopened
    r = await client.delete(f"{API}/posts/{post['id']}/close", headers=h["admin"])
    assert r.status_code == 200 and r.json()["closed"] is False
    assert (await comment(client, h["insider"], post["id"], "Now")).status_code == 201
    await db.rollback()
    actions = list(
        await db.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.target_type == "post", AuditEntry.target_id == post["id"])
            .order_by(AuditEntry.id)
        )
    )
    assert actions == ["post.closed", "post.reopened"]


async def test_a_platform_moderator_closes_what_they_can_read(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    open_ = await crew(client, db)
    post = await make_post(client, open_.h["member"], open_.space["id"], "Open")
    r = await client.post(f"{API}/posts/{post['id']}/close", headers=open_.h["platform"])
    assert r.status_code == 200
    private = await crew(client, db, visibility="private")
    hidden = await make_post(client, private.h["member"], private.space["id"], "Private")
    # a platform moderator reads as a member does: a private space's posts are not theirs
    r = await client.post(f"{API}/posts/{hidden['id']}/close", headers=private.h["platform"])
    assert r.status_code == 404


async def _wiki_page(client: httpx.AsyncClient, headers: dict[str, str], space_id: str) -> dict:
    r = await client.put(
        f"{API}/spaces/{space_id}/wiki/handbook",
        json={"title": "Handbook", "body": "How we work"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_a_locked_wiki_page_is_for_moderators(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await crew(client, db)
    h, sid = c.h, c.space["id"]
    page = await _wiki_page(client, h["member"], sid)
    url = f"{API}/spaces/{sid}/wiki/handbook"
    assert (await client.post(f"{url}/lock", headers=h["member"])).status_code == 403
    r = await client.post(f"{url}/lock", headers=h["moderator"])
    assert r.status_code == 200 and r.json()["locked"] is True
    # the member can no longer edit, rename or delete it
    edit = {"title": "Handbook", "body": "Changed", "base_revision": page["revision"]}
    r = await client.put(url, json=edit, headers=h["member"])
    assert r.status_code == 403 and "locked" in r.json()["detail"]
    assert (
        await client.post(f"{url}/rename", json={"title": "X"}, headers=h["member"])
    ).status_code == 403
    assert (await client.delete(url, headers=h["member"])).status_code == 403
    # the page says so, with no edit button
    shown = await client.get(f"/spaces/{c.space['slug']}/wiki/handbook", headers=h["member"])
    assert "only moderators edit this page" in shown.text and ">Edit</a>" not in shown.text
    # the owner edits; unlocked, the member edits again
    assert (await client.put(url, json=edit, headers=h["owner"])).status_code == 200
    r = await client.delete(f"{url}/lock", headers=h["owner"])
    assert r.status_code == 200 and r.json()["locked"] is False
    edit["base_revision"] = r.json()["revision"]
    edit["body"] = "Changed again"
    assert (await client.put(url, json=edit, headers=h["member"])).status_code == 200
