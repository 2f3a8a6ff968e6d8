"""``wiki.updated`` reaches the streams of those who may read the page's space, and nobody
else's: a reader of the page is told "this page was changed by Ana"."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conversations.helpers import add_member, make_space
from tests.factories import auth_headers, make_person
from tests.realtime.sse import Streams


async def test_wiki_events_reach_only_readers_of_the_space(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    cy = await make_person(db, name="Cy")
    guest = await make_person(db, name="Gus", kind="external")
    a, b, c, g = [await auth_headers(client, p) for p in (ana, ben, cy, guest)]
    private = await make_space(client, a, name="Inner circle", visibility="private")
    await add_member(client, a, private["id"], ben.id)
    open_space = await make_space(client, a, name="Open house")
    ben_stream, cy_stream, guest_stream = [await streams.open(h) for h in (b, c, g)]

    r = await client.put(
        f"/api/v1/spaces/{private['id']}/wiki/secrets",
        json={"title": "Secrets", "body": "shh"},
        headers=a,
    )
    assert r.status_code == 201
    message = await ben_stream.next_of("wiki.updated")
    assert message.data["slug"] == "secrets" and message.data["editor"]["name"] == "Ana"
    assert message.data["revision"] == 1 and message.data["deleted"] is False
    await cy_stream.nothing()  # a member who may not read the private space hears nothing
    await guest_stream.nothing()

    r = await client.put(
        f"/api/v1/spaces/{open_space['id']}/wiki/lobby",
        json={"title": "Lobby", "body": "welcome"},
        headers=a,
    )
    assert r.status_code == 201
    for stream in (ben_stream, cy_stream):  # any member reads an open space
        assert (await stream.next_of("wiki.updated")).data["slug"] == "lobby"
    await guest_stream.nothing()  # an external does not
