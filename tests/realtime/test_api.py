"""GET /api/v1/events: who receives what, live and after a reconnect, on a real HTTP server."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.models import Event
from atoll.events.outbox import do_prune_events, record_event
from atoll.kit.time import utcnow
from tests.conversations.helpers import add_member, make_post, make_space
from tests.factories import auth_headers, make_person
from tests.realtime.helpers import until
from tests.realtime.sse import Streams


async def _newest(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.max(Event.id))) or 0)


async def test_the_stream_needs_a_signed_in_caller(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/events")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


async def test_a_last_event_id_that_is_no_id_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    headers = await auth_headers(client, await make_person(db))
    answer = await client.get("/api/v1/events", headers={**headers, "Last-Event-ID": "abc"})
    assert answer.status_code == 422
    assert "Last-Event-ID" in answer.text


async def test_a_post_reaches_the_readers_of_its_space_and_nobody_else(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    owner, reader, outsider = [await make_person(db) for _ in range(3)]
    owner_h, reader_h, outsider_h = [
        await auth_headers(client, p) for p in (owner, reader, outsider)
    ]
    private = await make_space(client, owner_h, name="Board", visibility="private")
    await add_member(client, owner_h, private["id"], reader.id)
    public = await make_space(client, owner_h, name="Lobby", visibility="open")
    reader_s = await streams.open(reader_h)
    outsider_s = await streams.open(outsider_h)

    secret_post = await make_post(client, owner_h, private["id"], "Quarterly numbers")
    message = await reader_s.next_of("post.created")
    assert message.data == {
        "post_id": secret_post["id"],
        "author_id": str(owner.id),
        "kind": "update",
        "space_id": private["id"],
    }
    open_post = await make_post(client, owner_h, public["id"], "Hello all")
    # The outsider's first event is the open space's post: the private one never came.
    assert (await outsider_s.next_of("post.created")).data["post_id"] == open_post["id"]
    assert (await reader_s.next_of("post.created")).data["post_id"] == open_post["id"]


async def test_removal_stops_a_space_s_events_at_once_and_adding_starts_them(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    owner, member = await make_person(db), await make_person(db)
    owner_h, member_h = await auth_headers(client, owner), await auth_headers(client, member)
    private = await make_space(client, owner_h, name="Board", visibility="private")
    lobby = await make_space(client, owner_h, name="Lobby", visibility="open")
    await add_member(client, owner_h, private["id"], member.id)
    stream = await streams.open(member_h)

    removed = await client.delete(
        f"/api/v1/spaces/{private['id']}/members/{member.id}", headers=owner_h
    )
    assert removed.status_code == 204
    await make_post(client, owner_h, private["id"], "After you left")
    marker = await make_post(client, owner_h, lobby["id"], "Marker")
    assert (await stream.next_of("post.created")).data["post_id"] == marker["id"]

    await add_member(client, owner_h, private["id"], member.id)
    added = await stream.next_of("membership.changed")
    assert added.data == {"person_id": str(member.id), "role": "member", "space_id": private["id"]}
    back = await make_post(client, owner_h, private["id"], "Welcome back")
    assert (await stream.next_of("post.created")).data["post_id"] == back["id"]


async def test_a_personal_event_reaches_only_its_person(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    ana, bo = await make_person(db), await make_person(db)
    ana_s = await streams.open(await auth_headers(client, ana))
    bo_s = await streams.open(await auth_headers(client, bo))
    await record_event(db, type="personal.test", data={"unread": 3}, person_id=ana.id)
    await record_event(db, type="announcement", data={"text": "for everyone"})
    await db.commit()
    assert (await ana_s.next()).type == "personal.test"
    assert (await ana_s.next()).type == "announcement"
    assert (await bo_s.next()).type == "announcement"
    await bo_s.nothing()


async def test_a_client_that_reconnects_gets_what_it_missed_in_order_once_then_live(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    owner = await make_person(db)
    headers = await auth_headers(client, owner)
    space = await make_space(client, headers)
    first = await streams.open(headers)
    p1 = await make_post(client, headers, space["id"], "one")
    got = await first.next_of("post.created")
    assert got.data["post_id"] == p1["id"]
    await first.close()

    missed = [await make_post(client, headers, space["id"], f"missed {i}") for i in range(3)]
    again = await streams.open(headers, last_event_id=got.id)
    replay = [await again.next_of("post.created") for _ in missed]
    assert [m.data["post_id"] for m in replay] == [p["id"] for p in missed]
    assert [m.number for m in replay] == sorted(m.number for m in replay)
    live = await make_post(client, headers, space["id"], "live")
    assert (await again.next_of("post.created")).data["post_id"] == live["id"]
    await again.nothing()


async def test_the_last_event_id_header_wins_over_the_query(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    owner = await make_person(db)
    headers = await auth_headers(client, owner)
    space = await make_space(client, headers)
    start = await _newest(db)
    posts = [await make_post(client, headers, space["id"], f"p{i}") for i in range(2)]
    second_id = await _newest(db)
    by_query = await streams.open(headers, query=f"?last_event_id={start}")
    assert [(await by_query.next()).data["post_id"] for _ in posts] == [p["id"] for p in posts]
    by_header = await streams.open(
        headers, query=f"?last_event_id={start}", last_event_id=second_id - 1
    )
    assert (await by_header.next()).data["post_id"] == posts[1]["id"]
    await by_header.nothing()


async def test_a_client_older_than_the_log_is_told_to_reload(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    owner = await make_person(db)
    headers = await auth_headers(client, owner)
    space = await make_space(client, headers)
    old = [await make_post(client, headers, space["id"], f"old {i}") for i in range(3)]
    recent = await make_post(client, headers, space["id"], "recent")
    first_old = int(await db.scalar(select(func.min(Event.id))) or 0)
    cutoff = await _newest(db) - 1
    await db.execute(
        update(Event).where(Event.id <= cutoff).values(created_at=utcnow() - timedelta(days=10))
    )
    await db.commit()
    assert (
        await do_prune_events(db, older_than=utcnow() - timedelta(days=3)) == cutoff - first_old + 1
    )
    await db.commit()
    assert len(old) == 3

    stream = await streams.open(headers, last_event_id=first_old)
    reload = await stream.next_of("reload")
    assert reload.number == await _newest(db)
    live = await make_post(client, headers, space["id"], "after the reload")
    assert (await stream.next_of("post.created")).data["post_id"] == live["id"]
    # One that left off just before the oldest event kept misses nothing: no reload.
    fine = await streams.open(headers, last_event_id=cutoff)
    assert (await fine.next_of("post.created")).data["post_id"] == recent["id"]
    assert (await fine.next_of("post.created")).data["post_id"] == live["id"]


async def test_an_id_the_log_never_had_means_reload(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    headers = await auth_headers(client, await make_person(db))
    stream = await streams.open(headers, last_event_id=10**12)
    assert (await stream.next()).type == "reload"


async def test_heartbeats_keep_the_stream_alive_and_carry_the_position(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    streams: Streams,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app.state.settings, "sse_heartbeat_seconds", 0.2)
    owner, other = await make_person(db), await make_person(db)
    owner_h = await auth_headers(client, owner)
    private = await make_space(client, owner_h, visibility="secret")
    stream = await streams.open(await auth_headers(client, other))
    await make_post(client, owner_h, private["id"], "not for you")
    newest = await _newest(db)
    beat = await stream.next(skip_heartbeats=False)
    assert beat.type == "heartbeat" and beat.comments == ["keep-alive"]
    await until(lambda: stream.last_id == str(newest))  # what it did not see is behind it


async def test_a_revoked_sign_in_ends_the_stream(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    streams: Streams,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app.state.settings, "sse_heartbeat_seconds", 0.2)
    headers = await auth_headers(client, await make_person(db))
    stream = await streams.open(headers)
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    await until(stream.closed.is_set)


async def test_a_stream_holds_no_database_connection_and_cleans_up_when_the_client_goes(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    headers = await auth_headers(client, await make_person(db))
    await db.commit()
    before = app.state.hub.streams
    stream = await streams.open(headers)
    assert app.state.hub.streams == before + 1
    await until(lambda: app.state.engine.pool.checkedout() == 0)  # idle, yet open
    assert not stream.closed.is_set()
    await stream.close()
    await until(lambda: app.state.hub.streams == before)
