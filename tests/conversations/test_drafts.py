"""Drafts (one per person and space, saved as one types, gone once posted) and taking a post
back right after posting ("Posted · Undo"), through the JSON API and the service."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import drafts, feed, service
from atoll.conversations.models import Draft, Post
from atoll.kit.errors import Conflict, Forbidden
from atoll.kit.time import as_utc
from atoll.spaces import service as spaces_service
from tests.conversations.helpers import add_member, make_post, make_space
from tests.factories import access_to, auth_headers, make_person

EMPTY = {"body": "", "kind": "update", "updated_at": None}


async def _draft(
    client: httpx.AsyncClient, headers: dict[str, str], space_id: str
) -> httpx.Response:
    return await client.get(f"/api/v1/spaces/{space_id}/draft", headers=headers)


async def _put(
    client: httpx.AsyncClient, headers: dict[str, str], space_id: str, **body: str
) -> httpx.Response:
    return await client.put(f"/api/v1/spaces/{space_id}/draft", json=body, headers=headers)


async def test_a_draft_is_saved_read_replaced_and_discarded(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    h = await auth_headers(client, ana)
    space = await make_space(client, h)

    none = await _draft(client, h, space["id"])
    assert none.status_code == 200 and none.json() == EMPTY

    saved = await _put(client, h, space["id"], body="Half a thought", kind="question")
    assert saved.status_code == 200, saved.text
    assert saved.json()["body"] == "Half a thought" and saved.json()["kind"] == "question"
    assert saved.json()["updated_at"] is not None
    again = await _put(client, h, space["id"], body="A whole thought\r\nin two lines")
    assert again.json()["body"] == "A whole thought\nin two lines"
    assert again.json()["kind"] == "update"
    read = await _draft(client, h, space["id"])
    assert read.json() == again.json()
    assert await db.scalar(select(func.count()).select_from(Draft)) == 1  # one per space

    gone = await client.delete(f"/api/v1/spaces/{space['id']}/draft", headers=h)
    assert gone.status_code == 204
    assert (await _draft(client, h, space["id"])).json() == EMPTY
    assert (
        await client.delete(f"/api/v1/spaces/{space['id']}/draft", headers=h)
    ).status_code == 204

    # An empty body discards it too (the composer cleared).
    await _put(client, h, space["id"], body="Something")
    cleared = await _put(client, h, space["id"], body="   ")
    assert cleared.status_code == 200 and cleared.json() == EMPTY
    assert await db.scalar(select(func.count()).select_from(Draft)) == 0


async def test_drafts_are_one_per_person_and_space(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    ha, hb = await auth_headers(client, ana), await auth_headers(client, ben)
    first = await make_space(client, ha, name="First")
    second = await make_space(client, ha, name="Second")
    await add_member(client, ha, first["id"], ben.id)
    await _put(client, ha, first["id"], body="Ana in first")
    await _put(client, ha, second["id"], body="Ana in second")
    await _put(client, hb, first["id"], body="Ben in first")
    assert (await _draft(client, ha, first["id"])).json()["body"] == "Ana in first"
    assert (await _draft(client, ha, second["id"])).json()["body"] == "Ana in second"
    assert (await _draft(client, hb, first["id"])).json()["body"] == "Ben in first"
    assert (await _draft(client, hb, second["id"])).json() == EMPTY
    latest = await drafts.latest_draft(db, person=ana, space_ids=[int(first["id"])])
    assert latest is not None and latest.body == "Ana in first"


async def test_who_may_keep_a_draft_where(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await make_person(db, name="Olga")
    stranger = await make_person(db, name="Sam")
    ho, hs = await auth_headers(client, owner), await auth_headers(client, stranger)
    secret = await make_space(client, ho, name="Board", visibility="secret")
    await _put(client, ho, secret["id"], body="Board only")
    # A secret space of others: as if it were not there, whatever the method.
    assert (await _draft(client, hs, secret["id"])).status_code == 404
    assert (await _put(client, hs, secret["id"], body="Sneaky")).status_code == 404
    gone = await client.delete(f"/api/v1/spaces/{secret['id']}/draft", headers=hs)
    assert gone.status_code == 404
    assert (await _draft(client, hs, "999999999")).status_code == 404
    assert (await _draft(client, ho, secret["id"])).json()["body"] == "Board only"
    # An open space one reads but has not joined: no posting, so no draft.
    open_ = await make_space(client, ho, name="Open")
    refused = await _put(client, hs, open_["id"], body="Hello")
    assert refused.status_code == 403 and "Join this space" in refused.json()["detail"]
    assert (await _draft(client, hs, open_["id"])).json() == EMPTY
    # Signed out: 401.
    assert (await client.get(f"/api/v1/spaces/{open_['id']}/draft")).status_code == 401


async def test_a_draft_takes_only_what_one_may_post(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db, name="Olga")
    member = await make_person(db, name="Max")
    ho, hm = await auth_headers(client, owner), await auth_headers(client, member)
    space = await make_space(client, ho)
    await add_member(client, ho, space["id"], member.id)
    poem = await _put(client, hm, space["id"], body="Roses", kind="poem")
    assert poem.status_code == 422
    assert poem.headers["content-type"].startswith("application/problem+json")
    announce = await _put(client, hm, space["id"], body="Hear ye", kind="announcement")
    assert announce.status_code == 422 and announce.json()["errors"][0]["field"] == "kind"
    assert (await _put(client, ho, space["id"], body="Hear ye", kind="announcement")).is_success
    long = await _put(client, hm, space["id"], body="x" * 50_001)
    assert long.status_code == 422
    extra = await client.put(
        f"/api/v1/spaces/{space['id']}/draft", json={"body": "x", "mood": "glad"}, headers=hm
    )
    assert extra.status_code == 422
    assert (await _draft(client, hm, space["id"])).json() == EMPTY


async def test_posting_removes_the_draft_of_that_space_only(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    ha, hb = await auth_headers(client, ana), await auth_headers(client, ben)
    here = await make_space(client, ha, name="Here")
    there = await make_space(client, ha, name="There")
    await add_member(client, ha, here["id"], ben.id)
    await _put(client, ha, here["id"], body="Almost ready")
    await _put(client, ha, there["id"], body="Later")
    await _put(client, hb, here["id"], body="Ben's own")
    await make_post(client, ha, here["id"], "Ready now")
    assert (await _draft(client, ha, here["id"])).json() == EMPTY
    assert (await _draft(client, ha, there["id"])).json()["body"] == "Later"
    assert (await _draft(client, hb, here["id"])).json()["body"] == "Ben's own"


async def test_undo_takes_the_post_back_and_gives_the_text_back(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    ha, hb = await auth_headers(client, ana), await auth_headers(client, ben)
    space = await make_space(client, ha)
    await add_member(client, ha, space["id"], ben.id)
    post = await make_post(client, hb, space["id"], "Oops, **too soon**", kind="question")

    # Nobody but its author takes it back, not even the space's owner.
    assert (await client.post(f"/api/v1/posts/{post['id']}/undo", headers=ha)).status_code == 403
    undone = await client.post(f"/api/v1/posts/{post['id']}/undo", headers=hb)
    assert undone.status_code == 200, undone.text
    assert undone.json()["body"] == "Oops, **too soon**" and undone.json()["kind"] == "question"
    assert (await _draft(client, hb, space["id"])).json()["body"] == "Oops, **too soon**"

    # Gone for readers, as a deleted post is; its author may still restore it.
    assert (await client.get(f"/api/v1/posts/{post['id']}", headers=ha)).status_code == 404
    listed = await client.get(f"/api/v1/spaces/{space['id']}/posts", headers=ha)
    assert listed.json()["items"] == []
    feed_items = (await client.get("/api/v1/feed", headers=ha)).json()["items"]
    assert all(p["id"] != post["id"] for p in feed_items)
    deleted = (await client.get("/api/v1/me/deleted", headers=hb)).json()["items"]
    assert [d["id"] for d in deleted] == [post["id"]]
    # Twice: there is nothing left to take back.
    assert (await client.post(f"/api/v1/posts/{post['id']}/undo", headers=hb)).status_code == 404


async def test_undo_is_refused_once_the_moment_has_passed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ha = await auth_headers(client, ana)
    space = await make_space(client, ha)
    post = await make_post(client, ha, space["id"], "Said and done")
    # Posted a minute ago (ATOLL_UNDO_SECONDS is 10 here).
    row = await db.get(Post, int(post["id"]))
    assert row is not None
    await db.execute(
        update(Post)
        .where(Post.id == row.id)
        .values(created_at=as_utc(row.created_at) - timedelta(minutes=1))
    )
    await db.commit()
    late = await client.post(f"/api/v1/posts/{post['id']}/undo", headers=ha)
    assert late.status_code == 409
    assert "too late" in late.json()["detail"] and "edit or delete" in late.json()["detail"]
    assert (await client.get(f"/api/v1/posts/{post['id']}", headers=ha)).status_code == 200
    assert (await _draft(client, ha, space["id"])).json() == EMPTY


async def test_the_undo_window_in_the_service(db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    space = await spaces_service.do_create_space(
        db, actor=ana, name="Guild", kind="community", visibility="open"
    )
    await db.commit()
    post = await service.do_create_post(db, author=ana, space=space, body="Hello", kind="idea")
    await db.commit()
    posted = as_utc(post.created_at)
    access = await access_to(db, ana, space)
    with pytest.raises(Conflict):
        drafts.check_can_undo(
            access, post=post, undo_seconds=10, now=posted + timedelta(seconds=11)
        )
    drafts.check_can_undo(access, post=post, undo_seconds=10, now=posted + timedelta(seconds=10))
    with pytest.raises(Forbidden):
        drafts.check_can_undo(
            await access_to(db, ben, space), post=post, undo_seconds=10, now=posted
        )
    offer = await drafts.undo_offer(
        db, viewer=ana, post_id=str(post.id), undo_seconds=10, now=posted + timedelta(seconds=3)
    )
    assert offer is not None and offer.post_id == post.id and offer.seconds_left == 7
    assert await drafts.undo_offer(db, viewer=ben, post_id=str(post.id), now=posted) is None
    late = posted + timedelta(seconds=30)
    assert await drafts.undo_offer(db, viewer=ana, post_id=str(post.id), now=late) is None

    draft = await drafts.do_undo_post(
        db, access=access, post=post, undo_seconds=10, now=posted + timedelta(seconds=5)
    )
    await db.commit()
    assert (draft.body, draft.kind) == ("Hello", "idea")
    assert post.deleted_at is not None and post.deleted_by_id == ana.id
    views, _ = await feed.space_posts(db, viewer=ben, space=space, filter="all", limit=10)
    assert views == []
    assert await drafts.undo_offer(db, viewer=ana, post_id=str(post.id), now=posted) is None
