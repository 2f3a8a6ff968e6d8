"""Helpers for the governance tests of content: a space with its people, made through the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.people.models import Person
from tests.conversations.helpers import add_member, make_space
from tests.factories import auth_headers, make_person

API = "/api/v1"
Headers = dict[str, str]


@dataclass
class Crew:
    """A space with an owner, a moderator and a member; an insider outside it; an admin."""

    space: dict[str, Any]
    owner: Person
    moderator: Person
    member: Person
    insider: Person
    admin: Person
    h: dict[str, Headers]


async def crew(client: httpx.AsyncClient, db: AsyncSession, **space: Any) -> Crew:
    people = {
        "owner": await make_person(db),
        "moderator": await make_person(db),
        "member": await make_person(db),
        "insider": await make_person(db),
        "admin": await make_person(db, role="admin"),
        "platform": await make_person(db, role="moderator"),
    }
    h = {name: await auth_headers(client, p) for name, p in people.items()}
    made = await make_space(client, h["owner"], **space)
    await add_member(client, h["owner"], made["id"], people["moderator"].id, "moderator")
    await add_member(client, h["owner"], made["id"], people["member"].id)
    return Crew(
        made,
        people["owner"],
        people["moderator"],
        people["member"],
        people["insider"],
        people["admin"],
        h,
    )
