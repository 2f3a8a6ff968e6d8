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
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations.models import Comment, Post, Reaction
from atoll.events.outbox import record_event


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


async def post_event(session: AsyncSession, type: str, post: Post, **data: Any) -> None:
    """``post.created``, ``post.updated``, ``post.deleted``, ``vote.changed``,
    ``post.answered``, ``idea.status``: the post's id and ``data``."""
    await record_event(
        session, type=type, space_id=post.space_id, data={"post_id": str(post.id), **data}
    )


async def post_created(session: AsyncSession, post: Post) -> None:
    await post_event(session, "post.created", post, author_id=str(post.author_id), kind=post.kind)


async def comment_event(session: AsyncSession, type: str, post: Post, comment: Comment) -> None:
    """``comment.created``, ``comment.updated``, ``comment.deleted``."""
    data: dict[str, Any] = {"post_id": str(post.id), "comment_id": str(comment.id)}
    if type == "comment.created":
        data.update(parent_id=_id(comment.parent_id), author_id=str(comment.author_id))
    if type != "comment.updated":
        data["comment_count"] = post.comment_count
    await record_event(session, type=type, space_id=post.space_id, data=data)


async def reaction_changed(
    session: AsyncSession, *, post: Post, person_id: int, emoji: str, added: bool
) -> None:
    """``reaction.changed`` with the post's counts after the change (one query)."""
    await session.flush()
    rows = await session.execute(
        select(Reaction.emoji, func.count())
        .where(Reaction.post_id == post.id)
        .group_by(Reaction.emoji)
    )
    await post_event(
        session,
        "reaction.changed",
        post,
        emoji=emoji,
        person_id=str(person_id),
        added=added,
        counts=dict(rows.tuples().all()),
    )
