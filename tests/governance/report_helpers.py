"""Helpers for the report tests: a space with its cast, a post, reports made through the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.people.models import Person
from tests.conversations.helpers import add_member, make_post, make_space
from tests.factories import auth_headers, make_person

API = "/api/v1"
Headers = dict[str, str]


@dataclass
class Cast:
    """A space with an owner, a moderator, a member (the author) and a second member (the
    reporter), and their headers."""

    space: dict[str, Any]
    owner: Person
    moderator: Person
    author: Person
    reporter: Person
    h: dict[str, Headers]


async def cast(
    client: httpx.AsyncClient,
    db: AsyncSession,
    *,
    visibility: str = "open",
    kind: str = "community",
) -> Cast:
    owner = await make_person(db, name="Olga Owner")
    moderator = await make_person(db, name="Mo Moderator")
    author = await make_person(db, name="Ann Author")
    reporter = await make_person(db, name="Rita Reporter")
    people = {"owner": owner, "moderator": moderator, "author": author, "reporter": reporter}
    h = {name: await auth_headers(client, person) for name, person in people.items()}
    space = await make_space(client, h["owner"], name="Guild", visibility=visibility, kind=kind)
    await add_member(client, h["owner"], space["id"], moderator.id, "moderator")
    await add_member(client, h["owner"], space["id"], author.id)
    await add_member(client, h["owner"], space["id"], reporter.id)
    return Cast(space, owner, moderator, author, reporter, h)


async def report(
    client: httpx.AsyncClient,
    headers: Headers,
    target_type: str,
    target_id: str | int,
    reason: str = "spam",
    **extra: Any,
) -> httpx.Response:
    body = {"target_type": target_type, "target_id": str(target_id), "reason": reason, **extra}
    return await client.post(f"{API}/reports", json=body, headers=headers)


async def reported_post(
    client: httpx.AsyncClient, c: Cast, body: str = "Buy cheap watches"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A post by the author and the reporter's report of it."""
    post = await make_post(client, c.h["author"], c.space["id"], body)
    r = await report(client, c.h["reporter"], "post", post["id"], "spam", detail="Ads again")
    assert r.status_code == 201, r.text
    return post, r.json()


async def resolve(
    client: httpx.AsyncClient,
    headers: Headers,
    report_id: str,
    action: str,
    note: str = "",
    **extra: Any,
) -> httpx.Response:
    body = {"action": action, "note": note, **extra}
    return await client.post(f"{API}/reports/{report_id}/resolve", json=body, headers=headers)


async def queue(client: httpx.AsyncClient, headers: Headers, **params: str) -> httpx.Response:
    return await client.get(f"{API}/moderation/queue", params=params, headers=headers)
