"""Changing the organisation tree: rename and move a unit (its whole sub-tree re-levelled),
delete an empty unit, or merge a unit into another.

Who sits where follows: a move or a merge is ``people.changed`` with ``placed`` (the unit
spaces' members follow the tree as it is afterwards); a rename or a removal is
``units.changed`` (see ``atoll.org.events``: a unit space keeps the unit's name, and a
deleted unit's space is archived)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.service import changed, record_audit
from atoll.kit.errors import Conflict, Forbidden, Invalid, NotFound
from atoll.kit.ids import parse_id
from atoll.org import policy
from atoll.org.events import UnitsChanged, units_changed
from atoll.org.models import Unit
from atoll.org.service import MAX_PATH, check_unit_name, child_path
from atoll.people.events import PeopleChanged, people_changed
from atoll.people.models import Person
from atoll.people.trail import actor_fields
from atoll.people.units import unit_and_descendants


def _check_actor(actor: Person | None) -> None:
    if actor is not None and not policy.can_change_tree(actor):
        raise Forbidden("Only administrators can change the organisation tree.")


async def access_unit(session: AsyncSession, unit_id: int | str) -> Unit:
    """The unit with this id, or 404 (the tree is no secret to those who may change it)."""
    uid = parse_id(unit_id)
    unit = await session.get(Unit, uid) if uid is not None else None
    if unit is None:
        raise NotFound("No unit has this id.")
    return unit


async def _other_unit(session: AsyncSession, field_name: str, unit_id: int | str) -> Unit:
    uid = parse_id(unit_id)
    unit = await session.get(Unit, uid) if uid is not None else None
    if unit is None:
        raise Invalid.field(field_name, "no unit has this id")
    return unit


async def _subtree(session: AsyncSession, unit: Unit) -> list[Unit]:
    """The unit and every unit below it, parents first."""
    rows = await session.scalars(
        select(Unit).where(Unit.id.in_(unit_and_descendants(unit.id))).order_by(Unit.level)
    )
    return list(rows.all())


async def do_update_unit(
    session: AsyncSession,
    *,
    actor: Person | None,
    unit: Unit,
    name: str | None = None,
    parent_id: int | str | None = None,
    actor_label: str = "",
) -> Unit:
    """Rename ``unit`` and/or move it below another unit; its sub-tree follows (levels and
    paths). Moving the root, or below itself or one of its own units, is 422; a sibling of
    the same name is 409. One audit entry: ``unit.renamed`` or ``unit.moved``."""
    _check_actor(actor)
    new_name = check_unit_name(name) if name is not None else unit.name
    parent: Unit | None = None
    if unit.parent_id is not None:
        parent = await session.get(Unit, unit.parent_id)
    moved = False
    if parent_id not in (None, "") and parse_id(parent_id) != unit.parent_id:
        if unit.parent_id is None:
            raise Invalid.field("parent_id", "the top of the organisation cannot be moved")
        parent = await _other_unit(session, "parent_id", parent_id)
        inside = {u.id for u in await _subtree(session, unit)}
        if parent.id in inside:
            raise Invalid.field(
                "parent_id",
                "a unit cannot move below itself or one of its own units (that makes a cycle)",
            )
        moved = True
    if new_name == unit.name and not moved:
        return unit
    old_name = unit.name
    before = {"name": unit.name, "parent_id": unit.parent_id, "path": unit.path}
    await _relocate(session, unit, parent, new_name)
    record_audit(
        session,
        action="unit.moved" if moved else "unit.renamed",
        target_type="unit",
        target_id=unit.id,
        **actor_fields(actor, actor_label),
        **changed(before, {"name": unit.name, "parent_id": unit.parent_id, "path": unit.path}),
    )
    await units_changed(
        session, UnitsChanged(renamed=[(unit.id, old_name)] if new_name != old_name else [])
    )
    if moved:
        await people_changed(session, PeopleChanged(placed=True))
    return unit


async def _relocate(session: AsyncSession, unit: Unit, parent: Unit | None, name: str) -> None:
    """Give ``unit`` a new name and parent, and every unit below it its new path and level."""
    path = child_path(parent, name) if parent is not None else ""
    clash = await session.scalar(select(Unit.id).where(Unit.path == path, Unit.id != unit.id))
    if clash is not None:
        raise Conflict(f"There is already a unit named {name} there.")
    subtree = await _subtree(session, unit)
    old, shift = unit.path, (parent.level + 1 if parent else 0) - unit.level
    longest = max(len(u.path) - len(old) for u in subtree) + len(path)
    if longest > MAX_PATH:
        raise Invalid.field("name", f"makes a unit's path longer than {MAX_PATH} characters")
    unit.name, unit.parent_id = name, parent.id if parent else None
    for below in subtree:
        below.path = path + below.path[len(old) :] if below.id != unit.id else path
        below.level += shift
    await session.flush()


@dataclass
class Removal:
    """What deleting a unit did: the units it removed (a merge removes same-named units below
    too), how many people and units moved, and where to."""

    name: str
    removed: list[int] = field(default_factory=list)
    people_moved: int = 0
    units_moved: int = 0
    into: Unit | None = None


async def do_delete_unit(
    session: AsyncSession,
    *,
    actor: Person | None,
    unit: Unit,
    merge_into: int | str | None = None,
    actor_label: str = "",
) -> Removal:
    """Delete an empty unit; or, with ``merge_into``, move its people and its units into that
    unit first (a unit of the same name there takes in the moved one's people and units in
    turn), then delete it. The deleted units' spaces are archived (``units.changed``). One
    audit entry: ``unit.deleted`` or ``unit.merged``."""
    _check_actor(actor)
    if unit.parent_id is None:
        raise Conflict("The top of the organisation cannot be deleted.")
    removal = Removal(name=unit.name)
    if merge_into in (None, ""):
        await _check_empty(session, unit)
        removal.removed.append(unit.id)
    else:
        target = await _other_unit(session, "merge_into", merge_into)
        if target.id == unit.id:
            raise Invalid.field("merge_into", "a unit cannot be merged into itself")
        if target.id in {u.id for u in await _subtree(session, unit)}:
            raise Invalid.field("merge_into", "a unit cannot be merged into one of its own units")
        removal.into = target
        await _merge(session, unit, target, removal)
        await people_changed(session, PeopleChanged(placed=True))
    record_audit(
        session,
        action="unit.merged" if removal.into else "unit.deleted",
        target_type="unit",
        target_id=unit.id,
        **actor_fields(actor, actor_label),
        before={"name": unit.name, "path": unit.path, "parent_id": unit.parent_id},
        merged_into=removal.into.id if removal.into else None,
        units_removed=removal.removed,
        people_moved=removal.people_moved,
        units_moved=removal.units_moved,
    )
    await units_changed(session, UnitsChanged(removed=removal.removed))
    for uid in reversed(removal.removed):  # the units below before the unit above
        gone = await session.get(Unit, uid)
        if gone is not None:
            await session.delete(gone)
            await session.flush()
    return removal


async def _check_empty(session: AsyncSession, unit: Unit) -> None:
    people = int(await session.scalar(select(func.count()).where(Person.unit_id == unit.id)) or 0)
    units = int(await session.scalar(select(func.count()).where(Unit.parent_id == unit.id)) or 0)
    if people or units:
        parts = []
        if people:
            parts.append(f"{people} {'person' if people == 1 else 'people'}")
        if units:
            parts.append(f"{units} unit{'' if units == 1 else 's'}")
        holds = " and ".join(parts)
        raise Conflict(
            f"{unit.name} still holds {holds}; move them elsewhere first, or merge it into "
            "another unit.",
            errors=[{"people": people, "units": units}],
        )


async def _merge(session: AsyncSession, unit: Unit, target: Unit, removal: Removal) -> None:
    """Move the people of ``unit`` into ``target``, and each unit below it too — into the
    unit of the same name below ``target`` if there is one (merged in turn)."""
    moved = await session.execute(
        update(Person)
        .where(Person.unit_id == unit.id)
        .values(unit_id=target.id)
        .execution_options(synchronize_session="fetch")
    )
    removal.people_moved += moved.rowcount or 0  # type: ignore[attr-defined]
    removal.removed.append(unit.id)
    children = await session.scalars(select(Unit).where(Unit.parent_id == unit.id))
    for child in list(children.all()):
        same = (
            await session.scalars(
                select(Unit).where(Unit.parent_id == target.id, Unit.name == child.name)
            )
        ).first()
        if same is None:
            await _relocate(session, child, target, child.name)
            removal.units_moved += 1
        else:
            await _merge(session, child, same, removal)
    await session.flush()
