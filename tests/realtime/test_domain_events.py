"""Every change writes its event in the same transaction: conversations and memberships."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.models import Event
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces_service
from tests.conversations.helpers import add_member, comment, make_post, make_space
from tests.factories import auth_headers, make_person, make_unit


class Log:
    """The events written since the last look (notifications left out: their own tests
    follow them)."""

    def __init__(self, db) -> None:  # type: ignore[no-untyped-def]
        self.db = db
        self.position = 0

    async def new(self) -> list[tuple[str, str | None, dict[str, Any]]]:
        await self.db.commit()
        rows = list(
            (
                await self.db.execute(
                    select(Event).where(Event.id > self.position).order_by(Event.id)
                )
            ).scalars()
        )
        self.position = rows[-1].id if rows else self.position
        return [
            (r.type, str(r.space_id) if r.space_id else None, json.loads(r.data))
            for r in rows
            if r.type != "notification"
        ]


async def test_conversations_write_their_events(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    author, reader = await make_person(db), await make_person(db)
    a_h, r_h = await auth_headers(client, author), await auth_headers(client, reader)
    space = await make_space(client, a_h)
    sid = space["id"]
    log = Log(db)
    await log.new()

    question = await make_post(client, a_h, sid, "Who knows?", kind="question")
    pid = question["id"]
    assert await log.new() == [
        ("post.created", sid, {"post_id": pid, "author_id": str(author.id), "kind": "question"})
    ]
    assert (
        await client.patch(f"/api/v1/posts/{pid}", json={"body": "Who knows SQL?"}, headers=a_h)
    ).status_code == 200
    await client.patch(f"/api/v1/posts/{pid}", json={"body": "Who knows SQL?"}, headers=a_h)
    assert await log.new() == [("post.updated", sid, {"post_id": pid})]  # unchanged: no event

    answer = (await comment(client, r_h, pid, "I do")).json()
    reply = (await comment(client, a_h, pid, "Great", parent_id=answer["id"])).json()
    assert await log.new() == [
        (
            "comment.created",
            sid,
            {
                "post_id": pid,
                "comment_id": answer["id"],
                "parent_id": None,
                "author_id": str(reader.id),
                "comment_count": 1,
            },
        ),
        (
            "comment.created",
            sid,
            {
                "post_id": pid,
                "comment_id": reply["id"],
                "parent_id": answer["id"],
                "author_id": str(author.id),
                "comment_count": 2,
            },
        ),
    ]
    await client.patch(f"/api/v1/comments/{answer['id']}", json={"body": "I do!"}, headers=r_h)
    assert await log.new() == [
        ("comment.updated", sid, {"post_id": pid, "comment_id": answer["id"]})
    ]

    await client.put(f"/api/v1/posts/{pid}/reactions/👍", headers=r_h)
    await client.put(f"/api/v1/posts/{pid}/reactions/👍", headers=a_h)
    await client.put(f"/api/v1/posts/{pid}/reactions/👍", headers=a_h)  # again: no change
    await client.delete(f"/api/v1/posts/{pid}/reactions/👍", headers=r_h)
    await client.delete(f"/api/v1/posts/{pid}/reactions/👍", headers=r_h)  # again: no change
    assert await log.new() == [
        (
            "reaction.changed",
            sid,
            {
                "post_id": pid,
                "emoji": "👍",
                "person_id": str(reader.id),
                "added": True,
                "counts": {"👍": 1},
            },
        ),
        (
            "reaction.changed",
            sid,
            {
                "post_id": pid,
                "emoji": "👍",
                "person_id": str(author.id),
                "added": True,
                "counts": {"👍": 2},
            },
        ),
        (
            "reaction.changed",
            sid,
            {
                "post_id": pid,
                "emoji": "👍",
                "person_id": str(reader.id),
                "added": False,
                "counts": {"👍": 1},
            },
        ),
    ]

    accepted = await client.post(
        f"/api/v1/posts/{pid}/accept", json={"comment_id": answer["id"]}, headers=a_h
    )
    assert accepted.status_code == 200, accepted.text
    await client.post(f"/api/v1/posts/{pid}/accept", json={"comment_id": None}, headers=a_h)
    await client.post(f"/api/v1/posts/{pid}/accept", json={"comment_id": None}, headers=a_h)
    assert await log.new() == [
        ("post.answered", sid, {"post_id": pid, "comment_id": answer["id"]}),
        ("post.answered", sid, {"post_id": pid, "comment_id": None}),
    ]

    assert (await client.delete(f"/api/v1/comments/{answer['id']}", headers=r_h)).status_code == 204
    assert await log.new() == [
        ("comment.deleted", sid, {"post_id": pid, "comment_id": answer["id"], "comment_count": 0})
    ]
    assert (await client.delete(f"/api/v1/posts/{pid}", headers=a_h)).status_code == 204
    assert await log.new() == [("post.deleted", sid, {"post_id": pid})]

    idea = (await make_post(client, a_h, sid, "Let us", kind="idea"))["id"]
    await log.new()
    await client.put(f"/api/v1/posts/{idea}/vote", headers=r_h)
    await client.delete(f"/api/v1/posts/{idea}/vote", headers=r_h)
    status = await client.patch(
        f"/api/v1/posts/{idea}/idea", json={"idea_status": "adopted"}, headers=a_h
    )
    assert status.status_code == 200, status.text
    assert await log.new() == [
        ("vote.changed", sid, {"post_id": idea, "vote_count": 1}),
        ("vote.changed", sid, {"post_id": idea, "vote_count": 0}),
        ("idea.status", sid, {"post_id": idea, "status": "adopted"}),
    ]


async def test_a_failed_change_writes_no_event(client: httpx.AsyncClient, db: AsyncSession) -> None:
    author = await make_person(db)
    headers = await auth_headers(client, author)
    space = await make_space(client, headers)
    log = Log(db)
    await log.new()
    refused = await client.post(
        f"/api/v1/spaces/{space['id']}/posts", json={"body": "x" * 60_000}, headers=headers
    )
    assert refused.status_code == 422
    assert await log.new() == []


async def test_memberships_write_their_events(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner, ana, bo = await make_person(db), await make_person(db), await make_person(db)
    o_h, a_h, b_h = [await auth_headers(client, p) for p in (owner, ana, bo)]
    log = Log(db)
    await log.new()
    space = await make_space(client, o_h, visibility="private")
    sid = space["id"]
    assert await log.new() == [
        ("membership.changed", sid, {"person_id": str(owner.id), "role": "owner"})
    ]
    await add_member(client, o_h, sid, ana.id)
    await add_member(client, o_h, sid, ana.id, role="moderator")
    await add_member(client, o_h, sid, ana.id, role="moderator")  # no change
    assert (
        await client.delete(f"/api/v1/spaces/{sid}/members/{ana.id}", headers=o_h)
    ).status_code == 204
    assert await log.new() == [
        ("membership.changed", sid, {"person_id": str(ana.id), "role": "member"}),
        ("membership.changed", sid, {"person_id": str(ana.id), "role": "moderator"}),
        ("membership.changed", sid, {"person_id": str(ana.id), "removed": True}),
    ]
    asked = await client.post(f"/api/v1/spaces/{sid}/join", headers=b_h)
    assert asked.json()["status"] == "requested"
    [request] = (await client.get(f"/api/v1/spaces/{sid}/requests", headers=o_h)).json()
    approved = await client.post(
        f"/api/v1/spaces/{sid}/requests/{request['id']}/approve", headers=o_h
    )
    assert approved.status_code == 204, approved.text
    left = await client.delete(f"/api/v1/spaces/{sid}/members/{bo.id}", headers=b_h)
    assert left.status_code == 204
    types = [(t, d) for t, _, d in await log.new() if t == "membership.changed"]
    assert types == [
        ("membership.changed", {"person_id": str(bo.id), "role": "member"}),
        ("membership.changed", {"person_id": str(bo.id), "removed": True}),
    ]
    lobby = await make_space(client, o_h, name="Lobby")
    await log.new()
    await client.post(f"/api/v1/spaces/{lobby['id']}/join", headers=a_h)
    assert await log.new() == [
        ("membership.changed", lobby["id"], {"person_id": str(ana.id), "role": "member"})
    ]


async def test_keeping_a_unit_space_in_step_writes_one_event_per_direction(
    db: AsyncSession,
) -> None:
    unit = await make_unit(db, "Sales")
    admin = await make_person(db, role="admin")
    people = [await make_person(db, unit_id=unit.id) for _ in range(3)]
    log = Log(db)
    await log.new()
    space = await spaces_service.do_create_space(
        db, actor=admin, name="Sales", kind="unit", visibility="open", unit_id=unit.id
    )
    synced = [(t, s, d) for t, s, d in await log.new() if "person_ids" in d]
    assert synced == [
        (
            "membership.changed",
            str(space.id),
            {"person_ids": sorted(str(p.id) for p in people), "role": "member"},
        )
    ]
    people[0].unit_id = None
    await db.flush()
    await space_members.do_sync_unit_memberships(db, space_ids=[space.id])
    assert await log.new() == [
        ("membership.changed", str(space.id), {"person_ids": [str(people[0].id)], "removed": True})
    ]
    await space_members.do_sync_unit_memberships(db, space_ids=[space.id])
    assert await log.new() == []
    synced_events = select(func.count()).where(Event.data.like('%"person_ids"%'))
    assert await db.scalar(synced_events) == 2
