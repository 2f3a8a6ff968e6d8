"""The hub: one read of the log for all the streams of a process, a window of recent events,
and readable spaces kept per person — read again whenever access may have changed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event as orm_event
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from atoll.events.outbox import record_event
from atoll.people.events import access_changed
from atoll.people.models import Person
from atoll.realtime.hub import Hub
from atoll.realtime.readable import NO_MEMBERSHIPS, Memberships, ReadableSpaces
from atoll.spaces.models import Membership, Space
from tests.conversations.helpers import add_member, make_post, make_space
from tests.factories import auth_headers, make_person
from tests.realtime.helpers import until
from tests.realtime.sse import Streams


@contextmanager
def statements(engine: AsyncEngine, *needles: str) -> Iterator[list[str]]:
    """The statements run while the block runs that contain every one of ``needles``."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        text = " ".join(statement.split()).lower()
        if all(n in text for n in needles):
            seen.append(text)

    orm_event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        orm_event.remove(engine.sync_engine, "before_cursor_execute", count)


def reads_of_the_log(engine: AsyncEngine) -> Any:
    """The SELECTs that read the event table while the block runs."""
    return statements(engine, "select ", " from event")


@pytest.fixture
async def small_window(app: FastAPI, live_url: str) -> AsyncIterator[Streams]:
    """Streams served by a hub whose window keeps 2 events (trimmed to 2 once it holds 4),
    made as the app makes its own and put in its place for the test."""
    hub = Hub(app.state.broker, app.state.engine, keep=2)
    await hub.start()
    own, app.state.hub = app.state.hub, hub
    try:
        async with Streams(live_url) as opened:
            yield opened
        await until(lambda: hub.streams == 0)
    finally:
        app.state.hub = own
        await hub.stop()


