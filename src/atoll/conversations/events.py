"""The events conversations emit, written in the transaction of the change (see
``atoll.events.outbox``). Each is a space event: whoever may read the post's space at
delivery time receives it. Payloads carry ids (as strings) and counts; clients fetch what
they show.

- ``post.created``: ``post_id``, ``author_id``, ``kind``
- ``post.updated``, ``post.deleted``: ``post_id``
- ``comment.created``: ``post_id``, ``comment_id``, ``parent_id`` (or null), ``author_id``,
  ``comment_count``
- ``comment.updated``: ``post_id``, ``comment_id``
- ``comment.deleted``: ``post_id``, ``comment_id``, ``comment_count``
- ``reaction.changed``: ``post_id``, ``emoji``, ``person_id``, ``added``, ``counts`` (emoji
  to count, after the change)
- ``vote.changed``: ``post_id``, ``vote_count``
- ``post.answered``: ``post_id``, ``comment_id`` (the accepted answer, or null)
- ``idea.status``: ``post_id``, ``status``
- ``post.pinned``: ``post_id``, ``scope`` ("space" or "organisation"), ``pinned`` (false:
  unpinned), ``until`` (an organisation's announcement: when it ends)
- ``post.closed``: ``post_id``, ``closed`` (false: reopened)
- ``post.restored``: ``post_id`` (a deleted post is back, with its comments)
- ``comment.restored``: ``post_id``, ``comment_id``, ``comment_count``

Not written to the log (``run_subscribers``: no stream hears of them), for search to follow:

- ``post.hidden``, ``post.unhidden``, ``comment.hidden``, ``comment.unhidden``: a moderator
  hid content or showed it again (``atoll.conversations.hiding``)

Every one carries the fact ``change`` (a ``Change``: who acted, where, on what), which its
subscribers follow: search indexes posts and comments (``atoll.search.content``),
notifications tell people (``atoll.notifications.conversations``), analytics records the
interactions (``atoll.analytics.subscribers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations.models import Comment, Post, Reaction
from atoll.events.outbox import record_event
from atoll.people.models import Person
from atoll.spaces.models import Space

POST_CREATED = "post.created"
POST_UPDATED = "post.updated"
POST_DELETED = "post.deleted"
COMMENT_CREATED = "comment.created"
COMMENT_UPDATED = "comment.updated"
COMMENT_DELETED = "comment.deleted"
REACTION_CHANGED = "reaction.changed"
VOTE_CHANGED = "vote.changed"
POST_ANSWERED = "post.answered"
IDEA_STATUS = "idea.status"
POST_PINNED = "post.pinned"
POST_CLOSED = "post.closed"
POST_RESTORED = "post.restored"
COMMENT_RESTORED = "comment.restored"
# Housekeeping removed posts and comments deleted long ago, for good (no event in the log:
# ``run_subscribers``). Facts ``post_ids`` and ``comment_ids``: what went, replies included.
CONTENT_PURGED = "content.purged"
POST_HIDDEN = "post.hidden"
POST_UNHIDDEN = "post.unhidden"
COMMENT_HIDDEN = "comment.hidden"
COMMENT_UNHIDDEN = "comment.unhidden"


@dataclass(frozen=True)
class Change:
    """The facts of a conversations event."""

    actor: Person
    space: Space
    post: Post
    comment: Comment | None = None  # the comment made, changed or deleted; the accepted answer
    parent: Comment | None = None  # comment.created: the comment it replies to
    mentioned: Sequence[Person] = ()  # people newly mentioned by the post's or comment's body
    added: bool = False  # reaction.changed, vote.changed: a reaction or a vote was added


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


async def post_event(session: AsyncSession, type: str, change: Change, **data: Any) -> None:
    """``post.created``, ``post.updated``, ``post.deleted``, ``vote.changed``,
    ``post.answered``, ``idea.status``: the post's id and ``data``."""
    post = change.post
    await record_event(
        session,
        type=type,
        space_id=post.space_id,
        data={"post_id": str(post.id), **data},
        facts={"change": change},
    )


async def post_created(session: AsyncSession, change: Change) -> None:
    post = change.post
    await post_event(session, POST_CREATED, change, author_id=str(post.author_id), kind=post.kind)


async def comment_event(session: AsyncSession, type: str, change: Change) -> None:
    """``comment.created``, ``comment.updated``, ``comment.deleted`` of ``change.comment``."""
    post, comment = change.post, change.comment
    assert comment is not None
    data: dict[str, Any] = {"post_id": str(post.id), "comment_id": str(comment.id)}
    if type == COMMENT_CREATED:
        data.update(parent_id=_id(comment.parent_id), author_id=str(comment.author_id))
    if type != COMMENT_UPDATED:  # created, deleted, restored
        data["comment_count"] = post.comment_count
    await record_event(
        session, type=type, space_id=post.space_id, data=data, facts={"change": change}
    )


async def reaction_changed(session: AsyncSession, change: Change, *, emoji: str) -> None:
    """``reaction.changed`` of the actor's ``emoji``, with the post's counts after the change
    (one query)."""
    await session.flush()
    rows = await session.execute(
        select(Reaction.emoji, func.count())
        .where(Reaction.post_id == change.post.id)
        .group_by(Reaction.emoji)
    )
    await post_event(
        session,
        REACTION_CHANGED,
        change,
        emoji=emoji,
        person_id=str(change.actor.id),
        added=change.added,
        counts=dict(rows.tuples().all()),
    )
