"""Lists issue a fixed number of SQL statements whatever their length: authors, spaces,
reactions, the caller's reactions and votes, and attachments are loaded in batch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import feed, queries
from atoll.people.models import Person
from tests.conversations.helpers import comment, join, make_post, make_space
from tests.factories import auth_headers, make_person

API = "/api/v1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@contextmanager
def counting(app: FastAPI) -> Iterator[list[str]]:
    """Every SQL statement sent to the database while the block runs."""
    statements: list[str] = []

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


async def _busy_spaces(
    client: httpx.AsyncClient, db: AsyncSession, n: int = 24
) -> tuple[Person, dict[str, str], str]:
    """Two spaces with ``n`` posts by several authors, each with reactions, votes, a comment
    and an attachment."""
    people = [await make_person(db, name=f"Author {i}") for i in range(4)]
    viewer = people[0]
    headers = [await auth_headers(client, p) for p in people]
    spaces = [(await make_space(client, headers[0], name=f"Space {i}"))["id"] for i in range(2)]
    for h in headers[1:]:
        for sid in spaces:
            await join(client, h, sid)
    for i in range(n):
        h = headers[i % len(headers)]
        upload = await client.post(
            f"{API}/attachments", files={"file": ("a.png", PNG, "image/png")}, headers=h
        )
        created = await make_post(
            client,
            h,
            spaces[i % 2],
            f"Post {i}",
            kind="idea" if i % 3 == 0 else "update",
            attachment_ids=[upload.json()["id"]],
        )
        for other in headers[: 1 + i % 3]:
            await client.put(f"{API}/posts/{created['id']}/reactions/{quote('👍')}", headers=other)
            await client.put(f"{API}/posts/{created['id']}/reactions/{quote('🚀')}", headers=other)
        if created["kind"] == "idea":
            await client.put(f"{API}/posts/{created['id']}/vote", headers=headers[0])
        await comment(client, headers[1], created["id"], "A comment")
    return viewer, headers[0], spaces[0]


async def test_feed_and_space_posts_take_the_same_number_of_queries_for_2_and_20(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _, h, sid = await _busy_spaces(client, db)
    counts: dict[str, list[int]] = {}
    lists = (
        (f"{API}/feed", "all", 24),
        (f"{API}/spaces/{sid}/posts", "all", 12),
        (f"{API}/feed", "ideas", 8),
    )
    for path, filter, total in lists:
        for limit in (2, 20):
            with counting(app) as statements:
                r = await client.get(path, params={"limit": limit, "filter": filter}, headers=h)
            assert r.status_code == 200
            items = r.json()["items"]
            assert len(items) == min(limit, total)
            assert all(p["attachments"] and p["reactions"] for p in items)
            counts.setdefault(f"{path}?filter={filter}", []).append(len(statements))
    for path, (small, large) in counts.items():
        assert small == large, (path, small, large)
        assert small <= 8, (path, small)  # auth, then posts + reactions + votes + attachments


async def test_the_service_lists_in_five_queries(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    viewer, _, _ = await _busy_spaces(client, db, n=12)
    await db.rollback()
    person = await db.get(Person, viewer.id)
    for limit in (2, 10):
        with counting(app) as statements:
            views, _ = await feed.feed_for(db, viewer=person, limit=limit)  # type: ignore[arg-type]
        # the feed's sources, then posts + reactions + votes + attachments
        assert len(views) == limit and len(statements) == 5, statements


async def test_a_thread_takes_the_same_queries_for_few_and_many_comments(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana, ben = await make_person(db), await make_person(db)
    a, b = await auth_headers(client, ana), await auth_headers(client, ben)
    sid = (await make_space(client, a))["id"]
    few = (await make_post(client, a, sid, "few"))["id"]
    many = (await make_post(client, a, sid, "many"))["id"]
    top = (await comment(client, b, few, "one")).json()
    await comment(client, a, few, "reply", parent_id=top["id"])
    for i in range(20):
        c = (await comment(client, b if i % 2 else a, many, f"c{i}")).json()
        await comment(client, a, many, "reply", parent_id=c["id"])
    sizes = []
    for pid in (few, many):
        with counting(app) as statements:
            r = await client.get(f"{API}/posts/{pid}", headers=a)
        assert r.status_code == 200
        sizes.append(len(statements))
    assert sizes[0] == sizes[1], sizes


async def _read_feed(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    """Every post body of a feed, two at a time, following the cursor."""
    bodies: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        r = await client.get(f"{API}/feed", params=params, headers=headers)
        assert r.status_code == 200, r.text
        bodies += [p["body"] for p in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return bodies


async def test_one_feed_statement_serves_every_viewer_of_its_shape(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Two people in one space each (the same shape) each see only their own space, page
    after page, and the database is sent the same SQL for both: who reads is a parameter."""
    ana, ben = await make_person(db, name="Ana"), await make_person(db, name="Ben")
    headers = {p.id: await auth_headers(client, p) for p in (ana, ben)}
    for person in (ana, ben):
        sid = (await make_space(client, headers[person.id], name=f"Room of {person.name}"))["id"]
        for i in range(3):
            await make_post(client, headers[person.id], sid, f"{person.name} {i}")
    sent: dict[str, set[str]] = {}
    for person in (ana, ben):
        with counting(app) as statements:
            bodies = await _read_feed(client, headers[person.id])
        assert bodies == [f"{person.name} {i}" for i in (2, 1, 0)]
        sent[person.name] = set(statements)
    assert sent["Ana"] == sent["Ben"]


async def test_a_feed_finds_the_same_posts_in_any_room_and_as_one_filter(
    client: httpx.AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three spaces and a followed person in a room for four (the spare sources match
    nothing), in a room for exactly three, and past the largest room (the feed as one
    filter): the same posts, in the same order."""
    people = [await make_person(db, name=name) for name in ("Ana", "Ben", "Cara", "Dan")]
    headers = [await auth_headers(client, p) for p in people]
    rooms = [(await make_space(client, h, name=f"Room {i}"))["id"] for i, h in enumerate(headers)]
    for i, (h, sid) in enumerate(zip(headers, rooms, strict=True)):
        await make_post(client, h, sid, f"post {i}")
    for sid in rooms[:2]:
        await join(client, headers[2], sid)
    follow = await client.put(f"{API}/follows/person/{people[3].id}", headers=headers[2])
    assert follow.status_code in (200, 201, 204), follow.text
    expected = ["post 3", "post 2", "post 1", "post 0"]
    for sizes in ((1, 2, 4), (3,), (2,)):
        monkeypatch.setattr(queries, "ROOMS", sizes)
        assert await _read_feed(client, headers[2]) == expected, sizes
