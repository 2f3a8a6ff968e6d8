"""What "ready to go outward" is computed from, read from the database for each unit at the
silo level over a window of days (analytics/readiness.py says what the figures mean).

- a unit's *members*: the active member accounts whose unit (now) is the unit or below it;
- *active*: used Atoll on a day of the window (an activity day) or acted in the log in it;
- *helped across*: wrote a comment, a reply or a wiki co-edit (``HELP_KINDS``) toward
  someone of another silo, as the log classified the act (scope ``across``);
- *internal questions*: question posts (not deleted) asked in the window by the unit's
  members in a unit space, a community or a situation room (``INTERNAL_KINDS``); the first
  answer is the first comment (not deleted) by someone other than the asker before the
  window ends;
- *a hybrid space*: one (not archived, opened before the window ends) owned by a member;
- *organisations*: the customers' and partners' organisation names that the unit's
  members' posts of the window contain (case apart), by how many posts name them."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.models import ActivityDay, Interaction
from atoll.analytics.service import silos_by_unit
from atoll.conversations.models import Comment, Post
from atoll.kit.time import as_utc
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.spaces.models import Membership, Space

HELP_KINDS = ("comment", "reply", "wiki_edit")
INTERNAL_KINDS = ("unit", "community", "situation")
RELATIONS = ("customer", "partner")


@dataclass(frozen=True)
class Window:
    """The days ``first``..``last`` of the organisation's time zone, as [start, end)."""

    first: date
    last: date
    start: datetime
    end: datetime


@dataclass
class UnitCounts:
    unit: Unit
    members: set[int] = field(default_factory=set)
    active: set[int] = field(default_factory=set)
    helped: set[int] = field(default_factory=set)
    asked: int = 0
    askers: set[int] = field(default_factory=set)
    waits: list[float] = field(default_factory=list)  # hours to each answered one's answer
    hybrid: bool = False
    organizations: Counter[str] = field(default_factory=Counter)
    across_with: Counter[int] = field(default_factory=Counter)  # other silo -> interactions


async def count_units(
    session: AsyncSession, *, silos: list[Unit], level: int, window: Window
) -> dict[int, UnitCounts]:
    """The counts of each of these units (at the silo level ``level``) over the window."""
    units = [(u.id, u.path, u.level) for u in await session.scalars(select(Unit))]
    silo_of = silos_by_unit(units, level=level)
    out = {u.id: UnitCounts(u) for u in silos}
    where: dict[int, int] = {}  # member -> silo (among those asked for)
    rows = await session.execute(
        select(Person.id, Person.unit_id).where(
            Person.kind == "member", Person.is_active.is_(True), Person.unit_id.is_not(None)
        )
    )
    for person_id, unit_id in rows:
        silo = silo_of.get(unit_id)
        if silo in out:
            out[silo].members.add(person_id)
            where[person_id] = silo
    await _active(session, out, where, window)
    await _across(session, out, where, window)
    await _questions(session, out, where, window)
    await _hybrids(session, out, where, window)
    await _organizations(session, out, where, window)
    return out


async def _active(
    session: AsyncSession, out: dict[int, UnitCounts], where: dict[int, int], window: Window
) -> None:
    """Each member with an activity day or an act in the window: two index probes per member
    (activity_day's key, the log's actor and time), not a read of every row of the window."""
    used = exists().where(
        ActivityDay.person_id == Person.id,
        ActivityDay.day >= window.first,
        ActivityDay.day <= window.last,
    )
    acted = exists().where(
        Interaction.actor_id == Person.id,
        Interaction.at >= window.start,
        Interaction.at < window.end,
    )
    members = select(Person.id).where(
        Person.kind == "member", Person.is_active.is_(True), or_(used, acted)
    )
    for person in await session.scalars(members):
        if person in where:
            out[where[person]].active.add(person)


async def _across(
    session: AsyncSession, out: dict[int, UnitCounts], where: dict[int, int], window: Window
) -> None:
    i = Interaction
    in_window = (i.at >= window.start, i.at < window.end, i.scope == "across")
    helpers = await session.scalars(
        select(i.actor_id).where(*in_window, i.kind.in_(HELP_KINDS)).distinct()
    )
    for person in helpers:
        if person in where:
            out[where[person]].helped.add(person)
    pairs = await session.execute(
        select(i.actor_silo_id, i.target_silo_id, func.count())
        .where(*in_window)
        .group_by(i.actor_silo_id, i.target_silo_id)
    )
    for actor_silo, target_silo, count in pairs:
        for mine, theirs in ((actor_silo, target_silo), (target_silo, actor_silo)):
            if mine in out and theirs is not None and theirs != mine:
                out[mine].across_with[theirs] += count


async def _questions(
    session: AsyncSession, out: dict[int, UnitCounts], where: dict[int, int], window: Window
) -> None:
    answered = (
        select(func.min(Comment.created_at))
        .where(
            Comment.post_id == Post.id,
            Comment.author_id != Post.author_id,
            Comment.deleted_at.is_(None),
            Comment.created_at < window.end,
        )
        .correlate(Post)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Post.author_id, Post.created_at, answered)
        .join(Space, Space.id == Post.space_id)
        .where(
            Post.kind == "question",
            Post.deleted_at.is_(None),
            Post.created_at >= window.start,
            Post.created_at < window.end,
            Space.kind.in_(INTERNAL_KINDS),
        )
    )
    for author, asked_at, answer_at in rows:
        if author not in where:
            continue
        counts = out[where[author]]
        counts.asked += 1
        counts.askers.add(author)
        if answer_at is not None:
            seconds = (_utc(answer_at) - as_utc(asked_at)).total_seconds()
            counts.waits.append(seconds / 3600)


def _utc(value: object) -> datetime:
    """A timestamp from an aggregate: SQLite hands back its text."""
    if isinstance(value, datetime):
        return as_utc(value)
    return as_utc(datetime.fromisoformat(str(value)))


async def _hybrids(
    session: AsyncSession, out: dict[int, UnitCounts], where: dict[int, int], window: Window
) -> None:
    owners = await session.scalars(
        select(Membership.person_id)
        .join(Space, Space.id == Membership.space_id)
        .where(
            Space.kind == "hybrid",
            Space.archived_at.is_(None),
            Space.created_at < window.end,
            Membership.role == "owner",
        )
    )
    for person in owners:
        if person in where:
            out[where[person]].hybrid = True


async def _organizations(
    session: AsyncSession, out: dict[int, UnitCounts], where: dict[int, int], window: Window
) -> None:
    names = list(
        await session.scalars(
            select(Person.organization)
            .where(
                Person.kind == "external",
                Person.relation.in_(RELATIONS),
                Person.organization.is_not(None),
                Person.organization != "",
            )
            .distinct()
        )
    )
    if not names:
        return
    body = func.lower(Post.body)
    rows = await session.execute(
        select(Post.author_id, Post.body).where(
            Post.created_at >= window.start,
            Post.created_at < window.end,
            Post.deleted_at.is_(None),
            or_(*[body.contains(name.lower(), autoescape=True) for name in names if name]),
        )
    )
    seen: dict[int, Counter[str]] = defaultdict(Counter)
    for author, text in rows:
        if author in where:
            lowered = text.lower()
            for name in names:
                if name and name.lower() in lowered:
                    seen[where[author]][name] += 1
    for silo, counter in seen.items():
        out[silo].organizations.update(counter)
