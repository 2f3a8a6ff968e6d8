"""How people respond to a post: reactions, the accepted answer of a question, votes for an
idea and its status. Each ``do_*`` checks, changes and records its event in the caller's
transaction (notifications and analytics follow it); none of them commits."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import events
from atoll.conversations import policy as conversation_policy
from atoll.conversations.events import Change
from atoll.conversations.feed import REACTIONS
from atoll.conversations.models import IDEA_STATUSES, Comment, IdeaVote, Post, Reaction
from atoll.conversations.service import check_participate, check_writable
from atoll.kit.errors import Conflict, Forbidden, Invalid
from atoll.kit.ids import parse_id
from atoll.people.write_limits import UNLIMITED, WriteLimits, check_write_rate
from atoll.spaces.policy import SpaceAccess

# Emoji as clients may send them: with or without the variation selector U+FE0F.
_EMOJI = {e.replace("\ufe0f", ""): e for e in REACTIONS}


def check_emoji(emoji: str) -> str:
    """One of the allowed reactions (with or without U+FE0F); Invalid otherwise."""
    found = _EMOJI.get(emoji.strip().replace("\ufe0f", ""))
    if found is None:
        raise Invalid.field("emoji", f"must be one of {' '.join(REACTIONS)}")
    return found


async def do_react(
    session: AsyncSession,
    *,
    access: SpaceAccess,
    post: Post,
    emoji: str,
    limits: WriteLimits = UNLIMITED,
) -> bool:
    """Add the actor's reaction (from the allow-list). True if it is new; reacting twice with
    the same emoji changes nothing. RateLimited past the actor's reactions per minute."""
    actor, space = access.actor, access.space
    emoji = check_emoji(emoji)
    check_participate(access)
    await check_write_rate(session, person=actor, kind="reactions", limits=limits)
    if await session.get(Reaction, (post.id, actor.id, emoji)) is not None:
        return False
    session.add(Reaction(post_id=post.id, person_id=actor.id, emoji=emoji))
    await events.reaction_changed(session, Change(actor, space, post, added=True), emoji=emoji)
    await session.flush()
    return True


async def do_unreact(
    session: AsyncSession,
    *,
    access: SpaceAccess,
    post: Post,
    emoji: str,
    limits: WriteLimits = UNLIMITED,
) -> bool:
    """Take the actor's reaction back. True if there was one. Counted with the reactions
    (toggling one on and off is as much of a flood)."""
    actor = access.actor
    emoji = check_emoji(emoji)
    check_participate(access)
    await check_write_rate(session, person=actor, kind="reactions", limits=limits)
    result = await session.execute(
        delete(Reaction).where(
            Reaction.post_id == post.id, Reaction.person_id == actor.id, Reaction.emoji == emoji
        )
    )
    removed = bool(getattr(result, "rowcount", 0))
    if removed:
        await events.reaction_changed(session, Change(actor, access.space, post), emoji=emoji)
    return removed


async def do_accept(
    session: AsyncSession, *, access: SpaceAccess, post: Post, comment_id: int | str | None
) -> Post:
    """The author of a question marks one of its comments (or replies) as the accepted answer;
    None takes the mark away. Conflict for a post that is not a question."""
    actor, space = access.actor, access.space
    check_writable(space)
    if post.kind != "question":
        raise Conflict("Only questions have an accepted answer.")
    if not conversation_policy.may_accept(access, post):
        raise Forbidden("Only the person who asked can accept an answer.")
    if comment_id in (None, ""):
        if post.accepted_comment_id is not None:
            change = Change(actor, space, post)
            await events.post_event(session, events.POST_ANSWERED, change, comment_id=None)
        post.accepted_comment_id = None
        await session.flush()
        return post
    number = parse_id(comment_id)
    comment = await session.get(Comment, number) if number is not None else None
    parent = (
        await session.get(Comment, comment.parent_id)
        if comment is not None and comment.parent_id is not None
        else None
    )
    if (
        comment is None
        or comment.post_id != post.id
        or not conversation_policy.is_live_comment(comment, parent)
    ):
        raise Invalid.field("comment_id", "must be the id of a comment on this question")
    if post.accepted_comment_id != comment.id:
        post.accepted_comment_id = comment.id
        change = Change(actor, space, post, comment=comment)
        await events.post_event(session, events.POST_ANSWERED, change, comment_id=str(comment.id))
    await session.flush()
    return post


def _check_idea(post: Post) -> None:
    if post.kind != "idea":
        raise Conflict("Only ideas take votes and a status.")


async def do_vote(session: AsyncSession, *, access: SpaceAccess, post: Post) -> bool:
    """Vote for an idea (once per person). True if the vote is new."""
    actor, space = access.actor, access.space
    _check_idea(post)
    check_participate(access)
    if await session.get(IdeaVote, (post.id, actor.id)) is not None:
        return False
    session.add(IdeaVote(post_id=post.id, person_id=actor.id))
    post.vote_count = Post.vote_count + 1
    await session.flush()
    await session.refresh(post, ["vote_count"])
    change = Change(actor, space, post, added=True)
    await events.post_event(session, events.VOTE_CHANGED, change, vote_count=post.vote_count)
    await session.flush()
    return True


async def do_unvote(session: AsyncSession, *, access: SpaceAccess, post: Post) -> bool:
    """Take a vote back. True if there was one."""
    actor = access.actor
    _check_idea(post)
    check_participate(access)
    result = await session.execute(
        delete(IdeaVote).where(IdeaVote.post_id == post.id, IdeaVote.person_id == actor.id)
    )
    if not getattr(result, "rowcount", 0):
        return False
    post.vote_count = Post.vote_count - 1
    await session.flush()
    await session.refresh(post, ["vote_count"])
    change = Change(actor, access.space, post)
    await events.post_event(session, events.VOTE_CHANGED, change, vote_count=post.vote_count)
    return True


async def do_set_idea_status(
    session: AsyncSession, *, access: SpaceAccess, post: Post, status: str
) -> Post:
    """The space's owners and moderators (and admins) move an idea: new, reviewing, adopted,
    declined."""
    actor, space = access.actor, access.space
    _check_idea(post)
    if status not in IDEA_STATUSES:
        raise Invalid.field("idea_status", f"must be one of {', '.join(IDEA_STATUSES)}")
    check_writable(space)
    if not conversation_policy.may_moderate(access, post):
        raise Forbidden("Only the space's owners and moderators can set an idea's status.")
    if post.idea_status != status:
        post.idea_status = status
        await session.flush()
        change = Change(actor, space, post)
        await events.post_event(session, events.IDEA_STATUS, change, status=status)
        await session.flush()
    return post
