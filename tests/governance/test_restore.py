"""Soft delete with restore: posts and comments come back within ATOLL_RESTORE_DAYS, with
their comments, counts, search document and place; "Recently deleted"; housekeeping purges
what was deleted longer ago, for good."""

from __future__ import annotations

import io
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll import tasks
from atoll.analytics.models import Interaction
from atoll.conversations.models import Attachment, Comment, Post, Reaction
from atoll.kit.time import utcnow
from atoll.search.models import SearchDoc
from tests.conversations.helpers import comment, make_post
from tests.governance.helpers import API, crew
from tests.web.helpers import csrf_of


async def _search(client: httpx.AsyncClient, headers: dict[str, str], q: str) -> list[str]:
    r = await client.get(f"{API}/search", params={"q": q}, headers=headers)
    assert r.status_code == 200, r.text
    return [hit.get("id") or hit.get("ref_id") for hit in r.json()["items"]]


async def test_restore_a_post_with_its_comments(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await crew(client, db)
    h, sid = c.h, c.space["id"]
    older = await make_post(client, h["owner"], sid, "Older post")
    post = await make_post(client, h["member"], sid, "Zebra crossing plans")
    newer = await make_post(client, h["owner"], sid, "Newer post")
    await comment(client, h["insider"], post["id"], "Zebra stripes please")
    await client.put(f"{API}/posts/{post['id']}/reactions/👍", headers=h["insider"])
    assert len(await _search(client, h["member"], "zebra")) == 2
    # not deleted: 409
    assert (
        await client.post(f"{API}/posts/{post['id']}/restore", headers=h["member"])
    ).status_code == 409
    assert (
        await client.delete(f"{API}/posts/{post['id']}", headers=h["member"])
    ).status_code == 204
    assert await _search(client, h["member"], "zebra") == []
    # someone who reads the space but has no right: 403; the author: 200
    assert (
        await client.post(f"{API}/posts/{post['id']}/restore", headers=h["insider"])
    ).status_code == 403
    r = await client.post(f"{API}/posts/{post['id']}/restore", headers=h["member"])
    assert r.status_code == 200
    back = r.json()
    assert back["comment_count"] == 1 and back["reactions"] == {"👍": 1}
    # back in its place, searchable with its comment
    listed = (await client.get(f"{API}/spaces/{sid}/posts", headers=h["insider"])).json()
    assert [p["id"] for p in listed["items"]] == [newer["id"], post["id"], older["id"]]
    assert len(await _search(client, h["member"], "zebra")) == 2
    thread = (await client.get(f"{API}/posts/{post['id']}", headers=h["insider"])).json()
    assert [x["body"] for x in thread["comments"]] == ["Zebra stripes please"]


async def test_restore_after_the_window_is_gone(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await crew(client, db)
    post = await make_post(client, c.h["member"], c.space["id"], "Old news")
    await client.delete(f"{API}/posts/{post['id']}", headers=c.h["member"])
    await db.execute(
        update(Post)
        .where(Post.id == int(post["id"]))
        .values(deleted_at=utcnow() - timedelta(days=31))
    )
    await db.commit()
    r = await client.post(f"{API}/posts/{post['id']}/restore", headers=c.h["moderator"])
    assert r.status_code == 410 and "gone for good" in r.json()["detail"]


async def test_restore_a_comment_and_its_replies(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await crew(client, db)
    h = c.h
    post = await make_post(client, h["member"], c.space["id"], "Thread")
    top = (await comment(client, h["insider"], post["id"], "Top")).json()
    await comment(client, h["owner"], post["id"], "Reply", parent_id=top["id"])
    assert (
        await client.delete(f"{API}/comments/{top['id']}", headers=h["moderator"])
    ).status_code == 204
    assert (await client.get(f"{API}/posts/{post['id']}", headers=h["member"])).json()[
        "comment_count"
    ] == 0
    # the author of the post is not the comment's: 403
    assert (
        await client.post(f"{API}/comments/{top['id']}/restore", headers=h["member"])
    ).status_code == 403
    r = await client.post(f"{API}/comments/{top['id']}/restore", headers=h["insider"])
    assert r.status_code == 200, r.text
    thread = (await client.get(f"{API}/posts/{post['id']}", headers=h["member"])).json()
    assert thread["comment_count"] == 2
    assert [x["body"] for x in thread["comments"][0]["replies"]] == ["Reply"]


async def test_recently_deleted_lists(client: httpx.AsyncClient, db: AsyncSession) -> None:
    c = await crew(client, db)
    h, sid = c.h, c.space["id"]
    mine = await make_post(client, h["member"], sid, "Mine")
    theirs = await make_post(client, h["owner"], sid, "Theirs")
    note = (await comment(client, h["member"], theirs["id"], "A note")).json()
    await client.delete(f"{API}/posts/{mine['id']}", headers=h["member"])
    await client.delete(f"{API}/comments/{note['id']}", headers=h["member"])
    await client.delete(f"{API}/posts/{theirs['id']}", headers=h["owner"])
    own = (await client.get(f"{API}/me/deleted", headers=h["member"])).json()["items"]
    # the comment's post is deleted too: only the post of the member is theirs to restore now
    assert [(d["type"], d["id"]) for d in own] == [("post", mine["id"])]
    space = (await client.get(f"{API}/spaces/{sid}/deleted", headers=h["moderator"])).json()
    assert {d["id"] for d in space["items"]} == {mine["id"], theirs["id"]}
    assert (await client.get(f"{API}/spaces/{sid}/deleted", headers=h["member"])).status_code == 403
    # pages
    page = await client.get("/me/deleted", headers=h["member"])
    assert page.status_code == 200 and "Mine" in page.text and "Restore" in page.text
    page = await client.get(f"/spaces/{c.space['slug']}/deleted", headers=h["owner"])
    assert page.status_code == 200 and "Theirs" in page.text


async def test_undo_right_after_deleting_on_the_page(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await crew(client, db)
    h = c.h
    post = await make_post(client, h["member"], c.space["id"], "Oops")
    page = await client.get(f"/posts/{post['id']}", headers=h["member"])
    assert "You can undo this" in page.text
    token = csrf_of(page.text)
    r = await client.post(
        f"/posts/{post['id']}/delete", data={"csrf_token": token}, headers=h["member"]
    )
    assert r.status_code == 303 and r.headers["location"].endswith(f"?deleted={post['id']}")
    shown = await client.get(r.headers["location"], headers=h["member"])
    assert "Post deleted." in shown.text and f'action="/posts/{post["id"]}/restore"' in shown.text
    r = await client.post(
        f"/posts/{post['id']}/restore",
        data={"csrf_token": csrf_of(shown.text)},
        headers=h["member"],
    )
    assert r.status_code == 303
    assert (await client.get(f"{API}/posts/{post['id']}", headers=h["member"])).status_code == 200


async def test_housekeeping_purges_for_good(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await crew(client, db)
    h, sid = c.h, c.space["id"]
    upload = await client.post(
        f"{API}/attachments",
        files={"file": ("notes.txt", io.BytesIO(b"hello"), "text/plain")},
        headers=h["member"],
    )
    old = await make_post(client, h["member"], sid, "Old", attachment_ids=[upload.json()["id"]])
    await comment(client, h["insider"], old["id"], "On the old one")
    await client.put(f"{API}/posts/{old['id']}/reactions/👍", headers=h["insider"])
    recent = await make_post(client, h["member"], sid, "Recent")
    kept = await make_post(client, h["member"], sid, "Kept")
    gone_comment = (await comment(client, h["insider"], kept["id"], "Old remark")).json()
    for path in (f"posts/{old['id']}", f"posts/{recent['id']}", f"comments/{gone_comment['id']}"):
        assert (await client.delete(f"{API}/{path}", headers=h["owner"])).status_code == 204
    storage = app.state.storage
    key = await db.scalar(select(Attachment.storage_key))
    assert key is not None and storage.path_of_key(key).exists()
    now = utcnow()
    await db.execute(
        update(Post).where(Post.id == int(old["id"])).values(deleted_at=now - timedelta(days=31))
    )
    await db.execute(
        update(Comment)
        .where(Comment.id == int(gone_comment["id"]))
        .values(deleted_at=now - timedelta(days=40))
    )
    await db.commit()
    interactions = await db.scalar(select(func.count()).select_from(Interaction))
    for _ in range(2):  # idempotent: the second run finds nothing
        await tasks.run_once(app.state.sessionmaker, restore_days=30, storage=storage, now=now)
    await db.rollback()
    ids = set(await db.scalars(select(Post.id)))
    assert int(old["id"]) not in ids and {int(recent["id"]), int(kept["id"])} <= ids
    assert await db.get(Comment, int(gone_comment["id"])) is None
    assert await db.scalar(select(func.count()).select_from(Reaction)) == 0
    assert await db.scalar(select(func.count()).select_from(Attachment)) == 0
    assert not storage.path_of_key(key).exists()
    assert await db.scalar(select(func.count()).where(SearchDoc.post_id == int(old["id"]))) == 0
    # the interaction log keeps its counts
    assert await db.scalar(select(func.count()).select_from(Interaction)) == interactions
    # the recent one is still restorable
    r = await client.post(f"{API}/posts/{recent['id']}/restore", headers=h["member"])
    assert r.status_code == 200
    # small batches reach everything too
    assert await tasks.purge_deleted(app.state.sessionmaker, before=now, batch=1) == (0, 0)


async def test_a_hidden_post_restored_stays_hidden_and_out_of_search(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Hiding (a report's outcome) and deleting are two states: undoing the delete does not
    undo what a moderator decided."""
    c = await crew(client, db)
    h, sid = c.h, c.space["id"]
    post = await make_post(client, h["member"], sid, "Quokka sale this week")
    body = {"target_type": "post", "target_id": post["id"], "reason": "spam"}
    made = await client.post(f"{API}/reports", json=body, headers=h["insider"])
    assert made.status_code == 201, made.text
    hidden = await client.post(
        f"{API}/reports/{made.json()['id']}/resolve",
        json={"action": "hide", "note": "No sales here"},
        headers=h["moderator"],
    )
    assert hidden.status_code == 200, hidden.text
    assert await _search(client, h["member"], "quokka") == []
    assert (
        await client.delete(f"{API}/posts/{post['id']}", headers=h["member"])
    ).status_code == 204
    r = await client.post(f"{API}/posts/{post['id']}/restore", headers=h["member"])
    assert r.status_code == 200, r.text
    assert await _search(client, h["member"], "quokka") == []
    assert await _search(client, h["moderator"], "quokka") == []
    listed = (await client.get(f"{API}/spaces/{sid}/posts", headers=h["insider"])).json()
    assert post["id"] not in [p["id"] for p in listed["items"]]
    assert (await client.get(f"{API}/posts/{post['id']}", headers=h["insider"])).status_code == 404
