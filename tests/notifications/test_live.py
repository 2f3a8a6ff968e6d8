"""The bell's live count: each new or changed notification, and each mark-read, is a
``notification`` event on the recipient's stream, and nobody else's."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conversations.helpers import add_member, comment, make_post, make_space
from tests.factories import auth_headers, make_person
from tests.realtime.sse import Message, Stream, Streams


async def _notification(stream: Stream, within: float = 5.0) -> Message:
    async with asyncio.timeout(within):
        while True:
            message = await stream.queue.get()
            if message.type == "notification":
                return message


async def _no_notification(stream: Stream, within: float = 0.5) -> None:
    with contextlib.suppress(TimeoutError):
        message = await _notification(stream, within)
        raise AssertionError(f"expected no notification, got {message}")


async def test_the_recipient_hears_of_each_notification_and_of_reading_it(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    cy = await make_person(db, name="Cy")
    a, b, c = [await auth_headers(client, p) for p in (ana, ben, cy)]
    space = await make_space(client, a)
    await add_member(client, a, space["id"], ben.id)
    await add_member(client, a, space["id"], cy.id)
    ben_stream = await streams.open(b)
    ana_stream = await streams.open(a)
    cy_stream = await streams.open(c)

    post = await make_post(client, a, space["id"], "Ready, @Ben?")
    message = await _notification(ben_stream)
    assert message.data["unread"] == 2  # the invitation, the mention
    assert message.data["notification"]["kind"] == "mention"
    assert message.data["notification"]["text"] == "Ana mentioned you in a post in Guild"
    assert message.data["notification"]["url"] == f"/posts/{post['id']}"

    # Reactions from two people: the batch changes, the count does not.
    for headers in (b, c):
        r = await client.put(f"/api/v1/posts/{post['id']}/reactions/👍", headers=headers)
        assert r.status_code < 300, r.text
    first = await _notification(ana_stream)
    second = await _notification(ana_stream)
    assert (first.data["unread"], second.data["unread"]) == (1, 1)
    assert second.data["notification"]["text"] == "Cy and 1 other reacted 👍 to your post in Guild"

    assert (await comment(client, c, post["id"], "Yes")).status_code == 201
    assert (await _notification(ana_stream)).data["unread"] == 2

    r = await client.post("/api/v1/notifications/read", json={"all": True}, headers=b)
    assert r.json()["marked"] == 2
    read = await _notification(ben_stream)
    assert read.data == {"unread": 0}
    await _no_notification(cy_stream)
