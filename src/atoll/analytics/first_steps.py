"""First steps: a new member's checklist along the value matrix, in journey order — complete
your profile, post in your team, answer a colleague's question, join a community, help
someone of another unit and, for people in a hybrid space, reply to a customer or partner.

A step ticks itself from what the person did: the profile from the person's own fields, the
community from their memberships, the rest from the interaction log (so a post in a practice
space, which the log does not record, ticks nothing). Each step is one query of the people
who took it (``_takers``): a person's checklist asks whether they are among them, and the
administrators' table counts them per silo, behind the privacy floor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.floor import small, withhold
from atoll.analytics.models import FirstStepsDismissal, Interaction
from atoll.analytics.service import silos_around, silos_by_unit
from atoll.conversations.models import Post
from atoll.kit.time import as_utc, utcnow
from atoll.people.models import Person, PersonSkill, Unit
from atoll.spaces.models import Membership, Space

# (key, title, what it is for), in journey order: inside the team, across silos, outward.
STEPS: tuple[tuple[str, str, str], ...] = (
    (
        "profile",
        "Complete your profile",
        "Add your title and your skills, so colleagues know whom to ask.",
    ),
    (
        "team_post",
        "Post in your team",
        "Share what you are working on, among the people you work with every day.",
    ),
    (
        "answer",
        "Answer a colleague's question",
        "Someone is waiting for what you know: answer a question a colleague asked.",
    ),
    (
        "join_community",
        "Join a community beyond your department",
        "Communities gather people who share an interest or a practice, across teams.",
    ),
    (
        "help_across",
        "Help someone from another unit",
        "Comment or answer in a conversation started by someone outside your own unit.",
    ),
    (
        "reply_external",
        "Reply to a customer or partner",
        "Your hybrid spaces bring customers and partners in: answer one of them.",
    ),
)
KEYS = tuple(key for key, _, _ in STEPS)
# A person is new for this long after their account was made: once every step is taken, the
# home page congratulates a new person (until they hide it), and shows nothing to others.
NEW_FOR = timedelta(days=30)
HELPING = ("comment", "reply")  # the log's kinds that help someone (an answer, a reply)


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    hint: str
    done: bool
    href: str


@dataclass(frozen=True)
class FirstSteps:
    steps: list[Step]
    dismissed: bool
    new: bool = False  # the person's account is younger than NEW_FOR

    @property
    def done(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def finished(self) -> bool:
        return self.done == len(self.steps)

    @property
    def shown(self) -> bool:
        """Whether the home page shows the checklist: while a step is left, and once every
        one is taken, to a new person — until they hide it."""
        return bool(self.steps) and not self.dismissed and (self.new or not self.finished)


def _takers(key: str) -> tuple[Select[Any], Any]:
    """The people who took the step ``key`` (a query of their ids), and its person column."""
    if key == "profile":
        has_skill = exists().where(PersonSkill.person_id == Person.id)
        return select(Person.id).where(Person.title != "", has_skill), Person.id
    if key == "join_community":
        query = select(Membership.person_id).join(Space, Space.id == Membership.space_id)
        return query.where(Space.kind == "community"), Membership.person_id
    log = select(Interaction.actor_id)
    if key == "team_post":
        query = log.join(Space, Space.id == Interaction.space_id)
        return query.where(Interaction.kind == "post", Space.kind == "unit"), Interaction.actor_id
    if key == "answer":  # a comment on a question another member asked
        query = log.join(Post, Post.id == Interaction.post_id).where(
            Interaction.kind == "comment",
            Interaction.target_kind == "member",
            Interaction.target_id != Interaction.actor_id,
            Post.kind == "question",
        )
        return query, Interaction.actor_id
    scope = {"help_across": "across", "reply_external": "external"}[key]
    query = log.where(Interaction.scope == scope, Interaction.kind.in_(HELPING))
    if key == "reply_external":
        query = query.where(Interaction.target_kind == "external")
    return query, Interaction.actor_id


def _in_hybrid(person_id: Any) -> ColumnElement[bool]:
    """Whether the person is in a hybrid space (the last step is theirs)."""
    return exists().where(
        Membership.person_id == person_id,
        Membership.space_id == Space.id,
        Space.kind == "hybrid",
        Space.archived_at.is_(None),
    )


async def first_steps_for(
    session: AsyncSession, *, person: Person, now: datetime | None = None
) -> FirstSteps:
    """The person's checklist. Externals have none: the journey is the members'."""
    if person.kind != "member":
        return FirstSteps(steps=[], dismissed=False)
    taken = [exists(query.where(column == person.id)) for query, column in map(_takers, KEYS)]
    dismissed = exists().where(FirstStepsDismissal.person_id == person.id)
    row = (await session.execute(select(*taken, _in_hybrid(person.id), dismissed))).one()
    done, in_hybrid = dict(zip(KEYS, row[: len(KEYS)], strict=True)), row[len(KEYS)]
    hrefs = await _hrefs(session, person)
    steps = [
        Step(key=key, title=title, hint=hint, done=bool(done[key]), href=hrefs[key])
        for key, title, hint in STEPS
        if key != "reply_external" or in_hybrid or done[key]
    ]
    new = as_utc(person.created_at) > (now or utcnow()) - NEW_FOR
    return FirstSteps(steps=steps, dismissed=bool(row[-1]), new=new)


async def _hrefs(session: AsyncSession, person: Person) -> dict[str, str]:
    """Where to take each step: the team's space (the unit space nearest the person) and the
    hybrid space they were added to last."""
    team = await session.scalar(
        select(Space.slug)
        .join(Membership, Membership.space_id == Space.id)
        .join(Unit, Unit.id == Space.unit_id)
        .where(Membership.person_id == person.id, Space.kind == "unit", Space.archived_at.is_(None))
        .order_by(Unit.level.desc())
        .limit(1)
    )
    hybrid = await session.scalar(
        select(Space.slug)
        .join(Membership, Membership.space_id == Space.id)
        .where(
            Membership.person_id == person.id, Space.kind == "hybrid", Space.archived_at.is_(None)
        )
        .order_by(Membership.created_at.desc())
        .limit(1)
    )
    return {
        "profile": f"/people/{person.id}/edit",
        "team_post": f"/spaces/{team}" if team else "/spaces?kind=unit",
        "answer": "/?filter=unanswered",
        "join_community": "/discover",
        "help_across": "/?filter=unanswered",
        "reply_external": f"/spaces/{hybrid}" if hybrid else "/spaces?kind=hybrid",
    }


async def do_dismiss_first_steps(session: AsyncSession, *, person: Person) -> None:
    """Hide the checklist from the home page (the first-steps page still shows it)."""
    if await session.get(FirstStepsDismissal, person.id) is None:
        session.add(FirstStepsDismissal(person_id=person.id, dismissed_at=utcnow()))
        await session.flush()


async def do_show_first_steps(session: AsyncSession, *, person: Person) -> None:
    """Show the checklist on the home page again."""
    await session.execute(
        delete(FirstStepsDismissal).where(FirstStepsDismissal.person_id == person.id)
    )


# --- per unit, for administrators --------------------------------------------------------


@dataclass(frozen=True)
class UnitSteps:
    unit_id: int
    name: str
    members: int | None  # None: under the privacy floor, and so is every count
    # Per step: how many of its people took it (None: withheld), and of how many it is asked
    # (the last step only of those in a hybrid space).
    taken: dict[str, int | None]
    asked: dict[str, int | None]


def _members() -> Select[Any]:
    return select(Person.unit_id, func.count()).where(
        Person.kind == "member", Person.is_active.is_(True)
    )


async def _per_unit(session: AsyncSession, condition: ColumnElement[bool]) -> dict[int, int]:
    rows = await session.execute(_members().where(condition).group_by(Person.unit_id))
    return {unit: count for unit, count in rows.tuples() if unit is not None}


def _per_silo(per_unit: dict[int, int], silo_of: dict[int, int | None]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for unit, count in per_unit.items():
        silo = silo_of.get(unit)
        if silo is not None:
            counts[silo] = counts.get(silo, 0) + count
    return counts


async def first_steps_by_unit(
    session: AsyncSession, *, silo_level: int, within: Unit | None = None
) -> list[UnitSteps]:
    """Per silo (the units at the silo level, or only those in ``within``): how many of its
    members (active, by the unit they are in now) took each first step. Counts of 1 to 4
    people are withheld, and so is the count of those who did not take a step when that is;
    a silo under 5 members shows no count at all."""
    units = list(await session.scalars(select(Unit)))
    silo_of = silos_by_unit(((u.id, u.path, u.level) for u in units), level=silo_level)
    silos = [u for u in units if u.level == silo_level]
    if within is not None:
        silos = silos_around(silos, within)
    names = {u.id: u.name for u in silos}
    members = _per_silo(await _per_unit(session, true()), silo_of)
    hybrid = _per_silo(await _per_unit(session, _in_hybrid(Person.id)), silo_of)
    taken: dict[str, dict[int, int]] = {}
    for key in KEYS:
        query, column = _takers(key)
        condition: ColumnElement[bool] = Person.id.in_(query.where(column.is_not(None)))
        if key == "reply_external":
            condition = and_(condition, _in_hybrid(Person.id))
        taken[key] = _per_silo(await _per_unit(session, condition), silo_of)
    return [
        _unit_steps(silo, name, members.get(silo, 0), hybrid.get(silo, 0), taken)
        for silo, name in sorted(names.items(), key=lambda item: item[1].lower())
    ]


def _unit_steps(
    silo: int, name: str, members: int, in_hybrid: int, taken: dict[str, dict[int, int]]
) -> UnitSteps:
    if small(members):
        return UnitSteps(silo, name, None, dict.fromkeys(KEYS), dict.fromkeys(KEYS))
    shown: dict[str, int | None] = {}
    asked: dict[str, int | None] = {}
    for key in KEYS:
        of = in_hybrid if key == "reply_external" else members
        done = taken[key].get(silo, 0)
        parts = withhold({"done": done, "not": of - done})
        shown[key] = parts["done"]
        asked[key] = None if small(of) else of
    return UnitSteps(silo, name, members, shown, asked)
