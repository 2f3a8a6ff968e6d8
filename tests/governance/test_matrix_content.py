"""The authorization matrix of content governance: every persona × every new endpoint (pin,
organisation-wide pin, close, restore, the "Recently deleted" lists, unarchive, wiki locks,
announcements) on a hybrid space, a private one and a secret one.

The expectations are written from the contract (API.md, Governance), not from the code:
- who may not know a space gets 404 (signed out: 401); content (a post, a comment, a wiki
  page) of a space one may not read is 404 too, as reading it would be;
- a reader without the right gets 403;
- the right roles get 2xx: the space's owners and moderators, platform moderators who can
  read the space and administrators pin, close and restore (and the author restores their
  own); only administrators pin for the organisation; owners and administrators unarchive;
  the space's owners and moderators and administrators lock a wiki page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conversations.helpers import add_member, comment, make_post, make_space
from tests.factories import auth_headers, make_person

API = "/api/v1"
PERSONAS = (
    "admin", "platform", "owner", "moderator", "member", "insider", "guest", "stranger", "anon"
)  # fmt: skip
SPACES = {  # name: (kind, visibility)
    "hybrid": ("hybrid", "open"),
    "private": ("community", "private"),
    "secret": ("community", "secret"),
}


def knows(persona: str, space: str) -> str:
    """read: reads its content; see: knows it exists; none: may not know it (404)."""
    if persona in ("admin", "owner", "moderator", "member"):
        return "read"
    if persona in ("insider", "platform"):  # a platform moderator reads as a member does
        return {"hybrid": "read", "private": "see", "secret": "none"}[space]
    if persona == "guest":
        return "read" if space == "hybrid" else "none"
    return "none"  # stranger, anon


GOVERN = {"admin", "owner", "moderator", "platform"}
RIGHTS = {
    "pin": GOVERN,
    "unpin": GOVERN,
    "close": GOVERN,
    "reopen": GOVERN,
    "restore_post": GOVERN | {"member"},  # the member wrote it
    "restore_comment": GOVERN | {"member"},
    "announce": {"admin"},
    "lock": {"admin", "owner", "moderator"},
    "unlock": {"admin", "owner", "moderator"},
    "dismiss": set(PERSONAS),
    "space_deleted": GOVERN,
    "unarchive": {"admin", "owner"},
}
SPACE_LEVEL = {"space_deleted", "unarchive"}  # the rest is content inside the space


def expected(action: str, persona: str, space: str) -> int:
    if persona == "anon":
        return 401
    known = knows(persona, space)
    if known == "none" or (known == "see" and action not in SPACE_LEVEL):
        return 404
    if known == "see":
        return 403
    return 200 if persona in RIGHTS[action] else 403


@dataclass
class World:
    client: httpx.AsyncClient
    h: dict[str, dict[str, str]]
    spaces: dict[str, dict]


@pytest.fixture
async def world(client: httpx.AsyncClient, db: AsyncSession) -> World:
    people = {
        "admin": await make_person(db, role="admin"),
        "platform": await make_person(db, role="moderator"),
        "owner": await make_person(db),
        "moderator": await make_person(db),
        "member": await make_person(db),
        "insider": await make_person(db),
        "guest": await make_person(db, kind="external"),
        "stranger": await make_person(db, kind="external", organization="Other Ltd"),
    }
    h = {name: await auth_headers(client, p) for name, p in people.items()}
    h["anon"] = {}
    spaces = {}
    for name, (kind, visibility) in SPACES.items():
        space = await make_space(client, h["owner"], name=name, kind=kind, visibility=visibility)
        await add_member(client, h["owner"], space["id"], people["moderator"].id, "moderator")
        await add_member(client, h["owner"], space["id"], people["member"].id)
        if kind == "hybrid":
            r = await client.post(
                f"{API}/spaces/{space['id']}/members",
                json={"person_id": str(people["guest"].id), "confirm_new_organization": True},
                headers=h["owner"],
            )
            assert r.status_code == 201, r.text
        r = await client.put(
            f"{API}/spaces/{space['id']}/wiki/rules",
            json={"title": "Rules", "body": "Be kind"},
            headers=h["owner"],
        )
        assert r.status_code == 201, r.text
        spaces[name] = space
    return World(client, h, spaces)


Case = Callable[[World, dict, str], Awaitable[int]]


async def _post(w: World, space: dict) -> str:
    return str((await make_post(w.client, w.h["member"], space["id"], "A post"))["id"])


async def _as(w: World, persona: str, method: str, path: str, **kw: object) -> int:
    r = await w.client.request(method, f"{API}/{path}", headers=w.h[persona], **kw)  # type: ignore[arg-type]
    return r.status_code


async def pin(w: World, space: dict, who: str) -> int:
    pid = await _post(w, space)
    status = await _as(w, who, "POST", f"posts/{pid}/pin")
    await _as(w, "admin", "DELETE", f"posts/{pid}/pin")  # room for the next case's pin
    return status


async def unpin(w: World, space: dict, who: str) -> int:
    pid = await _post(w, space)
    assert await _as(w, "admin", "POST", f"posts/{pid}/pin") == 200
    status = await _as(w, who, "DELETE", f"posts/{pid}/pin")
    await _as(w, "admin", "DELETE", f"posts/{pid}/pin")
    return status


async def announce(w: World, space: dict, who: str) -> int:
    pid = await _post(w, space)
    return await _as(w, who, "POST", f"posts/{pid}/pin", json={"scope": "organisation"})


async def close(w: World, space: dict, who: str) -> int:
    return await _as(w, who, "POST", f"posts/{await _post(w, space)}/close")


async def reopen(w: World, space: dict, who: str) -> int:
    pid = await _post(w, space)
    assert await _as(w, "admin", "POST", f"posts/{pid}/close") == 200
    return await _as(w, who, "DELETE", f"posts/{pid}/close")


async def restore_post(w: World, space: dict, who: str) -> int:
    pid = await _post(w, space)
    assert await _as(w, "member", "DELETE", f"posts/{pid}") == 204
    return await _as(w, who, "POST", f"posts/{pid}/restore")


async def restore_comment(w: World, space: dict, who: str) -> int:
    pid = await _post(w, space)
    cid = (await comment(w.client, w.h["member"], pid, "A comment")).json()["id"]
    assert await _as(w, "member", "DELETE", f"comments/{cid}") == 204
    return await _as(w, who, "POST", f"comments/{cid}/restore")


async def lock(w: World, space: dict, who: str) -> int:
    status = await _as(w, who, "POST", f"spaces/{space['id']}/wiki/rules/lock")
    await _as(w, "admin", "DELETE", f"spaces/{space['id']}/wiki/rules/lock")
    return status


async def unlock(w: World, space: dict, who: str) -> int:
    assert await _as(w, "admin", "POST", f"spaces/{space['id']}/wiki/rules/lock") == 200
    status = await _as(w, who, "DELETE", f"spaces/{space['id']}/wiki/rules/lock")
    await _as(w, "admin", "DELETE", f"spaces/{space['id']}/wiki/rules/lock")
    return status


async def dismiss(w: World, space: dict, who: str) -> int:
    pid = await _post(w, space)
    status = await _as(w, who, "POST", f"posts/{pid}/dismiss")
    return 200 if status == 204 else status


async def space_deleted(w: World, space: dict, who: str) -> int:
    return await _as(w, who, "GET", f"spaces/{space['id']}/deleted")


async def unarchive(w: World, space: dict, who: str) -> int:
    assert await _as(w, "admin", "POST", f"spaces/{space['id']}/archive") == 200
    status = await _as(w, who, "POST", f"spaces/{space['id']}/unarchive")
    await _as(w, "admin", "POST", f"spaces/{space['id']}/unarchive")  # live for the next case
    return status


CASES: dict[str, Case] = {
    "pin": pin,
    "unpin": unpin,
    "announce": announce,
    "close": close,
    "reopen": reopen,
    "restore_post": restore_post,
    "restore_comment": restore_comment,
    "lock": lock,
    "unlock": unlock,
    "dismiss": dismiss,
    "space_deleted": space_deleted,
    "unarchive": unarchive,
}


@pytest.mark.parametrize("space", list(SPACES))
async def test_the_matrix(world: World, space: str) -> None:
    wrong = []
    for action, case in CASES.items():
        for persona in PERSONAS:
            got = await case(world, world.spaces[space], persona)
            want = expected(action, persona, space)
            if got != want:
                wrong.append(f"{action} by {persona} in {space}: {got}, expected {want}")
    assert wrong == []


async def test_personal_lists_and_announcements(world: World) -> None:
    """Not bound to a space: every signed-in person has their own; signed out, 401."""
    for persona in PERSONAS:
        want = 401 if persona == "anon" else 200
        assert await _as(world, persona, "GET", "me/deleted") == want
        assert await _as(world, persona, "GET", "announcements") == want
