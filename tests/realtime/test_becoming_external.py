"""A person who becomes external stops getting the events of what they may no longer read, on
the streams they already have open: the change records ``access.changed``, and the stream
re-reads its person and their access as soon as it sees that event, not at its next
heartbeat."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conversations.helpers import add_member, join, make_post, make_space
from tests.factories import auth_headers, make_person
from tests.realtime.sse import Message, Stream, Streams


async def _posts_until(stream: Stream, post_id: str) -> list[Message]:
    """The ``post.created`` events the stream gets, up to the one of ``post_id``."""
    posts: list[Message] = []
    while not posts or posts[-1].data["post_id"] != post_id:
        message = await stream.next()
        if message.type == "post.created":
            posts.append(message)
    return posts


async def test_a_member_made_external_stops_getting_open_spaces_at_once(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    admin = await make_person(db, role="admin")
    ana = await make_person(db, name="Ana Silva")
    dora = await make_person(db, name="Dora Lind")
    admin_h, ana_h, dora_h = [await auth_headers(client, p) for p in (admin, ana, dora)]
    guild = await make_space(client, dora_h, name="Python Guild", visibility="open")
    lobby = await make_space(client, dora_h, name="Lobby", visibility="open")  # not hers
    acme = await make_space(
        client, dora_h, name="Acme project", kind="hybrid", visibility="private"
    )
    await join(client, ana_h, guild["id"])
    await add_member(client, dora_h, acme["id"], ana.id)
    stream = await streams.open(ana_h)

    before = await make_post(client, dora_h, lobby["id"], "Members read open spaces")
    assert [m.data["post_id"] for m in await _posts_until(stream, before["id"])] == [before["id"]]

    changed = await client.patch(
        f"/api/v1/people/{ana.id}",
        json={"kind": "external", "organization": "Ana Consulting", "relation": "partner"},
        headers=admin_h,
    )
    assert changed.status_code == 200, changed.text

    hidden = [
        await make_post(client, dora_h, guild["id"], "Internal margin 42%"),
        await make_post(client, dora_h, lobby["id"], "Members only, still"),
    ]
    shared = await make_post(client, dora_h, acme["id"], "Agenda for Acme")
    delivered = [m.data["post_id"] for m in await _posts_until(stream, shared["id"])]
    assert delivered == [shared["id"]], f"delivered after the change: {delivered}, " + (
        f"of which internal: {[p['id'] for p in hidden if p['id'] in delivered]}"
    )
