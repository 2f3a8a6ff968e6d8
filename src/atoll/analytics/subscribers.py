"""The interaction log follows the changes of conversations and the wiki
(``atoll.conversations.events``, ``atoll.wiki.events``), in the same transaction, with the
silo level and look-back window of the settings (``Ties``):

- a new post: ``post`` (toward the space), then a ``mention`` toward each person it mentions;
- a new comment: ``comment`` toward the post's author, or ``reply`` toward the author of the
  comment it answers, then its mentions; an edit: a ``mention`` toward each person newly
  mentioned;
- a reaction or a vote added: ``reaction`` or ``vote`` toward the post's author, once per
  person and post (taking it back and adding it again, or a second emoji, adds nothing); an
  accepted answer: ``accept`` toward its author;
- a new wiki revision: ``wiki_edit`` toward each earlier editor of the page (toward the
  space for a page's first revision).

Nothing is recorded toward oneself, nor anything in a practice space (its owner's alone).
A post and a page's first revision have no target: their rows are *activity*
(models.ACTIVITY), which counts for adoption, never as a tie."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.service import already_recorded, record_interaction
from atoll.conversations.events import (
    COMMENT_CREATED,
    COMMENT_UPDATED,
    POST_ANSWERED,
    POST_CREATED,
    POST_UPDATED,
    REACTION_CHANGED,
    VOTE_CHANGED,
    Change,
)
from atoll.conversations.models import Post
from atoll.events.outbox import Recorded, Subscriber
from atoll.people.models import Person
from atoll.spaces.models import Space
from atoll.wiki.events import WIKI_UPDATED, Edited
from atoll.wiki.models import WikiRevision


@dataclass(frozen=True)
class Ties:
    """Where interactions fall: the silo level (``ATOLL_SILO_LEVEL``) and the look-back
    window of new ties in days (``ATOLL_TIE_LOOKBACK_DAYS``)."""

    silo_level: int
    lookback_days: int


def subscriptions(ties: Ties) -> list[tuple[str, Subscriber]]:
    return [
        (POST_CREATED, partial(record_post, ties)),
        (POST_UPDATED, partial(record_mentions, ties)),
        (COMMENT_CREATED, partial(record_comment, ties)),
        (COMMENT_UPDATED, partial(record_mentions, ties)),
        (REACTION_CHANGED, partial(record_added, ties, "reaction")),
        (VOTE_CHANGED, partial(record_added, ties, "vote")),
        (POST_ANSWERED, partial(record_accept, ties)),
        (WIKI_UPDATED, partial(record_wiki_edit, ties)),
    ]


async def _record(
    session: AsyncSession,
    ties: Ties,
    *,
    kind: str,
    actor: Person,
    space: Space,
    target: Person | None = None,
    post: Post | None = None,
) -> None:
    if space.kind == "practice":
        return  # a practice space is its owner's alone: nothing in it counts
    await record_interaction(
        session,
        kind=kind,
        actor=actor,
        target=target,
        space=space,
        post=post,
        silo_level=ties.silo_level,
        lookback_days=ties.lookback_days,
    )


async def _toward(
    session: AsyncSession, ties: Ties, change: Change, *, kind: str, target_id: int
) -> None:
    """An interaction on the change's post toward ``target_id``, unless it is the actor."""
    if target_id == change.actor.id:
        return
    target = await session.get(Person, target_id)
    if target is not None:
        await _record(
            session,
            ties,
            kind=kind,
            actor=change.actor,
            space=change.space,
            target=target,
            post=change.post,
        )


async def record_mentions(ties: Ties, session: AsyncSession, recorded: Recorded) -> None:
    change: Change = recorded.facts["change"]
    for person in change.mentioned:
        await _record(
            session,
            ties,
            kind="mention",
            actor=change.actor,
            space=change.space,
            target=person,
            post=change.post,
        )


async def record_post(ties: Ties, session: AsyncSession, recorded: Recorded) -> None:
    """``post`` toward the space, then the post's mentions."""
    change: Change = recorded.facts["change"]
    await _record(
        session, ties, kind="post", actor=change.actor, space=change.space, post=change.post
    )
    await record_mentions(ties, session, recorded)


async def record_comment(ties: Ties, session: AsyncSession, recorded: Recorded) -> None:
    """``reply`` toward the comment answered, or ``comment`` toward the post's author; then
    the comment's mentions."""
    change: Change = recorded.facts["change"]
    if change.parent is not None:
        await _toward(session, ties, change, kind="reply", target_id=change.parent.author_id)
    else:
        await _toward(session, ties, change, kind="comment", target_id=change.post.author_id)
    await record_mentions(ties, session, recorded)


async def record_added(ties: Ties, kind: str, session: AsyncSession, recorded: Recorded) -> None:
    """A reaction or a vote toward the post's author, when one was added (not taken back) and
    the log has none of this kind by this person on this post yet."""
    change: Change = recorded.facts["change"]
    if not change.added or change.post.author_id == change.actor.id:
        return
    if await already_recorded(session, kind=kind, actor_id=change.actor.id, post_id=change.post.id):
        return
    await _toward(session, ties, change, kind=kind, target_id=change.post.author_id)


async def record_accept(ties: Ties, session: AsyncSession, recorded: Recorded) -> None:
    change: Change = recorded.facts["change"]
    if change.comment is not None:
        await _toward(session, ties, change, kind="accept", target_id=change.comment.author_id)


async def record_wiki_edit(ties: Ties, session: AsyncSession, recorded: Recorded) -> None:
    """``wiki_edit`` toward each earlier editor of a page with a new revision; toward the
    space for its first."""
    edited: Edited = recorded.facts["edited"]
    if not edited.revised:
        return
    editor, space, page = edited.editor, edited.space, edited.page
    if page.revision <= 1:
        await _record(session, ties, kind="wiki_edit", actor=editor, space=space)
        return
    earlier = select(WikiRevision.author_id).where(
        WikiRevision.page_id == page.id, WikiRevision.author_id != editor.id
    )
    people = await session.scalars(
        select(Person).where(Person.id.in_(earlier.distinct())).order_by(Person.id)
    )
    for person in list(people):
        await _record(session, ties, kind="wiki_edit", actor=editor, space=space, target=person)
