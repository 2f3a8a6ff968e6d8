"""A small organisation in which one member, Ana, belongs to every kind of space, follows
spaces and people, holds every platform permission and owns spaces — so that a test can make
her external by any path (API, page, import) and check what she keeps."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations.follows import do_follow
from atoll.conversations.models import Follow
from atoll.events.models import Event
from atoll.kit.time import utcnow
from atoll.people import service as people_service
from atoll.people.models import Person
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces
from atoll.spaces.models import JoinRequest, Membership, Space
from tests.factories import HASHING, access_to, make_person, make_unit


@dataclass(frozen=True)
class Who:
    """A person as the tests name them: plain values that outlive any session."""

    id: int
    email: str
    name: str


@dataclass
class World:
    admin: Who
    ana: Who  # a member, admin and analyst, who is about to become external
    ben: Who  # moderator of the Leadership Circle, with Ana in the Acme project
    cy: Who  # a plain member beside Ana in "Ana's corner"
    dora: Who  # shares only the guild with Ana
    marta: Who  # Acme Corp's guest in the Acme project
    sales_id: int
    space_ids: dict[str, int]  # by name

    def id_of(self, name: str) -> int:
        return self.space_ids[name]


async def build_world(db: AsyncSession) -> World:
    sales = await make_unit(db, "Sales")
    admin = await make_person(db, name="Ada Admin", role="admin")
    ana = await make_person(db, name="Ana Silva", unit_id=sales.id)
    ben = await make_person(db, name="Ben Okafor", unit_id=sales.id)
    cy = await make_person(db, name="Cy Young")
    dora = await make_person(db, name="Dora Lind")
    marta = await make_person(db, name="Marta Kühn", kind="external", organization="Acme Corp")
    await people_service.do_update_person(
        db, actor=admin, person=ana, changes={"role": "admin", "is_analyst": True}, hashing=HASHING
    )

    async def space(name: str, owner: Person, **kw: Any) -> Space:
        return await spaces.do_create_space(db, actor=owner, name=name, **kw)

    in_a_day = utcnow() + timedelta(days=1)  # a situation room must close in the future

    made = {
        "Sales team": await space(
            "Sales team", admin, kind="unit", visibility="open", unit_id=sales.id
        ),
        "Python Guild": await space("Python Guild", dora, kind="community", visibility="open"),
        "Tech Talks": await space("Tech Talks", dora, kind="community", visibility="open"),
        "Leadership Circle": await space(
            "Leadership Circle", ana, kind="community", visibility="private"
        ),
        "Ana's corner": await space("Ana's corner", ana, kind="community", visibility="secret"),
        "Outage room": await space(
            "Outage room", cy, kind="situation", visibility="private", closes_at=in_a_day
        ),
        "Acme project": await space("Acme project", ben, kind="hybrid", visibility="private"),
        "Open House": await space("Open House", admin, kind="public", visibility="open"),
        "Board": await space("Board", admin, kind="community", visibility="private"),
    }
    circle, corner, acme = made["Leadership Circle"], made["Ana's corner"], made["Acme project"]
    await space_members.do_add_member(
        db, access=await access_to(db, ana, circle), person_id=ben.id, role="moderator"
    )
    await space_members.do_add_member(db, access=await access_to(db, ana, circle), person_id=cy.id)
    await space_members.do_add_member(db, access=await access_to(db, ana, corner), person_id=cy.id)
    await space_members.do_add_member(
        db, access=await access_to(db, cy, made["Outage room"]), person_id=ana.id
    )
    await space_members.do_add_member(db, access=await access_to(db, ben, acme), person_id=ana.id)
    await space_members.do_add_member(db, access=await access_to(db, ben, acme), person_id=marta.id)
    await space_members.do_join(db, actor=ana, space=made["Python Guild"])
    await space_members.do_join(db, actor=ana, space=made["Open House"])
    assert await space_members.do_join(db, actor=ana, space=made["Board"]) == "requested"
    for target_type, target in (
        ("space", made["Tech Talks"]),  # open to members, not hers
        ("space", made["Open House"]),  # public: stays readable
        ("space", acme),
        ("person", dora),  # shares the guild only
        ("person", marta),  # shares the Acme project
        ("person", ben),  # shares the Acme project too
    ):
        await do_follow(db, actor=ana, target_type=target_type, target_id=target.id)
    await db.commit()
    who = [Who(p.id, p.email, p.name) for p in (admin, ana, ben, cy, dora, marta)]
    return World(*who, sales_id=sales.id, space_ids={name: s.id for name, s in made.items()})


@dataclass
class Access:
    kind: str
    role: str
    is_analyst: bool
    unit_id: int | None
    memberships: dict[str, str]  # space name → role
    follows: set[str]  # "space:Name" / "person:Name"
    pending: set[str]  # spaces asked to join


async def access_of(db: AsyncSession, person_id: int) -> Access:
    """What a person holds, read fresh from the database."""
    await db.rollback()
    person = await db.get(Person, person_id, populate_existing=True)
    assert person is not None
    memberships = dict(
        (
            await db.execute(
                select(Space.name, Membership.role)
                .join(Membership, Membership.space_id == Space.id)
                .where(Membership.person_id == person_id)
            )
        )
        .tuples()
        .all()
    )
    spaces_followed = (
        await db.scalars(
            select(Space.name)
            .join(Follow, Follow.target_id == Space.id)
            .where(Follow.follower_id == person_id, Follow.target_type == "space")
        )
    ).all()
    people_followed = (
        await db.scalars(
            select(Person.name)
            .join(Follow, Follow.target_id == Person.id)
            .where(Follow.follower_id == person_id, Follow.target_type == "person")
        )
    ).all()
    pending = (
        await db.scalars(
            select(Space.name)
            .join(JoinRequest, JoinRequest.space_id == Space.id)
            .where(JoinRequest.person_id == person_id, JoinRequest.status == "pending")
        )
    ).all()
    return Access(
        kind=person.kind,
        role=person.role,
        is_analyst=person.is_analyst,
        unit_id=person.unit_id,
        memberships=memberships,
        follows={f"space:{n}" for n in spaces_followed} | {f"person:{n}" for n in people_followed},
        pending=set(pending),
    )


async def roles_in(db: AsyncSession, space_id: int) -> dict[str, str]:
    rows = await db.execute(
        select(Person.name, Membership.role)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.space_id == space_id)
    )
    return dict(rows.tuples().all())


async def events_after(
    db: AsyncSession, position: int
) -> list[tuple[str, int | None, int | None, dict[str, Any]]]:
    """(type, space id, person id, data) of the events after ``position``, notifications
    left out."""
    rows = (await db.scalars(select(Event).where(Event.id > position).order_by(Event.id))).all()
    return [
        (r.type, r.space_id, r.person_id, json.loads(r.data))
        for r in rows
        if r.type != "notification"
    ]


async def newest_event(db: AsyncSession) -> int:
    return max([0, *(await db.scalars(select(Event.id))).all()])


async def assert_lost_internal_access(db: AsyncSession, world: World, since: int) -> None:
    """Ana, now external, holds only what an external may: her hybrid membership, no platform
    permission, follows of what she can still read and see; and the events say so."""
    ana = await access_of(db, world.ana.id)
    assert (ana.kind, ana.role, ana.is_analyst, ana.unit_id) == ("external", "guest", False, None)
    assert ana.memberships == {"Acme project": "member"}
    assert ana.follows == {
        "space:Open House",
        "space:Acme project",
        "person:Marta Kühn",
        "person:Ben Okafor",
    }
    assert ana.pending == set()
    # The circle passes to its moderator; her secret corner has no owner left (admins manage it).
    assert await roles_in(db, world.id_of("Leadership Circle")) == {
        "Ben Okafor": "owner",
        "Cy Young": "member",
    }
    assert await roles_in(db, world.id_of("Ana's corner")) == {"Cy Young": "member"}

    events = await events_after(db, since)
    removed = {
        space_id: data["person_ids"]
        for type_, space_id, _, data in events
        if type_ == "membership.changed" and data.get("removed")
    }
    left = {
        "Sales team",
        "Python Guild",
        "Leadership Circle",
        "Ana's corner",
        "Outage room",
        "Open House",
    }
    assert removed == {world.id_of(name): [str(world.ana.id)] for name in left}
    assert (
        "membership.changed",
        world.id_of("Leadership Circle"),
        None,
        {"person_id": str(world.ben.id), "role": "owner"},
    ) in events
    assert ("access.changed", None, world.ana.id, {"reason": "kind"}) in events
