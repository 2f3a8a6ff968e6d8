"""Conversations through the API: posts, comments and replies, reactions, mentions, questions,
ideas, edits and deletes, follows and the feed, and the read rule of the spaces policy."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations.models import Comment, Mention, Post, PostRevision, Reaction
from atoll.kit.time import utcnow
from atoll.spaces.models import Space
from tests.conversations.helpers import (
    add_member,
    comment,
    join,
    make_post,
    make_space,
    post,
)
from tests.factories import auth_headers, make_person

API = "/api/v1"


async def _count(db: AsyncSession, model: type) -> int:
    await db.rollback()  # see what the requests committed
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_post_read_edit_history_delete(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana Lima")
    ben = await make_person(db, name="Ben Ode")
    a, b = await auth_headers(client, ana), await auth_headers(client, ben)
    space = await make_space(client, a, name="Python Guild")
    created = await make_post(client, a, space["id"], "First **post**")
    assert created["space_id"] == space["id"] and created["kind"] == "update"
    assert created["author"] == {
        "id": str(ana.id),
        "name": "Ana Lima",
        "kind": "member",
        "organization": None,
    }
    assert created["html"] == "<p>First <strong>post</strong></p>\n"
    assert created["edited_at"] is None and created["comment_count"] == 0
    assert created["reactions"] == {} and created["my_reactions"] == []
    assert created["votes"] is None and created["idea_status"] is None
    pid = created["id"]

    read = (await client.get(f"{API}/posts/{pid}", headers=b)).json()
    assert read["body"] == "First **post**" and read["comments"] == []
    # only the author edits; the previous body is kept
    assert (
        await client.patch(f"{API}/posts/{pid}", json={"body": "x"}, headers=b)
    ).status_code == 403
    edited = await client.patch(
        f"{API}/posts/{pid}", json={"body": "First post, edited"}, headers=a
    )
    assert edited.status_code == 200 and edited.json()["edited_at"] is not None
    await client.patch(f"{API}/posts/{pid}", json={"body": "Third version"}, headers=a)
    history = (await client.get(f"{API}/posts/{pid}/revisions", headers=b)).json()
    assert [r["body"] for r in history["items"]] == ["First post, edited", "First **post**"]
    assert history["items"][1]["html"] == "<p>First <strong>post</strong></p>\n"
    assert history["items"][0]["author"]["id"] == str(ana.id)
    page = (await client.get(f"{API}/posts/{pid}/revisions", params={"limit": 1}, headers=b)).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = await client.get(
        f"{API}/posts/{pid}/revisions", params={"cursor": page["next_cursor"]}, headers=b
    )
    assert [r["body"] for r in rest.json()["items"]] == ["First **post**"]

    # delete: not by a plain member; the author may; then it is gone everywhere
    assert (await client.delete(f"{API}/posts/{pid}", headers=b)).status_code == 403
    assert (await client.delete(f"{API}/posts/{pid}", headers=a)).status_code == 204
    assert (await client.get(f"{API}/posts/{pid}", headers=a)).status_code == 404
    assert (await client.get(f"{API}/posts/{pid}/revisions", headers=a)).status_code == 404
    assert (
        await client.patch(f"{API}/posts/{pid}", json={"body": "y"}, headers=a)
    ).status_code == 404
    listed = (await client.get(f"{API}/spaces/{space['id']}/posts", headers=a)).json()
    assert listed["items"] == []
    assert (await client.get(f"{API}/feed", headers=a)).json()["items"] == []


async def test_moderators_and_admins_delete_others_posts(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner, mod, member = [await make_person(db) for _ in range(3)]
    admin = await make_person(db, role="admin")
    o, m, x, adm = [await auth_headers(client, p) for p in (owner, mod, member, admin)]
    sid = (await make_space(client, o))["id"]
    await add_member(client, o, sid, mod.id, "moderator")
    await join(client, x, sid)
    first = await make_post(client, x, sid, "one")
    second = await make_post(client, x, sid, "two")
    assert (await client.delete(f"{API}/posts/{first['id']}", headers=m)).status_code == 204
    assert (await client.delete(f"{API}/posts/{second['id']}", headers=adm)).status_code == 204
    await db.rollback()
    deleted = (await db.execute(select(Post.deleted_by_id).order_by(Post.id))).scalars().all()
    assert deleted == [mod.id, admin.id]


async def test_who_may_post_what(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner, member, reader = [await make_person(db) for _ in range(3)]
    admin = await make_person(db, role="admin")
    o, m, r, adm = [await auth_headers(client, p) for p in (owner, member, reader, admin)]
    sid = (await make_space(client, o))["id"]
    await join(client, m, sid)
    for kind in ("update", "question", "idea"):
        assert (await post(client, m, sid, kind=kind)).status_code == 201
    refused = await post(client, m, sid, "Hear ye", kind="announcement")
    assert refused.status_code == 403 and "owners and moderators" in refused.json()["detail"]
    assert (await post(client, o, sid, kind="announcement")).status_code == 201
    assert (await post(client, adm, sid, kind="announcement")).status_code == 201
    # a reader of an open space who has not joined comments but does not post
    outsider = await post(client, r, sid)
    assert outsider.status_code == 403 and "Join" in outsider.json()["detail"]
    some = (await client.get(f"{API}/spaces/{sid}/posts", headers=r)).json()["items"][0]
    assert (await comment(client, r, some["id"])).status_code == 201
    bad_kind = await post(client, m, sid, kind="poll")
    assert bad_kind.status_code == 422


async def test_bad_input_changes_nothing(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await make_person(db)
    o = await auth_headers(client, owner)
    sid = (await make_space(client, o))["id"]
    for body in ("", "   \n\t  ", "x" * 50_001):
        r = await post(client, o, sid, body)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "body"
    pid = (await make_post(client, o, sid, "x" * 50_000))["id"]
    assert (await comment(client, o, pid, "")).status_code == 422
    assert (await comment(client, o, pid, "y" * 50_001)).status_code == 422
    assert (
        await client.patch(f"{API}/posts/{pid}", json={"body": " "}, headers=o)
    ).status_code == 422
    unknown = await client.put(f"{API}/posts/{pid}/reactions/{quote('🦄')}", headers=o)
    assert unknown.status_code == 422 and "👍" in unknown.json()["detail"]
    assert await _count(db, Post) == 1
    assert await _count(db, Comment) == 0 and await _count(db, Reaction) == 0
    assert await _count(db, PostRevision) == 0


async def test_archived_spaces_and_closed_rooms_are_read_only(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db)
    o = await auth_headers(client, owner)
    sid = (await make_space(client, o))["id"]
    pid = (await make_post(client, o, sid, "Before"))["id"]
    assert (await client.post(f"{API}/spaces/{sid}/archive", headers=o)).status_code == 200
    refused = await post(client, o, sid, "After")
    assert refused.status_code == 409 and "archived" in refused.json()["detail"]
    assert (await comment(client, o, pid)).status_code == 409
    assert (
        await client.put(f"{API}/posts/{pid}/reactions/{quote('👍')}", headers=o)
    ).status_code == 409
    assert (
        await client.patch(f"{API}/posts/{pid}", json={"body": "x"}, headers=o)
    ).status_code == 409
    assert (await client.delete(f"{API}/posts/{pid}", headers=o)).status_code == 409
    assert (await client.get(f"{API}/posts/{pid}", headers=o)).status_code == 200

    room = await make_space(
        client,
        o,
        name="Outage",
        kind="situation",
        visibility="private",
        closes_at=(utcnow() + timedelta(hours=1)).isoformat(),
    )
    rid = room["id"]
    assert (await post(client, o, rid, "Status?")).status_code == 201
    await db.rollback()
    space = await db.get(Space, int(rid))
    assert space is not None
    space.closes_at = utcnow() - timedelta(minutes=1)  # the room's time is up
    await db.commit()
    closed = await post(client, o, rid, "Still there?")
    assert closed.status_code == 409 and "closed" in closed.json()["detail"]
    assert await _count(db, Post) == 2 and await _count(db, Comment) == 0


async def test_comments_and_one_level_of_replies(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana, ben, cleo = [await make_person(db) for _ in range(3)]
    a, b, c = [await auth_headers(client, p) for p in (ana, ben, cleo)]
    sid = (await make_space(client, a))["id"]
    pid = (await make_post(client, a, sid))["id"]
    other = (await make_post(client, a, sid, "Other"))["id"]
    top = (await comment(client, b, pid, "Top *one*")).json()
    assert (
        top["post_id"] == pid
        and top["parent_id"] is None
        and top["html"] == "<p>Top <em>one</em></p>\n"
    )
    reply = await comment(client, c, pid, "A reply", parent_id=top["id"])
    assert reply.status_code == 201 and reply.json()["parent_id"] == top["id"]
    # no reply to a reply, nor to a comment of another post
    deeper = await comment(client, a, pid, "Deeper", parent_id=reply.json()["id"])
    assert deeper.status_code == 422 and deeper.json()["errors"][0]["field"] == "parent_id"
    elsewhere = await comment(client, a, other, "Wrong post", parent_id=top["id"])
    assert elsewhere.status_code == 422
    second = (await comment(client, c, pid, "Second")).json()
    thread = (await client.get(f"{API}/posts/{pid}", headers=a)).json()
    assert thread["comment_count"] == 3
    assert [(x["body"], [y["body"] for y in x["replies"]]) for x in thread["comments"]] == [
        ("Top *one*", ["A reply"]),
        ("Second", []),
    ]
    # edit a comment: author only, history kept
    cid = second["id"]
    assert (
        await client.patch(f"{API}/comments/{cid}", json={"body": "x"}, headers=b)
    ).status_code == 403
    edited = await client.patch(f"{API}/comments/{cid}", json={"body": "Second, fixed"}, headers=c)
    assert edited.status_code == 200 and edited.json()["edited_at"] is not None
    history = (await client.get(f"{API}/comments/{cid}/revisions", headers=a)).json()
    assert [r["body"] for r in history["items"]] == ["Second"]
    # delete: another member may not; the post author is no moderator either; the space owner is
    assert (await client.delete(f"{API}/comments/{top['id']}", headers=c)).status_code == 403
    assert (await client.delete(f"{API}/comments/{top['id']}", headers=a)).status_code == 204
    thread = (await client.get(f"{API}/posts/{pid}", headers=a)).json()
    assert thread["comment_count"] == 1 and [x["body"] for x in thread["comments"]] == [
        "Second, fixed"
    ]
    # the reply went with its parent
    assert (
        await client.patch(f"{API}/comments/{reply.json()['id']}", json={"body": "z"}, headers=c)
    ).status_code == 404
    assert (await comment(client, b, pid, "to the gone", parent_id=top["id"])).status_code == 422
    assert (await client.delete(f"{API}/comments/{cid}", headers=c)).status_code == 204
    assert (await client.get(f"{API}/posts/{pid}", headers=a)).json()["comment_count"] == 0


async def test_reactions(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana, ben = await make_person(db), await make_person(db)
    a, b = await auth_headers(client, ana), await auth_headers(client, ben)
    sid = (await make_space(client, a))["id"]
    pid = (await make_post(client, a, sid))["id"]
    url = f"{API}/posts/{pid}/reactions"
    assert (await client.put(f"{url}/{quote('👍')}", headers=a)).status_code == 200
    r = await client.put(f"{url}/{quote('👍')}", headers=b)
    assert r.json()["reactions"] == {"👍": 2} and r.json()["my_reactions"] == ["👍"]
    await client.put(f"{url}/{quote('👍')}", headers=b)  # twice is once
    # ❤️ with or without its variation selector
    r = await client.put(f"{url}/{quote('❤')}", headers=b)
    assert r.status_code == 200 and r.json()["reactions"] == {"👍": 2, "❤️": 1}
    assert r.json()["my_reactions"] == ["👍", "❤️"]
    seen_by_a = (await client.get(f"{API}/posts/{pid}", headers=a)).json()
    assert seen_by_a["my_reactions"] == ["👍"]
    r = await client.delete(f"{url}/{quote('👍')}", headers=b)
    assert r.json()["reactions"] == {"👍": 1, "❤️": 1} and r.json()["my_reactions"] == ["❤️"]
    for bad in ("🦄", "x", "👍👍", "%00"):
        assert (await client.put(f"{url}/{quote(bad)}", headers=b)).status_code == 422
    assert await _count(db, Reaction) == 2


async def test_questions_and_accepted_answers(client: httpx.AsyncClient, db: AsyncSession) -> None:
    asker, helper, other = [await make_person(db) for _ in range(3)]
    q, h, x = [await auth_headers(client, p) for p in (asker, helper, other)]
    sid = (await make_space(client, q))["id"]
    qid = (await make_post(client, q, sid, "How do I?", kind="question"))["id"]
    update = (await make_post(client, q, sid, "Just news"))["id"]
    answer = (await comment(client, h, qid, "Like this")).json()
    reply = (await comment(client, x, qid, "Or this", parent_id=answer["id"])).json()
    stray = (await comment(client, h, update, "Unrelated")).json()
    unanswered = (
        await client.get(f"{API}/spaces/{sid}/posts", params={"filter": "unanswered"}, headers=q)
    ).json()
    assert [p["id"] for p in unanswered["items"]] == [qid]

    accept = f"{API}/posts/{qid}/accept"
    assert (
        await client.post(accept, json={"comment_id": answer["id"]}, headers=h)
    ).status_code == 403
    assert (
        await client.post(accept, json={"comment_id": stray["id"]}, headers=q)
    ).status_code == 422
    assert (
        await client.post(
            f"{API}/posts/{update}/accept", json={"comment_id": stray["id"]}, headers=q
        )
    ).status_code == 409
    r = await client.post(accept, json={"comment_id": answer["id"]}, headers=q)
    assert r.status_code == 200 and r.json()["accepted_comment_id"] == answer["id"]
    thread = (await client.get(f"{API}/posts/{qid}", headers=x)).json()
    assert [c["accepted"] for c in thread["comments"]] == [True]
    unanswered = (
        await client.get(f"{API}/spaces/{sid}/posts", params={"filter": "unanswered"}, headers=q)
    ).json()
    assert unanswered["items"] == []
    # a reply can be the answer too; null takes the mark away
    r = await client.post(accept, json={"comment_id": reply["id"]}, headers=q)
    assert r.json()["accepted_comment_id"] == reply["id"]
    assert (await client.post(accept, json={"comment_id": None}, headers=q)).json()[
        "accepted_comment_id"
    ] is None
    # deleting the accepted answer (here: the parent of the accepted reply) unmarks it
    await client.post(accept, json={"comment_id": reply["id"]}, headers=q)
    assert (await client.delete(f"{API}/comments/{answer['id']}", headers=h)).status_code == 204
    assert (await client.get(f"{API}/posts/{qid}", headers=q)).json()["accepted_comment_id"] is None


async def test_ideas_votes_and_status(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner, mod, member = [await make_person(db) for _ in range(3)]
    o, m, x = [await auth_headers(client, p) for p in (owner, mod, member)]
    sid = (await make_space(client, o))["id"]
    await add_member(client, o, sid, mod.id, "moderator")
    await join(client, x, sid)
    idea = await make_post(client, x, sid, "Free fruit", kind="idea")
    assert idea["votes"] == 0 and idea["idea_status"] == "new" and idea["my_vote"] is False
    iid = idea["id"]
    r = await client.put(f"{API}/posts/{iid}/vote", headers=o)
    assert r.json()["votes"] == 1 and r.json()["my_vote"] is True
    await client.put(f"{API}/posts/{iid}/vote", headers=o)  # once only
    r = await client.put(f"{API}/posts/{iid}/vote", headers=m)
    assert r.json()["votes"] == 2
    r = await client.delete(f"{API}/posts/{iid}/vote", headers=o)
    assert r.json()["votes"] == 1 and r.json()["my_vote"] is False
    assert (await client.delete(f"{API}/posts/{iid}/vote", headers=o)).json()["votes"] == 1
    status = f"{API}/posts/{iid}/idea"
    assert (
        await client.patch(status, json={"idea_status": "adopted"}, headers=x)
    ).status_code == 403
    assert (await client.patch(status, json={"idea_status": "maybe"}, headers=m)).status_code == 422
    r = await client.patch(status, json={"idea_status": "reviewing"}, headers=m)
    assert r.status_code == 200 and r.json()["idea_status"] == "reviewing"
    plain = (await make_post(client, x, sid, "Not an idea"))["id"]
    assert (await client.put(f"{API}/posts/{plain}/vote", headers=o)).status_code == 409
    assert (
        await client.patch(f"{API}/posts/{plain}/idea", json={"idea_status": "adopted"}, headers=o)
    ).status_code == 409
    ideas = (
        await client.get(f"{API}/spaces/{sid}/posts", params={"filter": "ideas"}, headers=x)
    ).json()
    assert [p["id"] for p in ideas["items"]] == [iid]


async def test_mentions(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana Lima")
    ben = await make_person(db, name="Ben Ode")
    cleo = await make_person(db, name="Cleo Park")
    guest = await make_person(db, name="Gus Guest", kind="external")
    a = await auth_headers(client, ana)
    ana_id, ben_id = ana.id, ben.id
    sid = (await make_space(client, a))["id"]  # open: every member reads it
    created = await make_post(
        client,
        a,
        sid,
        f"Hi @[{ben.id}], and @cleo park. Mail ana@example.com, `@[{cleo.id}]` is code, "
        "@everyone is nobody.",
    )
    html = created["html"]
    assert f'<a href="/people/{ben.id}" rel="noopener noreferrer nofollow ugc">@Ben Ode</a>' in html
    assert (
        f'<a href="/people/{cleo.id}" rel="noopener noreferrer nofollow ugc">@Cleo Park</a>.'
        in html
    )
    assert (
        f"<code>@[{cleo.id}]</code>" in html and "@everyone" in html and "ana@example.com" in html
    )
    await db.rollback()
    mentioned = (
        (await db.execute(select(Mention.person_id).order_by(Mention.person_id))).scalars().all()
    )
    assert mentioned == [ben.id, cleo.id]
    # an external cannot read this open community: the mention is refused, nothing stored
    for body in (f"Welcome @[{guest.id}]!", "Welcome @Gus Guest!"):
        r = await post(client, a, sid, body)
        assert r.status_code == 422, r.text
        assert "Gus Guest cannot see this space" in r.json()["detail"]
    r = await post(client, a, sid, "Hi @[999999]")
    assert r.status_code == 422 and "names nobody" in r.json()["detail"]
    # in a private space only its members (and admins) can be mentioned
    private = (await make_space(client, a, name="Board", visibility="private"))["id"]
    r = await post(client, a, private, "FYI @Ben Ode")
    assert r.status_code == 422 and "Ben Ode cannot see this space" in r.json()["detail"]
    await add_member(client, a, private, ben.id)
    assert (await post(client, a, private, "FYI @Ben Ode")).status_code == 201
    # comments mention too; an edit adds the newly mentioned
    pid = created["id"]
    assert (await comment(client, a, pid, "cc @Ana Lima")).status_code == 201  # oneself: no row
    c = (await comment(client, a, pid, "cc nobody")).json()
    await client.patch(
        f"{API}/comments/{c['id']}", json={"body": f"cc @[{ana.id}] @Ben Ode"}, headers=a
    )
    assert await _count(db, Post) == 2
    rows = (
        (await db.execute(select(Mention.person_id, Mention.comment_id).order_by(Mention.id)))
        .tuples()
        .all()
    )
    assert (ben_id, int(c["id"])) in rows and all(person != ana_id for person, _ in rows)


async def test_ambiguous_names_must_use_ids(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana Lima")
    first = await make_person(db, name="Sam Roe")
    await make_person(db, name="Sam Roe")
    a = await auth_headers(client, ana)
    sid = (await make_space(client, a))["id"]
    r = await post(client, a, sid, "Ping @Sam Roe")
    assert r.status_code == 422 and "@[id]" in r.json()["detail"]
    assert (await post(client, a, sid, f"Ping @[{first.id}]")).status_code == 201


async def test_visibility_of_posts(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner, outsider = await make_person(db), await make_person(db)
    guest = await make_person(db, kind="external")
    admin = await make_person(db, role="admin")
    o, x, g, adm = [await auth_headers(client, p) for p in (owner, outsider, guest, admin)]
    secret = (await make_space(client, o, name="Skunk", visibility="secret"))["id"]
    private = (await make_space(client, o, name="Board", visibility="private"))["id"]
    open_ = (await make_space(client, o, name="Open"))["id"]
    hybrid = (await make_space(client, o, name="With Acme", kind="hybrid", visibility="private"))[
        "id"
    ]
    await add_member(client, o, hybrid, guest.id)
    ids = {}
    for name, sid in (
        ("secret", secret),
        ("private", private),
        ("open", open_),
        ("hybrid", hybrid),
    ):
        ids[name] = (await make_post(client, o, sid, f"In {name}"))["id"]
    # outsider: secret and private posts do not exist for them
    for name in ("secret", "private"):
        assert (await client.get(f"{API}/posts/{ids[name]}", headers=x)).status_code == 404
        assert (await comment(client, x, ids[name])).status_code == 404
        assert (
            await client.put(f"{API}/posts/{ids[name]}/reactions/{quote('👍')}", headers=x)
        ).status_code == 404
    assert (await client.get(f"{API}/spaces/{secret}/posts", headers=x)).status_code == 404
    assert (await client.get(f"{API}/spaces/{private}/posts", headers=x)).status_code == 403
    assert (await client.get(f"{API}/posts/{ids['open']}", headers=x)).status_code == 200
    # the external guest reads the hybrid space only
    for name in ("secret", "private", "open"):
        assert (await client.get(f"{API}/posts/{ids[name]}", headers=g)).status_code == 404
    hybrid_post = await client.get(f"{API}/posts/{ids['hybrid']}", headers=g)
    assert hybrid_post.status_code == 200
    guest_comment = (await comment(client, g, ids["hybrid"], "From Acme")).json()
    assert (
        guest_comment["author"]["organization"] == "Acme Corp"
        and guest_comment["author"]["kind"] == "external"
    )
    # admins read everything; signed-out visitors are asked to sign in
    for name in ids:
        assert (await client.get(f"{API}/posts/{ids[name]}", headers=adm)).status_code == 200
        assert (await client.get(f"{API}/posts/{ids[name]}")).status_code == 401
    assert (await client.get(f"{API}/posts/abc", headers=x)).status_code == 404
    assert (await client.get(f"{API}/posts/99999999999999999999", headers=x)).status_code == 404


async def test_public_spaces_are_read_signed_out(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    adm = await auth_headers(client, admin)
    sid = (await make_space(client, adm, name="News", kind="public"))["id"]
    pid = (await make_post(client, adm, sid, "Hello world"))["id"]
    await comment(client, adm, pid, "First")
    listed = (await client.get(f"{API}/spaces/{sid}/posts")).json()
    assert [p["body"] for p in listed["items"]] == ["Hello world"]
    assert listed["items"][0]["my_reactions"] == []
    thread = (await client.get(f"{API}/posts/{pid}")).json()
    assert [c["body"] for c in thread["comments"]] == ["First"]
    assert (
        await client.post(f"{API}/posts/{pid}/comments", json={"body": "anon"})
    ).status_code == 401
    assert (await client.get(f"{API}/feed")).status_code == 401


async def test_follows(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana, ben = await make_person(db, name="Ana"), await make_person(db, name="Ben")
    a, b = await auth_headers(client, ana), await auth_headers(client, ben)
    sid = (await make_space(client, b, name="Ben's"))["id"]
    secret = (await make_space(client, b, name="Hidden", visibility="secret"))["id"]
    private = (await make_space(client, b, name="Closed", visibility="private"))["id"]
    assert (await client.put(f"{API}/follows/person/{ben.id}", headers=a)).status_code == 204
    assert (await client.put(f"{API}/follows/person/{ben.id}", headers=a)).status_code == 204
    assert (await client.put(f"{API}/follows/space/{sid}", headers=a)).status_code == 204
    assert (await client.put(f"{API}/follows/person/{ana.id}", headers=a)).status_code == 422
    assert (await client.put(f"{API}/follows/space/{secret}", headers=a)).status_code == 404
    assert (await client.put(f"{API}/follows/space/{private}", headers=a)).status_code == 403
    assert (await client.put(f"{API}/follows/space/12345678", headers=a)).status_code == 404
    assert (await client.put(f"{API}/follows/unit/1", headers=a)).status_code == 422
    follows = (await client.get(f"{API}/follows", headers=a)).json()
    assert follows == [
        {"type": "person", "id": str(ben.id), "name": "Ben"},
        {"type": "space", "id": sid, "name": "Ben's"},
    ]
    assert (await client.delete(f"{API}/follows/person/{ben.id}", headers=a)).status_code == 204
    assert (await client.delete(f"{API}/follows/person/{ben.id}", headers=a)).status_code == 204
    assert [f["type"] for f in (await client.get(f"{API}/follows", headers=a)).json()] == ["space"]


async def test_feed(client: httpx.AsyncClient, db: AsyncSession) -> None:
    me = await make_person(db, name="Me")
    friend = await make_person(db, name="Friend")
    stranger = await make_person(db, name="Stranger")
    m, f, s = [await auth_headers(client, p) for p in (me, friend, stranger)]
    mine = (await make_space(client, m, name="Mine"))["id"]
    followed = (await make_space(client, s, name="Followed"))["id"]
    elsewhere = (await make_space(client, s, name="Elsewhere"))["id"]
    friends_private = (await make_space(client, f, name="Friends only", visibility="private"))["id"]
    friends_open = (await make_space(client, f, name="Friend's open"))["id"]
    await client.put(f"{API}/follows/space/{followed}", headers=m)
    await client.put(f"{API}/follows/person/{friend.id}", headers=m)
    await join(client, s, mine)
    expected = [
        (await make_post(client, m, mine, "my own"))["id"],
        (await make_post(client, s, mine, "in my space", kind="question"))["id"],
        (await make_post(client, s, followed, "in a followed space", kind="idea"))["id"],
        (await make_post(client, f, friends_open, "by a followed person"))["id"],
        (await make_post(client, s, elsewhere, f"mentions @[{me.id}]"))["id"],
    ]
    await make_post(client, s, elsewhere, "not for me")
    await make_post(client, f, friends_private, "followed person, space I cannot read")
    await make_post(client, m, mine, "announced", kind="announcement")
    got = (await client.get(f"{API}/feed", headers=m)).json()
    assert [p["body"] for p in got["items"]] == [
        "announced",
        f"mentions @[{me.id}]",
        "by a followed person",
        "in a followed space",
        "in my space",
        "my own",
    ]
    assert got["items"][0]["space"]["name"] == "Mine"
    # pages, newest first, no overlap, to the end
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(f"{API}/feed", params=params, headers=m)).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [p["id"] for p in got["items"]] and set(expected) <= set(seen)
    for name, kinds in (
        ("questions", ["question"]),
        ("ideas", ["idea"]),
        ("announcements", ["announcement"]),
        ("unanswered", ["question"]),
    ):
        page = (await client.get(f"{API}/feed", params={"filter": name}, headers=m)).json()
        assert [p["kind"] for p in page["items"]] == kinds, name
    assert (
        await client.get(f"{API}/feed", params={"filter": "bogus"}, headers=m)
    ).status_code == 422
    assert (
        await client.get(f"{API}/feed", params={"cursor": "nonsense"}, headers=m)
    ).status_code == 422


async def test_feed_pages_are_full_when_posts_come_from_several_sources(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Each source gives its newest posts: a post from two sources (a mention of me in my
    space, my own) counts once, and a followed space that turned private gives none, so no
    page is short and the last page says so."""
    me, other = await make_person(db, name="Me"), await make_person(db, name="Other")
    m, o = await auth_headers(client, me), await auth_headers(client, other)
    mine = (await make_space(client, m, name="Mine"))["id"]
    turned = (await make_space(client, o, name="Turned private"))["id"]
    await join(client, o, mine)
    await client.put(f"{API}/follows/space/{turned}", headers=m)
    expected = []
    for i in range(3):
        expected.append((await make_post(client, m, mine, f"mine {i}"))["id"])
        await make_post(client, o, turned, f"turned {i}")
        expected.append((await make_post(client, o, mine, f"for @[{me.id}] {i}"))["id"])
    space = await db.get(Space, int(turned))
    assert space is not None
    space.visibility = "private"
    await db.commit()
    pages, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(f"{API}/feed", params=params, headers=m)).json()
        pages.append([p["id"] for p in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [expected[::-1][i : i + 2] for i in range(0, 6, 2)]
