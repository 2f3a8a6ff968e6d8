"""Who a new post or comment notifies: the one answer that the subscribers telling people act
on (``atoll.notifications.conversations``) and that the composer shows before posting
("Notifies 12 people: …", ``atoll.notifications.preview``), so the two cannot disagree.

The rules, each over people who may read the space now (``notifications.policy.may_read``:
active people the space's read rule reaches), never the author:

- a post notifies the people it mentions, the followers of its space and the followers of its
  author; someone mentioned is told once, of the mention; someone who follows both the space
  and the author is told once (the total counts people, not reasons);
- a comment notifies the people it mentions, the author of the comment it replies to and the
  author of the post (each once; a mention is what they are told of then). Following a space
  or a person brings their posts, not every comment under them.

Preferences switch e-mails, not these in-app notifications (``notifications.service.wants``);
there is no muting yet. Deactivated people and people who lost access to the space are out
by the read rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations.models import Comment, Follow, Post
from atoll.notifications import policy as notification_policy
from atoll.people.models import Person
from atoll.spaces.models import Space


@dataclass
class Recipients:
    """The people a post or a comment notifies, by why (a person appears under one reason
    at most, but may follow both the space and the author)."""

    mentioned: list[Person] = field(default_factory=list)
    space_followers: list[Person] = field(default_factory=list)
    author_followers: list[Person] = field(default_factory=list)
    replied: list[tuple[Person, str]] = field(default_factory=list)  # (author, "post"|"comment")

    def followers(self) -> list[tuple[Person, str]]:
        """Each follower once, with what they follow ("space" before "person")."""
        seen: dict[int, tuple[Person, str]] = {}
        for person in self.space_followers:
            seen.setdefault(person.id, (person, "space"))
        for person in self.author_followers:
            seen.setdefault(person.id, (person, "person"))
        return list(seen.values())

    @property
    def total(self) -> int:
        """How many people, each counted once."""
        ids = {p.id for p in self.mentioned}
        ids |= {p.id for p in self.space_followers} | {p.id for p in self.author_followers}
        ids |= {p.id for p, _ in self.replied}
        return len(ids)


async def people_among(
    session: AsyncSession,
    *,
    ids: Sequence[int | None],
    actor: Person,
    clause: ColumnElement[bool],
) -> list[Person]:
    """The people among ``ids``, other than the actor, for whom ``clause`` holds (one query)."""
    wanted = {i for i in ids if i is not None and i != actor.id}
    if not wanted:
        return []
    rows = await session.execute(
        select(Person).where(Person.id.in_(wanted), clause).order_by(Person.id)
    )
    return list(rows.scalars())


def _follows(target_type: str, target_id: int) -> ColumnElement[bool]:
    return exists().where(
        Follow.follower_id == Person.id,
        Follow.target_type == target_type,
        Follow.target_id == target_id,
    )


async def of_post(
    session: AsyncSession, *, actor: Person, space: Space, mentioned: Sequence[Person]
) -> Recipients:
    """Whom a new post by ``actor`` in ``space`` mentioning ``mentioned`` notifies (two
    queries: the mentioned, then the followers through the follow index)."""
    readers = notification_policy.may_read(space)
    told = await people_among(session, ids=[p.id for p in mentioned], actor=actor, clause=readers)
    following = select(Follow.follower_id).where(
        or_(
            and_(Follow.target_type == "space", Follow.target_id == space.id),
            and_(Follow.target_type == "person", Follow.target_id == actor.id),
        )
    )
    of_space, of_author = _follows("space", space.id), _follows("person", actor.id)
    rows = await session.execute(
        select(Person, of_space.label("of_space"), of_author.label("of_author"))
        .where(
            Person.id.in_(following),
            Person.id.not_in([actor.id, *(p.id for p in told)]),
            readers,
        )
        .order_by(Person.id)
    )
    found = Recipients(mentioned=told)
    for person, space_follower, author_follower in rows.tuples():
        if space_follower:
            found.space_followers.append(person)
        if author_follower:
            found.author_followers.append(person)
    return found


async def of_comment(
    session: AsyncSession,
    *,
    actor: Person,
    space: Space,
    post: Post,
    parent: Comment | None,
    mentioned: Sequence[Person],
) -> Recipients:
    """Whom a new comment by ``actor`` on ``post`` (a reply to ``parent``) mentioning
    ``mentioned`` notifies: the mentioned, then the authors it answers."""
    readers = notification_policy.may_read(space)
    told = await people_among(session, ids=[p.id for p in mentioned], actor=actor, clause=readers)
    targets: dict[int, str] = {}
    if parent is not None:
        targets[parent.author_id] = "comment"
    targets.setdefault(post.author_id, "post")
    skip = {p.id for p in told}
    answered = await people_among(
        session, ids=[pid for pid in targets if pid not in skip], actor=actor, clause=readers
    )
    return Recipients(mentioned=told, replied=[(p, targets[p.id]) for p in answered])
