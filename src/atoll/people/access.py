"""Access follows a person's kind: the one rule, whichever path changed it.

A person's kind changes by ``PATCH /api/v1/people/{id}``, on *People & roles* or by an
org-chart import; all three call ``do_apply_kind_changes`` with the people whose kind changed,
after writing the new kind.

Someone who became **external** loses at once everything an external may not hold:

- every membership outside hybrid spaces (unit spaces, communities, situation rooms, public
  spaces — a public space stays readable to them, as to anyone), and their pending requests
  to join such spaces; their hybrid memberships stay as they are;
- every platform permission: the admin role (they are a guest now) and analyst;
- their follows of spaces they can no longer read and of people they no longer share a
  space with (whom they can no longer see).

A space whose last owner left this way passes to its longest-standing moderator; with no
moderator it has no owner for now, and administrators manage it (as they may manage any
space). Nobody who held no role in the space is given one.

Someone who became a **member** joins the spaces of their unit.

Either way each of them gets an ``access.changed`` event (reason ``kind``), so that their open
event streams re-read who they are before delivering anything more, and each space that lost
members gets one ``membership.changed`` event naming them.

The work is set-based: a handful of statements per batch of people, however many there are
(an import hands over thousands at once)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations.models import Follow
from atoll.kit.errors import Conflict
from atoll.people.events import access_changed
from atoll.people.models import Person
from atoll.spaces import events as space_events
from atoll.spaces import policy as space_policy
from atoll.spaces.members import do_sync_unit_memberships
from atoll.spaces.models import JoinRequest, Membership, Space

BATCH = 1000  # people per statement: well within both databases' limits on bound values


def _batches(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield list(ids[start : start + BATCH])


async def active_admins_besides(session: AsyncSession, people: Collection[int]) -> int:
    """How many active administrators there are other than ``people``."""
    stmt = select(func.count()).where(Person.role == "admin", Person.is_active.is_(True))
    if people:
        stmt = stmt.where(Person.id.not_in(list(people)))
    return int(await session.scalar(stmt) or 0)


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
    for chunk in _batches(ids):
        externals += (
            await session.scalars(
                select(Person.id).where(Person.id.in_(chunk), Person.kind == "external")
            )
        ).all()
    if externals:
        await _take_away_internal_access(session, externals)
    if sync_unit_spaces and len(externals) < len(ids):
        await do_sync_unit_memberships(session)
    for pid in ids:
        await access_changed(session, person_id=pid, reason="kind")
    await session.flush()


async def _take_away_internal_access(session: AsyncSession, ids: list[int]) -> None:
    await _take_away_permissions(session, ids)
    removed: dict[int, list[int]] = {}
    orphaned: set[int] = set()  # spaces that lost an owner
    internal_only = select(Space.id).where(~space_policy.spaces_externals_may_belong_to())
    for chunk in _batches(ids):
        gone = await session.execute(
            delete(Membership)
            .where(Membership.person_id.in_(chunk), Membership.space_id.in_(internal_only))
            .returning(Membership.space_id, Membership.person_id, Membership.role)
        )
        for space_id, person_id, role in gone.tuples().all():
            removed.setdefault(space_id, []).append(person_id)
            if role == "owner":
                orphaned.add(space_id)
        await session.execute(
            delete(JoinRequest).where(
                JoinRequest.person_id.in_(chunk),
                JoinRequest.status == "pending",
                JoinRequest.space_id.in_(internal_only),
            )
        )
    for space_id, person_ids in sorted(removed.items()):
        await space_events.memberships_synced(session, space_id=space_id, person_ids=person_ids)
    # Follows once every membership is gone: who shares a space with whom is settled then.
    for chunk in _batches(ids):
        await _drop_follows(session, chunk)
    await _pass_on_ownership(session, sorted(orphaned))


async def _take_away_permissions(session: AsyncSession, ids: list[int]) -> None:
    """Admin role → guest, analyst off, no unit; never the last active administrator."""
    admins: list[int] = []
    for chunk in _batches(ids):
        admins += (
            await session.scalars(
                select(Person.id).where(
                    Person.id.in_(chunk), Person.role == "admin", Person.is_active.is_(True)
                )
            )
        ).all()
    if admins and not await active_admins_besides(session, admins):
        raise Conflict(
            "This would leave no active administrator; make someone else an admin first."
        )
    for chunk in _batches(ids):
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


async def _drop_follows(session: AsyncSession, chunk: list[int]) -> None:
    """Follows of spaces an external no longer reads and of people they no longer see."""
    readable = exists().where(
        Space.id == Follow.target_id,
        space_policy.readable_spaces_of("external", Follow.follower_id),
    )
    await session.execute(
        delete(Follow).where(
            Follow.follower_id.in_(chunk), Follow.target_type == "space", ~readable
        )
    )
    await session.execute(
        delete(Follow).where(
            Follow.follower_id.in_(chunk),
            Follow.target_type == "person",
            Follow.target_id != Follow.follower_id,
            ~space_policy.share_a_space(Follow.follower_id, Follow.target_id),
        )
    )


async def _pass_on_ownership(session: AsyncSession, space_ids: list[int]) -> None:
    """Each space left without an owner gets its longest-standing active moderator as owner."""
    if not space_ids:
        return
    owner = Membership.__table__.alias("owner")
    candidates = await session.execute(
        select(Membership.space_id, Membership.person_id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.space_id.in_(space_ids),
            Membership.role == "moderator",
            Person.is_active.is_(True),
            ~exists().where(and_(owner.c.space_id == Membership.space_id, owner.c.role == "owner")),
        )
        .order_by(Membership.space_id, Membership.created_at, Membership.person_id)
    )
    heirs: dict[int, int] = {}
    for space_id, person_id in candidates.tuples().all():
        heirs.setdefault(space_id, person_id)
    if not heirs:
        return
    await session.execute(
        update(Membership),
        [
            {"space_id": sid, "person_id": pid, "role": "owner"}
            for sid, pid in sorted(heirs.items())
        ],
    )
    for space_id, person_id in sorted(heirs.items()):
        await space_events.membership_changed(
            session, space_id=space_id, person_id=person_id, role="owner"
        )
