"""The events spaces emit, in the transaction of the change (see ``atoll.events.outbox``).

``membership.changed`` is a space event, for whoever may read the space at delivery time:
- ``person_id`` and ``role`` when someone joins, is added or gets another role;
- ``person_id`` and ``removed: true`` when someone leaves or is removed (a person removed
  from a private space no longer reads it, so that event does not reach them);
- ``person_ids`` (and ``role`` or ``removed``) when a unit space is brought in step with the
  organisation tree: one event per space and direction, however many people moved.
When someone was added by someone else, its facts (``added``: an ``Added``) say who and by
whom: notifications tell them (an invitation).

``space.changed`` is a space event too, with ``visibility``, when an owner changes who can
see the space, or with ``archived: false`` when an archived space is brought back: the streams
read the space and their people's readable spaces again before they deliver anything after it
(see ``atoll.realtime.hub``).

Changes that only other domains follow, and that are not written to the log
(``run_subscribers``), each with the space as the fact ``space``:
- ``space.created`` and ``space.updated`` (its name, description or settings): search
  indexes the space again;
- ``join.requested`` (fact ``actor``: who asked): notifications tell the space's owners and
  moderators;
- ``join.answered`` (facts ``actor``: who answered, ``request``: the ``JoinRequest``, now
  approved or declined): notifications tell the person who asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.outbox import record_event, run_subscribers
from atoll.people.models import Person
from atoll.spaces.models import JoinRequest, Space

MEMBERSHIP_CHANGED = "membership.changed"
SPACE_CHANGED = "space.changed"
SPACE_CREATED = "space.created"
SPACE_UPDATED = "space.updated"
JOIN_REQUESTED = "join.requested"
JOIN_ANSWERED = "join.answered"


@dataclass(frozen=True)
class Added:
    """The facts of a ``membership.changed`` for someone another person added."""

    actor: Person
    space: Space
    person: Person
    role: str


async def membership_changed(
    session: AsyncSession, *, space_id: int, person_id: int, role: str | None
) -> None:
    """``role`` None: the person left or was removed."""
    data: dict[str, object] = {"person_id": str(person_id)}
    if role is None:
        data["removed"] = True
    else:
        data["role"] = role
    await record_event(session, type=MEMBERSHIP_CHANGED, space_id=space_id, data=data)


async def member_added(session: AsyncSession, added: Added) -> None:
    """``membership.changed`` for ``added.person``, whom ``added.actor`` added."""
    await record_event(
        session,
        type=MEMBERSHIP_CHANGED,
        space_id=added.space.id,
        data={"person_id": str(added.person.id), "role": added.role},
        facts={"added": added},
    )


async def memberships_synced(
    session: AsyncSession, *, space_id: int, person_ids: Sequence[int], role: str | None = None
) -> None:
    """Many people added (``role``) or removed (None) at once; nothing when nobody moved."""
    if not person_ids:
        return
    data: dict[str, object] = {"person_ids": [str(pid) for pid in sorted(person_ids)]}
    if role is None:
        data["removed"] = True
    else:
        data["role"] = role
    await record_event(session, type=MEMBERSHIP_CHANGED, space_id=space_id, data=data)


async def visibility_changed(session: AsyncSession, *, space_id: int, visibility: str) -> None:
    await record_event(
        session, type=SPACE_CHANGED, space_id=space_id, data={"visibility": visibility}
    )


async def space_unarchived(session: AsyncSession, *, space: Space) -> None:
    """An archived space is live again: readers' pages and the search index hear of it."""
    await record_event(session, type=SPACE_CHANGED, space_id=space.id, data={"archived": False})
    await space_updated(session, space=space)


async def space_created(session: AsyncSession, *, space: Space) -> None:
    await run_subscribers(session, type=SPACE_CREATED, space_id=space.id, facts={"space": space})


async def space_updated(session: AsyncSession, *, space: Space) -> None:
    await run_subscribers(session, type=SPACE_UPDATED, space_id=space.id, facts={"space": space})


async def join_requested(session: AsyncSession, *, actor: Person, space: Space) -> None:
    await run_subscribers(
        session,
        type=JOIN_REQUESTED,
        space_id=space.id,
        person_id=actor.id,
        facts={"actor": actor, "space": space},
    )


async def join_answered(
    session: AsyncSession, *, actor: Person, space: Space, request: JoinRequest
) -> None:
    await run_subscribers(
        session,
        type=JOIN_ANSWERED,
        space_id=space.id,
        person_id=request.person_id,
        data={"status": request.status},
        facts={"actor": actor, "space": space, "request": request},
    )
