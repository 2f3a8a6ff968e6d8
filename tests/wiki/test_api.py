"""The wiki through the API: create and edit, the 409 of a stale save, history and diffs,
restore, rename and redirects, delete, links, who may read and who may edit, bad input."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.models import Event
from atoll.wiki.models import WikiRevision
from tests.conversations.helpers import add_member, join, make_space
from tests.factories import auth_headers, make_person

API = "/api/v1"
Headers = dict[str, str]


def wiki(space: dict[str, Any], slug: str = "") -> str:
    return f"{API}/spaces/{space['id']}/wiki" + (f"/{slug}" if slug else "")


async def put(
    client: httpx.AsyncClient, headers: Headers, space: dict[str, Any], slug: str, **body: Any
) -> httpx.Response:
    body.setdefault("body", "Some text")
    return await client.put(wiki(space, slug), json=body, headers=headers)


async def _revisions(db: AsyncSession) -> int:
    await db.rollback()
    return int(await db.scalar(select(func.count()).select_from(WikiRevision)) or 0)


async def test_create_edit_read_and_list(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana Lima")
    a = await auth_headers(client, ana)
    space = await make_space(client, a, name="Docs Team")
    r = await put(client, a, space, "release-checklist", title="Release checklist", body="# Go")
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"{wiki(space, 'release-checklist')}"
    page = r.json()
    assert {k: page[k] for k in ("space_id", "slug", "title", "body", "revision")} == {
        "space_id": space["id"],
        "slug": "release-checklist",
        "title": "Release checklist",
        "body": "# Go",
        "revision": 1,
    }
    assert page["html"] == "<h1>Go</h1>\n"
    assert page["updated_by"]["name"] == "Ana Lima" and page["parent_id"] is None
    r = await put(
        client, a, space, "release-checklist", title="Release checklist", body="# Go!",
        base_revision=1, summary="louder",
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["revision"] == 2
    # the same text again: 200, no new revision
    r = await put(
        client, a, space, "release-checklist", title="Release checklist", body="# Go!",
        base_revision=2,
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["revision"] == 2
    assert await _revisions(db) == 2
    r = await client.get(wiki(space, "release-checklist"), headers=a)
    assert r.status_code == 200 and r.json()["body"] == "# Go!"
    await put(client, a, space, "faq", title="FAQ", parent="release-checklist")
    listed = (await client.get(wiki(space), headers=a)).json()
    assert [p["title"] for p in listed["items"]] == ["FAQ", "Release checklist"]
    assert listed["items"][0]["parent_id"] == page["id"]
    assert listed["items"][0]["parent_slug"] == "release-checklist"
    first = (await client.get(wiki(space), params={"limit": 1}, headers=a)).json()
    second = (
        await client.get(
            wiki(space), params={"limit": 1, "cursor": first["next_cursor"]}, headers=a
        )
    ).json()
    assert [p["slug"] for p in first["items"] + second["items"]] == ["faq", "release-checklist"]
    assert second["next_cursor"] is None
    r = await client.get(wiki(space, "nope"), headers=a)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_a_stale_save_answers_409_with_the_current_page(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana, bo = await make_person(db, name="Ana"), await make_person(db, name="Bo")
    a, b = await auth_headers(client, ana), await auth_headers(client, bo)
    space = await make_space(client, a)
    await join(client, b, space["id"])
    await put(client, a, space, "plan", title="Plan", body="one")
    r = await put(client, b, space, "plan", title="Plan", body="one by Bo", base_revision=1)
    assert r.status_code == 200
    r = await put(client, a, space, "plan", title="Plan", body="one by Ana", base_revision=1)
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 409 and problem["current_revision"] == 2
    assert problem["current"]["body"] == "one by Bo" and problem["current"]["revision"] == 2
    assert problem["current"]["updated_by"]["name"] == "Bo"
    # creating a page that exists is the same conflict
    r = await put(client, a, space, "plan", title="Plan", body="fresh")
    assert r.status_code == 409 and r.json()["current_revision"] == 2
    assert await _revisions(db) == 2
    # a title another page has is a 409 on create
    r = await put(client, a, space, "other", title="PLAN!")
    assert r.status_code == 409


async def test_history_revision_diff_and_restore(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    a = await auth_headers(client, ana)
    space = await make_space(client, a)
    await put(client, a, space, "plan", title="Plan", body="one\ntwo\n", summary="start")
    await put(client, a, space, "plan", title="Plan", body="one\nthree\n", base_revision=1)
    history = (await client.get(wiki(space, "plan/revisions"), headers=a)).json()
    assert [(i["revision"], i["summary"]) for i in history["items"]] == [(2, ""), (1, "start")]
    assert history["items"][0]["author"]["name"] == "Ana" and history["next_cursor"] is None
    page1 = (await client.get(wiki(space, "plan/revisions"), params={"limit": 1}, headers=a)).json()
    assert [i["revision"] for i in page1["items"]] == [2] and page1["next_cursor"]
    one = (await client.get(wiki(space, "plan/revisions/1"), headers=a)).json()
    assert (one["body"], one["title"], one["diff"]) == ("one\ntwo\n", "Plan", None)
    diff = (
        await client.get(wiki(space, "plan/revisions/1"), params={"diff_to": 2}, headers=a)
    ).json()["diff"]
    assert "-two\n+three\n" in diff
    for bad in ("plan/revisions/3", "plan/revisions/0", "plan/revisions/99999999999999999999"):
        assert (await client.get(wiki(space, bad), headers=a)).status_code == 404
    r = await client.get(wiki(space, "plan/revisions/1"), params={"diff_to": 7}, headers=a)
    assert r.status_code == 404
    r = await client.post(wiki(space, "plan/restore"), json={"revision": 1}, headers=a)
    assert r.status_code == 200 and (r.json()["revision"], r.json()["body"]) == (3, "one\ntwo\n")
    three = (await client.get(wiki(space, "plan/revisions/3"), headers=a)).json()
    assert three["restored_from"] == 1
    for bad in ({"revision": 0}, {"revision": "1"}, {"revision": True}, {}):
        r = await client.post(wiki(space, "plan/restore"), json=bad, headers=a)
        assert r.status_code == 422, bad
    r = await client.post(wiki(space, "plan/restore"), json={"revision": 8}, headers=a)
    assert r.status_code == 404


async def test_rename_redirects_and_delete_then_restore(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    a = await auth_headers(client, ana)
    space = await make_space(client, a)
    await put(client, a, space, "old-name", title="Old name", body="see [[Other]]")
    await put(client, a, space, "other", title="Other", body="x")
    r = await client.post(wiki(space, "old-name/rename"), json={"title": "New name"}, headers=a)
    assert r.status_code == 200 and (r.json()["slug"], r.json()["revision"]) == ("new-name", 2)
    r = await client.get(wiki(space, "old-name"), headers=a)
    assert r.status_code == 200 and r.json()["slug"] == "new-name"
    r = await client.post(wiki(space, "new-name/rename"), json={"title": "Other"}, headers=a)
    assert r.status_code == 409
    linked = (await client.get(wiki(space, "other/linked-from"), headers=a)).json()
    assert linked == [{"id": linked[0]["id"], "slug": "new-name", "title": "New name"}]
    r = await client.delete(wiki(space, "new-name"), headers=a)
    assert r.status_code == 204
    assert (await client.get(wiki(space, "new-name"), headers=a)).status_code == 404
    assert (await client.get(wiki(space, "old-name"), headers=a)).status_code == 404
    assert (await client.get(wiki(space, "other/linked-from"), headers=a)).json() == []
    assert [p["slug"] for p in (await client.get(wiki(space), headers=a)).json()["items"]] == [
        "other"
    ]
    trash = (await client.get(wiki(space), params={"deleted": "true"}, headers=a)).json()
    assert [(p["slug"], p["deleted_at"] is not None) for p in trash["items"]] == [
        ("new-name", True)
    ]
    history = (await client.get(wiki(space, "new-name/revisions"), headers=a)).json()
    assert [i["revision"] for i in history["items"]] == [2, 1]
    r = await client.post(wiki(space, "new-name/restore"), json={"revision": 2}, headers=a)
    assert r.status_code == 200 and r.json()["revision"] == 3
    assert (await client.get(wiki(space, "new-name"), headers=a)).status_code == 200
    assert (await client.get(wiki(space), params={"deleted": "true"}, headers=a)).json() == {
        "items": [],
        "next_cursor": None,
    }


async def test_red_links_turn_blue_when_the_page_is_made(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    a = await auth_headers(client, ana)
    space = await make_space(client, a, name="Red Blue")
    await put(client, a, space, "home", title="Home", body="[[Next steps]]")
    html = (await client.get(wiki(space, "home"), headers=a)).json()["html"]
    assert 'href="/spaces/red-blue/wiki/next-steps/edit?title=Next+steps"' in html
    assert 'class="wikilink missing"' in html
    await put(client, a, space, "next-steps", title="Next steps")
    html = (await client.get(wiki(space, "home"), headers=a)).json()["html"]
    assert 'href="/spaces/red-blue/wiki/next-steps" class="wikilink"' in html


async def test_idempotent_put_makes_one_revision(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    a = await auth_headers(client, ana)
    space = await make_space(client, a)
    await put(client, a, space, "plan", title="Plan", body="one")
    key = {**a, "Idempotency-Key": str(uuid.uuid4())}
    body = {"title": "Plan", "body": "two", "base_revision": 1}
    first = await client.put(wiki(space, "plan"), json=body, headers=key)
    again = await client.put(wiki(space, "plan"), json=body, headers=key)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and again.json()["revision"] == 2
    assert await _revisions(db) == 2


async def test_every_change_writes_its_event(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    a = await auth_headers(client, ana)
    space = await make_space(client, a)
    page = (await put(client, a, space, "plan", title="Plan")).json()
    await put(client, a, space, "plan", title="Plan", body="2", base_revision=1)
    await client.post(wiki(space, "plan/rename"), json={"title": "Road map"}, headers=a)
    await client.delete(wiki(space, "road-map"), headers=a)
    await client.post(wiki(space, "road-map/restore"), json={"revision": 1}, headers=a)
    await db.rollback()
    rows = (
        await db.scalars(select(Event).where(Event.type == "wiki.updated").order_by(Event.id))
    ).all()
    data = [json.loads(e.data) for e in rows]
    assert {e.space_id for e in rows} == {int(space["id"])}
    assert [(d["slug"], d["revision"], d["deleted"]) for d in data] == [
        ("plan", 1, False),
        ("plan", 2, False),
        ("road-map", 3, False),
        ("road-map", 3, True),
        ("plan", 4, False),
    ]
    assert data[0] == {
        "space_id": space["id"],
        "page_id": page["id"],
        "slug": "plan",
        "title": "Plan",
        "revision": 1,
        "editor": {"id": str(ana.id), "name": "Ana"},
        "deleted": False,
    }
    # a refused save writes nothing
    await put(client, a, space, "plan", title="Plan", body="x", base_revision=1)
    await db.rollback()
    assert await db.scalar(select(func.count()).where(Event.type == "wiki.updated")) == 5


async def test_who_may_read(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana, bo = await make_person(db, role="admin"), await make_person(db)
    guest = await make_person(db, kind="external")
    a, b, g = [await auth_headers(client, p) for p in (ana, bo, guest)]
    private = await make_space(client, a, name="Private", visibility="private")
    secret = await make_space(client, a, name="Secret", visibility="secret")
    open_ = await make_space(client, a, name="Open")
    public = await make_space(client, a, name="Town hall", kind="public")
    for space in (private, secret, open_, public):
        await put(client, a, space, "p", title="P")
    for space in (private, secret):
        for h in (b, g):
            for path in ("", "p", "p/revisions", "p/revisions/1", "p/linked-from"):
                assert (await client.get(wiki(space, path), headers=h)).status_code == 404
            r = await put(client, h, space, "p", title="P", body="x", base_revision=1)
            assert r.status_code == 404
            r = await client.delete(wiki(space, "p"), headers=h)
            assert r.status_code == 404
            r = await client.post(wiki(space, "p/restore"), json={"revision": 1}, headers=h)
            assert r.status_code == 404
        assert (await client.get(wiki(space, "p"))).status_code == 401
    assert (await client.get(wiki(open_, "p"), headers=g)).status_code == 404
    assert (await client.get(wiki(open_, "p"), headers=b)).status_code == 200
    assert (await client.get(wiki(public, "p"))).status_code == 200  # signed out
    assert (await client.get(wiki(public, "p"), headers=g)).status_code == 200
    # readers who are not members may read but not edit: 403, they can see it
    for space in (open_, public):
        for h in (b,) if space is open_ else (b, g):
            r = await put(client, h, space, "p", title="P", body="mine", base_revision=1)
            assert r.status_code == 403, r.text
    assert (await client.put(wiki(public, "p"), json={"title": "P", "body": ""})).status_code == 401
    assert (await client.get(f"{API}/spaces/999999/wiki", headers=b)).status_code == 404
    assert (await client.get(f"{API}/spaces/abc/wiki", headers=b)).status_code == 404


async def _set(client: httpx.AsyncClient, h: Headers, space: dict[str, Any], **fields: Any) -> None:
    r = await client.patch(f"{API}/spaces/{space['id']}", json=fields, headers=h)
    assert r.status_code == 200, r.text


async def test_who_may_edit(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await make_person(db)
    member, moderator = await make_person(db), await make_person(db)
    reader = await make_person(db)
    admin = await make_person(db, role="admin")
    guest = await make_person(db, kind="external")
    o, m, mod, r_, ad, g = [
        await auth_headers(client, p) for p in (owner, member, moderator, reader, admin, guest)
    ]
    space = await make_space(client, o, name="Hybrid", kind="hybrid")
    await add_member(client, o, space["id"], member.id)
    await add_member(client, o, space["id"], moderator.id, "moderator")
    await add_member(client, o, space["id"], guest.id)
    base = {"n": 0}

    async def edit(h: Headers) -> int:
        if base["n"] == 0:
            r = await put(client, o, space, "p", title="P", body="start")
            assert r.status_code == 201
            base["n"] = 1
        r = await put(
            client, h, space, "p", title="P", body=str(uuid.uuid4()), base_revision=base["n"]
        )
        if r.status_code == 200:
            base["n"] = r.json()["revision"]
        return r.status_code

    # by default: members, moderators, owners and admins; not readers who did not join (they
    # can see it: 403), not guests
    assert [await edit(h) for h in (m, mod, o, ad)] == [200] * 4
    assert await edit(r_) == 403
    assert await edit(g) == 403
    r = await put(client, g, space, "guest-page", title="Guest page")
    assert r.status_code == 403
    # guests may edit when the space allows it
    await _set(client, o, space, wiki_externals_may_edit=True)
    assert await edit(g) == 200
    # moderators only: owners, moderators and admins
    await _set(client, o, space, wiki_moderators_only=True)
    assert [await edit(h) for h in (mod, o, ad)] == [200] * 3
    assert [await edit(h) for h in (m, g, r_)] == [403] * 3
    for h in (m, g):
        assert (await client.delete(wiki(space, "p"), headers=h)).status_code == 403
        resp = await client.post(wiki(space, "p/rename"), json={"title": "Q"}, headers=h)
        assert resp.status_code == 403
        resp = await client.post(wiki(space, "p/restore"), json={"revision": 1}, headers=h)
        assert resp.status_code == 403
    # they still read it
    assert (await client.get(wiki(space, "p"), headers=m)).status_code == 200
    # an archived space is read-only: 409, as for posts
    assert (await client.post(f"{API}/spaces/{space['id']}/archive", headers=o)).status_code in (
        200,
        204,
    )
    assert await edit(ad) == 409
    assert (await client.delete(wiki(space, "p"), headers=o)).status_code == 409
    assert (await client.get(wiki(space, "p"), headers=m)).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"title": "", "body": "x"},
        {"title": "   ", "body": "x"},
        {"title": "!!!", "body": "x"},
        {"title": "t" * 201, "body": "x"},
        {"title": "a\u0000b", "body": "x"},
        {"title": "\u0012\u202e", "body": "x"},  # nothing visible once controls go
        {"title": "T", "body": "x\u0000"},
        {"title": "T", "body": "x" * 200_001},
        {"title": "T"},
        {"body": "x"},
        {"title": 5, "body": "x"},
        {"title": "T", "body": "x", "base_revision": -1},
        {"title": "T", "body": "x", "base_revision": "1"},
        {"title": "T", "body": "x", "base_revision": True},
        {"title": "T", "body": "x", "base_revision": 2**31},
        {"title": "T", "body": "x", "parent": "missing"},
        {"title": "T", "body": "x", "summary": "s" * 301},
        {"title": "T", "body": "x", "extra": 1},
    ],
)
async def test_bad_input_is_422(
    client: httpx.AsyncClient, db: AsyncSession, body: dict[str, Any]
) -> None:
    ana = await make_person(db)
    a = await auth_headers(client, ana)
    space = await make_space(client, a)
    r = await client.put(wiki(space, "t"), json=body, headers=a)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert await _revisions(db) == 0


async def test_odd_slugs_and_parents(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db)
    a = await auth_headers(client, ana)
    space = await make_space(client, a)
    # a page is made under its title's slug, whatever slug the editor was opened at
    r = await put(client, a, space, "whatever", title="Café Menu")
    assert r.status_code == 201 and r.json()["slug"] == "café-menu"
    assert r.headers["location"].endswith("/wiki/caf%C3%A9-menu")
    assert (await client.get(wiki(space, "caf%C3%A9-menu"), headers=a)).status_code == 200
    # a title or a sloppy slug finds the page (its "slug" tells the right one)
    for sloppy in ("Caf%C3%A9%20Menu", "CAF%C3%89-MENU", "caf%C3%A9--menu-"):
        r = await client.get(wiki(space, sloppy), headers=a)
        assert r.status_code == 200 and r.json()["slug"] == "café-menu", sloppy
    for odd in ("%00", "x" * 300, "%F0%9F%92%A9", "a%2Fb", "%E2%80%AE"):
        assert (await client.get(wiki(space, odd), headers=a)).status_code == 404, odd
    await put(client, a, space, "a", title="A")
    await put(client, a, space, "b", title="B", parent="a")
    r = await put(client, a, space, "a", title="A", body="x", base_revision=1, parent="b")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "parent"


async def test_two_saves_racing_from_the_same_base_cannot_both_win(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana, bo = await make_person(db), await make_person(db)
    a, b = await auth_headers(client, ana), await auth_headers(client, bo)
    space = await make_space(client, a)
    await join(client, b, space["id"])
    await put(client, a, space, "plan", title="Plan", body="one")
    for round_ in range(3):
        base = round_ + 1
        answers = await asyncio.gather(
            put(client, a, space, "plan", title="Plan", body=f"Ana {round_}", base_revision=base),
            put(client, b, space, "plan", title="Plan", body=f"Bo {round_}", base_revision=base),
        )
        codes = sorted(r.status_code for r in answers)
        assert codes == [200, 409], [r.text for r in answers]
        winner = next(r.json() for r in answers if r.status_code == 200)
        loser = next(r.json() for r in answers if r.status_code == 409)
        assert loser["current_revision"] == winner["revision"] == base + 1
        assert loser["current"]["body"] == winner["body"]
    assert await _revisions(db) == 4


async def test_two_people_creating_the_same_page_at_once(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana, bo = await make_person(db), await make_person(db)
    a, b = await auth_headers(client, ana), await auth_headers(client, bo)
    space = await make_space(client, a)
    await join(client, b, space["id"])
    for n in range(3):
        answers = await asyncio.gather(
            put(client, a, space, f"new-{n}", title=f"New {n}", body="Ana's"),
            put(client, b, space, f"new-{n}", title=f"New {n}", body="Bo's"),
        )
        assert sorted(r.status_code for r in answers) == [201, 409], [r.text for r in answers]
        winner = next(r.json() for r in answers if r.status_code == 201)
        loser = next(r.json() for r in answers if r.status_code == 409)
        assert loser["current_revision"] == 1 and loser["current"]["body"] == winner["body"]
    assert await _revisions(db) == 3
