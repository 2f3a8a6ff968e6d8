"""Where people sit: reading the organisation tree's units, as the people domain needs them
(checking a person's unit, the directory's unit filter and the unit paths it shows). Growing
the tree and importing the chart are the org domain's (``atoll.org``), which builds on this."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import Invalid
from atoll.kit.ids import parse_id
from atoll.people.models import Unit


def unit_and_descendants(unit_id: int) -> Select[tuple[int]]:
    """A sub-select of the ids of a unit and everything below it (recursive CTE)."""
    tree = select(Unit.id).where(Unit.id == unit_id).cte("subtree", recursive=True)
    tree = tree.union_all(select(Unit.id).where(Unit.parent_id == tree.c.id))
    return select(tree.c.id)


async def all_units(session: AsyncSession) -> list[Unit]:
    """The whole tree in path order (a parent before its children)."""
    return list((await session.execute(select(Unit).order_by(Unit.path))).scalars())


async def root_unit_id(session: AsyncSession) -> int | None:
    """The top of the organisation, where a member sits until someone moves them."""
    return await session.scalar(select(Unit.id).where(Unit.parent_id.is_(None)))


async def check_unit(session: AsyncSession, unit_id: int | str | None) -> int | None:
    """The id of an existing unit, None for none, or Invalid naming the field."""
    if unit_id in (None, ""):
        return None
    uid = parse_id(unit_id)
    if uid is None:
        raise Invalid.field("unit_id", "must be the id of a unit")
    if await session.get(Unit, uid) is None:
        raise Invalid.field("unit_id", "no unit has this id")
    return uid


def unit_paths(units: list[Unit]) -> dict[int, str]:
    """Readable paths for display, e.g. "Northwind › Sales › EMEA"."""
    root = next((u for u in units if u.parent_id is None), None)
    out: dict[int, str] = {}
    for unit in units:
        parts = [root.name] if root else []
        if unit.path:
            parts += unit.path.split("/")
        out[unit.id] = " › ".join(parts)
    return out
