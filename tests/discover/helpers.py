"""A small organisation for the discovery tests: Engineering and Sales (both silos at the
default silo level), people in each, and helpers that act through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.service import record_interaction
from atoll.conversations import service as conversations
from atoll.conversations.models import Comment, Post
from atoll.org.models import Unit
from atoll.people import service as people
from atoll.people.models import Person
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces
from atoll.spaces.models import Space
from tests.factories import LOOKBACK_DAYS, SILO_LEVEL, access_to, make_person, make_unit


@dataclass
class Org:
    eng: Unit
    sales: Unit
    vera: Person  # the viewer, in Engineering
    sam: Person  # Engineering, like Vera
    ana: Person  # Sales
    bob: Person  # Sales
    admin: Person


async def org(db: AsyncSession) -> Org:
    # Departments (level 2) of one division: a unit above the silo level is in no silo.
    division = await make_unit(db, "Operations")
    eng = await make_unit(db, "Engineering", parent=division)
    sales = await make_unit(db, "Sales", parent=division)
    return Org(
        eng=eng,
        sales=sales,
        vera=await make_person(db, name="Vera Viewer", unit_id=eng.id),
        sam=await make_person(db, name="Sam Same", unit_id=eng.id),
        ana=await make_person(db, name="Ana Silva", unit_id=sales.id),
        bob=await make_person(db, name="Bob Berg", unit_id=sales.id),
        admin=await make_person(db, name="Ada Admin", role="admin"),
    )


async def space(db: AsyncSession, owner: Person, name: str, **kw: Any) -> Space:
    made = await spaces.do_create_space(
        db, actor=owner, name=name, **{"kind": "community", "visibility": "open", **kw}
    )
    await db.commit()
    return made


async def join(db: AsyncSession, person: Person, where: Space) -> None:
    assert await space_members.do_join(db, actor=person, space=where) == "joined"
    await db.commit()


async def post(
    db: AsyncSession, author: Person, where: Space, body: str = "Hello", kind: str = "update"
) -> Post:
    made = await conversations.do_create_post(db, author=author, space=where, body=body, kind=kind)
    await db.commit()
    return made


async def comment(
    db: AsyncSession, author: Person, on: Post, where: Space, body: str = "Nice"
) -> Comment:
    made = await conversations.do_comment(
        db, access=await access_to(db, author, where), post=on, body=body
    )
    await db.commit()
    return made


async def tie(db: AsyncSession, actor: Person, target: Person) -> None:
    """One interaction now (a mention outside any space): the two work together."""
    assert await record_interaction(
        db,
        kind="mention",
        actor=actor,
        target=target,
        space=None,
        silo_level=SILO_LEVEL,
        lookback_days=LOOKBACK_DAYS,
    )
    await db.commit()


async def skills(db: AsyncSession, person: Person, *names: str) -> None:
    await people.do_set_skills(db, person=person, skills=names)
    await db.commit()
