"""Writing the interaction log: ``record_interaction`` adds a row inside the transaction of
the change itself (``atoll.analytics.subscribers`` follows the changes), with the silo level
(``ATOLL_SILO_LEVEL``) and the look-back window of new ties (``ATOLL_TIE_LOOKBACK_DAYS``) of
the settings.

Each side is written as it is *at that moment*: the person's unit, their silo, their kind
and, for externals, their organisation. Later moves in the organisation do not rewrite
history (``atoll analytics rebuild`` recomputes silos from the units the rows carry, after the
silo level changed: ties.rebuild_log).

- **Silo** (``silo_of``): the unit's ancestor at the silo level; a unit at that level is its
  own silo; a unit above it (the company, a division when the silo level is departments), or
  no unit, is in no silo (None). Externals sit in no silo: they belong to their organisation.
- **Scope** (``scope_of``, the values in models.py): a row without a target is ``activity``;
  between two people, in this order: both externals → ``externals``; a member in no silo
  takes part → ``no_silo``; a member with an external → ``external``; two members of the
  same silo → ``within``; of different silos → ``across``.
- **New tie**: no row on the same tie (the two people, in either direction) within the
  look-back window before.
- **Roll-up helpers** (models.py): ``cell_prev_at`` per tie and cell (scope, new tie);
  ``actor_prev_at`` / ``target_prev_at`` each person's previous row *of the grid*
  (``GRID_SCOPES``), None on rows outside the grid."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, literal, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from atoll.analytics import months
from atoll.analytics.models import (
    ACTIVITY,
    GRID_SCOPES,
    INTERACTION_KINDS,
    Interaction,
)
from atoll.audit.service import record_audit
from atoll.kit.time import as_utc, utcnow
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.spaces.models import Space


def in_grid(scope: Any) -> ColumnElement[bool]:
    """``scope IN ('within', 'across', 'external')`` with the values written into the SQL, as
    the partial indexes on the grid's rows are defined (models.GRID): so that both planners
    use them (a bound value would hide from them that the index applies)."""
    return scope.in_([literal_column(f"'{value}'") for value in GRID_SCOPES])


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
    return _ancestor_path(unit.path, level)


def _ancestor_path(path: str, level: int) -> str:
    return "/".join(path.split("/")[:level]) if level > 0 else ""


def _silo_path(path: str, unit_level: int, level: int) -> str | None:
    """The path of the silo of the unit at ``path`` and ``unit_level``: its ancestor at
    ``level``, the unit itself at that level; None when the unit sits above that level."""
    if unit_level < level:
        return None
    return path if unit_level == level else _ancestor_path(path, level)


def silos_by_unit(units: Iterable[tuple[int, str, int]], *, level: int) -> dict[int, int | None]:
    """Every unit's silo at ``level``, given every unit of the tree as (id, path, level):
    the whole tree at once (ties.rebuild_log), by the rule of ``silo_of``."""
    rows = list(units)
    by_path = {path: unit_id for unit_id, path, _ in rows}
    out: dict[int, int | None] = {}
    for unit_id, path, unit_level in rows:
        silo = _silo_path(path, unit_level, level)
        out[unit_id] = None if silo is None else by_path.get(silo)
    return out


def silos_around(silos: list[Unit], unit: Unit) -> list[Unit]:
    """The silos (units at the silo level) a unit filter names: all for the root; those at or
    below the unit; else the one the unit is inside of."""
    if unit.level == 0:
        return list(silos)
    inside = [s for s in silos if s.path == unit.path or s.path.startswith(unit.path + "/")]
    return inside or [s for s in silos if unit.path.startswith(s.path + "/")]


async def silo_of(session: AsyncSession, unit_id: int | None, *, level: int) -> int | None:
    """The id of the silo a unit belongs to at ``level``: its ancestor at that level, itself
    when it sits at that level; None for a unit above it, and for no unit."""
    if unit_id is None:
        return None
    unit = await session.get(Unit, unit_id)
    if unit is None:
        return None
    path = _silo_path(unit.path, unit.level, level)
    if path is None:
        return None
    if path == unit.path:
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


def scope_of(me: Side, them: Side | None) -> str:
    """The scope of an interaction by ``me`` toward ``them`` (None: no one — a post, a wiki
    page's first revision: ``activity``), by the rules in this order (see the module)."""
    if them is None:
        return ACTIVITY
    sides = (me, them)
    if all(side.kind == "external" for side in sides):
        return "externals"
    if any(side.kind == "member" and side.silo_id is None for side in sides):
        return "no_silo"
    if any(side.kind == "external" for side in sides):
        return "external"
    return "within" if me.silo_id == them.silo_id else "across"


def tie_key_of(actor_id: int, target_id: int | None, space_id: int | None) -> str:
    """Two people, in either direction, share one tie; a post ties its author to the space."""
    if target_id is not None:
        low, high = sorted((actor_id, target_id))
        return f"p:{low}:{high}"
    return f"s:{actor_id}:{space_id if space_id is not None else ''}"


async def record_interaction(
    session: AsyncSession,
    *,
    kind: str,
    actor: Person,
    target: Person | None = None,
    space: Space | None,
    post: object | None = None,
    silo_level: int,
    lookback_days: int,
    at: datetime | None = None,
) -> Interaction | None:
    """Add one interaction row (not committed: it joins the caller's transaction).

    ``target`` is the person acted toward (answered, reacted to, mentioned, accepted); None for
    a new post, whose audience is the space. An act toward oneself is not an interaction and
    records nothing (returns None). ``post`` is the post it happened on, if any (anything with
    an ``id``). ``silo_level`` and ``lookback_days`` are the settings' (``ATOLL_SILO_LEVEL``,
    ``ATOLL_TIE_LOOKBACK_DAYS``)."""
    row = await _row(
        session,
        kind=kind,
        actor=actor,
        target=target,
        space=space,
        post=post,
        silo_level=silo_level,
        lookback_days=lookback_days,
        at=at,
    )
    if row is not None:
        session.add(row)
        if months.is_closed(months.month_end(row.at)):  # written into a month already counted
            await months.forget_month(session, row.at)
    return row


async def _row(
    session: AsyncSession,
    *,
    kind: str,
    actor: Person,
    target: Person | None = None,
    space: Space | None,
    post: object | None = None,
    silo_level: int,
    lookback_days: int,
    at: datetime | None = None,
) -> Interaction | None:
    """The row :func:`record_interaction` adds, not added yet."""
    if kind not in INTERACTION_KINDS:
        raise ValueError(f"unknown interaction kind {kind!r}")
    if target is not None and target.id == actor.id:
        return None
    level = silo_level
    me = await side_of(session, actor, level=level)
    them = await side_of(session, target, level=level) if target is not None else None
    at = at or utcnow()
    key = tie_key_of(
        actor.id, target.id if target is not None else None, getattr(space, "id", None)
    )
    scope = scope_of(me, them)
    before = await _before(
        session, key=key, scope=scope, actor=actor, target=target, at=at, days=lookback_days
    )
    row = Interaction(
        at=at,
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
        scope=scope,
        tie_key=key,
        new_tie=not before.seen,
        cell_prev_at=before.cell_true if not before.seen else before.cell_false,
        actor_prev_at=before.actor,
        target_prev_at=before.target,
    )
    return row


@dataclass(frozen=True)
class _Before:
    seen: bool  # a row on the tie within the look-back window: the tie is not new
    cell_true: datetime | None  # the last row on the tie in this scope with new_tie true
    cell_false: datetime | None  # ... with new_tie false
    actor: datetime | None  # on a row of the grid: the actor's last row of the grid, either side
    target: datetime | None


def _latest(*moments: datetime | None) -> datetime | None:
    present = [as_utc(m) for m in moments if m is not None]
    return max(present) if present else None


async def _before(
    session: AsyncSession,
    *,
    key: str,
    scope: str,
    actor: Person,
    target: Person | None,
    at: datetime,
    days: int,
) -> _Before:
    """What the log holds before a new row (a row on the tie within the last ``days`` makes
    it not new): one query, each part an index lookup (plus the rows of this transaction not
    flushed yet — a reply that also mentions). The people's previous rows are looked up for
    a row of the grid only, among the grid's rows."""
    i = Interaction
    grid = scope in GRID_SCOPES

    def last(*where: Any) -> Any:
        return select(func.max(i.at)).where(*where, i.at <= at).scalar_subquery()

    def last_seen(person_id: int | None) -> tuple[Any, Any]:
        if person_id is None or not grid:
            return literal(None), literal(None)
        return last(i.actor_id == person_id, in_grid(i.scope)), last(
            i.target_id == person_id, in_grid(i.scope)
        )

    target_id = target.id if target is not None else None
    cell = (i.tie_key == key, i.scope == scope)
    row = (
        await session.execute(
            select(
                exists().where(i.tie_key == key, i.at > at - timedelta(days=days), i.at <= at),
                last(*cell, i.new_tie.is_(True)),
                last(*cell, i.new_tie.is_(False)),
                *last_seen(actor.id),
                *last_seen(target_id),
            )
        )
    ).one()
    seen, cell_true, cell_false, a1, a2, t1, t2 = row
    pending = _Pending([obj for obj in session.new if isinstance(obj, Interaction)], key, scope)
    return _Before(
        seen=bool(seen) or bool(pending.on_tie),
        cell_true=_latest(cell_true, *pending.in_cell(new_tie=True)),
        cell_false=_latest(cell_false, *pending.in_cell(new_tie=False)),
        actor=_latest(a1, a2, *pending.of(actor.id)) if grid else None,
        target=_latest(t1, t2, *pending.of(target_id)) if grid and target is not None else None,
    )


class _Pending:
    """The rows of this transaction not flushed yet, as ``_before`` counts them."""

    def __init__(self, rows: list[Interaction], key: str, scope: str) -> None:
        self.rows, self.scope = rows, scope
        self.on_tie = [row for row in rows if row.tie_key == key]

    def in_cell(self, *, new_tie: bool) -> list[datetime]:
        return [r.at for r in self.on_tie if r.scope == self.scope and r.new_tie == new_tie]

    def of(self, person_id: int | None) -> list[datetime]:
        """When the person took part in a pending row of the grid."""
        return [
            r.at
            for r in self.rows
            if person_id in (r.actor_id, r.target_id) and r.scope in GRID_SCOPES
        ]


async def already_recorded(
    session: AsyncSession, *, kind: str, actor_id: int, post_id: int
) -> bool:
    """Whether the log holds a row of ``kind`` by this person on this post (written, or
    pending in this transaction): a reaction and a vote count once per person and post. An
    index lookup (``ix_interaction_post_id_actor_id_kind``)."""
    for obj in session.new:
        if isinstance(obj, Interaction) and (obj.kind, obj.actor_id, obj.post_id) == (
            kind,
            actor_id,
            post_id,
        ):
            return True
    i = Interaction
    found = await session.scalar(
        select(exists().where(i.post_id == post_id, i.actor_id == actor_id, i.kind == kind))
    )
    return bool(found)


def do_record_export(
    session: AsyncSession, *, actor: Person, view: str, filters: dict[str, Any]
) -> None:
    """A CSV download of the analytics is a data export: one audit entry
    (``analytics.exported``) with the view and the filters it was made with."""
    record_audit(
        session,
        actor_id=actor.id,
        action="analytics.exported",
        target_type="analytics",
        target_id=view,
        view=view,
        filters={key: value for key, value in filters.items() if value not in (None, "")},
    )
