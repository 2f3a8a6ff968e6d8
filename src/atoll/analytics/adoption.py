"""Adoption figures: active people week by week and month by month, participation, the
90-9-1 split, and how fast questions get a first answer.

Definitions, for a range [start, end):

- *members*: active member accounts now (``kind`` "member", not deactivated).
- A person is *active* in a range when they are a member and either have an ``ActivityDay``
  in it (a day that overlaps the range) or acted in an interaction in it (``actor_kind``
  "member" at the time).
- A *contribution* is an interaction of kind post, comment, reply or reaction by the person
  (acts toward oneself — commenting on one's own post — are not in the log and do not count).
  *Contributors* are the active people with at least one contribution in the range.
- *participation* = contributors / active over the whole range.
- The *split*: *readers* are active people without a contribution; *regular* contributors,
  when the range is 28 days or longer, contributed in at least 4 distinct ISO weeks of it,
  and for a shorter range made at least one contribution per 7 days of it on average
  (contributions ≥ days / 7); the other contributors are *occasional*.
- *questions*: question posts (not deleted) created in the range, by members in
  ``questions`` and by externals in ``questions_by_externals`` (the author's kind now). A
  question is *answered* when someone other than its author has commented on it (at any time
  up to now); the median time to a first answer is taken over the answered ones, in seconds.

Privacy: a series entry or a figure over fewer than ``MIN_GROUP`` active people (or question
askers) is withheld (null, ``suppressed`` true); the count of active people itself is shown."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.matrix import check_range
from atoll.analytics.models import ActivityDay, Interaction
from atoll.analytics.periods import bucket, day_bucket, day_of, spans
from atoll.analytics.policy import may_show
from atoll.conversations.models import Comment, Post
from atoll.kit.settings import Settings
from atoll.kit.time import as_utc, rfc3339
from atoll.people.models import Person

CONTRIBUTIONS = ("post", "comment", "reply", "reaction")
REGULAR_WEEKS = 4
LONG_RANGE = timedelta(days=28)


def _activity(start: datetime, end: datetime, dialect: str) -> Select[Any]:
    """(day, person, contributed 0/1) for every activity day and every act of a member."""
    i = Interaction
    last_day = (as_utc(end) - timedelta(microseconds=1)).date()
    days = (
        select(
            ActivityDay.day.label("day"),
            ActivityDay.person_id.label("person"),
            literal(0).label("contributed"),
        )
        .join(Person, Person.id == ActivityDay.person_id)
        .where(
            Person.kind == "member",
            ActivityDay.day >= as_utc(start).date(),
            ActivityDay.day <= last_day,
        )
    )
    acts = select(
        day_of(i.at, dialect).label("day"),
        i.actor_id.label("person"),
        case((i.kind.in_(CONTRIBUTIONS), 1), else_=0).label("contributed"),
    ).where(i.at >= start, i.at < end, i.actor_kind == "member")
    return union_all(days, acts)  # type: ignore[return-value]


async def _series(
    session: AsyncSession, activity: Any, start: datetime, end: datetime, period: str, dialect: str
) -> list[dict[str, Any]]:
    key = day_bucket(activity.c.day, period, dialect)
    contributor = case((activity.c.contributed == 1, activity.c.person))
    counts = {
        k: (active, contributors)
        for k, active, contributors in await session.execute(
            select(
                key,
                func.count(func.distinct(activity.c.person)),
                func.count(func.distinct(contributor)),
            ).group_by(key)
        )
    }
    out = []
    for span in spans(start, end, period):
        active, contributors = counts.get(span.key, (0, 0))
        shown = may_show(active)
        out.append(
            {
                "period": span.label,
                "start": rfc3339(span.start),
                "active": active,
                "contributors": contributors if shown else None,
                "suppressed": not shown,
            }
        )
    return out


async def _split(
    session: AsyncSession, start: datetime, end: datetime, active: int, dialect: str
) -> dict[str, Any]:
    i = Interaction
    week = bucket(i.at, "week", dialect)
    rows = await session.execute(
        select(i.actor_id, func.count(), func.count(func.distinct(week)))
        .where(i.at >= start, i.at < end, i.actor_kind == "member", i.kind.in_(CONTRIBUTIONS))
        .group_by(i.actor_id)
    )
    span = as_utc(end) - as_utc(start)
    regular = occasional = 0
    for _, contributions, weeks in rows:
        if span >= LONG_RANGE:
            is_regular = weeks >= REGULAR_WEEKS
        else:
            is_regular = contributions * 7 >= span / timedelta(days=1)
        regular += is_regular
        occasional += not is_regular
    readers = active - regular - occasional
    if not may_show(active):
        return {"readers": None, "occasional": None, "regular": None, "shares": None}
    counts = {"readers": readers, "occasional": occasional, "regular": regular}
    return counts | {"shares": {k: v / active for k, v in counts.items()}}


async def _questions(session: AsyncSession, start: datetime, end: datetime) -> dict[str, Any]:
    first_answer = (
        select(func.min(Comment.created_at))
        .where(
            Comment.post_id == Post.id,
            Comment.author_id != Post.author_id,
            Comment.deleted_at.is_(None),
        )
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Post.author_id, Post.created_at, Person.kind, first_answer)
        .join(Person, Person.id == Post.author_id)
        .where(
            Post.kind == "question",
            Post.deleted_at.is_(None),
            Post.created_at >= start,
            Post.created_at < end,
        )
    )
    askers: dict[str, set[int]] = defaultdict(set)
    asked: dict[str, int] = defaultdict(int)
    waits: dict[str, list[float]] = defaultdict(list)
    for author, created, kind, answered in rows:
        askers[kind].add(author)
        asked[kind] += 1
        if answered is not None:
            waits[kind].append((as_utc(answered) - as_utc(created)).total_seconds())

    def figures(kind: str) -> dict[str, Any]:
        if not may_show(len(askers[kind])):
            return {
                "asked": None,
                "answered": None,
                "median_first_answer_seconds": None,
                "askers": len(askers[kind]),
                "suppressed": True,
            }
        return {
            "asked": asked[kind],
            "answered": len(waits[kind]),
            "median_first_answer_seconds": statistics.median(waits[kind]) if waits[kind] else None,
            "askers": len(askers[kind]),
            "suppressed": False,
        }

    return {"questions": figures("member"), "questions_by_externals": figures("external")}


async def adoption(
    session: AsyncSession, *, start: datetime, end: datetime, settings: Settings
) -> dict[str, Any]:
    """Adoption over [start, end) (see the module for every definition)."""
    check_range(start, end)
    dialect = (await session.connection()).dialect.name
    activity = _activity(start, end, dialect).subquery()
    contributor = case((activity.c.contributed == 1, activity.c.person))
    active, contributors = (
        await session.execute(
            select(
                func.count(func.distinct(activity.c.person)),
                func.count(func.distinct(contributor)),
            )
        )
    ).one()
    members = await session.scalar(
        select(func.count()).where(Person.kind == "member", Person.is_active.is_(True))
    )
    shown = may_show(active)
    return {
        "from": rfc3339(start),
        "to": rfc3339(end),
        "members": members or 0,
        "active": active,
        "contributors": contributors if shown else None,
        "suppressed": not shown,
        "weekly": await _series(session, activity, start, end, "week", dialect),
        "monthly": await _series(session, activity, start, end, "month", dialect),
        "participation": contributors / active if shown else None,
        "split": await _split(session, start, end, active, dialect),
        **await _questions(session, start, end),
    }
