"""Champions: the people who help others most across silos and with externals, so that the
organisation can ask them to coach. Over a range [start, end), for each active member:

- ``accepted_answers``: their answers accepted by someone of another silo or an external
  (the log's ``accept`` rows toward them, scope ``across`` or ``external``);
- ``newcomer_replies``: their comments and replies toward someone in their first 30 days
  (since the person's account was made);
- ``first_replies_to_externals``: the first comments (by anyone but the author) on posts a
  customer, partner or guest wrote in the range, that were theirs.

The ``score`` is their sum. The champions are the ``TOP`` people with the highest score (and
anyone tied with the last); only those who said "I'm happy to coach others"
(``person.coach_opt_in``) are named, the others are counted (``not_opted_in``) — withheld
when they are 1 to 4, the privacy floor. With a unit: its people (now) and those below it."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from atoll.analytics.floor import shown
from atoll.analytics.models import Interaction
from atoll.conversations.models import Comment, Post
from atoll.kit.errors import NotFound
from atoll.kit.time import rfc3339
from atoll.org.models import Unit
from atoll.people.models import Person

TOP = 20
NEWCOMER = timedelta(days=30)
MEASURES = ("accepted_answers", "newcomer_replies", "first_replies_to_externals")


async def _accepted(session: AsyncSession, start: datetime, end: datetime) -> Counter[int]:
    i = Interaction
    rows = await session.execute(
        select(i.target_id).where(
            i.at >= start,
            i.at < end,
            i.kind == "accept",
            i.scope.in_(("across", "external")),
        )
    )
    return Counter(person for (person,) in rows if person is not None)


def _days_after(moment: Any, days: int, dialect: str) -> ColumnElement[Any]:
    """SQL: ``moment`` plus ``days`` days, comparable with the stored timestamps (SQLite
    keeps them as text, to the microsecond)."""
    if dialect == "postgresql":
        return moment + func.make_interval(0, 0, 0, days)
    return func.strftime("%Y-%m-%d %H:%M:%f", moment, f"+{days} days")


async def _newcomers(session: AsyncSession, start: datetime, end: datetime) -> Counter[int]:
    """Comments and replies toward someone in their first 30 days, by who wrote them: read
    from the log's rows toward each newcomer in those days (its index on target and time)."""
    i = Interaction
    newcomer = aliased(Person)
    until = _days_after(newcomer.created_at, NEWCOMER.days, session.get_bind().dialect.name)
    rows = await session.execute(
        select(i.actor_id, func.count())
        .select_from(newcomer)
        .join(
            i,
            (i.target_id == newcomer.id) & (i.at >= newcomer.created_at) & (i.at < until),
        )
        .where(
            newcomer.created_at > start - NEWCOMER,
            newcomer.created_at < end,
            i.at >= start,
            i.at < end,
            i.kind.in_(("comment", "reply")),
        )
        .group_by(i.actor_id)
    )
    return Counter(dict(rows.tuples().all()))


async def _first_replies(session: AsyncSession, start: datetime, end: datetime) -> Counter[int]:
    author = aliased(Person)
    first = (
        select(Comment.author_id)
        .where(
            Comment.post_id == Post.id,
            Comment.author_id != Post.author_id,
            Comment.deleted_at.is_(None),
            Comment.created_at < end,
        )
        .order_by(Comment.created_at, Comment.id)
        .limit(1)
        .correlate(Post)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(first)
        .select_from(Post)
        .join(author, author.id == Post.author_id)
        .where(
            author.kind == "external",
            Post.deleted_at.is_(None),
            Post.created_at >= start,
            Post.created_at < end,
        )
    )
    return Counter(person for (person,) in rows if person is not None)


async def _people(session: AsyncSession, ids: set[int], unit_id: int | None) -> list[Person]:
    """The active members among ``ids``, in the unit (or below it) when one is asked for."""
    query = select(Person).where(
        Person.id.in_(ids), Person.kind == "member", Person.is_active.is_(True)
    )
    if unit_id is not None:
        unit = await session.get(Unit, unit_id)
        if unit is None:
            raise NotFound("There is no such unit.")
        below = select(Unit.id).where(
            (Unit.path == unit.path) | Unit.path.startswith(unit.path + "/")
        )
        if unit.level > 0:
            query = query.where(Person.unit_id.in_(below))
    return list(await session.scalars(query))


def not_opted_in_text(count: int | None) -> str:
    if count == 0:
        return ""
    if count is None:
        return "A few more people helped as much but have not opted in to coach."
    return f"{count} more people helped as much but have not opted in to coach."


async def champions(
    session: AsyncSession, *, start: datetime, end: datetime, unit_id: int | None = None
) -> dict[str, Any]:
    """The champions of [start, end) (see the module)."""
    counts = {
        "accepted_answers": await _accepted(session, start, end),
        "newcomer_replies": await _newcomers(session, start, end),
        "first_replies_to_externals": await _first_replies(session, start, end),
    }
    ids = set().union(*counts.values())
    people = await _people(session, ids, unit_id)
    scored = [(sum(counts[m][p.id] for m in MEASURES), p) for p in people]
    scored = [(score, p) for score, p in scored if score > 0]
    scored.sort(key=lambda x: (-x[0], x[1].name, x[1].id))
    cut = scored[TOP - 1][0] if len(scored) >= TOP else 0
    top = [(score, p) for score, p in scored if score >= cut]
    named = [
        {
            "person_id": str(p.id),
            "name": p.name,
            "title": p.title,
            **{m: counts[m][p.id] for m in MEASURES},
            "score": score,
        }
        for score, p in top
        if p.coach_opt_in
    ]
    others = shown(sum(1 for _, p in top if not p.coach_opt_in))
    return {
        "from": rfc3339(start),
        "to": rfc3339(end),
        "unit_id": str(unit_id) if unit_id is not None else None,
        "champions": named,
        "not_opted_in": others,
        "not_opted_in_text": not_opted_in_text(others),
    }
