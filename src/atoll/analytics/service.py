"""Writing the interaction log. Every domain that records an act of collaboration calls
``record_interaction`` inside the transaction of the change itself.

Each side is written as it is *at that moment*: the person's unit, their silo (the unit's
ancestor at the silo level, or the unit itself when it sits at or above that level), their
kind and, for externals, their organisation. Later moves in the organisation do not rewrite
history."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.models import INTERACTION_KINDS, Interaction
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.spaces.models import Space

DEFAULT_SILO_LEVEL = 2
_silo_level = DEFAULT_SILO_LEVEL


def configure(*, silo_level: int) -> None:
    """Set the silo level (``ATOLL_SILO_LEVEL``); create_app calls this once."""
    global _silo_level
    _silo_level = silo_level


def silo_level() -> int:
    return _silo_level


@dataclass(frozen=True)
class Side:
    unit_id: int | None
    silo_id: int | None
    kind: str
    organization: str | None


def silo_path(unit: Unit, level: int) -> str | None:
    """The path of the unit's ancestor at ``level`` (None when the unit is at or above it).

    Unit paths are the names below the root joined by "/" (the root's is ""), and names never
    contain "/", so the ancestor at level L has the first L names of the path."""
    if unit.level <= level:
        return None
    return "/".join(unit.path.split("/")[:level]) if level > 0 else ""


async def silo_of(session: AsyncSession, unit_id: int | None, *, level: int) -> int | None:
    """The id of the silo a unit belongs to."""
    if unit_id is None:
        return None
    unit = await session.get(Unit, unit_id)
    if unit is None:
        return None
    path = silo_path(unit, level)
    if path is None:
        return unit.id
    return await session.scalar(select(Unit.id).where(Unit.path == path))


async def side_of(session: AsyncSession, person: Person, *, level: int) -> Side:
    unit_id = person.unit_id if person.kind == "member" else None
    return Side(
        unit_id=unit_id,
        silo_id=await silo_of(session, unit_id, level=level),
        kind=person.kind,
        organization=person.organization if person.kind == "external" else None,
    )


async def record_interaction(
    session: AsyncSession,
    *,
    kind: str,
    actor: Person,
    target: Person | None = None,
    space: Space | None,
    post: object | None = None,
    silo_level: int | None = None,
) -> Interaction | None:
    """Add one interaction row (not committed: it joins the caller's transaction).

    ``target`` is the person acted toward (answered, reacted to, mentioned, accepted); None for
    a new post, whose audience is the space. An act toward oneself is not an interaction and
    records nothing (returns None). ``post`` is the post it happened on, if any (anything with
    an ``id``). ``silo_level`` defaults to the configured one."""
    if kind not in INTERACTION_KINDS:
        raise ValueError(f"unknown interaction kind {kind!r}")
    if target is not None and target.id == actor.id:
        return None
    level = _silo_level if silo_level is None else silo_level
    me = await side_of(session, actor, level=level)
    them = await side_of(session, target, level=level) if target is not None else None
    row = Interaction(
        kind=kind,
        actor_id=actor.id,
        target_id=target.id if target is not None else None,
        space_id=space.id if space is not None else None,
        post_id=getattr(post, "id", None),
        actor_unit_id=me.unit_id,
        actor_silo_id=me.silo_id,
        actor_kind=me.kind,
        actor_organization=me.organization,
        target_unit_id=them.unit_id if them else None,
        target_silo_id=them.silo_id if them else None,
        target_kind=them.kind if them else None,
        target_organization=them.organization if them else None,
    )
    session.add(row)
    return row
