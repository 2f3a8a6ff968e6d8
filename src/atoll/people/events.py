"""The events people emit, in the transaction of the change (see ``atoll.events.outbox``).

``access.changed`` is a personal event, for the person it names only: something about who
they are or how they are signed in changed — their kind, role or permissions, their
activation, or a sign-in of theirs was revoked. Every open event stream of that person, on
every server, checks its sign-in and re-reads the person before it delivers anything after
this event: a revoked sign-in ends the stream, a person who became external stops getting
the events of the spaces they may no longer read. ``reason`` says what happened
(``revoked``, ``kind``, ``role``, ``deactivated``, …) for clients that want to react (a page
reloads itself); the stream does not depend on it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.outbox import record_event

ACCESS_CHANGED = "access.changed"


async def access_changed(session: AsyncSession, *, person_id: int, reason: str) -> None:
    await record_event(session, type=ACCESS_CHANGED, person_id=person_id, data={"reason": reason})
