"""A viewer's network, as discovery sees it, and the words its reasons are made of.

The network is the interaction log (``atoll.analytics``): the people a viewer acted toward, or
who acted toward them, in the last 90 days, each with the silo the log wrote down for them
and whether the tie crossed silos. People in other units weigh more: crossing silos is the
point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, case, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.models import Interaction
from atoll.kit.time import utcnow
from atoll.people.models import Person, PersonSkill
from atoll.spaces.policy import visible_people

NETWORK_DAYS = 90
MAX_COLLEAGUES = 500
MAX_SKILLS = 20


@dataclass(frozen=True)
class Colleague:
    """Someone the viewer interacted with: their silo then, and whether the tie crossed one."""

    silo_id: int | None
    across: bool


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def others(names: Sequence[str], total: int, tail: str, *, one: str) -> str:
    """ "Ana Silva and 2 others you work with post here"; ``one`` ends the sentence when
    Ana Silva is alone ("Ana Silva, who you work with, posts here")."""
    first = names[0] if names else "Someone"
    rest = total - 1
    if rest <= 0:
        return f"{first}, {one}"
    return f"{first} and {plural(rest, 'other')} {tail}"


def since(days: int) -> datetime:
    return utcnow() - timedelta(days=days)


def colleague_ids(viewer: Person, days: int = NETWORK_DAYS) -> Select[tuple[int]]:
    """A sub-select of the ids of the people the viewer interacted with (either direction)."""
    i = Interaction
    start = since(days)
    toward = select(i.target_id.label("person_id")).where(
        i.actor_id == viewer.id, i.target_id.is_not(None), i.at >= start
    )
    from_ = select(i.actor_id.label("person_id")).where(i.target_id == viewer.id, i.at >= start)
    both = union_all(toward, from_).subquery()
    return select(both.c.person_id)


async def colleagues_of(
    session: AsyncSession, *, viewer: Person, days: int = NETWORK_DAYS
) -> dict[int, Colleague]:
    """The people the viewer interacted with lately and may see (the 500 most recent), with
    the silo the log wrote down for them and whether any interaction with them crossed silos
    (an interaction with an external crosses too)."""
    i = Interaction
    start = since(days)
    across = case((i.scope == "within", 0), else_=1).label("across")
    toward = select(
        i.target_id.label("person_id"), i.target_silo_id.label("silo_id"), across, i.at
    ).where(i.actor_id == viewer.id, i.target_id.is_not(None), i.at >= start)
    from_ = select(
        i.actor_id.label("person_id"), i.actor_silo_id.label("silo_id"), across, i.at
    ).where(i.target_id == viewer.id, i.at >= start)
    both = union_all(toward, from_).subquery()
    rows = await session.execute(
        select(both.c.person_id, func.max(both.c.silo_id), func.max(both.c.across))
        .join(Person, Person.id == both.c.person_id)
        .where(visible_people(viewer), Person.is_active.is_(True))
        .group_by(both.c.person_id)
        .order_by(func.max(both.c.at).desc(), both.c.person_id)
        .limit(MAX_COLLEAGUES)
    )
    return {
        int(pid): Colleague(silo_id=silo, across=bool(crossed))
        for pid, silo, crossed in rows.tuples()
    }


async def skills_of(session: AsyncSession, person: Person) -> list[tuple[str, str]]:
    """(name, key) of a person's skills, by name."""
    rows = await session.execute(
        select(PersonSkill.name, PersonSkill.key)
        .where(PersonSkill.person_id == person.id)
        .order_by(PersonSkill.name)
        .limit(MAX_SKILLS)
    )
    return [(name, key) for name, key in rows.tuples()]
