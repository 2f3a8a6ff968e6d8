"""Where a search may look: the spaces the search page offers as a filter, and the space a
search was narrowed to — each only if the viewer may read it (``spaces.policy``)."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.ids import parse_id
from atoll.people.models import Person
from atoll.spaces.models import Membership, Space
from atoll.spaces.policy import readable_spaces

MAX_SPACE_CHOICES = 100


async def filter_spaces(
    session: AsyncSession, *, viewer: Person, limit: int = MAX_SPACE_CHOICES
) -> list[tuple[int, str]]:
    """(id, name) of the spaces the viewer belongs to and may read, by name: a bounded list
    (any other readable space can still be chosen from its page)."""
    mine = exists().where(Membership.space_id == Space.id, Membership.person_id == viewer.id)
    rows = await session.execute(
        select(Space.id, Space.name)
        .where(readable_spaces(viewer), mine)
        .order_by(Space.name, Space.id)
        .limit(limit)
    )
    return [(int(i), str(n)) for i, n in rows.tuples()]


async def chosen_space(
    session: AsyncSession, *, viewer: Person, space: str
) -> tuple[int, str] | None:
    """(id, name) of the space a search is narrowed to, if the viewer may read it. A space
    they may not read and one that does not exist are both simply not found."""
    space_id = parse_id(space)
    if space_id is None:
        return None
    found = select(Space.id, Space.name).where(Space.id == space_id, readable_spaces(viewer))
    row = (await session.execute(found)).first()
    return None if row is None else (int(row[0]), str(row[1]))
