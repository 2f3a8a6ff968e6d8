"""Questions asked in a range and how fast they got a first answer, by members and by
externals (the asker's kind now).

A question is a post of kind "question" that is not deleted; it is *answered* once someone
other than its asker commented on it (a comment not deleted, at any time up to now), and the
time to its first answer runs to the first such comment.

The floor, as for a space's insights: the asked count is withheld when 1 to 4 people asked;
the answered count when 1 to 4 people had an answer, gave one, or are still waiting (asked −
answered would give them back); the median when 1 to 4 people had an answer or gave one; the
askers themselves when they are 1 to 4."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from atoll.analytics.floor import small
from atoll.conversations.models import Comment, Post
from atoll.people.models import Person


def _figures(row: Any | None) -> dict[str, Any]:
    """One kind's figures from its row of counts (None: no question asked)."""
    asked, askers, answered, answered_askers, waiting, answerers, median = row or (0,) * 6 + (None,)
    if small(askers):
        return {
            "asked": None,
            "answered": None,
            "median_first_answer_seconds": None,
            "askers": None,
            "suppressed": True,
        }
    had_answers = not small(answered_askers) and not small(answerers)
    return {
        "asked": asked,
        "answered": answered if had_answers and not small(waiting) else None,
        "median_first_answer_seconds": None
        if median is None or not had_answers
        else round(float(median), 3),
        "askers": askers,
        "suppressed": False,
    }


def _seconds(later: Any, earlier: Any, dialect: str) -> ColumnElement[Any]:
    """SQL: the seconds from one timestamp to another."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86_400.0


def _asked(start: datetime, end: datetime, dialect: str) -> Any:
    """A CTE of the questions asked in [start, end): the asker, their kind, who gave the
    first answer (null: none yet) and after how many seconds."""

    def first_answer(column: Any) -> Any:
        return (
            select(column)
            .where(
                Comment.post_id == Post.id,
                Comment.author_id != Post.author_id,
                Comment.deleted_at.is_(None),
            )
            .order_by(Comment.created_at, Comment.id)
            .limit(1)
            .correlate(Post)
            .scalar_subquery()
        )

    answered_at = first_answer(Comment.created_at)
    return (
        select(
            Post.author_id.label("asker"),
            Person.kind.label("kind"),
            first_answer(Comment.author_id).label("answerer"),
            _seconds(answered_at, Post.created_at, dialect).label("wait"),
        )
        .join(Person, Person.id == Post.author_id)
        .where(
            Post.kind == "question",
            Post.deleted_at.is_(None),
            Post.created_at >= start,
            Post.created_at < end,
        )
        .cte("asked")
        .prefix_with("MATERIALIZED")
    )


async def questions(session: AsyncSession, *, start: datetime, end: datetime) -> dict[str, Any]:
    """The questions of [start, end) by members and by externals, counted in the database:
    per kind the questions, their askers, those answered, the askers who had an answer and
    those still waiting, who answered, and the median wait."""
    q = _asked(start, end, (await session.connection()).dialect.name)
    answered = q.c.answerer.is_not(None)
    counts = (
        select(
            q.c.kind,
            func.count(),
            func.count(func.distinct(q.c.asker)),
            func.count(q.c.answerer),
            func.count(func.distinct(case((answered, q.c.asker)))),
            func.count(func.distinct(case((~answered, q.c.asker)))),
            func.count(func.distinct(q.c.answerer)),
        )
        .group_by(q.c.kind)
        .subquery()
    )
    ranked = (
        select(
            q.c.kind,
            q.c.wait,
            func.row_number().over(partition_by=q.c.kind, order_by=q.c.wait).label("rank"),
            func.count().over(partition_by=q.c.kind).label("n"),
        )
        .where(answered)
        .subquery()
    )
    # The middle one of an odd count, the middle two of an even one (integer division).
    middle = or_(ranked.c.rank == (ranked.c.n + 1) // 2, ranked.c.rank == (ranked.c.n + 2) // 2)
    median = (
        select(ranked.c.kind, func.avg(ranked.c.wait).label("wait"))
        .where(middle)
        .group_by(ranked.c.kind)
        .subquery()
    )
    rows = await session.execute(
        select(*list(counts.c), median.c.wait).outerjoin(median, median.c.kind == counts.c.kind)
    )
    by_kind = {row[0]: row[1:] for row in rows}
    return {
        "questions": _figures(by_kind.get("member")),
        "questions_by_externals": _figures(by_kind.get("external")),
    }
