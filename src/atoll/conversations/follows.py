"""Following people and spaces: their posts then reach the follower's feed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations.models import Follow
from atoll.kit.errors import Invalid, NotFound
from atoll.kit.ids import parse_id
from atoll.people import service as people_service
from atoll.people.models import Person
from atoll.spaces import policy
from atoll.spaces import service as spaces_service
from atoll.spaces.models import Space
from atoll.spaces.policy import visible_people

FOLLOW_TYPES = ("person", "space")


@dataclass
class Followed:
    """Something the viewer follows: ``type`` person or space, its id and its name."""

    type: str
    id: int
    name: str


async def _follow_target(
    session: AsyncSession, *, actor: Person, target_type: str, target_id: int | str
) -> int:
    if target_type == "person":
        person = await people_service.access_person(
            session, visible=visible_people(actor), person_id=target_id
        )
        if person.id == actor.id:
            raise Invalid.field("id", "you cannot follow yourself")
        return person.id
    if target_type == "space":
        access = await spaces_service.access_readable_space(
            session, viewer=actor, space_id=target_id
        )
        return access.space.id
    raise NotFound("One can follow a person or a space.")


async def do_follow(
    session: AsyncSession, *, actor: Person, target_type: str, target_id: int | str
) -> None:
    """Follow a person the actor may see or a space they can read (their posts then reach
    the actor's feed). Following twice changes nothing."""
    tid = await _follow_target(session, actor=actor, target_type=target_type, target_id=target_id)
    if await session.get(Follow, (actor.id, target_type, tid)) is None:
        session.add(Follow(follower_id=actor.id, target_type=target_type, target_id=tid))
        await session.flush()


async def do_unfollow(
    session: AsyncSession, *, actor: Person, target_type: str, target_id: int | str
) -> None:
    """Stop following; not following already is fine."""
    if target_type not in FOLLOW_TYPES:
        raise NotFound("One can follow a person or a space.")
    tid = parse_id(target_id)
    if tid is None:
        raise NotFound(f"No such {target_type}.")
    await session.execute(
        delete(Follow).where(
            Follow.follower_id == actor.id,
            Follow.target_type == target_type,
            Follow.target_id == tid,
        )
    )


async def is_following(
    session: AsyncSession, *, viewer: Person, target_type: str, target_id: int
) -> bool:
    return await session.get(Follow, (viewer.id, target_type, target_id)) is not None


async def follows_of(session: AsyncSession, *, viewer: Person) -> list[Followed]:
    """What the viewer follows, people then spaces, by name (two queries). Spaces they can no
    longer read and people they can no longer see are left out."""
    people = await session.execute(
        select(Person.id, Person.name)
        .join(Follow, Follow.target_id == Person.id)
        .where(
            Follow.follower_id == viewer.id, Follow.target_type == "person", visible_people(viewer)
        )
        .order_by(Person.name, Person.id)
    )
    spaces = await session.execute(
        select(Space.id, Space.name)
        .join(Follow, Follow.target_id == Space.id)
        .where(
            Follow.follower_id == viewer.id,
            Follow.target_type == "space",
            policy.readable_spaces(viewer),
        )
        .order_by(Space.name, Space.id)
    )
    return [Followed("person", i, n) for i, n in people.tuples().all()] + [
        Followed("space", i, n) for i, n in spaces.tuples().all()
    ]
