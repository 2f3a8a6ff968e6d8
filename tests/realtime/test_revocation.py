"""A revoked sign-in stops its event stream within a second, not at the next heartbeat
(15 s by default): every path that revokes a session or token records ``access.changed`` for
its person, and the stream checks its sign-in when it sees that event — on every server of a
cluster (the last test: PostgreSQL and Redis)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.time import utcnow
from atoll.people import auth
from tests.factories import auth_headers, make_person
from tests.realtime.sse import Stream, Streams
from tests.realtime.test_two_servers import Cluster, _token, cluster  # noqa: F401 - the fixture
from tests.web.helpers import csrf_of, sign_in

WITHIN = 1.0  # seconds


async def _ended(stream: Stream) -> bool:
    try:
        await asyncio.wait_for(stream.closed.wait(), WITHIN)
    except TimeoutError:
        return False
    return True


async def test_logout_ends_the_stream_of_its_token_within_a_second(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    headers = await auth_headers(client, await make_person(db))
    stream = await streams.open(headers)
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    assert await _ended(stream)


async def test_revoking_a_token_from_the_session_list_ends_its_stream_within_a_second(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    ana = await make_person(db)
    streaming, managing = await auth_headers(client, ana), await auth_headers(client, ana)
    stream = await streams.open(streaming)
    listed = (await client.get("/api/v1/me/sessions", headers=managing)).json()
    other = next(s["id"] for s in listed if not s["current"])
    answer = await client.delete(f"/api/v1/me/sessions/{other}", headers=managing)
    assert answer.status_code == 204
    assert await _ended(stream)


async def test_deactivation_ends_the_persons_streams_within_a_second(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    admin, ana = await make_person(db, role="admin"), await make_person(db)
    stream = await streams.open(await auth_headers(client, ana))
    answer = await client.patch(
        f"/api/v1/people/{ana.id}",
        json={"is_active": False},
        headers=await auth_headers(client, admin),
    )
    assert answer.status_code == 200, answer.text
    assert await _ended(stream)


async def test_signing_out_everywhere_else_ends_the_other_streams_within_a_second(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    ana = await make_person(db)
    stream = await streams.open(await auth_headers(client, ana))
    await sign_in(client, ana.email)
    page = await client.get("/account/sessions")
    answer = await client.post(
        "/account/sessions/revoke-others", data={"csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 303
    assert await _ended(stream)


async def _told(stream: Stream) -> None:
    message = await stream.next_of("access.changed")
    assert message.data == {"reason": "revoked"}


async def test_each_revocation_tells_the_persons_other_streams(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    """What the stream reacts to: logout and revoking one from the list record
    ``access.changed`` (reason ``revoked``) for the person, which their streams receive."""
    ana = await make_person(db)
    stream = await streams.open(await auth_headers(client, ana))
    first = await auth_headers(client, ana)
    assert (await client.post("/api/v1/auth/logout", headers=first)).status_code == 204
    await _told(stream)
    second = await auth_headers(client, ana)
    listed = (await client.get("/api/v1/me/sessions", headers=second)).json()
    current = next(s["id"] for s in listed if s["current"])
    await client.delete(f"/api/v1/me/sessions/{current}", headers=second)
    await _told(stream)
    await client.delete(f"/api/v1/me/sessions/{current}", headers=first)  # revoked already
    await stream.nothing(within=0.3)


async def test_a_token_revoked_to_make_room_is_told_too(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    streams: Streams,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app.state.settings, "tokens_per_person", 2)
    ana = await make_person(db)
    settings = app.state.settings
    yesterday = utcnow() - timedelta(days=1)
    await auth.do_start_session(db, settings, person=ana, kind=auth.TOKEN, now=yesterday)
    await db.commit()
    stream = await streams.open(await auth_headers(client, ana))
    await auth_headers(client, ana)  # a third: yesterday's, the least recently used, goes
    await _told(stream)


@pytest.mark.postgres_only
async def test_a_logout_on_one_server_ends_the_stream_on_another_within_a_second(
    cluster: Cluster,  # noqa: F811 - the fixture
) -> None:
    one, two = await cluster.start("one"), await cluster.start("two")
    async with (
        httpx.AsyncClient(base_url=one.base_url, timeout=10) as via_one,
        Streams(two.base_url) as streams,
    ):
        admin = await _token(via_one, "admin@two.example")
        stream = await streams.open(admin)
        assert (await via_one.post("/api/v1/auth/logout", headers=admin)).status_code == 204
        assert await _ended(stream)
