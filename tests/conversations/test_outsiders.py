"""The first time a member writes where outsiders read: the pages ask once, with who will
read it and the space's guidelines, keep the whole draft, and remember the answer; the first
mention of an external person is asked about too; the JSON API never asks."""

from __future__ import annotations

import html
import re

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import service
from atoll.conversations.models import Comment, OutsiderConfirmation, Post
from atoll.people.models import Person
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces
from atoll.spaces.models import Space
from tests.factories import access_to, auth_headers, make_person
from tests.web.helpers import csrf_of, sign_in


async def _space(db: AsyncSession, owner: Person, *people: Person, **kw: str) -> Space:
    space = await spaces.do_create_space(
        db, actor=owner, **{"kind": "hybrid", "visibility": "private", "name": "Acme deal", **kw}
    )
    for person in people:
        await space_members.do_add_member(
            db,
            access=await access_to(db, owner, space),
            person_id=person.id,
            confirm_new_organization=True,
        )
    await db.commit()
    return space


async def _posts(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(Post)) or 0)


def _hidden(page: str) -> dict[str, str]:
    """The hidden fields of the confirmation form (the draft it keeps)."""
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return {name: html.unescape(value) for name, value in found}


async def test_the_first_post_in_a_hybrid_space_asks_once_then_posts(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana Silva")
    carl = await make_person(db, name="Carl Client", kind="external", organization="Acme Corp")
    beta = await make_person(db, name="Bea Beta", kind="external", organization="Beta Ltd")
    space = await _space(db, ana, carl, beta)
    space.guidelines = "Be **kind**; no prices here."
    await db.commit()
    await sign_in(client, ana.email)
    token = csrf_of((await client.get(f"/spaces/{space.slug}")).text)
    draft = {"csrf_token": token, "space_id": str(space.id), "kind": "question"}
    draft["body"] = 'When do we ship?\n\nSecond line & "quotes"'
    asked = await client.post("/posts", data=draft)
    assert asked.status_code == 200 and await _posts(db) == 0
    assert "Before you post: who will read this" in asked.text
    assert "3 people will read it" in asked.text
    assert "Acme Corp, Beta Ltd" in asked.text
    assert "<strong>kind</strong>" in asked.text and "no prices here" in asked.text
    assert "Post it" in asked.text and "Go back and edit" in asked.text
    assert "attached files were not kept" not in asked.text
    kept = _hidden(asked.text)
    assert kept["body"].replace("\r\n", "\n") == draft["body"] and kept["kind"] == "question"
    assert kept["space_id"] == str(space.id)

    confirmed = await client.post("/posts", data={**kept, "outsiders": "confirmed"})
    assert confirmed.status_code == 303
    post = (await db.execute(select(Post))).scalar_one()
    assert post.kind == "question" and post.body == draft["body"]
    assert await db.scalar(select(OutsiderConfirmation.what)) == "audience"

    again = await client.post("/posts", data={**draft, "body": "And another thing"})
    assert again.status_code == 303 and await _posts(db) == 2
    commented = await client.post(
        f"/posts/{post.id}/comments", data={"csrf_token": token, "body": "Noted"}
    )
    assert commented.status_code == 303


async def test_a_first_comment_asks_and_going_back_keeps_the_draft(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    carl = await make_person(db, name="Carl", kind="external")
    space = await _space(db, ana, ben, carl)
    post = await service.do_create_post(db, author=ana, space=space, body="Kick-off")
    await db.commit()
    await sign_in(client, ben.email)
    token = csrf_of((await client.get(f"/posts/{post.id}")).text)
    form = {"csrf_token": token, "body": "I will draft the plan"}
    asked = await client.post(f"/posts/{post.id}/comments", data=form)
    assert asked.status_code == 200 and "Acme Corp" in asked.text
    assert f'formaction="/posts/{post.id}/comments/again"' in asked.text
    back = await client.post(f"/posts/{post.id}/comments/again", data=_hidden(asked.text))
    assert back.status_code == 200 and "I will draft the plan</textarea>" in back.text
    assert await db.scalar(select(func.count()).select_from(Comment)) == 0
    assert await db.scalar(select(func.count()).select_from(OutsiderConfirmation)) == 0
    done = await client.post(
        f"/posts/{post.id}/comments", data={**_hidden(asked.text), "outsiders": "confirmed"}
    )
    assert done.status_code == 303
    assert await db.scalar(select(func.count()).select_from(Comment)) == 1
    # a reply, going back to edit, keeps what it answers
    first = await db.scalar(select(Comment.id))
    reply = {"csrf_token": token, "body": "Thanks", "parent_id": str(first)}
    back = await client.post(f"/posts/{post.id}/comments/again", data=reply)
    box = back.text[back.text.index("data-comment-box>") :]
    box = box[: box.index("</form>")]
    assert "Thanks</textarea>" in box and f'name="parent_id" value="{first}"' in box


async def test_going_back_from_a_post_gives_the_composer_with_the_draft_and_files_are_named(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    carl = await make_person(db, name="Carl", kind="external")
    space = await _space(db, ana, carl)
    await sign_in(client, ana.email)
    token = csrf_of((await client.get("/")).text)
    asked = await client.post(
        "/posts",
        data={"csrf_token": token, "space_id": str(space.id), "kind": "idea", "body": "Idea!"},
        files={"files": ("plan.txt", b"the plan", "text/plain")},
    )
    assert asked.status_code == 200 and "attached files were not kept" in asked.text
    assert 'formaction="/compose/again"' in asked.text
    back = await client.post("/compose/again", data=_hidden(asked.text))
    assert back.status_code == 200 and "Edit your post" in back.text
    assert "Idea!</textarea>" in back.text
    assert re.search(r'value="idea"\s+checked', back.text)
    assert await _posts(db) == 0


async def test_a_public_space_says_anyone_on_the_internet(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada", role="admin")
    space = await spaces.do_create_space(
        db, actor=admin, name="Open house", kind="public", visibility="open"
    )
    await db.commit()
    await sign_in(client, admin.email)
    token = csrf_of((await client.get("/")).text)
    form = {"csrf_token": token, "space_id": str(space.id), "body": "Hello world"}
    asked = await client.post("/posts", data=form)
    assert asked.status_code == 200 and "Anyone on the internet" in asked.text
    assert "How we work in" not in asked.text  # no guidelines, none shown


async def test_inside_the_organisation_nothing_is_asked(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    space = await _space(db, ana, ben, kind="community", visibility="open", name="Guild")
    hybrid_alone = await _space(db, ana, name="Nobody outside yet")  # hybrid, no externals
    await sign_in(client, ana.email)
    token = csrf_of((await client.get("/")).text)
    for where in (space, hybrid_alone):
        done = await client.post(
            "/posts", data={"csrf_token": token, "space_id": str(where.id), "body": "Hi"}
        )
        assert done.status_code == 303
    assert await db.scalar(select(func.count()).select_from(OutsiderConfirmation)) == 0


async def test_the_first_mention_of_an_external_person_is_asked_about(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    carl = await make_person(db, name="Carl Client", kind="external", organization="Acme Corp")
    first = await _space(db, ana, carl, name="First")
    second = await _space(db, ana, carl, name="Second")
    await db.commit()
    await sign_in(client, ana.email)
    token = csrf_of((await client.get("/")).text)
    plain = {"csrf_token": token, "space_id": str(first.id), "body": "Hello all"}
    asked = await client.post("/posts", data=plain)
    await client.post("/posts", data={**_hidden(asked.text), "outsiders": "confirmed"})
    mention = {"csrf_token": token, "space_id": str(second.id), "body": "Thanks @Carl Client"}
    asked = await client.post("/posts", data=mention)
    assert asked.status_code == 200
    assert "Carl Client</strong> is from Acme Corp: they will be notified and see this post" in (
        asked.text
    )
    assert "people will read it" not in asked.text  # the audience was confirmed already
    done = await client.post("/posts", data={**_hidden(asked.text), "outsiders": "confirmed"})
    assert done.status_code == 303
    whats = set(await db.scalars(select(OutsiderConfirmation.what)))
    assert whats == {"audience", "mention"}
    again = await client.post("/posts", data={**mention, "body": "And @Carl Client again"})
    assert again.status_code == 303 and await _posts(db) == 3


async def test_a_refused_post_forgets_the_confirmation(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    carl = await make_person(db, name="Carl", kind="external")
    space = await _space(db, ana, carl)
    await sign_in(client, ana.email)
    token = csrf_of((await client.get("/")).text)
    too_long = "x" * (service.MAX_BODY + 1)
    refused = await client.post(
        "/posts",
        data={
            "csrf_token": token,
            "space_id": str(space.id),
            "body": too_long,
            "outsiders": "confirmed",
        },
    )
    assert refused.status_code == 422
    assert await db.scalar(select(func.count()).select_from(OutsiderConfirmation)) == 0


async def test_externals_and_the_api_are_never_asked(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    carl = await make_person(db, name="Carl", kind="external")
    space = await _space(db, ana, carl)
    api = await client.post(
        f"/api/v1/spaces/{space.id}/posts",
        json={"body": "From a bot"},
        headers=await auth_headers(client, ana),
    )
    assert api.status_code == 201
    await sign_in(client, carl.email)
    token = csrf_of((await client.get(f"/spaces/{space.slug}")).text)
    done = await client.post(
        "/posts", data={"csrf_token": token, "space_id": str(space.id), "body": "Hi from Acme"}
    )
    assert done.status_code == 303 and await _posts(db) == 2
    assert await db.scalar(select(func.count()).select_from(OutsiderConfirmation)) == 0
