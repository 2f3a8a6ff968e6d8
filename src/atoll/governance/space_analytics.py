"""Space analytics for the people who run a space (its Insights tab and
``GET /api/v1/spaces/{id}/analytics``): who takes part, how much is written, whether questions
get answered and how fast, and how much of it comes from externals — with the privacy floor.

Who may see them: the space's owners and moderators, administrators and analysts
(``spaces.policy.can_see_insights``); whoever may not know the space gets 404, the others 403.

Definitions, for a range of whole UTC days [from, to] (default: the last 90 days, today
included):

- *posts*: the space's posts created in the range and not deleted; *comments*: comments and
  replies created in the range on those or older live posts of the space, not deleted.
- *active people*: everyone who posted, commented, reacted, voted on an idea or edited a wiki
  page of the space in the range (their content still there).
- *questions asked*: question posts among the posts. A question is *answered* when, before
  the end of the range, it got a live comment from someone other than its asker, or it has an
  accepted answer written before then; its *time to first answer* is from the question to
  the first such comment. The median is over the answered questions, in seconds.
- *externals' share*: of the active people, those who are externals (by their kind now); of
  the contributions (posts and comments), those by externals.
- The series: the same figures day by day for a range of up to 31 days, ISO week by ISO week
  (cut to the range at both ends) for a longer one.

The privacy floor (``analytics.policy.MIN_GROUP``, 5): a figure is about a group of people —
its authors, askers, answerers, the externals and the internals active — and is withheld (null,
``"withheld": true``) when one of its groups has 1 to 4 people (0 people says nothing about
anyone). Nothing withheld can be worked out by subtraction: the answered count is withheld when
the askers of the unanswered questions are 1–4 (asked − answered), the externals' share when
the externals *or* the internals are 1–4, and in the series, when the points withheld together
are about 1–4 people while the total is shown (total − the points shown), the smallest points
shown are withheld too until they are about 5 or more.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.periods import day_of, label_of, period_start
from atoll.analytics.policy import MIN_GROUP
from atoll.conversations import policy as conversation_policy
from atoll.conversations.models import Comment, IdeaVote, Post, Reaction
from atoll.kit.errors import Forbidden, Invalid
from atoll.kit.time import as_utc, utcnow
from atoll.people.models import Person
from atoll.spaces import policy as space_policy
from atoll.spaces import service as spaces
from atoll.spaces.models import Space
from atoll.spaces.policy import SpaceAccess
from atoll.wiki.models import WikiPage, WikiRevision

DEFAULT_DAYS = 90
MAX_DAYS = 5 * 366
DAILY_UP_TO = 31  # days; longer ranges go week by week
SERIES = ("active_people", "posts", "comments")
CONTRIBUTIONS = ("post", "comment")


# --- who and when ---------------------------------------------------------------------------


def check_insights(access: SpaceAccess) -> SpaceAccess:
    """Forbidden unless the viewer may see the space's analytics (they know the space)."""
    if not space_policy.can_see_insights(access):
        raise Forbidden(
            "A space's insights are for its owners and moderators, administrators and analysts."
        )
    return access


async def access_space_insights(
    session: AsyncSession, *, viewer: Person | None, space_id: int | str
) -> SpaceAccess:
    """The space, if the viewer may see its analytics: 401, 404 (they may not know it), 403."""
    access = await spaces.access_space(session, viewer=viewer, space_id=space_id)
    return check_insights(access)


def _day(field_name: str, value: str) -> date:
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00"))).date()
    except (ValueError, OverflowError):
        raise Invalid.field(
            field_name, "must be a date (2026-03-01) or an RFC 3339 time (2026-03-01T09:00:00Z)"
        ) from None


def days_of(start: str | None, end: str | None, *, today: date | None = None) -> tuple[date, date]:
    """The range asked for, snapped to whole UTC days (both included): default the 90 days up
    to today; ``from`` after ``to`` is Invalid."""
    last = _day("to", end) if end else (today or utcnow().date())
    first = _day("from", start) if start else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise Invalid.field("from", "must be on or before 'to'")
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid.field("from", "the range may be at most 5 years long")
    return first, last


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


# --- what happened --------------------------------------------------------------------------


