"""The notifications API: list (unread, pages), mark read, preferences; and the rules as an API
client meets them."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conversations.helpers import add_member, comment, make_post, make_space, post
from tests.factories import auth_headers, make_person


async def _notifications(client: httpx.AsyncClient, headers: dict[str, str], **params: str):  # type: ignore[no-untyped-def]
    r = await client.get("/api/v1/notifications", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_signed_out_is_401(client: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/api/v1/notifications"),
        ("POST", "/api/v1/notifications/read"),
        ("GET", "/api/v1/notifications/preferences"),
        ("PUT", "/api/v1/notifications/preferences"),
    ):
        r = await client.request(method, path, json={})
        assert r.status_code == 401, (path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_list_unread_and_mark_read(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana Silva")
    ben = await make_person(db, name="Ben Okafor")
    a, b = await auth_headers(client, ana), await auth_headers(client, ben)
    space = await make_space(client, a)
    await add_member(client, a, space["id"], ben.id)
    first = await make_post(client, a, space["id"], "Look @Ben Okafor")
    r = await comment(client, b, first["id"], "Nice")
    assert r.status_code == 201
    made = r.json()

    page = await _notifications(client, b)
    assert [n["kind"] for n in page["items"]] == ["mention", "invitation"]
    mention = page["items"][0]
    assert mention["text"] == "Ana Silva mentioned you in a post in Guild"
    assert mention["url"] == f"/posts/{first['id']}"
    assert mention["actor"] == {"id": str(ana.id), "name": "Ana Silva"}
    assert mention["space"] == {"id": space["id"], "name": "Guild", "slug": space["slug"]}
    assert mention["post_id"] == first["id"] and mention["comment_id"] is None
    assert mention["read"] is False and mention["read_at"] is None and mention["count"] == 1
    [reply] = (await _notifications(client, a))["items"]
    assert reply["kind"] == "reply" and reply["detail"] == "post"
    assert reply["url"] == f"/posts/{first['id']}#comment-{made['id']}"

    unread = await client.get("/api/v1/notifications/unread", headers=b)
    assert unread.json() == {"unread": 2}
    # Someone else's id changes nothing; one's own is marked once.
    r = await client.post("/api/v1/notifications/read", json={"ids": [reply["id"]]}, headers=b)
    assert r.json() == {"marked": 0, "unread": 2}
    r = await client.post("/api/v1/notifications/read", json={"ids": [mention["id"]]}, headers=b)
    assert r.json() == {"marked": 1, "unread": 1}
    only_unread = await _notifications(client, b, unread="true")
    assert [n["kind"] for n in only_unread["items"]] == ["invitation"]
    r = await client.post("/api/v1/notifications/read", json={"all": True}, headers=b)
    assert r.json() == {"marked": 1, "unread": 0}
    assert (await _notifications(client, b, unread="true"))["items"] == []
    everything = await _notifications(client, b)
    assert all(n["read"] and n["read_at"] for n in everything["items"])


async def test_read_needs_ids_or_all(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db)
    a = await auth_headers(client, ana)
    for body in ({}, {"ids": []}, {"ids": ["x"]}, {"all": True, "extra": 1}):
        r = await client.post("/api/v1/notifications/read", json=body, headers=a)
        assert r.status_code == 422, (body, r.text)


async def test_pages_follow_the_cursor(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    a, b = await auth_headers(client, ana), await auth_headers(client, ben)
    space = await make_space(client, a)
    await add_member(client, a, space["id"], ben.id)
    for n in range(4):
        await make_post(client, a, space["id"], f"{n} @Ben")
    seen: list[str] = []
    cursor = ""
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = await _notifications(client, b, **params)
        seen += [n["id"] for n in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert len(seen) == 5 and seen == sorted(seen, key=int, reverse=True)
    bad = await client.get("/api/v1/notifications?cursor=nonsense", headers=b)
    assert bad.status_code == 422
    too_many = await client.get("/api/v1/notifications?limit=101", headers=b)
    assert too_many.status_code == 422


async def test_preferences(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db)
    a = await auth_headers(client, ana)
    url = "/api/v1/notifications/preferences"
    defaults = {"email_mentions": True, "email_invitations": True, "email_digest": True}
    assert (await client.get(url, headers=a)).json() == defaults
    r = await client.put(url, json={"email_digest": False}, headers=a)
    assert r.status_code == 200 and r.json() == {**defaults, "email_digest": False}
    r = await client.put(url, json={"email_mentions": False}, headers=a)
    assert r.json() == {**defaults, "email_digest": False, "email_mentions": False}
    assert (await client.get(url, headers=a)).json()["email_mentions"] is False
    bad = await client.put(url, json={"email_everything": True}, headers=a)
    assert bad.status_code == 422


async def test_no_notification_about_what_one_cannot_see(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db, name="Olga")
    ana = await make_person(db, name="Ana")
    outsider = await make_person(db, name="Zed Outsider")
    o, a = await auth_headers(client, owner), await auth_headers(client, ana)
    space = await make_space(client, o, visibility="private", name="Club")
    await add_member(client, o, space["id"], ana.id)
    mine = await make_post(client, a, space["id"], "My post")
    # A mention of someone who cannot read the space is refused outright.
    refused = await post(client, o, space["id"], "Hey @Zed Outsider")
    assert refused.status_code == 422
    # Ana leaves; a reply and a reaction to her post afterwards do not reach her.
    r = await client.delete(f"/api/v1/spaces/{space['id']}/members/{ana.id}", headers=a)
    assert r.status_code == 204, r.text
    assert (await comment(client, o, mine["id"], "Answer")).status_code == 201
    r = await client.put(f"/api/v1/posts/{mine['id']}/reactions/👍", headers=o)
    assert r.status_code in (200, 201, 204), r.text
    assert (await _notifications(client, a))["items"] == []  # the invitation is out of sight too
    z = await auth_headers(client, outsider)
    assert (await _notifications(client, z))["items"] == []
