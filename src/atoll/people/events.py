"""The events people emit, in the transaction of the change (see ``atoll.events.outbox``).

``access.changed`` is a personal event, for the person it names only: something about who
they are or how they are signed in changed — their kind, role or permissions, their
activation, or a sign-in of theirs was revoked. Every open event stream of that person, on
every server, checks its sign-in and re-reads the person before it delivers anything after
this event: a revoked sign-in ends the stream, a person who became external stops getting
the events of the spaces they may no longer read. ``reason`` says what happened
(``revoked``, ``kind``, ``role``, ``deactivated``, …) for clients that want to react (a page
reloads itself); the stream does not depend on it.

Two changes are followed by other domains only, and are not written to the log
(``run_subscribers``): the streams hear of what follows them through ``access.changed`` and
the spaces' ``membership.changed``, as before.

``people.changed``: people were added or changed, one by hand or any number by an import.
Its facts (``change``: a ``PeopleChanged``) say who: search indexes them again; and whether
anyone's place changed (a unit, an activation, a new member with a unit): spaces bring the
unit spaces in step.

``kind.changed``: people's kind changed (``access.do_apply_kind_changes``), once their
platform permissions are taken away. Its facts (``change``: a ``KindChanged``) name who
became external — spaces take away their memberships outside hybrid spaces and their pending
requests and pass on what they owned, then conversations drop their follows of what they may
no longer read or see — and who became a member, whom spaces add to their unit's spaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.outbox import record_event, run_subscribers
from atoll.people.models import Person

ACCESS_CHANGED = "access.changed"
PEOPLE_CHANGED = "people.changed"
KIND_CHANGED = "kind.changed"


@dataclass(frozen=True)
class PeopleChanged:
    """The facts of ``people.changed``."""

    people: Sequence[Person] = ()  # changed by hand, loaded as they are now
    everyone: bool = False  # an import: anyone may have changed
    placed: bool = False  # someone's unit or activation changed: unit spaces follow


@dataclass(frozen=True)
class KindChanged:
    """The facts of ``kind.changed``."""

    externals: Sequence[int]  # who became external
    members: Sequence[int]  # who became a member
    sync_unit_spaces: bool  # False: the caller brings every unit space in step itself


async def access_changed(session: AsyncSession, *, person_id: int, reason: str) -> None:
    await record_event(session, type=ACCESS_CHANGED, person_id=person_id, data={"reason": reason})


async def people_changed(session: AsyncSession, change: PeopleChanged) -> None:
    await run_subscribers(session, type=PEOPLE_CHANGED, facts={"change": change})


async def kind_changed(session: AsyncSession, change: KindChanged) -> None:
    await run_subscribers(session, type=KIND_CHANGED, facts={"change": change})
