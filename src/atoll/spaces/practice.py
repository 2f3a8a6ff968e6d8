"""A person's practice space: a space of kind ``practice`` that only its owner sees, to try
Markdown, mentions, questions and the wiki without an audience. One per member, made on first
use (``do_open_practice_space``); nobody else can join it or be invited, and nobody else —
not even an administrator — knows it exists (``policy.RULES``: 404 to everyone else). The
welcome post that teaches is conversations' (``atoll.conversations.practice``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import Forbidden, Invalid
from atoll.people.models import Person
from atoll.spaces import events, policy
from atoll.spaces.models import CREATABLE_KINDS, Membership, Space
from atoll.spaces.policy import SpaceAccess

PRACTICE = "practice"
NAME = "My practice space"
DESCRIPTION = (
    "Only you can see this space. Try Markdown, mentions, questions and the wiki here: "
    "nothing you write notifies anyone or counts anywhere."
)


def check_creatable(kind: str) -> None:
    """Spaces are started of the creatable kinds; a practice space is made for its owner."""
    if kind not in CREATABLE_KINDS:
        raise Invalid.field("kind", f"must be one of {', '.join(CREATABLE_KINDS)}")


def slug_for(person: Person) -> str:
    """A practice space's slug names its owner by id: the unique slug keeps it one each."""
    return f"practice-{person.id}"


async def practice_space_of(session: AsyncSession, *, person: Person) -> Space | None:
    return await session.scalar(
        select(Space)
        .join(Membership, Membership.space_id == Space.id)
        .where(
            Space.kind == PRACTICE,
            Space.slug == slug_for(person),
            Membership.person_id == person.id,
        )
    )


async def do_open_practice_space(
    session: AsyncSession, *, person: Person
) -> tuple[SpaceAccess, bool]:
    """The person's practice space, made now if they have none (then ``True``): a secret
    space of kind ``practice`` with its owner as its one member. Members only."""
    if person.kind != "member":
        raise Forbidden("Practice spaces are for members of the organisation.")
    space = await practice_space_of(session, person=person)
    made = space is None
    if space is None:
        try:
            async with session.begin_nested():  # two first visits at once: one makes it
                space = await _make(session, person)
        except IntegrityError:  # the other request made it (its unique slug): read theirs
            space = await practice_space_of(session, person=person)
            if space is None:
                raise
            made = False
        else:
            await events.space_created(session, space=space)
    return policy.space_access(person, space, "owner"), made


async def _make(session: AsyncSession, person: Person) -> Space:
    space = Space(
        name=NAME,
        slug=slug_for(person),
        description=DESCRIPTION,
        kind=PRACTICE,
        visibility="secret",
        created_by_id=person.id,
    )
    session.add(space)
    await session.flush()
    session.add(Membership(space_id=space.id, person_id=person.id, role="owner"))
    await session.flush()  # no audit entry: nobody else may learn that it exists
    return space