def _acts(space: Space, start: datetime, end: datetime, dialect: str) -> Select[Any]:
    """(person, kind of person, UTC day, what, how many) for the acts in the space in
    [start, end)."""
    live_post = (Post.space_id == space.id, Post.deleted_at.is_(None))
    posts = select(
        Post.author_id.label("person"), Post.created_at.label("at"), literal("post").label("what")
    ).where(*live_post, Post.created_at >= start, Post.created_at < end)
    comments = conversation_policy.with_parent(
        select(Comment.author_id, Comment.created_at, literal("comment")).join(
            Post, Post.id == Comment.post_id
        )
    ).where(
        *live_post,
        conversation_policy.live_comment(),
        Comment.created_at >= start,
        Comment.created_at < end,
    )
    reactions = (
        select(Reaction.person_id, Reaction.created_at, literal("reaction"))
        .join(Post, Post.id == Reaction.post_id)
        .where(*live_post, Reaction.created_at >= start, Reaction.created_at < end)
    )
    votes = (
        select(IdeaVote.person_id, IdeaVote.created_at, literal("vote"))
        .join(Post, Post.id == IdeaVote.post_id)
        .where(*live_post, IdeaVote.created_at >= start, IdeaVote.created_at < end)
    )
    edits = (
        select(WikiRevision.author_id, WikiRevision.created_at, literal("wiki_edit"))
        .join(WikiPage, WikiPage.id == WikiRevision.page_id)
        .where(
            WikiPage.space_id == space.id,
            WikiRevision.author_id.is_not(None),
            WikiRevision.created_at >= start,
            WikiRevision.created_at < end,
        )
    )
    every = union_all(posts, comments, reactions, votes, edits).subquery()
    day = day_of(every.c.at, dialect)
    # One row per person, day and kind of act, with how many: what the figures need.
    return (
        select(every.c.person, Person.kind, day, every.c.what, func.count())
        .join(Person, Person.id == every.c.person)
        .group_by(every.c.person, Person.kind, day, every.c.what)
    )


@dataclass
class Question:
    asker: int
    asked_at: datetime
    answerer: int | None = None
    answered_at: datetime | None = None


async def _questions(
    session: AsyncSession, space: Space, start: datetime, end: datetime
) -> list[Question]:
    """The questions asked in the range, each with its first answer before ``end`` (two
    queries)."""
    rows = await session.execute(
        select(Post.id, Post.author_id, Post.created_at, Post.accepted_comment_id).where(
            Post.space_id == space.id,
            Post.deleted_at.is_(None),
            Post.kind == "question",
            Post.created_at >= start,
            Post.created_at < end,
        )
    )
    found = {pid: (Question(asker, as_utc(at)), accepted) for pid, asker, at, accepted in rows}
    if not found:
        return []
    answers = await session.execute(
        conversation_policy.with_parent(
            select(Comment.post_id, Comment.id, Comment.author_id, Comment.created_at)
        )
        .where(
            Comment.post_id.in_(found),
            conversation_policy.live_comment(),
            Comment.created_at < end,
        )
        .order_by(Comment.created_at, Comment.id)
    )
    for post_id, comment_id, author, at in answers:
        question, accepted = found[post_id]
        if question.answered_at is None and (author != question.asker or comment_id == accepted):
            question.answerer, question.answered_at = author, as_utc(at)
    return [q for q, _ in found.values()]


# --- the floor ------------------------------------------------------------------------------


def _safe(*groups: set[int]) -> bool:
    """Every group is empty or has at least MIN_GROUP people."""
    return all(len(g) == 0 or len(g) >= MIN_GROUP for g in groups)


def figure(value: Any, *groups: set[int]) -> dict[str, Any]:
    """A figure, withheld (null) when one of the groups it is about has 1 to 4 people."""
    shown = _safe(*groups)
    return {"value": value if shown else None, "withheld": not shown}


@dataclass
class Bucket:
    """One point of the series: who did what in it."""

    label: str
    start: date
    people: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _buckets(first: date, last: date) -> tuple[str, list[Bucket]]:
    """The series' points: each day for a short range, else each ISO week (cut to the range)."""
    days = (last - first).days + 1
    if days <= DAILY_UP_TO:
        points = [first + timedelta(days=n) for n in range(days)]
        return "day", [Bucket(d.isoformat(), d) for d in points]
    out: list[Bucket] = []
    monday = period_start(first, "week")
    while monday <= last:
        out.append(Bucket(label_of(monday, "week"), max(monday, first)))
        monday += timedelta(days=7)
    return "week", out


def _index(period: str, first: date, day: date) -> int:
    if period == "day":
        return (day - first).days
    return (period_start(day, "week") - period_start(first, "week")).days // 7


def _complement(buckets: list[Bucket], metric: str, withheld: set[int]) -> None:
    """Withhold the smallest points shown until the withheld ones together are about no one
    or at least MIN_GROUP people (the total minus the points shown gives their sum)."""
    while True:
        union: set[int] = set()
        for i in withheld:
            union |= buckets[i].people[metric]
        shown = [i for i, b in enumerate(buckets) if i not in withheld and b.people[metric]]
        if _safe(union) or not shown:
            return
        withheld.add(min(shown, key=lambda i: (len(buckets[i].people[metric]), i)))


def _value(bucket: Bucket, metric: str) -> int:
    if metric == "active_people":
        return len(bucket.people[metric])
    return bucket.counts[metric]


