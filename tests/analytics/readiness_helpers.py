"""A small organisation for the readiness and champions tests: two silos of five people
(EMEA, APAC), one of two (Platform), a customer's guest, and spaces of each kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations.models import Comment, Post
from atoll.people.models import Person
from atoll.spaces.models import Membership, Space
from tests.analytics.helpers import T0, org
from tests.factories import make_person

AS_OF = (T0 + timedelta(days=10)).date()  # 2026-03-12


@dataclass
class World:
    units: dict[str, object]
    emea: list[Person]
    apac: list[Person]
    platform: list[Person]
    guest: Person
    team_space: Space
    community: Space
    hybrid: Space


async def space(db: AsyncSession, name: str, kind: str, at: datetime) -> Space:
    made = Space(
        name=name, slug=name.lower().replace(" ", "-"), kind=kind, visibility="open", created_at=at
    )
    db.add(made)
    await db.flush()
    return made


async def post(
    db: AsyncSession, author: Person, where: Space, at: datetime, body: str, kind: str = "update"
) -> Post:
    made = Post(space_id=where.id, author_id=author.id, kind=kind, body=body, html=body)
    made.created_at = made.last_activity_at = at
    db.add(made)
    await db.flush()
    return made


async def comment(db: AsyncSession, on: Post, author: Person, at: datetime) -> Comment:
    made = Comment(post_id=on.id, author_id=author.id, body="An answer", html="An answer")
    made.created_at = at
    db.add(made)
    await db.flush()
    return made


async def world(db: AsyncSession) -> World:
    units = await org(db)
    emea = [
        await make_person(db, name=f"Emea {n}", unit_id=units["team" if n % 2 else "emea"].id)
        for n in range(5)
    ]
    apac = [await make_person(db, name=f"Apac {n}", unit_id=units["apac"].id) for n in range(5)]
    platform = [
        await make_person(db, name=f"Plat {n}", unit_id=units["platform"].id) for n in range(2)
    ]
    guest = await make_person(
        db, name="Gus", kind="external", role="guest", organization="Acme Corp", relation="customer"
    )
    start = T0 - timedelta(days=200)
    team = await space(db, "EMEA team", "unit", start)
    community = await space(db, "Guild", "community", start)
    hybrid = await space(db, "Acme Corp collaboration", "hybrid", T0 + timedelta(days=5))
    db.add(Membership(space_id=hybrid.id, person_id=emea[0].id, role="owner"))
    await db.commit()
    return World(units, emea, apac, platform, guest, team, community, hybrid)
