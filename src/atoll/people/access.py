"""Access follows a person's kind: the one rule, whichever path changed it.

A person's kind changes by ``PATCH /api/v1/people/{id}``, on *People & roles* or by an
org-chart import; all three call ``do_apply_kind_changes`` with the people whose kind changed,
after writing the new kind.

Someone who became **external** loses at once everything an external may not hold:

- every platform permission: the admin role (they are a guest now) and analyst — here, in
  the people's own rows;
- every membership outside hybrid spaces (unit spaces, communities, situation rooms, public
  spaces — a public space stays readable to them, as to anyone), and their pending requests
  to join such spaces; their hybrid memberships stay as they are. A space whose last owner
  left this way passes to its longest-standing moderator; with no moderator it has no owner
  for now, and administrators manage it (as they may manage any space). Nobody who held no
  role in the space is given one;
- their follows of spaces they can no longer read and of people they no longer share a
  space with (whom they can no longer see).

Someone who became a **member** joins the spaces of their unit.

The spaces and the follows are other domains': they follow the ``kind.changed`` change (see
``atoll.people.events``), in the same transaction. Each space that lost members gets one
``membership.changed`` event naming them, and each person an ``access.changed`` event
(reason ``kind``), so that their open event streams re-read who they are before delivering
anything more.

The work is set-based: a handful of statements per batch of people, however many there are
(an import hands over thousands at once)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.batches import batches
from atoll.kit.errors import Conflict
from atoll.people.events import KindChanged, access_changed, kind_changed
from atoll.people.models import Person


async def active_admins_besides(session: AsyncSession, people: Collection[int]) -> int:
    """How many active administrators there are other than ``people``."""
    stmt = select(func.count()).where(Person.role == "admin", Person.is_active.is_(True))
    if people:
        stmt = stmt.where(Person.id.not_in(list(people)))
    return int(await session.scalar(stmt) or 0)


async def check_an_admin_remains(
    session: AsyncSession, person_ids: Sequence[int], message: str
) -> None:
    """Conflict (``message``) when taking ``person_ids`` out of the active administrators
    would leave none."""
    admins: list[int] = []
    for chunk in batches(person_ids):
        admins += (
            await session.scalars(
                select(Person.id).where(
                    Person.id.in_(chunk), Person.role == "admin", Person.is_active.is_(True)
                )
            )
        ).all()
    if admins and not await active_admins_besides(session, admins):
        raise Conflict(message)


async def do_apply_kind_changes(
    session: AsyncSession, *, person_ids: Iterable[int], sync_unit_spaces: bool = True
) -> None:
    """Bring the access of people whose kind just changed in line with their new kind (see
    the module's docstring). Raises Conflict, changing nothing more, when it would leave the
    organisation without an active administrator; callers check that first and say which
    person or row it is.

    ``sync_unit_spaces=False`` is for a caller that brings every unit space in step itself
    right after (the importer): the new members join their unit's spaces then."""
    ids = sorted(set(person_ids))
    if not ids:
        return
    externals: list[int] = []
    for chunk in batches(ids):
        externals += (
            await session.scalars(
                select(Person.id).where(Person.id.in_(chunk), Person.kind == "external")
            )
        ).all()
    if externals:
        await _take_away_permissions(session, externals)
    members = sorted(set(ids) - set(externals))
    await kind_changed(session, KindChanged(externals, members, sync_unit_spaces))
    for pid in ids:
        await access_changed(session, person_id=pid, reason="kind")
    await session.flush()


async def _take_away_permissions(session: AsyncSession, ids: list[int]) -> None:
    """Admin role → guest, analyst off, no unit; never the last active administrator."""
    await check_an_admin_remains(
        session,
        ids,
        "This would leave no active administrator; make someone else an admin first.",
    )
    for chunk in batches(ids):
        await session.execute(
            update(Person)
            .where(
                Person.id.in_(chunk),
                or_(
                    Person.role != "guest",
                    Person.is_analyst.is_(True),
                    Person.unit_id.is_not(None),
                ),
            )
            .values(role="guest", is_analyst=False, unit_id=None)
            .execution_options(synchronize_session="fetch")
        )
