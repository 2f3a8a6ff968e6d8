"""The events spaces emit, in the transaction of the change (see ``atoll.events.outbox``).

``membership.changed`` is a space event, for whoever may read the space at delivery time:
- ``person_id`` and ``role`` when someone joins, is added or gets another role;
- ``person_id`` and ``removed: true`` when someone leaves or is removed (a person removed
  from a private space no longer reads it, so that event does not reach them);
- ``person_ids`` (and ``role`` or ``removed``) when a unit space is brought in step with the
  organisation tree: one event per space and direction, however many people moved.

``space.changed`` is a space event too, with ``visibility``, when an owner changes who can
see the space: the streams read their people's readable spaces again before they deliver
anything after it (see ``atoll.realtime.hub``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.outbox import record_event


async def membership_changed(
    session: AsyncSession, *, space_id: int, person_id: int, role: str | None
) -> None:
    """``role`` None: the person left or was removed."""
    data: dict[str, object] = {"person_id": str(person_id)}
    if role is None:
        data["removed"] = True
    else:
        data["role"] = role
    await record_event(session, type="membership.changed", space_id=space_id, data=data)


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
    await record_event(session, type="membership.changed", space_id=space_id, data=data)


async def visibility_changed(session: AsyncSession, *, space_id: int, visibility: str) -> None:
    await record_event(
        session, type="space.changed", space_id=space_id, data={"visibility": visibility}
    )
