"""The rows the network is made of: the log's person-to-person interactions in a range, each
side placed in its unit at a level of the tree *at the time*, read as a few grouped queries.

- At the silo level a side's unit is the silo the row carries (``*_silo_id``: the silo it
  was in then; NULL for a member in no silo). At another level the unit the row carries
  (``*_unit_id``) is mapped to its ancestor at that level through the current tree; a member
  in a unit above that level, or in none, is placed nowhere (``None``).
- A unit filter keeps the rows in which someone of that unit (or a unit below it) took part,
  as the value matrix's filter does.

Everything is grouped in SQL, so what comes back to Python is one row per pair of people (and
placement), not one per interaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from atoll.analytics.matrix import unit_subtree
from atoll.analytics.models import Interaction
from atoll.analytics.service import silo_path
from atoll.kit.time import as_utc
from atoll.org.models import Unit


@dataclass(frozen=True)
class Scope:
    """What is read: the range, the level (``up`` maps a unit id to its ancestor at the level,
    None at the silo level, whose ancestors the rows carry) and the unit filter (a SELECT of
    the unit ids of the subtree, or None)."""

    start: datetime
    end: datetime
    up: dict[int, int | None] | None
    subtree: Any | None


@dataclass(frozen=True)
class PairRow:
    """The interactions of two members (``low`` < ``high``) while placed in ``low_unit`` and
    ``high_unit``: ``from_low`` of them by ``low``, ``to_low`` toward ``low``."""

    low: int
    high: int
    low_unit: int | None
    high_unit: int | None
    from_low: int
    to_low: int

    @property
    def count(self) -> int:
        return self.from_low + self.to_low


@dataclass(frozen=True)
class GuestRow:
    """The interactions of a member placed in ``unit`` with one external of ``organization``:
    ``from_member`` by the member, ``to_member`` by the external."""

    unit: int
    organization: str
    guest: int
    from_member: int
    to_member: int


async def ancestors(
    session: AsyncSession, level: int
) -> tuple[dict[int, int | None], dict[int, Unit]]:
    """unit id → the id of its ancestor at ``level`` (None for a unit above it); the units."""
    units = {u.id: u for u in await session.scalars(select(Unit))}
    by_path = {u.path: u.id for u in units.values()}
    up: dict[int, int | None] = {}
    for unit in units.values():
        if unit.level < level:
            up[unit.id] = None
        else:
            path = silo_path(unit, level)
            up[unit.id] = unit.id if path is None else by_path.get(path)
    return up, units


async def scope_of(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    level: int,
    silo_level: int,
    unit_id: int | None,
) -> tuple[Scope, dict[int, Unit]]:
    """The scope to read (a 422 for an unknown unit) and the units of the tree."""
    up, units = await ancestors(session, level)
    subtree = await unit_subtree(session, unit_id) if unit_id is not None else None
    return Scope(start, end, None if level == silo_level else up, subtree), units


def _where(scope: Scope, *extra: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    i = Interaction
    where: list[ColumnElement[bool]] = [
        i.at >= scope.start,
        i.at < scope.end,
        i.target_id.is_not(None),
        *extra,
    ]
    if scope.subtree is not None:
        where.append(i.actor_unit_id.in_(scope.subtree) | i.target_unit_id.in_(scope.subtree))
    return where


def _sides(scope: Scope) -> tuple[Any, Any]:
    """The columns that place each side: the silos the rows carry at the silo level, else the
    units (mapped to their ancestors in Python: ``place``)."""
    i = Interaction
    if scope.up is None:
        return i.actor_silo_id, i.target_silo_id
    return i.actor_unit_id, i.target_unit_id


def place(scope: Scope, unit: int | None) -> int | None:
    if unit is None or scope.up is None:
        return unit
    return scope.up.get(unit)


async def pair_rows(session: AsyncSession, scope: Scope) -> list[PairRow]:
    """The member-to-member interactions of the scope, one row per pair of people and the
    units each was placed in. Grouped by plain columns (no expression: the cheapest GROUP BY
    on both databases), then folded per pair here."""
    i = Interaction
    a, b = _sides(scope)
    members = (i.actor_kind == "member", i.target_kind == "member")
    statement = (
        select(i.actor_id, i.target_id, a, b, func.count())
        .where(*_where(scope, *members))
        .group_by(i.actor_id, i.target_id, a, b)
    )
    folded: dict[tuple[int, int, int | None, int | None], list[int]] = {}
    for actor, target, ua, ub, n in await session.execute(statement):
        ua, ub = place(scope, ua), place(scope, ub)
        key = (actor, target, ua, ub) if actor < target else (target, actor, ub, ua)
        entry = folded.setdefault(key, [0, 0])
        entry[0 if actor < target else 1] += n
    return [PairRow(*key, by_low, to_low) for key, (by_low, to_low) in folded.items()]


async def last_units(session: AsyncSession, scope: Scope, people: list[int]) -> dict[int, int]:
    """The unit each of these members was last placed in on a person-to-person interaction
    of the scope (those never placed are left out)."""
    i = Interaction
    a, b = _sides(scope)
    sides = union_all(
        select(i.actor_id.label("person"), a.label("unit"), func.max(i.at).label("at"))
        .where(*_where(scope, i.actor_id.in_(people), i.actor_kind == "member"))
        .group_by(i.actor_id, a),
        select(i.target_id.label("person"), b.label("unit"), func.max(i.at).label("at"))
        .where(*_where(scope, i.target_id.in_(people), i.target_kind == "member"))
        .group_by(i.target_id, b),
    ).subquery()
    latest: dict[int, tuple[datetime, int]] = {}
    rows = await session.execute(select(sides.c.person, sides.c.unit, sides.c.at))
    for person, unit, at in rows:
        placed = place(scope, unit)
        if placed is None:
            continue
        seen = (_moment(at), -placed)  # the latest; on a tie, the lower unit id
        if person not in latest or seen > latest[person]:
            latest[person] = seen
    return {person: -negated for person, (_, negated) in latest.items()}


async def guest_rows(session: AsyncSession, scope: Scope) -> list[GuestRow]:
    """The interactions of placed members with externals of an organisation."""
    i = Interaction
    a, b = _sides(scope)
    mixed = ((i.actor_kind == "member") & (i.target_kind == "external")) | (
        (i.actor_kind == "external") & (i.target_kind == "member")
    )
    statement = (
        select(
            i.actor_id,
            i.target_id,
            i.actor_kind,
            a,
            b,
            i.actor_organization,
            i.target_organization,
            func.count(),
        )  # fmt: skip
        .where(*_where(scope, mixed))
        .group_by(
            i.actor_id,
            i.target_id,
            i.actor_kind,
            a,
            b,
            i.actor_organization,
            i.target_organization,
        )  # fmt: skip
    )
    folded: dict[tuple[int, str, int], list[int]] = {}
    for actor, target, actor_kind, ua, ub, org_a, org_b, n in await session.execute(statement):
        member_acts = actor_kind == "member"
        unit = place(scope, ua if member_acts else ub)
        organization = org_b if member_acts else org_a
        if unit is None or not organization:
            continue
        entry = folded.setdefault((unit, organization, target if member_acts else actor), [0, 0])
        entry[0 if member_acts else 1] += n
    return [GuestRow(u, o, g, mine, theirs) for (u, o, g), (mine, theirs) in folded.items()]


async def own_people(session: AsyncSession, scope: Scope) -> set[int]:
    """With a unit filter: the members who were in that unit when they took part."""
    i = Interaction
    assert scope.subtree is not None
    sides = union_all(
        select(i.actor_id.label("person")).where(
            *_where(scope, i.actor_kind == "member", i.actor_unit_id.in_(scope.subtree))
        ),
        select(i.target_id.label("person")).where(
            *_where(scope, i.target_kind == "member", i.target_unit_id.in_(scope.subtree))
        ),
    ).subquery()
    return set((await session.execute(select(sides.c.person).distinct())).scalars())


def _moment(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite hands back the stored text of an aggregate
        value = datetime.fromisoformat(value)
    return as_utc(value)
