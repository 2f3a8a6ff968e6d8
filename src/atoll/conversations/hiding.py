"""A moderator hides a post or a comment, and shows it again.

Hidden content stays where it was, but only its author, the space's owners and moderators and
the platform's moderators and administrators read it (``policy.unhidden``, joined by every
statement that reads conversations); its author sees it marked "Hidden by a moderator" with
the note. It leaves search until it is shown again. Who decides to hide is the moderation
queue's (``atoll.governance``); these check that the actor moderates the space."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import events
from atoll.conversations import policy as conversation_policy
from atoll.conversations.events import Change
from atoll.conversations.models import Comment, Post
from atoll.events.outbox import run_subscribers
from atoll.kit.errors import Forbidden
from atoll.kit.time import utcnow
from atoll.spaces.policy import SpaceAccess

MAX_NOTE = 2000


def check_may_hide(access: SpaceAccess) -> None:
    """Whoever governs the space (``policy.may_govern``) hides and shows content in it."""
    if not conversation_policy.may_govern(access):
        raise Forbidden("Only the space's moderators can hide or show content here.")


async def _changed(session: AsyncSession, type: str, change: Change) -> None:
    await session.flush()
    await run_subscribers(session, type=type, space_id=change.space.id, facts={"change": change})


async def do_hide_post(
    session: AsyncSession, *, access: SpaceAccess, post: Post, note: str
) -> None:
    """Hide a post (and, with it, its comments) from everyone but its author and moderators."""
    check_may_hide(access)
    post.hidden_at, post.hidden_note = utcnow(), note[:MAX_NOTE]
    await _changed(session, events.POST_HIDDEN, Change(access.actor, access.space, post))


async def do_unhide_post(session: AsyncSession, *, access: SpaceAccess, post: Post) -> None:
    check_may_hide(access)
    if post.hidden_at is None:
        return
    post.hidden_at, post.hidden_note = None, None
    await _changed(session, events.POST_UNHIDDEN, Change(access.actor, access.space, post))


async def do_hide_comment(
    session: AsyncSession, *, access: SpaceAccess, comment: Comment, post: Post, note: str
) -> None:
    """Hide a comment from everyone but its author and moderators (its replies stay)."""
    check_may_hide(access)
    comment.hidden_at, comment.hidden_note = utcnow(), note[:MAX_NOTE]
    change = Change(access.actor, access.space, post, comment=comment)
    await _changed(session, events.COMMENT_HIDDEN, change)


async def do_unhide_comment(
    session: AsyncSession, *, access: SpaceAccess, comment: Comment, post: Post
) -> None:
    check_may_hide(access)
    if comment.hidden_at is None:
        return
    comment.hidden_at, comment.hidden_note = None, None
    change = Change(access.actor, access.space, post, comment=comment)
    await _changed(session, events.COMMENT_UNHIDDEN, change)