def _series(
    period: str, buckets: list[Bucket], totals: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    withheld = {m: {i for i, b in enumerate(buckets) if not _safe(b.people[m])} for m in SERIES}
    for metric in SERIES:
        if not totals[metric]["withheld"]:
            _complement(buckets, metric, withheld[metric])
    points = []
    for i, bucket in enumerate(buckets):
        point: dict[str, Any] = {"period": bucket.label, "start": bucket.start.isoformat()}
        for metric in SERIES:
            point[metric] = None if i in withheld[metric] else _value(bucket, metric)
        point["withheld"] = [m for m in SERIES if i in withheld[m]]
        points.append(point)
    return {"period": period, "points": points}


# --- the answer -----------------------------------------------------------------------------


@dataclass
class Tally:
    """What the acts of the range add up to."""

    active: set[int] = field(default_factory=set)
    externals: set[int] = field(default_factory=set)
    authors: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    contributors: dict[bool, set[int]] = field(default_factory=lambda: defaultdict(set))
    contributions: dict[bool, int] = field(default_factory=lambda: defaultdict(int))


def _tally(rows: Any, period: str, first: date, buckets: list[Bucket]) -> Tally:
    tally = Tally()
    for person, kind, day, what, count in rows:
        if not isinstance(day, date):  # SQLite's date() is text
            day = date.fromisoformat(str(day))
        bucket = buckets[_index(period, first, day)]
        external = kind == "external"
        tally.active.add(person)
        bucket.people["active_people"].add(person)
        if external:
            tally.externals.add(person)
        if what in CONTRIBUTIONS:
            metric = what + "s"
            tally.authors[metric].add(person)
            tally.counts[metric] += count
            bucket.people[metric].add(person)
            bucket.counts[metric] += count
            tally.contributors[external].add(person)
            tally.contributions[external] += count
    return tally


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _question_figures(questions: list[Question]) -> dict[str, dict[str, Any]]:
    answered = [q for q in questions if q.answered_at is not None]
    askers = {q.asker for q in answered}
    waiting = {q.asker for q in questions if q.answered_at is None}
    answerers = {q.answerer for q in answered if q.answerer is not None}
    waits = [(q.answered_at - q.asked_at).total_seconds() for q in answered if q.answered_at]
    median = round(statistics.median(waits)) if waits else None
    return {
        "questions_asked": figure(len(questions), askers | waiting),
        "questions_answered": figure(len(answered), askers, answerers, waiting),
        "median_first_answer_seconds": figure(median, askers, answerers),
    }


async def space_analytics(
    session: AsyncSession, *, access: SpaceAccess, first: date, last: date
) -> dict[str, Any]:
    """The space's figures for the days ``first`` to ``last`` (both included); the access must
    have passed ``check_insights``."""
    check_insights(access)
    space = access.space
    start, end = _midnight(first), _midnight(last + timedelta(days=1))
    period, buckets = _buckets(first, last)
    dialect = session.get_bind().dialect.name
    rows = (await session.execute(_acts(space, start, end, dialect))).tuples().all()
    tally = _tally(rows, period, first, buckets)
    internals = tally.active - tally.externals
    totals = {
        "active_people": figure(len(tally.active), tally.active),
        "posts": figure(tally.counts["posts"], tally.authors["posts"]),
        "comments": figure(tally.counts["comments"], tally.authors["comments"]),
    }
    totals.update(_question_figures(await _questions(session, space, start, end)))
    contributions = tally.contributions[True] + tally.contributions[False]
    externals = {
        "active_people": figure(len(tally.externals), tally.externals, internals),
        "active_share": figure(
            _share(len(tally.externals), len(tally.active)), tally.externals, internals
        ),
        "contribution_share": figure(
            _share(tally.contributions[True], contributions),
            tally.contributors[True],
            tally.contributors[False],
        ),
    }
    return {
        "space": {"id": str(space.id), "name": space.name, "slug": space.slug},
        "from": first.isoformat(),
        "to": last.isoformat(),
        "min_group": MIN_GROUP,
        **totals,
        "externals": externals,
        "series": _series(period, buckets, totals),
    }


# --- CSV ------------------------------------------------------------------------------------

CSV_COLUMNS = ("series", "period", "start", "figure", "value", "withheld")
FIGURES = (
    "active_people",
    "posts",
    "comments",
    "questions_asked",
    "questions_answered",
    "median_first_answer_seconds",
)


def insights_csv(data: dict[str, Any]) -> str:
    """The answer as CSV, one figure a row: the totals of the range ("total"), the externals'
    figures ("externals"), then the series ("day" or "week"); a withheld figure has an empty
    value and ``withheld`` true."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    span = f"{data['from']}/{data['to']}"

    def row(series: str, period: str, start: str, name: str, fig: dict[str, Any]) -> None:
        value = "" if fig["value"] is None else fig["value"]
        writer.writerow([series, period, start, name, value, str(fig["withheld"]).lower()])

    for name in FIGURES:
        row("total", span, data["from"], name, data[name])
    for name, fig in data["externals"].items():
        row("externals", span, data["from"], name, fig)
    series = data["series"]
    for point in series["points"]:
        for name in SERIES:
            fig = {"value": point[name], "withheld": name in point["withheld"]}
            row(series["period"], point["period"], point["start"], name, fig)
    return out.getvalue()