async def test_many_streams_share_one_read_of_the_log(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    owner = await make_person(db)
    owner_h = await auth_headers(client, owner)
    space = await make_space(client, owner_h, name="Town hall", visibility="open")
    readers = [await make_person(db) for _ in range(12)]
    opened = [await streams.open(await auth_headers(client, p)) for p in readers]
    warm = await make_post(client, owner_h, space["id"], "Warm up")  # sets are read once
    for stream in opened:
        assert (await stream.next_of("post.created")).data["post_id"] == warm["id"]

    with reads_of_the_log(app.state.engine) as reads:
        posts = [await make_post(client, owner_h, space["id"], f"News {i}") for i in range(3)]
        for stream in opened:
            got = [(await stream.next_of("post.created")).data["post_id"] for _ in posts]
            assert got == [p["id"] for p in posts]
    # One read per announcement at most (fewer when they come together), not one per stream.
    assert 1 <= len(reads) <= len(posts) + 1, reads


async def test_making_a_space_private_stops_its_events_at_once_and_opening_starts_them(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    owner, outsider = await make_person(db), await make_person(db)
    owner_h, outsider_h = await auth_headers(client, owner), await auth_headers(client, outsider)
    space = await make_space(client, owner_h, name="Plans", visibility="open")
    lobby = await make_space(client, owner_h, name="Lobby", visibility="open")
    stream = await streams.open(outsider_h)
    first = await make_post(client, owner_h, space["id"], "Open for now")
    assert (await stream.next_of("post.created")).data["post_id"] == first["id"]

    changed = await client.patch(
        f"/api/v1/spaces/{space['id']}", json={"visibility": "private"}, headers=owner_h
    )
    assert changed.status_code == 200, changed.text
    await make_post(client, owner_h, space["id"], "Board only")
    marker = await make_post(client, owner_h, lobby["id"], "Marker")
    assert (await stream.next_of("post.created")).data["post_id"] == marker["id"]

    opened = await client.patch(
        f"/api/v1/spaces/{space['id']}", json={"visibility": "open"}, headers=owner_h
    )
    assert opened.status_code == 200, opened.text
    assert (await stream.next_of("space.changed")).data == {
        "visibility": "open",
        "space_id": space["id"],
    }
    again = await make_post(client, owner_h, space["id"], "Open again")
    assert (await stream.next_of("post.created")).data["post_id"] == again["id"]


async def test_a_space_made_after_the_stream_opened_reaches_its_readers(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    owner, reader = await make_person(db), await make_person(db)
    owner_h, reader_h = await auth_headers(client, owner), await auth_headers(client, reader)
    old = await make_space(client, owner_h, name="Old", visibility="open")
    stream = await streams.open(reader_h)
    first = await make_post(client, owner_h, old["id"], "Before")
    assert (await stream.next_of("post.created")).data["post_id"] == first["id"]

    new = await make_space(client, owner_h, name="New", visibility="open")
    assert (await stream.next_of("membership.changed")).data["space_id"] == new["id"]
    post = await make_post(client, owner_h, new["id"], "In the new space")
    assert (await stream.next_of("post.created")).data["post_id"] == post["id"]


async def test_joining_a_private_space_starts_its_events_at_once(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    owner, member = await make_person(db), await make_person(db)
    owner_h, member_h = await auth_headers(client, owner), await auth_headers(client, member)
    private = await make_space(client, owner_h, name="Board", visibility="private")
    lobby = await make_space(client, owner_h, name="Lobby", visibility="open")
    stream = await streams.open(member_h)
    await make_post(client, owner_h, private["id"], "Not yet for you")
    marker = await make_post(client, owner_h, lobby["id"], "Marker")
    assert (await stream.next_of("post.created")).data["post_id"] == marker["id"]

    await add_member(client, owner_h, private["id"], member.id)
    assert (await stream.next_of("membership.changed")).data["person_id"] == str(member.id)
    post = await make_post(client, owner_h, private["id"], "Now for you")
    assert (await stream.next_of("post.created")).data["post_id"] == post["id"]


async def test_a_client_behind_the_window_catches_up_from_the_log_then_goes_live(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, small_window: Streams
) -> None:
    hub, streams = app.state.hub, small_window
    owner, outsider = await make_person(db), await make_person(db)
    owner_h = await auth_headers(client, owner)
    space = await make_space(client, owner_h, name="History")
    secret = await make_space(client, owner_h, name="Secret", visibility="secret")
    live = await streams.open(owner_h)  # keeps the hub reading
    first = await make_post(client, owner_h, space["id"], "first")
    got = await live.next_of("post.created")
    assert got.data["post_id"] == first["id"]
    missed = []
    for i in range(8):
        missed.append(await make_post(client, owner_h, space["id"], f"missed {i}"))
        await make_post(client, owner_h, secret["id"], f"secret {i}")
    await until(lambda: (hub.window.position or 0) >= got.number + 16)
    assert not hub.window.reaches(got.number)  # the window no longer holds what came after it

    back = await streams.open(owner_h, last_event_id=got.id)
    replay = [(await back.next_of("post.created")).data["post_id"] for _ in range(16)]
    assert replay[::2] == [p["id"] for p in missed]
    now = await make_post(client, owner_h, space["id"], "live")
    assert (await back.next_of("post.created")).data["post_id"] == now["id"]
    await back.nothing()

    other = await streams.open(await auth_headers(client, outsider), last_event_id=got.id)
    seen = [(await other.next_of("post.created")).data["post_id"] for _ in range(9)]
    assert seen == [p["id"] for p in [*missed, now]]  # the secret space's posts never came
    await other.nothing()


async def test_a_stream_behind_the_window_reads_what_follows_an_access_change_as_it_is_now(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, small_window: Streams
) -> None:
    hub, streams = app.state.hub, small_window  # one read of 4 events leaves a stream behind
    owner, person = await make_person(db), await make_person(db)
    owner_h = await auth_headers(client, owner)
    lobby = await make_space(client, owner_h, name="Lobby")
    acme = await make_space(client, owner_h, name="Acme", kind="hybrid", visibility="private")
    await add_member(client, owner_h, acme["id"], person.id)
    stream = await streams.open(await auth_headers(client, person))
    mark = await make_post(client, owner_h, lobby["id"], "mark")
    got = await stream.next_of("post.created")
    assert got.data["post_id"] == mark["id"]

    # One transaction, so one read of the hub, which trims its window past the stream.
    lobby_id, acme_id = int(lobby["id"]), int(acme["id"])
    await record_event(db, type="test.note", space_id=lobby_id, data={"n": "before"})
    await db.execute(
        update(Person)
        .where(Person.id == person.id)
        .values(kind="external", role="guest", organization="Acme Corp", relation="customer")
    )
    await access_changed(db, person_id=person.id, reason="kind")
    await record_event(db, type="test.note", space_id=lobby_id, data={"n": "after"})
    for n in ("acme", "filler", "filler"):
        await record_event(db, type="test.note", space_id=acme_id, data={"n": n})
    await db.commit()

    assert (await stream.next_of("test.note")).data["n"] == "before"
    assert (await stream.next_of("access.changed")).data == {"reason": "kind"}
    assert (await stream.next_of("test.note")).data["n"] == "acme"
    assert not hub.window.reaches(got.number)  # it was behind: these came from its own query


async def test_memberships_read_across_a_change_serve_who_waited_but_are_not_kept() -> None:
    """What was read while a change of the person's memberships came through is used for the
    events taken before it, and read again for those after it."""
    person = Person(id=7, kind="member", role="member", is_active=True)
    private = Space(id=1, kind="community", visibility="private")
    release = asyncio.Event()
    reads: list[list[int]] = []

    async def read(people: list[int]) -> dict[int, Memberships]:
        reads.append(people)
        await release.wait()
        return {person.id: Memberships([(private.id, "member")])}

    spaces = ReadableSpaces(read)
    spaces.catalogue.replace([private], 0.0)
    spaces.watch(person.id)
    reading = asyncio.create_task(spaces.readable(person))
    await asyncio.sleep(0)
    removed = json.dumps({"person_id": str(person.id), "removed": True})
    spaces.note("membership.changed", None, removed)
    release.set()
    assert (await reading).reads(person, private.id)  # for the events taken before the change
    assert spaces.kept(person) is None  # but not kept for those after it
    await spaces.readable(person)
    assert len(reads) == 2 and spaces.kept(person) is not None
    await spaces.readable(person)
    assert len(reads) == 2  # kept now
    spaces.unwatch(person.id)
    assert spaces.kept(person) is None  # forgotten when the person's last stream ends


async def test_an_event_reads_the_sets_it_needs_once_for_all_the_streams_it_wakes(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    streams: Streams,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The spaces are read once for all the streams; after a heartbeat dropped what was read,
    the memberships of the people one event wakes are read with one query, not one per
    stream."""
    monkeypatch.setattr(app.state.settings, "sse_heartbeat_seconds", 0.3)
    owner = await make_person(db)
    owner_h = await auth_headers(client, owner)
    space = await make_space(client, owner_h, name="Square", visibility="open")
    readers = [await make_person(db) for _ in range(6)]
    engine = app.state.engine
    own_sql = "membership.person_id in"
    with statements(engine, " from space") as shared, statements(engine, own_sql) as own:
        opened = [await streams.open(await auth_headers(client, p)) for p in readers]
    assert len(_every_space(shared)) == 1, shared
    assert len(own) == len(readers)  # each stream reads its person's as it opens

    for stream in opened:  # a heartbeat drops what is older than one
        assert (await stream.next(skip_heartbeats=False)).type == "heartbeat"
    with statements(engine, " from space") as shared, statements(engine, own_sql) as own:
        post = await make_post(client, owner_h, space["id"], "For everybody")
        for stream in opened:
            assert (await stream.next_of("post.created")).data["post_id"] == post["id"]
    assert len(_every_space(shared)) == 1, shared
    assert 1 <= len(own) < len(readers), own


def _every_space(seen: list[str]) -> list[str]:
    """The hub's reads of every space (a request's own reads of spaces have a WHERE)."""
    return [statement for statement in seen if statement.endswith(" from space")]


async def test_a_heartbeat_reads_again_what_changed_without_an_event(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    streams: Streams,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The safety net: access changed behind the hub's back (a tool writing to the database)
    takes effect within a heartbeat or two — for what every member reads, and for what one
    person belongs to."""
    monkeypatch.setattr(app.state.settings, "sse_heartbeat_seconds", 0.3)
    owner, reader = await make_person(db), await make_person(db)
    owner_h, reader_h = await auth_headers(client, owner), await auth_headers(client, reader)
    lobby = await make_space(client, owner_h, name="Lobby", visibility="open")
    quiet = await make_space(client, owner_h, name="Quiet", visibility="private")
    board = await make_space(client, owner_h, name="Board", visibility="private")
    stream = await streams.open(reader_h)
    await make_post(client, owner_h, quiet["id"], "Not for you")
    await make_post(client, owner_h, board["id"], "Not for you either")
    marker = await make_post(client, owner_h, lobby["id"], "Marker")
    assert (await stream.next_of("post.created")).data["post_id"] == marker["id"]

    await db.execute(update(Space).where(Space.id == int(quiet["id"])).values(visibility="open"))
    db.add(Membership(space_id=int(board["id"]), person_id=reader.id, role="member"))
    await db.commit()
    for _ in range(3):  # beats that each use the sets, so that the next one reads them again
        assert (await stream.next(skip_heartbeats=False)).type == "heartbeat"
        await make_post(client, owner_h, lobby["id"], "Keeps the sets in use")
        await stream.next_of("post.created")
    opened = await make_post(client, owner_h, quiet["id"], "Open now")
    joined = await make_post(client, owner_h, board["id"], "Yours now")
    assert (await stream.next_of("post.created")).data["post_id"] == opened["id"]
    assert (await stream.next_of("post.created")).data["post_id"] == joined["id"]


def test_memberships_hold_what_they_were_given() -> None:
    held = Memberships([(30, "owner"), (10, "member"), (20, "moderator"), (10, "member")])
    assert len(held) == 3
    assert [held.role(n) for n in (5, 10, 15, 20, 30, 31)] == [
        None,
        "member",
        None,
        "moderator",
        "owner",
        None,
    ]
    assert NO_MEMBERSHIPS.role(10) is None


async def test_heartbeats_check_their_sign_ins_together(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncSession,
    streams: Streams,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app.state.settings, "sse_heartbeat_seconds", 0.3)
    people = [await make_person(db) for _ in range(8)]
    headers = [await auth_headers(client, p) for p in people]
    opened = [await streams.open(h) for h in headers]
    await streams.open(headers[0])  # a second stream of the same sign-in
    with statements(app.state.engine, "select ", "auth_session.token_hash in") as checks:
        for stream in opened:
            assert (await stream.next(skip_heartbeats=False)).type == "heartbeat"
    assert 1 <= len(checks) < len(opened), checks

    # Each still gets its own answer: one signs out, its streams end, the others beat on.
    assert (await client.post("/api/v1/auth/logout", headers=headers[0])).status_code == 204
    await until(opened[0].closed.is_set)
    assert (await opened[1].next(skip_heartbeats=False)).type == "heartbeat"
    assert not opened[1].closed.is_set()
