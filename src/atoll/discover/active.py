"""What is active in your network this week: the posts the viewer may read with the most
comments and reactions in the last seven days, lifted when people the viewer works with take
part or when the post is in one of the viewer's spaces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Subquery, case, exists, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.models import Interaction
from atoll.conversations import mentions
from atoll.conversations.models import Comment, Post, Reaction
from atoll.discover.network import colleague_ids, others, plural, since
from atoll.kit.markdown import headline
from atoll.people.models import Person
from atoll.spaces.models import Membership, Space
from atoll.spaces.policy import readable_space_ids

DAYS = 7
KNOWN_WEIGHT, MY_SPACE_BONUS = 3, 5
SNIPPET = 160


@dataclass
class ActivePost:
    post: Post
    space: Space
    author_name: str
    comments: int
    reactions: int
    in_my_space: bool
    known: list[str] = field(default_factory=list)
    known_count: int = 0
    reasons: list[str] = field(default_factory=list)
    snippet: str = ""

    @property
    def reason(self) -> str:
        return " · ".join(self.reasons)


def _acts(post_ids: Any) -> Subquery:
    """Comments and reactions of the week on ``post_ids``: (post_id, person_id, c, r)."""
    start = since(DAYS)
    return union_all(
        select(
            Comment.post_id.label("post_id"),
            Comment.author_id.label("person_id"),
            literal(1).label("c"),
            literal(0).label("r"),
        ).where(
            Comment.post_id.in_(post_ids), Comment.created_at >= start, Comment.deleted_at.is_(None)
        ),
        select(Reaction.post_id, Reaction.person_id, literal(0), literal(1)).where(
            Reaction.post_id.in_(post_ids), Reaction.created_at >= start
        ),
    ).subquery()


async def active_for(session: AsyncSession, *, viewer: Person, limit: int = 8) -> list[ActivePost]:
    """The week's busiest readable posts for the viewer, each with why it is shown."""
    # The interaction log's index on time finds the posts that had company this week; the
    # comments and reactions themselves are then counted through their post indexes.
    touched = select(Interaction.post_id).where(
        Interaction.at >= since(DAYS),
        Interaction.kind.in_(("comment", "reply", "reaction")),
        Interaction.post_id.is_not(None),
    )
    acts = _acts(touched)
    known = acts.c.person_id.in_(colleague_ids(viewer))
    totals = (
        select(
            acts.c.post_id,
            func.sum(acts.c.c).label("comments"),
            func.sum(acts.c.r).label("reactions"),
            func.count(func.distinct(case((known, acts.c.person_id)))).label("known"),
        )
        .group_by(acts.c.post_id)
        .subquery()
    )
    mine = exists().where(Membership.space_id == Post.space_id, Membership.person_id == viewer.id)
    score = (
        totals.c.comments
        + totals.c.reactions
        + KNOWN_WEIGHT * totals.c.known
        + case((mine, MY_SPACE_BONUS), else_=0)
    )
    rows = (
        await session.execute(
            select(Post, Space, Person.name, totals.c.comments, totals.c.reactions, mine)
            .join(totals, totals.c.post_id == Post.id)
            .join(Space, Space.id == Post.space_id)
            .join(Person, Person.id == Post.author_id)
            .where(Post.deleted_at.is_(None), Post.space_id.in_(readable_space_ids(viewer)))
            .order_by(score.desc(), Post.id.desc())
            .limit(limit)
        )
    ).tuples()
    out = [
        ActivePost(post, space, author, int(c or 0), int(r or 0), bool(m))
        for post, space, author, c, r, m in rows
    ]
    await _add_known(session, viewer, out)
    await _add_snippets(session, viewer, out)
    for item in out:
        _reasons(item)
    return out


async def _add_snippets(session: AsyncSession, viewer: Person, items: list[ActivePost]) -> None:
    """The start of each post as a reader sees it: Markdown as text, mentions as names."""
    ids = {i for item in items for i in mentions.mentioned_ids(item.post.body)}
    names = await mentions.names_of(session, viewer=viewer, ids=ids)
    for item in items:
        item.snippet = headline(mentions.text_with_names(item.post.body, names), SNIPPET)


async def _add_known(session: AsyncSession, viewer: Person, items: list[ActivePost]) -> None:
    """The people the viewer works with who took part in each post this week."""
    if not items:
        return
    acts = _acts([i.post.id for i in items])
    rows = await session.execute(
        select(acts.c.post_id, acts.c.person_id)
        .where(acts.c.person_id.in_(colleague_ids(viewer)))
        .distinct()
    )
    by_post: dict[int, list[int]] = {}
    for post_id, person_id in rows.tuples():
        by_post.setdefault(int(post_id), []).append(int(person_id))
    ids = {p for ps in by_post.values() for p in ps}
    names = await mentions.names_of(session, viewer=viewer, ids=ids)
    for item in items:
        people = sorted(names.get(p, "Someone") for p in by_post.get(item.post.id, []))
        item.known, item.known_count = people, len(people)


def _reasons(item: ActivePost) -> None:
    counts = []
    if item.comments:
        counts.append(plural(item.comments, "comment"))
    if item.reactions:
        counts.append(plural(item.reactions, "reaction"))
    if counts:
        item.reasons.append(" and ".join(counts) + " this week")
    if item.known_count:
        item.reasons.append(
            others(
                item.known, item.known_count, "you know took part", one="who you know, took part"
            )
        )
    if item.in_my_space:
        item.reasons.append(f"In {item.space.name}, one of your spaces")
