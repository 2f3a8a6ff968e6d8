"""The authorization matrix of this part's endpoints — the space analytics API, the Insights
tab (and its CSV), the "who will be notified" preview (API and composer line) — for every
persona on open, private and secret community spaces and open and private hybrid spaces.
The expectations are written from the contract (API.md, Governance; the read rule of
spaces), not from the code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.people.models import Person
from atoll.spaces.models import Membership, Space
from tests.factories import auth_headers, make_person
from tests.web.helpers import csrf_of, sign_in

API = "/api/v1"
PERSONAS = (
    "admin",
    "platform_moderator",
    "analyst",
    "owner",
    "moderator",
    "member",
    "insider",
    "guest",
    "stranger",
    "anon",
)
# (kind, visibility) of the spaces tried
SPACES = (
    ("community", "open"),
    ("community", "private"),
    ("community", "secret"),
    ("hybrid", "open"),
    ("hybrid", "private"),
)
# What someone outside a space, from inside the organisation, knows of it by its visibility
# (the read rule): read it, see that it exists, or nothing (404).
OUTSIDE = {"open": "read", "private": "see", "secret": "none"}
MANAGERS = ("owner", "moderator")


def role_of(persona: str, kind: str) -> str | None:
    if persona in ("owner", "moderator", "member"):
        return persona
    if persona == "guest" and kind == "hybrid":
        return "member"  # externals belong only to hybrid spaces
    return None


def knows(persona: str, kind: str, visibility: str) -> str:
    if persona == "admin" or role_of(persona, kind):
        return "read"
    if persona in ("guest", "stranger", "anon"):
        return "none"  # externals know only their own spaces; signed out: nothing private
    return OUTSIDE[visibility]  # insider, analyst, platform moderator (reads as a member)


def analytics_status(persona: str, kind: str, visibility: str) -> int:
    """Owners and moderators, administrators and analysts; 404 to whoever may not know the
    space, 403 to the others who know it."""
    if persona == "anon":
        return 401
    if knows(persona, kind, visibility) == "none":
        return 404
    return 200 if persona in ("admin", "analyst", *MANAGERS) else 403


def preview_status(persona: str, kind: str, visibility: str) -> int:
    """Whoever may post there: its members (any role, a guest in a hybrid space) and admins;
    403 to those who read it but may not post or who know it but may not read it."""
    if persona == "anon":
        return 401
    known = knows(persona, kind, visibility)
    if known == "none":
        return 404
    if persona == "admin" or role_of(persona, kind):
        return 200
    return 403


@asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.20", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def _world(db: AsyncSession) -> tuple[dict[str, Person], list[Space]]:
    people = {
        "admin": await make_person(db, role="admin"),
        "platform_moderator": await make_person(db, role="moderator"),
        "analyst": await make_person(db),
        "owner": await make_person(db),
        "moderator": await make_person(db),
        "member": await make_person(db),
        "insider": await make_person(db),
        "guest": await make_person(db, kind="external"),
        "stranger": await make_person(db, kind="external", organization="Elsewhere Ltd"),
    }
    analyst = await db.get(Person, people["analyst"].id)
    assert analyst is not None
    analyst.is_analyst = True
    spaces = []
    for kind, visibility in SPACES:
        space = Space(name=f"{kind} {visibility}", slug=f"{kind}-{visibility}", kind=kind)
        space.visibility = visibility
        db.add(space)
        await db.flush()
        for persona, person in people.items():
            role = role_of(persona, kind)
            if role:
                db.add(Membership(space_id=space.id, person_id=person.id, role=role))
        spaces.append(space)
    await db.commit()
    return people, spaces


async def test_every_persona_on_the_api(client: httpx.AsyncClient, db: AsyncSession) -> None:
    people, spaces = await _world(db)
    headers = {p: await auth_headers(client, person) for p, person in people.items()}
    headers["anon"] = {}
    wrong: list[str] = []
    for persona in PERSONAS:
        for space in spaces:
            kind, visibility = space.kind, space.visibility
            got = await client.get(f"{API}/spaces/{space.id}/analytics", headers=headers[persona])
            want = analytics_status(persona, kind, visibility)
            if got.status_code != want:
                wrong.append(
                    f"analytics {persona} {kind}-{visibility}: {got.status_code} != {want}"
                )
            got = await client.post(
                f"{API}/spaces/{space.id}/notify-preview",
                json={"body": "Hello"},
                headers=headers[persona],
            )
            want = preview_status(persona, kind, visibility)
            if got.status_code != want:
                wrong.append(f"preview {persona} {kind}-{visibility}: {got.status_code} != {want}")
            elif want == 200:
                assert set(got.json()) >= {"total", "mentioned", "cannot_see"}
            else:
                assert got.headers["content-type"].startswith("application/problem+json")
    assert not wrong, "\n".join(wrong)


async def test_every_persona_on_the_pages(app: FastAPI, db: AsyncSession) -> None:
    people, spaces = await _world(db)
    wrong: list[str] = []
    for persona in PERSONAS:
        async with client_of(app) as browser:
            if persona != "anon":
                await sign_in(browser, people[persona].email)
            for space in spaces:
                kind, visibility = space.kind, space.visibility
                want = analytics_status(persona, kind, visibility)
                page = await browser.get(f"/spaces/{space.slug}/insights")
                download = await browser.get(f"/spaces/{space.slug}/insights.csv")
                page_want = 303 if want == 401 else want  # a page sends to the sign-in
                if (page.status_code, download.status_code) != (page_want, page_want):
                    wrong.append(
                        f"insights {persona} {kind}-{visibility}: "
                        f"{page.status_code}/{download.status_code} != {page_want}"
                    )
                if want == 200:
                    assert 'id="insights-chart"' in page.text
                space_page = await browser.get(f"/spaces/{space.slug}")
                if space_page.status_code == 200:
                    tab = f'href="/spaces/{space.slug}/insights"' in space_page.text
                    if tab != (want == 200):
                        wrong.append(f"tab {persona} {kind}-{visibility}: shown={tab}")
                if persona == "anon" or knows(persona, kind, visibility) == "none":
                    continue
                home = await browser.get("/")
                line = await browser.post(
                    "/compose/notify",
                    data={"csrf_token": csrf_of(home.text), "space_id": space.id, "body": "Hi"},
                    headers={"HX-Request": "true"},
                )
                posts = preview_status(persona, kind, visibility) == 200
                if line.status_code != 200 or ("Notifies" in line.text) != posts:
                    wrong.append(f"notify line {persona} {kind}-{visibility}: {line.text[:80]}")
    assert not wrong, "\n".join(wrong)
