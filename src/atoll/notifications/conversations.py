"""Notifications that follow what happens in conversations (``atoll.conversations.events``),
in the same transaction: people newly mentioned in a post or comment, the followers of a new
post's space and author, the authors a comment or reply answers (unless the comment mentions
them: they were told already) — whom, ``atoll.notifications.recipients`` decides — the author
of a post someone reacted to, of an answer its asker accepted, of an idea whose status
moved."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations.events import (
    COMMENT_CREATED,
    COMMENT_UPDATED,
    IDEA_STATUS,
    POST_ANSWERED,
    POST_CREATED,
    POST_UPDATED,
    REACTION_CHANGED,
    Change,
)
from atoll.events.outbox import Recorded, Subscriber
from atoll.notifications import notify, recipients


def subscriptions() -> list[tuple[str, Subscriber]]:
    return [
        (POST_CREATED, notify_post),
        (POST_UPDATED, notify_mentions),
        (COMMENT_CREATED, notify_comment),
        (COMMENT_UPDATED, notify_mentions),
        (REACTION_CHANGED, notify_reaction),
        (POST_ANSWERED, notify_accepted),
        (IDEA_STATUS, notify_idea_status),
    ]


async def notify_mentions(session: AsyncSession, recorded: Recorded) -> None:
    change: Change = recorded.facts["change"]
    if change.mentioned:
        await notify.notify_mention(
            session,
            actor=change.actor,
            space=change.space,
            post=change.post,
            comment=change.comment,
            people=change.mentioned,
        )


async def notify_post(session: AsyncSession, recorded: Recorded) -> None:
    change: Change = recorded.facts["change"]
    who = await recipients.of_post(
        session, actor=change.actor, space=change.space, mentioned=change.mentioned
    )
    await notify.notify_mention(
        session,
        actor=change.actor,
        space=change.space,
        post=change.post,
        comment=None,
        people=who.mentioned,
    )
    await notify.notify_new_post(
        session,
        actor=change.actor,
        space=change.space,
        post=change.post,
        followers=who.followers(),
    )


async def notify_comment(session: AsyncSession, recorded: Recorded) -> None:
    change: Change = recorded.facts["change"]
    assert change.comment is not None
    who = await recipients.of_comment(
        session,
        actor=change.actor,
        space=change.space,
        post=change.post,
        parent=change.parent,
        mentioned=change.mentioned,
    )
    await notify.notify_mention(
        session,
        actor=change.actor,
        space=change.space,
        post=change.post,
        comment=change.comment,
        people=who.mentioned,
    )
    await notify.notify_reply(
        session,
        actor=change.actor,
        space=change.space,
        post=change.post,
        comment=change.comment,
        replied=who.replied,
    )


async def notify_reaction(session: AsyncSession, recorded: Recorded) -> None:
    change: Change = recorded.facts["change"]
    if change.added:
        await notify.notify_reaction(
            session,
            actor=change.actor,
            space=change.space,
            post=change.post,
            emoji=recorded.data["emoji"],
        )


async def notify_accepted(session: AsyncSession, recorded: Recorded) -> None:
    change: Change = recorded.facts["change"]
    if change.comment is not None:
        await notify.notify_accepted(
            session,
            actor=change.actor,
            space=change.space,
            post=change.post,
            comment=change.comment,
        )


async def notify_idea_status(session: AsyncSession, recorded: Recorded) -> None:
    change: Change = recorded.facts["change"]
    await notify.notify_idea_status(
        session, actor=change.actor, space=change.space, post=change.post
    )
