"""The first time a member writes where outsiders read, Atoll says so once, before it posts.

Two questions, each asked once per person and remembered (``OutsiderConfirmation``):

- "audience": their first post or comment in a space outsiders read — a hybrid space with
  external members, or a public space (anyone on the internet): who will read it, how many,
  from which organisations, and the space's guidelines if it has any;
- "mention": their first mention of an external person, anywhere: "<name> is from
  <organisation>: they will be notified and see this post".

The pages ask (``outsiders_pages``) and record the answer in the transaction that posts; the
JSON API does not ask (bots and integrations write there). Externals are not asked: they are
the outsiders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, Subquery, func, insert, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from atoll.conversations import mentions
from atoll.conversations.models import Comment, Mention, OutsiderConfirmation, Post
from atoll.kit.errors import Invalid
from atoll.people.models import Person
from atoll.spaces import guidelines
from atoll.spaces import members as space_members
from atoll.spaces.models import Space

AUDIENCE = "audience"
MENTION = "mention"


@dataclass
class Question:
    """What to say before posting: the audience (when asked about it), the space's
    guidelines (rendered), the external people the body mentions (when asked about them)."""

    space: Space
    audience: space_members.Audience | None = None
    guidelines_html: str = ""
    externals: list[Person] = field(default_factory=list)

    @property
    def asks(self) -> list[str]:
        """What confirming this answers: "audience", "mention" or both."""
        return ([AUDIENCE] if self.audience is not None else []) + (
            [MENTION] if self.externals else []
        )


async def confirmed(session: AsyncSession, *, person: Person) -> set[str]:
    """What the person has confirmed already."""
    rows = await session.scalars(
        select(OutsiderConfirmation.what).where(OutsiderConfirmation.person_id == person.id)
    )
    return set(rows.all())


def outsiders_read(audience: space_members.Audience) -> bool:
    """A public space, or one whose readers include externals."""
    return audience.public or audience.external > 0


async def question_for(
    session: AsyncSession, *, author: Person, space: Space, body: str
) -> Question | None:
    """What to ask ``author`` before posting ``body`` in ``space`` (a post or a comment), or
    None: nothing to ask (they confirmed before, nobody outside reads, they are external, or
    the body is empty — posting it says why)."""
    if author.kind != "member" or not body.strip():
        return None
    done = await confirmed(session, person=author)
    if AUDIENCE in done and MENTION in done:
        return None
    question = Question(space=space)
    if AUDIENCE not in done:
        audience = await space_members.audience_of(session, space=space)
        if outsiders_read(audience):
            question.audience = audience
            question.guidelines_html = guidelines.guidelines_html(space)
    if MENTION not in done:
        try:
            found = await mentions.resolve_mentions(session, author=author, space=space, body=body)
        except Invalid:
            found = mentions.Resolved(mentioned=[], cannot_see=[])  # posting says why
        question.externals = [p for p in found.mentioned if p.kind == "external"]
    return question if question.asks else None


async def do_confirm(session: AsyncSession, *, person: Person, question: Question) -> None:
    """The person confirmed what ``question`` asks: it is not asked again."""
    done = await confirmed(session, person=person)
    for what in question.asks:
        if what not in done:
            session.add(OutsiderConfirmation(person_id=person.id, what=what))
    await session.flush()


# --- who wrote to outsiders before these questions existed ----------------------------------

OUTSIDE_KINDS = ("hybrid", "public")


def _writers_outside() -> Select[tuple[int]]:
    """Members who wrote a post or a comment in a hybrid or a public space."""
    outside = select(Space.id).where(Space.kind.in_(OUTSIDE_KINDS))
    posts = select(Post.author_id.label("who")).where(Post.space_id.in_(outside))
    comments = (
        select(Comment.author_id.label("who"))
        .join(Post, Post.id == Comment.post_id)
        .where(Post.space_id.in_(outside))
    )
    return _members_among(union(posts, comments).subquery())


def _mentioners_of_externals() -> Select[tuple[int]]:
    """Members who mentioned an external person, in a post or in a comment."""
    external = aliased(Person)
    who = func.coalesce(Comment.author_id, Post.author_id).label("who")
    mentions_ = (
        select(who)
        .select_from(Mention)
        .join(external, external.id == Mention.person_id)
        .join(Post, Post.id == Mention.post_id)
        .outerjoin(Comment, Comment.id == Mention.comment_id)
        .where(external.kind == "external")
    )
    return _members_among(mentions_.subquery())


def _members_among(rows: Subquery) -> Select[tuple[int]]:
    return (
        select(Person.id)
        .where(Person.id.in_(select(rows.c.who)), Person.kind == "member")
        .distinct()
    )


async def do_remember_earlier_words(session: AsyncSession, *, now: datetime) -> None:
    """Record as confirmed what people did before Atoll asked: a member who has written where
    outsiders read, or mentioned an external person, is not asked again (the demo's history;
    migration 0027 did the same for an existing installation)."""
    for what, people in ((AUDIENCE, _writers_outside()), (MENTION, _mentioners_of_externals())):
        done = select(OutsiderConfirmation.person_id).where(OutsiderConfirmation.what == what)
        query = people.where(Person.id.not_in(done))
        rows = [
            {"person_id": pid, "what": what, "confirmed_at": now}
            for pid in await session.scalars(query)
        ]
        if rows:
            await session.execute(insert(OutsiderConfirmation), rows)
