"""Unit spaces follow the organisation tree (``units.changed``, see ``atoll.org.events``), in
the same transaction:

- a new unit gets its unit space when its level is one that has them: the levels
  ``ATOLL_UNIT_SPACE_LEVELS`` names or, when it names none, the levels at which the
  organisation already has a unit space (the demo: departments and teams). The space is open,
  named after the unit, without an owner (administrators manage it, as any space), and holds
  the unit's people;
- a renamed unit's space, while it still bears the unit's old name, takes the new one;
- a deleted unit's space (a unit deleted empty, or merged into another) is archived: it stays
  readable, with its conversations and wiki, to those who were in it, and nobody writes in it
  any more; it no longer follows any unit. The people of a merged unit join the other unit's
  space with the move.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.outbox import Recorded, Subscriber
from atoll.kit.time import utcnow
from atoll.org.events import UNITS_CHANGED, UnitsChanged
from atoll.org.models import Unit
from atoll.spaces import events
from atoll.spaces.members import do_sync_unit_memberships
from atoll.spaces.models import Space
from atoll.spaces.service import unique_slug


@dataclass(frozen=True)
class UnitSpaceLevels:
    """The levels of the tree whose units get a unit space when they are created; None: the
    levels that have one already."""

    levels: frozenset[int] | None = None


def subscriptions(rule: UnitSpaceLevels) -> list[tuple[str, Subscriber]]:
    return [(UNITS_CHANGED, partial(follow_units, rule))]


async def follow_units(rule: UnitSpaceLevels, session: AsyncSession, recorded: Recorded) -> None:
    change: UnitsChanged = recorded.facts["change"]
    if change.removed:
        await _archive_spaces_of(session, list(change.removed))
    if change.renamed:
        await _rename_spaces(session, list(change.renamed))
    if change.created:
        await _open_spaces_for(session, rule, list(change.created))


async def _levels(session: AsyncSession, rule: UnitSpaceLevels) -> frozenset[int]:
    if rule.levels is not None:
        return rule.levels
    rows = await session.scalars(
        select(Unit.level)
        .join(Space, Space.unit_id == Unit.id)
        .where(Space.kind == "unit", Space.archived_at.is_(None))
        .distinct()
    )
    return frozenset(rows.all())


async def _open_spaces_for(
    session: AsyncSession, rule: UnitSpaceLevels, unit_ids: list[int]
) -> None:
    levels = await _levels(session, rule)
    if not levels:
        return
    units = (
        await session.scalars(
            select(Unit)
            .where(Unit.id.in_(unit_ids), Unit.level.in_(sorted(levels)))
            .where(~select(Space.id).where(Space.unit_id == Unit.id).exists())
            .order_by(Unit.path)
        )
    ).all()
    opened = []
    for unit in units:
        space = Space(
            name=unit.name,
            slug=await unique_slug(session, unit.name),
            description=f"Everyone in {unit.path.replace('/', ' › ') or unit.name}.",
            kind="unit",
            visibility="open",
            unit_id=unit.id,
            created_by_id=None,
        )
        session.add(space)
        await session.flush()
        await events.space_created(session, space=space)
        opened.append(space.id)
    if opened:
        await do_sync_unit_memberships(session, space_ids=opened)


async def _rename_spaces(session: AsyncSession, renamed: list[tuple[int, str]]) -> None:
    for unit_id, old_name in renamed:
        unit = await session.get(Unit, unit_id)
        spaces = await session.scalars(
            select(Space).where(Space.unit_id == unit_id, Space.name == old_name)
        )
        for space in spaces.all():
            if unit is not None:
                space.name = unit.name
                await session.flush()
                await events.space_updated(session, space=space)


async def _archive_spaces_of(session: AsyncSession, unit_ids: list[int]) -> None:
    spaces = await session.scalars(select(Space).where(Space.unit_id.in_(unit_ids)))
    for space in spaces.all():
        space.unit_id = None
        if space.archived_at is None:
            space.archived_at = utcnow()
        await session.flush()
        await events.space_updated(session, space=space)
