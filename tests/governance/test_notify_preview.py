"""Who will be notified (POST /api/v1/spaces/{id}/notify-preview and the composer's line): the
count is the notifications that posting then makes — mentions, followers of the space and of
the author, each person once, never the author, nobody who cannot read the space or has gone —
and a mention of someone who cannot see the space is named before posting."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import follows
from atoll.notifications.models import Notification
from atoll.people.models import Person
from tests.conversations.helpers import add_member, comment, make_post, make_space, post
from tests.factories import auth_headers, make_person
from tests.web.helpers import csrf_of, sign_in

API = "/api/v1"


async def _follow(db: AsyncSession, who: Person, target_type: str, target_id: int) -> None:
    await follows.do_follow(db, actor=who, target_type=target_type, target_id=target_id)
    await db.commit()


async def _preview(
    client: httpx.AsyncClient, headers: dict[str, str], space_id: str, **body: Any
) -> httpx.Response:
    return await client.post(f"{API}/spaces/{space_id}/notify-preview", json=body, headers=headers)


async def _told(db: AsyncSession, **where: Any) -> dict[int, str]:
    rows = await db.execute(select(Notification.person_id, Notification.kind).filter_by(**where))
    return dict(rows.tuples().all())


async def test_the_preview_counts_exactly_whom_the_post_notifies(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana Author")
    headers = await auth_headers(client, ana)
    space = await make_space(client, headers, name="Guild", visibility="open")
    sid = int(space["id"])
    ben, cy = await make_person(db, name="Ben Mentioned"), await make_person(db, name="Cy Both")
    for p in (ben, cy):
        await add_member(client, headers, space["id"], p.id)
    dee = await make_person(db, name="Dee Space")  # follows the space (not a member: open)
    fay = await make_person(db, name="Fay Ana")  # follows Ana
    gus = await make_person(db, name="Gus Both")  # follows both: told once
    gone = await make_person(db, name="Gone Follower")  # follows, then deactivated
    await _follow(db, dee, "space", sid)
    await _follow(db, fay, "person", ana.id)
    await _follow(db, gus, "space", sid)
    await _follow(db, gus, "person", ana.id)
    await _follow(db, ben, "space", sid)  # mentioned as well: told of the mention only
    await _follow(db, gone, "space", sid)
    row = await db.get(Person, gone.id)
    assert row is not None
    row.is_active = False
    await db.commit()
    body = f"Hello @[{ben.id}] and @Cy Both, and me @[{ana.id}]"
    answer = await _preview(client, headers, space["id"], body=body, kind="question")
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert got == {
        "total": 5,
        "mentioned": 2,
        "space_followers": 2,  # Dee, Gus
        "author_followers": 2,  # Fay, Gus
        "replied": 0,
        "cannot_see": [],
    }
    made = await make_post(client, headers, space["id"], body, kind="question")
    told = await _told(db, post_id=int(made["id"]))
    assert len(told) == got["total"]
    assert told == {
        ben.id: "mention",
        cy.id: "mention",
        dee.id: "new_post",
        fay.id: "new_post",
        gus.id: "new_post",
    }
    # The followers read what it is about.
    fay_headers = await auth_headers(client, fay)
    listed = (await client.get(f"{API}/notifications", headers=fay_headers)).json()["items"]
    assert listed[0]["kind"] == "new_post" and "Ana Author posted in Guild" in listed[0]["text"]


async def test_a_mention_of_someone_who_cannot_see_the_space_is_named(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    headers = await auth_headers(client, ana)
    space = await make_space(client, headers, name="Board", visibility="private")
    mira = await make_person(db, name="Mira Patel")
    outsider_follower = await make_person(db)
    await _follow(db, outsider_follower, "person", ana.id)  # cannot read the private space
    answer = await _preview(client, headers, space["id"], body=f"Ask @[{mira.id}] about it")
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert got["total"] == 0 and got["author_followers"] == 0
    assert got["cannot_see"] == [{"id": str(mira.id), "name": "Mira Patel"}]
    # By name too; and posting it as it is is refused, as the line says.
    got = (await _preview(client, headers, space["id"], body="cc @Mira Patel")).json()
    assert [p["name"] for p in got["cannot_see"]] == ["Mira Patel"]
    assert (await post(client, headers, space["id"], "cc @Mira Patel")).status_code == 422
    # The composer's line says it before posting.
    await sign_in(client, ana.email)
    page = await client.get(f"/spaces/{space['slug']}")
    assert 'id="notify-line"' in page.text
    line = await client.post(
        "/compose/notify",
        data={"csrf_token": csrf_of(page.text), "space_id": space["id"], "body": "cc @Mira Patel"},
        headers={"HX-Request": "true"},
    )
    assert line.status_code == 200
    assert "Mira Patel cannot see this space and will not be notified." in line.text
    assert "Notifies nobody." in line.text


async def test_a_comment_preview_counts_the_authors_it_answers(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana, ben, cy = await make_person(db), await make_person(db), await make_person(db)
    headers = await auth_headers(client, ana)
    space = await make_space(client, headers)
    for p in (ben, cy):
        await add_member(client, headers, space["id"], p.id)
    await _follow(db, cy, "space", int(space["id"]))  # followers hear of posts, not comments
    ben_h = await auth_headers(client, ben)
    p = await make_post(client, headers, space["id"], "Question?")
    first = (await comment(client, ben_h, p["id"], "First")).json()
    cy_h = await auth_headers(client, cy)
    body = {"body": f"Agree with @[{ben.id}]", "post_id": p["id"], "parent_id": first["id"]}
    got = (await _preview(client, cy_h, space["id"], **body)).json()
    assert got["total"] == 2 and got["mentioned"] == 1 and got["replied"] == 1
    assert got["space_followers"] == got["author_followers"] == 0
    made = await comment(client, cy_h, p["id"], body["body"], parent_id=first["id"])
    told = await _told(db, comment_id=int(made.json()["id"]))
    assert told == {ben.id: "mention", ana.id: "reply"}
    # A post in another space is not this space's.
    other = await make_space(client, headers, name="Other")
    wrong = await _preview(client, cy_h, other["id"], body="x", post_id=p["id"])
    assert wrong.status_code in (403, 422)


async def test_bad_input_is_422(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db)
    headers = await auth_headers(client, ana)
    space = await make_space(client, headers)
    for body in ({"body": "x", "kind": "poem"}, {"body": "x" * 50_001}, {"body": 5}):
        answer = await _preview(client, headers, space["id"], **body)
        assert answer.status_code == 422, body
        assert answer.headers["content-type"].startswith("application/problem+json")
