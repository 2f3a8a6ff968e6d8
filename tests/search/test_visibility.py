"""Search never tells anyone what they may not read: for every persona of the authorization
matrix × every kind and visibility of space, through ``GET /api/v1/search``.

Each space holds a post, a comment and a wiki page that all say the common word and the
space's own word. Every persona searches; what comes back must be exactly the content of the
spaces the contract lets them read — and nothing of the others, not an item, not a word of a
snippet, not a space's name. Spaces by name: exactly those the persona may know exist. People:
members see everyone active, externals themselves and the people they share a space with,
signed-out visitors nobody; only administrators find a deactivated person.

The expectations are written from the contract (the API reference and the space rules the
authorization matrix states), not from ``atoll.spaces.policy``. The world is built once per
module in a few multi-row INSERTs and indexed by ``reindex`` (the live path that the services
take is tested in ``test_query.py``; ``test_index.py`` checks that reindex writes the same).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, update

from atoll.conversations.models import Comment, Post
from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.search.index import reindex
from atoll.spaces.models import Membership, Space
from atoll.wiki.models import WikiPage
from tests.conftest import empty_all_tables
from tests.factories import auth_headers, make_person, make_unit
from tests.spaces.test_authorization_matrix import (
    EXTERNALS,
    KINDS_AND_VISIBILITIES,
    PERSONAS,
    Kind,
)
from tests.spaces.test_authorization_matrix import access as matrix_access

# --- the contract ----------------------------------------------------------------------------

# The personas, the kinds × visibilities and what outsiders know of a space are the contract
# tables of the authorization matrix (one statement of the contract for both tests).
COMMON = "zebracrossing"  # in every post, comment and wiki page
NAMES = "harbourlight"  # in every space's name
SURNAME = "Quillfeather"  # every person's surname


def access(persona: str, kind: str, visibility: str) -> str:
    return matrix_access(persona, Kind(kind, visibility, "live"))


def people_seen(persona: str) -> set[str]:
    """Whom a persona finds by name. ``ghost`` is deactivated (and belongs to every space)."""
    everyone = {"admin", "owner", "moderator", "member", "insider", "guest", "stranger"}
    if persona == "admin":
        return everyone | {"ghost"}
    if persona == "anon":
        return set()
    if persona in EXTERNALS:  # themselves and the active people of their spaces
        return {persona} | ({"owner", "moderator", "member"} if persona == "guest" else set())
    return everyone


# --- the world -------------------------------------------------------------------------------


@dataclass
class Room:
    kind: str
    visibility: str
    id: int
    name: str
    word: str  # the space's own word, in its content only
    post: int = 0
    comment: int = 0
    page: int = 0


@dataclass
class World:
    api: httpx.AsyncClient
    headers: dict[str, dict[str, str]]
    people: dict[str, int]
    rooms: list[Room]

    async def search(self, persona: str, q: str, **params: str) -> httpx.Response:
        r = await self.api.get(
            "/api/v1/search",
            params={"q": q, "limit": "100", **params},
            headers=self.headers.get(persona, {}),
        )
        assert r.status_code == 200, r.text
        return r


@pytest.fixture(autouse=True)
async def _empty_tables() -> AsyncIterator[None]:
    """This module keeps its world across its tests; ``world`` empties the tables at the end."""
    yield


async def _insert(db: Any, model: type[Any], rows: list[dict[str, Any]]) -> list[int]:
    result = await db.execute(insert(model).returning(model.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


@pytest.fixture(scope="module")
async def world(app: Any) -> AsyncIterator[World]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.11", 5000))
    async with (
        app.state.sessionmaker() as db,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as api,
    ):
        try:
            team = await make_unit(db, "Search team")
            made = {
                "admin": await make_person(db, name=f"Ada {SURNAME}", role="admin"),
                "owner": await make_person(db, name=f"Olga {SURNAME}"),
                "moderator": await make_person(db, name=f"Moritz {SURNAME}"),
                "member": await make_person(db, name=f"Mia {SURNAME}", unit_id=team.id),
                "insider": await make_person(db, name=f"Ines {SURNAME}"),
                "guest": await make_person(
                    db, name=f"Gustav {SURNAME}", kind="external", organization="Acme Corp"
                ),
                "stranger": await make_person(
                    db, name=f"Stella {SURNAME}", kind="external", organization="Globex"
                ),
                "ghost": await make_person(db, name=f"Gert {SURNAME}"),
            }
            headers = {p: await auth_headers(api, made[p]) for p in PERSONAS if p != "anon"}
            people = {k: p.id for k, p in made.items()}
            await db.execute(
                update(Person).where(Person.id == people["ghost"]).values(is_active=False)
            )
            now = utcnow()
            rooms = [
                Room(kind, vis, 0, f"{NAMES} {kind} {vis}", f"secretword{n}x{kind}{vis}")
                for n, (kind, vis) in enumerate(KINDS_AND_VISIBILITIES)
            ]
            ids = await _insert(
                db,
                Space,
                [
                    {
                        "name": r.name,
                        "slug": f"vis-{n}",
                        "description": "",
                        "kind": r.kind,
                        "visibility": r.visibility,
                        "unit_id": team.id if r.kind == "unit" else None,
                        "closes_at": now + timedelta(days=30) if r.kind == "situation" else None,
                        "created_by_id": people["owner"],
                    }
                    for n, r in enumerate(rooms)
                ],
            )
            for room, space_id in zip(rooms, ids, strict=True):
                room.id = space_id
            await db.execute(
                insert(Membership),
                [
                    {"space_id": r.id, "person_id": people[who], "role": role, "source": "manual"}
                    for r in rooms
                    for who, role in [
                        ("owner", "owner"),
                        ("moderator", "moderator"),
                        ("member", "member"),
                        ("ghost", "member"),
                    ]
                    + ([("guest", "member")] if r.kind == "hybrid" else [])
                ],
            )
            text = "{} report: {} at the {}"
            post_ids = await _insert(
                db,
                Post,
                [
                    {
                        "space_id": r.id,
                        "author_id": people["member"],
                        "kind": "update",
                        "body": text.format("Post", COMMON, r.word),
                        "html": "<p>post</p>",
                        "comment_count": 1,
                    }
                    for r in rooms
                ],
            )
            comment_ids = await _insert(
                db,
                Comment,
                [
                    {
                        "post_id": pid,
                        "author_id": people["member"],
                        "body": text.format("Comment", COMMON, r.word),
                        "html": "<p>comment</p>",
                    }
                    for r, pid in zip(rooms, post_ids, strict=True)
                ],
            )
            page_ids = await _insert(
                db,
                WikiPage,
                [
                    {
                        "space_id": r.id,
                        "slug": "crossings",
                        "title": "Crossings",
                        "body": text.format("Wiki", COMMON, r.word),
                        "html": "<p>wiki</p>",
                        "created_by_id": people["member"],
                        "updated_by_id": people["member"],
                    }
                    for r in rooms
                ],
            )
            for room, pid, cid, wid in zip(rooms, post_ids, comment_ids, page_ids, strict=True):
                room.post, room.comment, room.page = pid, cid, wid
            await reindex(db)
            await db.commit()
            yield World(api=api, headers=headers, people=people, rooms=rooms)
        finally:
            await empty_all_tables(app.state.engine)


def _content(rooms: list[Room], kind: str | None = None) -> set[tuple[str, str]]:
    out = set()
    for r in rooms:
        for k, ref in (("post", r.post), ("comment", r.comment), ("wiki", r.page)):
            if kind in (None, k):
                out.add((k, str(ref)))
    return out


def _found(r: httpx.Response) -> set[tuple[str, str]]:
    return {(item["type"], item["id"]) for item in r.json()["items"]}


# --- the cases -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
async def test_content_found_is_exactly_what_the_persona_may_read(
    world: World, persona: str
) -> None:
    readable = [r for r in world.rooms if access(persona, r.kind, r.visibility) == "read"]
    hidden = [r for r in world.rooms if r not in readable]
    assert readable, "every persona reads at least the public space"
    for kind in (None, "post", "comment", "wiki"):
        r = await world.search(persona, COMMON, **({"type": kind} if kind else {}))
        assert _found(r) == _content(readable, kind), (persona, kind)
        names = {item["space_name"] for item in r.json()["items"]}
        assert names == {room.name for room in readable}, (persona, kind)
        for room in hidden:  # not an item, not a snippet, not a space name
            assert room.word not in r.text and room.name not in r.text, (persona, room.name)
    for room in world.rooms:  # each space's own word: found only where it may be read
        r = await world.search(persona, room.word)
        assert _found(r) == (_content([room]) if room in readable else set()), (persona, room)
        if room in readable:
            assert all(room.word in item["snippet"] for item in r.json()["items"])


@pytest.mark.parametrize("persona", PERSONAS)
async def test_spaces_found_by_name_are_those_the_persona_may_know(
    world: World, persona: str
) -> None:
    known = {r.id for r in world.rooms if access(persona, r.kind, r.visibility) != "none"}
    r = await world.search(persona, NAMES, type="space")
    assert {int(item["id"]) for item in r.json()["items"]} == known, persona
    everything = await world.search(persona, NAMES[:6])  # a prefix, all kinds of result
    assert {int(i["id"]) for i in everything.json()["items"] if i["type"] == "space"} == known
    for room in world.rooms:
        if room.id not in known:
            assert room.name not in r.text and room.name not in everything.text, persona


@pytest.mark.parametrize("persona", PERSONAS)
async def test_people_found_are_those_the_persona_may_see(world: World, persona: str) -> None:
    r = await world.search(persona, SURNAME.lower()[:5], type="person")
    found = {int(item["id"]) for item in r.json()["items"]}
    assert found == {world.people[p] for p in people_seen(persona)}, persona
    if persona != "admin":
        assert f"Gert {SURNAME}" not in r.text


@pytest.mark.parametrize("persona", PERSONAS)
async def test_a_space_filter_on_an_unreadable_space_finds_nothing_and_says_nothing(
    world: World, persona: str
) -> None:
    for room in world.rooms:
        r = await world.search(persona, COMMON, space_id=str(room.id))
        if access(persona, room.kind, room.visibility) == "read":
            assert _found(r) == _content([room]), (persona, room.name)
        else:  # 200 with no items: the same answer as for a space that does not exist
            assert r.json() == {"items": [], "next_cursor": None}, (persona, room.name)
    missing = await world.search(persona, COMMON, space_id="987654321987")
    assert missing.json() == {"items": [], "next_cursor": None}
