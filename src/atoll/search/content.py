"""Posts, comments and wiki pages in the search index, kept in step by following their
changes in the same transaction (``atoll.conversations.events``, ``atoll.wiki.events``): a
post or comment is indexed when it is made or edited and taken out when it is deleted (a
post with its comments, a top-level comment with its replies), indexed again when it is
restored and its leftovers dropped when housekeeping purges it; a wiki page is indexed at
each new revision and taken out when it is deleted. Content a moderator hides leaves search
(a hidden post with its comments) until it is shown again."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import policy as conversation_policy
from atoll.conversations.events import (
    COMMENT_CREATED,
    COMMENT_DELETED,
    COMMENT_HIDDEN,
    COMMENT_RESTORED,
    COMMENT_UNHIDDEN,
    COMMENT_UPDATED,
    CONTENT_PURGED,
    POST_CREATED,
    POST_DELETED,
    POST_HIDDEN,
    POST_RESTORED,
    POST_UNHIDDEN,
    POST_UPDATED,
    Change,
)
from atoll.conversations.models import Comment
from atoll.events.outbox import Recorded, Subscriber
from atoll.search import index
from atoll.wiki.events import WIKI_UPDATED, Edited


def subscriptions() -> list[tuple[str, Subscriber]]:
    return [
        (POST_CREATED, index_post),
        (POST_UPDATED, index_post),
        (POST_DELETED, unindex_post),
        (COMMENT_CREATED, index_comment),
        (COMMENT_UPDATED, index_comment),
        (COMMENT_DELETED, unindex_comment),
        (POST_RESTORED, index_restored),
        (COMMENT_RESTORED, index_restored),
        (CONTENT_PURGED, unindex_purged),
        (POST_HIDDEN, unindex_post),
        (POST_UNHIDDEN, reindex_post),
        (COMMENT_HIDDEN, unindex_one_comment),
        (COMMENT_UNHIDDEN, index_comment),
        (WIKI_UPDATED, index_wiki_page),
    ]


async def index_post(session: AsyncSession, recorded: Recorded) -> None:
    change: Change = recorded.facts["change"]
    await index.index_post(session, change.post, new=recorded.type == POST_CREATED)


async def unindex_post(session: AsyncSession, recorded: Recorded) -> None:
    change: Change = recorded.facts["change"]
    await index.unindex_post(session, change.post)


async def index_comment(session: AsyncSession, recorded: Recorded) -> None:
    change: Change = recorded.facts["change"]
    assert change.comment is not None
    new = recorded.type == COMMENT_CREATED
    await index.index_comment(session, change.comment, change.post, new=new)


async def unindex_comment(session: AsyncSession, recorded: Recorded) -> None:
    change: Change = recorded.facts["change"]
    assert change.comment is not None
    await index.unindex_comment(session, change.comment)


async def index_restored(session: AsyncSession, recorded: Recorded) -> None:
    change: Change = recorded.facts["change"]
    await index.index_restored(session, change.post, comment=change.comment)


async def unindex_purged(session: AsyncSession, recorded: Recorded) -> None:
    facts = recorded.facts
    await index.unindex_purged(
        session, post_ids=facts["post_ids"], comment_ids=facts["comment_ids"]
    )


async def unindex_one_comment(session: AsyncSession, recorded: Recorded) -> None:
    """A hidden comment leaves search; its replies stay (they are not hidden)."""
    change: Change = recorded.facts["change"]
    assert change.comment is not None
    await index.unindex(session, "comment", [change.comment.id])


async def reindex_post(session: AsyncSession, recorded: Recorded) -> None:
    """A post shown again comes back to search with its live comments that are not hidden."""
    change: Change = recorded.facts["change"]
    await index.index_post(session, change.post)
    comments = await session.scalars(
        conversation_policy.with_parent(select(Comment)).where(
            Comment.post_id == change.post.id,
            conversation_policy.live_comment(),
            Comment.hidden_at.is_(None),
        )
    )
    for comment in comments:
        await index.index_comment(session, comment, change.post)


async def index_wiki_page(session: AsyncSession, recorded: Recorded) -> None:
    edited: Edited = recorded.facts["edited"]
    if edited.deleted:
        await index.unindex(session, "wiki", [edited.page.id])
    elif edited.revised:
        await index.index_wiki_page(session, edited.page)
