"""The authorization matrix of reports and the moderation queue: every persona × the three
endpoints and the page, on a hybrid, a private and a secret space. The expected statuses are
written from the contract (API.md *Governance* and the README), not read from the code:

- ``POST /reports`` — any reader of the post: 201; who may not read it: 404; signed out: 401.
- ``GET /moderation/queue?space_id=`` — the space's owners and moderators, platform
  moderators and administrators who read it: 200; who knows the space but handles nothing
  there: 403; who may not know it: 404; signed out: 401.
- ``POST /reports/{id}/resolve`` — the handlers above: 200; the reporter (who knows the
  report): 403; anyone else: 404 (a report is never revealed); signed out: 401.
- ``GET /moderation`` (the page) — whoever handles reports anywhere: 200; other people: 403
  with a message; signed out: 303 to the sign-in page.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conversations.helpers import add_member, make_post, make_space
from tests.factories import auth_headers, make_person
from tests.governance.report_helpers import API, queue, report, resolve

PERSONAS = (
    "admin",
    "platform_moderator",
    "owner",
    "moderator",
    "member",
    "insider",
    "guest",
    "stranger",
    "anonymous",
)

# (kind, visibility) -> persona -> (report, queue, resolve, page)
EXPECTED: dict[tuple[str, str], dict[str, tuple[int, int, int, int]]] = {
    ("hybrid", "open"): {
        "admin": (201, 200, 200, 200),
        "platform_moderator": (201, 200, 200, 200),
        "owner": (201, 200, 200, 200),
        "moderator": (201, 200, 200, 200),
        "member": (201, 403, 403, 403),
        "insider": (201, 403, 404, 403),
        "guest": (201, 403, 404, 403),
        "stranger": (404, 404, 404, 403),
        "anonymous": (401, 401, 401, 303),
    },
    ("community", "private"): {
        "admin": (201, 200, 200, 200),
        "platform_moderator": (404, 403, 404, 200),
        "owner": (201, 200, 200, 200),
        "moderator": (201, 200, 200, 200),
        "member": (201, 403, 403, 403),
        "insider": (404, 403, 404, 403),
        "guest": (404, 404, 404, 403),
        "stranger": (404, 404, 404, 403),
        "anonymous": (401, 401, 401, 303),
    },
    ("community", "secret"): {
        "admin": (201, 200, 200, 200),
        "platform_moderator": (404, 404, 404, 200),
        "owner": (201, 200, 200, 200),
        "moderator": (201, 200, 200, 200),
        "member": (201, 403, 403, 403),
        "insider": (404, 404, 404, 403),
        "guest": (404, 404, 404, 403),
        "stranger": (404, 404, 404, 403),
        "anonymous": (401, 401, 401, 303),
    },
}


@dataclass
class World:
    space: dict[str, str]
    headers: dict[str, dict[str, str]]
    emails: dict[str, str]
    writer: dict[str, str]


async def _world(client: httpx.AsyncClient, db: AsyncSession, kind: str, visibility: str) -> World:
    people = {
        "admin": await make_person(db, role="admin"),
        "platform_moderator": await make_person(db, role="moderator"),
        "owner": await make_person(db),
        "moderator": await make_person(db),
        "member": await make_person(db),
        "insider": await make_person(db),
        "guest": await make_person(db, kind="external"),
        "stranger": await make_person(db, kind="external", organization="Beta Ltd"),
    }
    writer = await make_person(db, name="Will Writer")
    headers = {name: await auth_headers(client, p) for name, p in people.items()}
    headers["anonymous"] = {}
    space = await make_space(client, headers["owner"], kind=kind, visibility=visibility)
    await add_member(client, headers["owner"], space["id"], people["moderator"].id, "moderator")
    await add_member(client, headers["owner"], space["id"], people["member"].id)
    await add_member(client, headers["owner"], space["id"], writer.id)
    if kind == "hybrid":
        await add_member(client, headers["owner"], space["id"], people["guest"].id)
        # the stranger belongs to a hybrid space of their own elsewhere
        other = await make_space(client, headers["admin"], name="Elsewhere", kind="hybrid")
        await add_member(client, headers["admin"], other["id"], people["stranger"].id)
    emails = {name: p.email for name, p in people.items()}
    return World(space, headers, emails, await auth_headers(client, writer))


async def _fresh_report(client: httpx.AsyncClient, w: World) -> str:
    """A new post by the writer, reported by the member: an open report to resolve."""
    post = await make_post(client, w.writer, w.space["id"], "Something to look at")
    r = await report(client, w.headers["member"], "post", post["id"])
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _page(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    # The page with a bearer token is the same request as a browser's with its cookie.
    r = await client.get("/moderation", headers=headers)
    return r.status_code


@pytest.mark.parametrize(("kind", "visibility"), list(EXPECTED))
async def test_every_persona(
    client: httpx.AsyncClient, db: AsyncSession, kind: str, visibility: str
) -> None:
    w = await _world(client, db, kind, visibility)
    post = await make_post(client, w.writer, w.space["id"], "Reported by everyone who can")
    got: dict[str, tuple[int, int, int, int]] = {}
    for persona in PERSONAS:
        h = w.headers[persona]
        made = (await report(client, h, "post", post["id"])).status_code
        listed = (await queue(client, h, space_id=w.space["id"])).status_code
        resolved = (await resolve(client, h, await _fresh_report(client, w), "dismiss")).status_code
        got[persona] = (made, listed, resolved, await _page(client, h))
    assert got == EXPECTED[kind, visibility]


async def test_unhide_and_lift(client: httpx.AsyncClient, db: AsyncSession) -> None:
    """The two extra paths: showing hidden content again (its space's moderators, platform
    moderators who read it; 404 to whoever may not read it hidden) and lifting a suspension
    (administrators)."""
    w = await _world(client, db, "community", "open")
    post = await make_post(client, w.writer, w.space["id"], "To hide")
    rid = (await report(client, w.headers["member"], "post", post["id"])).json()["id"]
    assert (await resolve(client, w.headers["moderator"], rid, "hide", "No")).status_code == 200
    expected = {
        "admin": 204,
        "platform_moderator": 204,
        "owner": 204,
        "moderator": 204,
        "member": 404,
        "insider": 404,
        "guest": 404,
        "stranger": 404,
        "anonymous": 401,
    }
    got = {}
    for persona in PERSONAS:
        r = await client.post(f"{API}/posts/{post['id']}/unhide", headers=w.headers[persona])
        got[persona] = r.status_code
        if r.status_code == 204:  # hide it again for the next persona
            rid = (await report(client, w.headers["member"], "post", post["id"])).json()["id"]
            await resolve(client, w.headers["moderator"], rid, "hide", "No")
    assert got == expected
    lift = {p: 403 for p in PERSONAS} | {"admin": 200, "anonymous": 401}
    member_id = (await client.get(f"{API}/me", headers=w.headers["member"])).json()["id"]
    got = {
        p: (
            await client.delete(f"{API}/people/{member_id}/suspension", headers=w.headers[p])
        ).status_code
        for p in PERSONAS
    }
    assert got == lift
