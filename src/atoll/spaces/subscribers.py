"""What spaces do when people change (``atoll.people.events``), in the same transaction:

- someone's place changed (a unit, an activation, a new member with a unit, an import): the
  unit spaces are brought in step with the organisation tree;
- someone became external: they lose every membership outside hybrid spaces and their
  pending requests to join such spaces, and a space whose last owner left this way passes to
  its longest-standing active moderator (see ``atoll.people.access``);
- someone became a member: they join their unit's spaces.

Set-based: a handful of statements per batch of people, however many there are."""

from __future__ import annotations

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.outbox import Recorded, Subscriber
from atoll.kit.batches import batches
from atoll.people.events import KIND_CHANGED, PEOPLE_CHANGED, KindChanged, PeopleChanged
from atoll.people.models import Person
from atoll.spaces import events
from atoll.spaces import policy as space_policy
from atoll.spaces.members import do_sync_unit_memberships
from atoll.spaces.models import JoinRequest, Membership, Space


def subscriptions() -> list[tuple[str, Subscriber]]:
    return [
        (PEOPLE_CHANGED, keep_unit_spaces_in_step),
        (KIND_CHANGED, follow_kind_changes),
    ]


async def keep_unit_spaces_in_step(session: AsyncSession, recorded: Recorded) -> None:
    change: PeopleChanged = recorded.facts["change"]
    if change.placed:
        await do_sync_unit_memberships(session)


async def follow_kind_changes(session: AsyncSession, recorded: Recorded) -> None:
    change: KindChanged = recorded.facts["change"]
    if change.externals:
        await _take_away_internal_memberships(session, list(change.externals))
    if change.sync_unit_spaces and change.members:
        await do_sync_unit_memberships(session)


async def _take_away_internal_memberships(session: AsyncSession, ids: list[int]) -> None:
    """Memberships and pending requests outside the spaces externals may belong to; one
    ``membership.changed`` per space that lost members; ownership passed on."""
    removed: dict[int, list[int]] = {}
    orphaned: set[int] = set()  # spaces that lost an owner
    internal_only = select(Space.id).where(~space_policy.spaces_externals_may_belong_to())
    for chunk in batches(ids):
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
        await events.memberships_synced(session, space_id=space_id, person_ids=person_ids)
    await _pass_on_ownership(session, sorted(orphaned))


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
        await events.membership_changed(
            session, space_id=space_id, person_id=person_id, role="owner"
        )
