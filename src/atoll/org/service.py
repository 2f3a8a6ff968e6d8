"""The organisation tree: read it, grow it, and find a unit's sub-tree."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.service import changed, record_audit
from atoll.kit.errors import Conflict, Forbidden, Invalid
from atoll.kit.text import clean_name
from atoll.org import policy
from atoll.org.events import UnitsChanged, units_changed
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.people.trail import actor_fields

# Reading the tree is where people sit, so it lives with them (``atoll.people.units``); the
# org domain's callers find it here too.
from atoll.people.units import all_units as all_units
from atoll.people.units import unit_and_descendants as unit_and_descendants
from atoll.people.units import unit_paths as unit_paths

LEVEL_NAMES = ("company", "division", "department", "team")
MAX_PATH = 1000  # the width of unit.path


def level_name(level: int) -> str:
    return LEVEL_NAMES[level] if level < len(LEVEL_NAMES) else f"level {level}"


async def people_per_unit(session: AsyncSession) -> dict[int | None, int]:
    """How many people sit in each unit (None: in none)."""
    rows = await session.execute(select(Person.unit_id, func.count()).group_by(Person.unit_id))
    return dict(rows.tuples().all())


async def root_unit(session: AsyncSession) -> Unit | None:
    return (
        await session.execute(select(Unit).where(Unit.parent_id.is_(None)))
    ).scalar_one_or_none()


def check_unit_name(name: str) -> str:
    name = clean_name(name)
    if not name:
        raise Invalid.field("name", "must not be empty")
    if "/" in name:
        raise Invalid.field("name", "must not contain '/' (it separates levels in unit paths)")
    if len(name) > 200:
        raise Invalid.field("name", "must be at most 200 characters long")
    return name


def child_path(parent: Unit | None, name: str) -> str:
    if parent is None:
        return ""
    return f"{parent.path}/{name}" if parent.path else name


async def do_create_unit(
    session: AsyncSession,
    *,
    actor: Person | None,
    name: str,
    parent_id: int | str | None = None,
    actor_label: str = "",
) -> Unit:
    """Add a unit. Without a parent: the root when there is none yet, else a division.
    ``actor`` None is the system, named by ``actor_label`` in the audit log (SCIM, single
    sign-on; the command line when empty)."""
    if actor is not None and not policy.can_change_tree(actor):
        raise Forbidden("Only administrators can change the organisation tree.")
    name = check_unit_name(name)
    root = await root_unit(session)
    if parent_id in (None, ""):
        parent = root
    else:
        try:
            parent = await session.get(Unit, int(parent_id))
        except (TypeError, ValueError):
            parent = None
        if parent is None:
            raise Invalid.field("parent_id", "no unit has this id")
    path = child_path(parent, name)
    if len(path) > MAX_PATH:
        raise Invalid.field("name", f"makes the unit's path longer than {MAX_PATH} characters")
    if await session.scalar(select(Unit.id).where(Unit.path == path)) is not None:
        raise Conflict(f"There is already a unit named {name} there.")
    unit = Unit(
        name=name,
        parent_id=parent.id if parent else None,
        level=parent.level + 1 if parent else 0,
        path=path,
    )
    session.add(unit)
    await session.flush()
    record_audit(
        session,
        action="unit.created",
        target_type="unit",
        target_id=unit.id,
        **actor_fields(actor, actor_label),
        **changed({}, {"name": unit.name, "parent_id": unit.parent_id, "path": unit.path}),
    )
    await units_changed(session, UnitsChanged(created=[unit.id]))
    return unit


async def do_ensure_path(
    session: AsyncSession, *, path: str, known: dict[str, Unit], root: Unit
) -> Unit:
    """The unit at ``path`` below the root, creating missing units on the way.

    ``known`` maps paths to units already loaded and is updated in place. The caller tells
    the units it created (``units.changed``), once for all of them."""
    unit = root
    for name in path.split("/"):
        name = check_unit_name(name)
        at = child_path(unit, name)
        found = known.get(at)
        if found is None:
            found = Unit(name=name, parent_id=unit.id, level=unit.level + 1, path=at)
            session.add(found)
            await session.flush()
            known[at] = found
        unit = found
    return unit
