"""People who know about a topic: from their skills, their accepted answers and what they
wrote. Only people the viewer may see are named, and only content the viewer may read counts:
a secret space's posts never make anyone an expert to an outsider."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.models import Interaction
from atoll.conversations.models import Comment, Post
from atoll.discover.network import colleague_ids, plural, skills_of
from atoll.kit.errors import Invalid
from atoll.org.models import Unit
from atoll.people.models import Person, PersonSkill
from atoll.people.policy import can_see_org_chart
from atoll.search import query as search
from atoll.spaces.policy import readable_space_ids, visible_people

MAX_TOPIC = 100
MAX_CANDIDATES = 200
EXACT_SKILL, PARTIAL_SKILL, PER_ANSWER, PER_POST = 10.0, 6.0, 3.0, 0.5


@dataclass
class Expert:
    """A person who knows about a topic, and why we think so."""

    person: Person
    unit_name: str | None
    skill: str | None = None
    exact_skill: bool = False
    accepted: int = 0
    posts: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        skill = EXACT_SKILL if self.exact_skill else PARTIAL_SKILL if self.skill else 0.0
        return skill + PER_ANSWER * min(self.accepted, 5) + PER_POST * min(self.posts, 20)

    @property
    def reason(self) -> str:
        return " · ".join(self.reasons)


def check_topic(topic: str) -> str:
    """The topic with its spaces tidied; Invalid when empty or longer than 100 characters."""
    tidy = " ".join(topic.split())
    if not tidy:
        raise Invalid.field("topic", "must name a topic, for example Python")
    if len(tidy) > MAX_TOPIC:
        raise Invalid.field("topic", f"must be at most {MAX_TOPIC} characters")
    return tidy


async def _skilled(session: AsyncSession, viewer: Person, key: str) -> dict[int, tuple[str, bool]]:
    """Person id → (their skill that names the topic, whether it is exactly the topic)."""
    rows = await session.execute(
        select(PersonSkill.person_id, PersonSkill.name, PersonSkill.key)
        .join(Person, Person.id == PersonSkill.person_id)
        .where(
            PersonSkill.key.contains(key, autoescape=True),
            visible_people(viewer),
            Person.is_active.is_(True),
            Person.id != viewer.id,
        )
        .order_by((PersonSkill.key == key).desc(), PersonSkill.person_id)
        .limit(MAX_CANDIDATES)
    )
    out: dict[int, tuple[str, bool]] = {}
    for pid, name, skill_key in rows.tuples():
        if pid not in out or (skill_key == key and not out[pid][1]):
            out[int(pid)] = (name, skill_key == key)
    return out


async def _accepted_answers(
    session: AsyncSession, viewer: Person, key: str, candidates: list[int]
) -> dict[int, int]:
    """Person id → their answers accepted on questions about the topic, in spaces the viewer
    may read. The interaction log narrows the questions to the candidates' accepted answers;
    the posts themselves say whether the answer is still the accepted one."""
    if not candidates:
        return {}
    accepted_on = select(Interaction.post_id).where(
        Interaction.kind == "accept",
        Interaction.target_id.in_(candidates),
        Interaction.post_id.is_not(None),
    )
    rows = await session.execute(
        select(Comment.author_id, func.count(func.distinct(Post.id)))
        .join(Comment, Comment.id == Post.accepted_comment_id)
        .where(
            Post.id.in_(accepted_on),
            Post.kind == "question",
            Post.deleted_at.is_(None),
            Comment.deleted_at.is_(None),
            Comment.author_id.in_(candidates),
            Post.space_id.in_(readable_space_ids(viewer)),
            func.lower(Post.body).contains(key.lower(), autoescape=True),
        )
        .group_by(Comment.author_id)
    )
    return {int(pid): int(n) for pid, n in rows.tuples()}


async def experts_on(
    session: AsyncSession, *, viewer: Person, topic: str, limit: int = 8
) -> list[Expert]:
    """People the viewer may see who know about ``topic``, best first: a skill that is the
    topic (strongest) or names it, answers accepted on questions about it, and posts,
    comments and wiki pages about it that the viewer may read."""
    topic = check_topic(topic)
    key = topic.lower()
    skilled = await _skilled(session, viewer, key)
    wrote = await search.authors_matching(session, viewer=viewer, text=topic, limit=MAX_CANDIDATES)
    candidates = sorted(set(skilled) | set(wrote))
    answers = await _accepted_answers(session, viewer, key, candidates)
    if not candidates:
        return []
    rows = await session.execute(
        select(Person, Unit.name)
        .outerjoin(Unit, Unit.id == Person.unit_id)
        .where(
            Person.id.in_(candidates),
            visible_people(viewer),
            Person.is_active.is_(True),
            Person.id != viewer.id,
        )
    )
    experts = []
    chart = can_see_org_chart(viewer)  # a guest is told organisations, never units
    for person, unit_name in rows.tuples():
        skill, exact = skilled.get(person.id, (None, False))
        place = unit_name if chart else None
        expert = Expert(
            person=person,
            unit_name=place if person.kind == "member" else person.organization,
            skill=skill,
            exact_skill=exact,
            accepted=answers.get(person.id, 0),
            posts=wrote.get(person.id, 0),
        )
        if skill:
            expert.reasons.append(f"Skill: {skill}")
        if expert.accepted:
            expert.reasons.append(plural(expert.accepted, "accepted answer"))
        if expert.posts:
            expert.reasons.append(f"{plural(expert.posts, 'post')} about {topic}")
        if expert.reasons:
            experts.append(expert)
    experts.sort(key=lambda e: (-e.score, e.person.name, e.person.id))
    return experts[:limit]


async def topic_for(session: AsyncSession, *, viewer: Person) -> str | None:
    """The topic of the home panel: the viewer's first skill; without one, the skill most
    common among the people they work with; None when neither says anything."""
    mine = await skills_of(session, viewer)
    if mine:
        return mine[0][0]
    row = (
        await session.execute(
            select(func.min(PersonSkill.name), PersonSkill.key)
            .join(Person, Person.id == PersonSkill.person_id)
            .where(PersonSkill.person_id.in_(colleague_ids(viewer)), visible_people(viewer))
            .group_by(PersonSkill.key)
            .order_by(func.count().desc(), PersonSkill.key)
            .limit(1)
        )
    ).first()
    return str(row[0]) if row else None
