"""What live pages need from the server: where their stream starts, and the fragments that
events name (a post's card for a list, its reactions, a comment in its thread)."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import reactions
from atoll.conversations import service as conversations
from atoll.events.models import Event
from atoll.spaces import service as spaces
from tests.factories import access_to, make_person
from tests.web.helpers import sign_in

HTMX = {"HX-Request": "true"}


async def test_pages_open_the_stream_where_they_were_rendered(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    space = await spaces.do_create_space(
        db, actor=ana, name="Guild", kind="community", visibility="open"
    )
    await db.commit()
    await sign_in(client, ana.email)
    newest = await db.scalar(select(func.max(Event.id)))
    assert newest
    home = await client.get("/")
    assert (
        f'<meta name="atoll-events" content="/api/v1/events?last_event_id={newest}">' in home.text
    )
    assert '<script src="/static/live.js" defer></script>' in home.text
    assert 'data-live-list="feed" data-filter="all"' in home.text
    page = await client.get(f"/spaces/{space.slug}?tab=questions")
    assert f'data-live-list="space" data-space-id="{space.id}" data-filter="questions"' in page.text
    assert "data-live-new" in page.text
    script = await client.get("/static/live.js")
    assert script.status_code == 200 and "EventSource" in script.text


async def test_signed_out_pages_do_not_open_a_stream(client: httpx.AsyncClient) -> None:
    page = await client.get("/sign-in")
    assert "atoll-events" not in page.text and "live.js" not in page.text


async def test_a_card_for_a_list_only_when_the_post_belongs_there(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana, ben = await make_person(db), await make_person(db)
    mine = await spaces.do_create_space(
        db, actor=ana, name="Mine", kind="community", visibility="open"
    )
    theirs = await spaces.do_create_space(
        db, actor=ben, name="Theirs", kind="community", visibility="open"
    )
    secret = await spaces.do_create_space(
        db, actor=ben, name="Hush", kind="community", visibility="secret"
    )
    here = await conversations.do_create_post(
        db, author=ana, space=mine, body="Here", kind="question"
    )
    there = await conversations.do_create_post(db, author=ben, space=theirs, body="There")
    hidden = await conversations.do_create_post(db, author=ben, space=secret, body="Hidden")
    await db.commit()
    await sign_in(client, ana.email)

    card = await client.get(f"/posts/{here.id}/card?list=feed&filter=questions", headers=HTMX)
    assert card.status_code == 200
    assert re.match(
        rf'<article class="card post post-question" id="post-{here.id}"', card.text.strip()
    )
    assert 'in <a href="/spaces/mine">' in card.text  # the feed names the space
    assert (await client.get(f"/posts/{here.id}/card?list=feed&filter=ideas")).status_code == 204
    # Ana can read the open space "Theirs", but its posts are not in her feed.
    assert (await client.get(f"/posts/{there.id}/card?list=feed")).status_code == 204
    in_space = await client.get(f"/posts/{there.id}/card?list=space")
    assert in_space.status_code == 200 and "in <a href" not in in_space.text
    assert (await client.get(f"/posts/{there.id}/card")).status_code == 200
    assert (await client.get(f"/posts/{hidden.id}/card")).status_code == 404
    assert (await client.get(f"/posts/{hidden.id}/reactions")).status_code == 404


async def test_reactions_and_comments_as_fragments(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana, ben = await make_person(db), await make_person(db)
    space = await spaces.do_create_space(
        db, actor=ana, name="Guild", kind="community", visibility="open"
    )
    post = await conversations.do_create_post(db, author=ana, space=space, body="Hello")
    await reactions.do_react(db, access=await access_to(db, ben, space), post=post, emoji="🎉")
    top = await conversations.do_comment(
        db, access=await access_to(db, ben, space), post=post, body="Hi"
    )
    reply = await conversations.do_comment(
        db, access=await access_to(db, ana, space), post=post, body="Hey *you*", parent_id=top.id
    )
    await db.commit()
    await sign_in(client, ana.email)

    fragment = await client.get(f"/posts/{post.id}/reactions", headers=HTMX)
    assert fragment.text.strip().startswith(f'<div class="reactions" id="reactions-{post.id}">')
    assert 'aria-label="🎉 1"' in fragment.text
    fragment = await client.get(f"/comments/{top.id}", headers=HTMX)
    assert fragment.text.strip().startswith(f'<li class="comment" id="comment-{top.id}">')
    assert f'id="comment-{reply.id}"' in fragment.text  # with its replies
    own = await client.get(f"/comments/{reply.id}", headers=HTMX)
    assert "<em>you</em>" in own.text and f"/comments/{reply.id}/edit" in own.text
    plain = await client.get(f"/comments/{reply.id}")
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/posts/{post.id}#comment-{reply.id}"
    assert (await client.get("/comments/999999", headers=HTMX)).status_code == 404
