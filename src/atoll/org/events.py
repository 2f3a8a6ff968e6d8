"""What the organisation tree tells other domains when it changes (``units.changed``).

It runs its subscribers in the caller's transaction and writes nothing to the event log
(``run_subscribers``): no event stream needs it; the spaces follow it —

- ``created``: new units (by hand, on the page, by an import). A new unit gets its unit space
  at the levels that have them (``ATOLL_UNIT_SPACE_LEVELS``).
- ``renamed``: units and the name they had; a unit space still called by the old name takes
  the new one.
- ``removed``: units about to be deleted (emptied, or merged into another). Their unit spaces
  are archived: read-only, their conversations and wiki kept for those who were in them; the
  people moved into the other unit join that unit's space instead.

Moves (of units or of people) are ``people.changed`` with ``placed``: the unit spaces' members
follow the tree as it is afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.outbox import run_subscribers

UNITS_CHANGED = "units.changed"


@dataclass(frozen=True)
class UnitsChanged:
    """The facts of ``units.changed``."""

    created: Sequence[int] = ()
    renamed: Sequence[tuple[int, str]] = ()  # (unit id, its name before)
    removed: Sequence[int] = ()


async def units_changed(session: AsyncSession, change: UnitsChanged) -> None:
    if change.created or change.renamed or change.removed:
        await run_subscribers(session, type=UNITS_CHANGED, facts={"change": change})
