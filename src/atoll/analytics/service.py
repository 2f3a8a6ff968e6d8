"""Writing the interaction log: ``record_interaction`` adds a row inside the transaction of
the change itself (``atoll.analytics.subscribers`` follows the changes), with the silo level
(``ATOLL_SILO_LEVEL``) and the look-back window of new ties (``ATOLL_TIE_LOOKBACK_DAYS``) of
the settings.

Each side is written as it is *at that moment*: the person's unit, their silo (the unit's
ancestor at the silo level, or the unit itself when it sits at or above that level), their
kind and, for externals, their organisation. Later moves in the organisation do not rewrite
history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import months
from atoll.analytics.models import INTERACTION_KINDS, Interaction
from atoll.audit.service import record_audit
from atoll.kit.time import as_utc, utcnow
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.spaces.models import Space


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


def scope_of(me: Side, them: Side | None, *, space: Space | None, space_silo_id: int | None) -> str:
    """The value-matrix row of an interaction.

    Toward a person: "external" when either side is external, "within" when both are in the
    same silo, "across" otherwise (also when a side has no unit). A post (toward the space's
    audience): "external" when the author is external or the space is hybrid or public,
    "within" when it is the unit space of the author's own silo (or a unit inside it),
    "across" otherwise (communities, situation rooms, other units' spaces)."""
    if them is not None:
        if me.kind == "external" or them.kind == "external":
            return "external"
        if me.silo_id is not None and me.silo_id == them.silo_id:
            return "within"
        return "across"
    if me.kind == "external" or (space is not None and space.kind in ("hybrid", "public")):
        return "external"
    unit_space = space is not None and space.kind == "unit"
    if unit_space and me.silo_id is not None and space_silo_id == me.silo_id:
        return "within"
    return "across"


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
    space_silo = None
    if them is None and space is not None and space.kind == "unit":
        space_silo = await silo_of(session, space.unit_id, level=level)
    at = at or utcnow()
    key = tie_key_of(
        actor.id, target.id if target is not None else None, getattr(space, "id", None)
    )
    scope = scope_of(me, them, space=space, space_silo_id=space_silo)
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
    actor: datetime | None  # the last row the actor appeared in, either side
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
    flushed yet — a reply that also mentions)."""
    i = Interaction

    def last(*where: Any) -> Any:
        return select(func.max(i.at)).where(*where, i.at <= at).scalar_subquery()

    def last_seen(person_id: int | None) -> tuple[Any, Any]:
        if person_id is None:
            return literal(None), literal(None)
        return last(i.actor_id == person_id), last(i.target_id == person_id)

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
    pending = [obj for obj in session.new if isinstance(obj, Interaction)]
    on_tie = [obj for obj in pending if obj.tie_key == key]

    def pending_of(person_id: int | None) -> list[datetime]:
        return [o.at for o in pending if person_id in (o.actor_id, o.target_id)]

    return _Before(
        seen=bool(seen) or bool(on_tie),
        cell_true=_latest(cell_true, *(o.at for o in on_tie if o.scope == scope and o.new_tie)),
        cell_false=_latest(
            cell_false, *(o.at for o in on_tie if o.scope == scope and not o.new_tie)
        ),
        actor=_latest(a1, a2, *pending_of(actor.id)),
        target=_latest(t1, t2, *pending_of(target_id)) if target_id is not None else None,
    )


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
