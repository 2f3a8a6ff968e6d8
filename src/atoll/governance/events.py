"""The events the moderation queue makes.

- ``moderation.changed`` (in the log, one per handler): a report was made or resolved where
  that person handles reports. Each is for one person (``person_id``) and, for content, only
  while they may read its space (``space_id``), so the open queue page of each handler — and
  nobody else's stream — hears of it: no reader of the space learns that something was
  reported. Data: ``{"why": "reported" | "resolved"}``; the page fetches the queue again.
- ``report.resolved`` (not in the log: ``run_subscribers``): the notifications follow it to
  tell the author and every reporter. Data (plain values, read by ``atoll.notifications``):
  ``action``, ``note``, ``reasons``, ``target_type``, ``target_id``, ``space_id``,
  ``author_id``, ``reporter_ids``, ``post_id``, ``comment_id`` (what the author may still
  open), ``days`` and ``until`` for a suspension.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.outbox import record_event, run_subscribers
from atoll.people.models import Person
from atoll.people.policy import PLATFORM_MODERATORS
from atoll.spaces import policy as space_policy
from atoll.spaces.models import Membership, Space
from atoll.spaces.policy import MANAGERS

MODERATION_CHANGED = "moderation.changed"
REPORT_RESOLVED = "report.resolved"


async def handlers_of(session: AsyncSession, *, space_id: int | None) -> list[int]:
    """The people who handle reports on content of ``space_id`` (None: on people): its owners
    and moderators, and the platform moderators and administrators who may read it."""
    moderators = Person.role.in_(PLATFORM_MODERATORS) & Person.is_active.is_(True)
    if space_id is None:
        return list(await session.scalars(select(Person.id).where(moderators)))
    space = await session.get(Space, space_id)
    if space is None:
        return []
    managing = select(Membership.person_id).where(
        Membership.space_id == space_id, Membership.role.in_(MANAGERS)
    )
    stmt = select(Person.id).where(
        Person.is_active.is_(True),
        or_(Person.id.in_(managing), moderators & space_policy.readers_of(space)),
    )
    return list(await session.scalars(stmt))


async def queue_changed(session: AsyncSession, *, space_id: int | None, why: str) -> None:
    """Tell every handler's open queue page, live, and only them."""
    for person_id in await handlers_of(session, space_id=space_id):
        await record_event(
            session,
            type=MODERATION_CHANGED,
            person_id=person_id,
            space_id=space_id,
            data={"why": why},
        )


async def report_resolved(session: AsyncSession, data: dict[str, Any]) -> None:
    await run_subscribers(session, type=REPORT_RESOLVED, data=data)
