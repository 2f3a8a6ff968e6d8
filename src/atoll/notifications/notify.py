"""Telling people what happened to them, in the transaction of the change (the subscribers in
``atoll.notifications.conversations`` and ``atoll.notifications.spaces`` call these); none of
them commits. Each tells only people other than the actor who may see what it is about (the
space policy decides, in SQL), announces the new unread count on the event log, and queues the
e-mail that goes out once the transaction commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll import mail
from atoll.conversations.models import Comment, Post, Reaction
from atoll.kit.time import utcnow
from atoll.notifications import email, service
from atoll.notifications import policy as notification_policy
from atoll.notifications.models import Notification
from atoll.notifications.recipients import people_among
from atoll.notifications.views import NotificationView
from atoll.people.models import Person
from atoll.spaces.models import JoinRequest, Membership, Space
from atoll.spaces.policy import MANAGERS

# The e-mail sent at once for a kind, and the preference that switches it.
IMMEDIATE = {"mention": "mentions", "invitation": "invitations"}


async def _tell(
    session: AsyncSession,
    *,
    recipient: Person,
    kind: str,
    actor: Person,
    space: Space,
    post: Post | None = None,
    comment: Comment | None = None,
    detail: str = "",
    excerpt: str = "",
) -> Notification:
    now = utcnow()
    n = Notification(
        person_id=recipient.id,
        kind=kind,
        actor_id=actor.id,
        count=1,
        space_id=space.id,
        post_id=post.id if post else None,
        comment_id=comment.id if comment else None,
        detail=detail[:200],
        created_at=now,
        updated_at=now,
    )
    session.add(n)
    await session.flush()
    view = NotificationView(n, actor.id, actor.name, space.id, space.name, space.slug)
    app_mail, what = mail.mail_of(session), IMMEDIATE.get(kind)
    if what and app_mail.enabled() and await service.wants(session, recipient, what):
        mail.queue(
            session,
            email.notification_message(
                app_mail.settings, to=recipient, view=view, what=what, excerpt=excerpt
            ),
            about=n,
        )
        n.emailed_at = now
        await session.flush()
    await service.announce(session, recipient=recipient, view=view)
    return n


async def notify_mention(
    session: AsyncSession,
    *,
    actor: Person,
    space: Space,
    post: Post,
    comment: Comment | None,
    people: Sequence[Person],
) -> list[Notification]:
    """People newly mentioned in a post or comment (mentions of people who cannot read the
    space are refused before this; this checks again)."""
    body = comment.body if comment is not None else post.body
    recipients = await people_among(
        session,
        ids=[p.id for p in people],
        actor=actor,
        clause=notification_policy.may_read(space),
    )
    return [
        await _tell(
            session,
            recipient=person,
            kind="mention",
            actor=actor,
            space=space,
            post=post,
            comment=comment,
            excerpt=body,
        )
        for person in recipients
    ]


async def notify_reply(
    session: AsyncSession,
    *,
    actor: Person,
    space: Space,
    post: Post,
    comment: Comment,
    replied: Sequence[tuple[Person, str]],
) -> list[Notification]:
    """A comment on someone's post, or a reply to someone's comment: ``replied`` are the
    authors it answers (``recipients.of_comment``), each with "post" or "comment"."""
    return [
        await _tell(
            session,
            recipient=person,
            kind="reply",
            actor=actor,
            space=space,
            post=post,
            comment=comment,
            detail=what,
        )
        for person, what in replied
    ]


async def notify_new_post(
    session: AsyncSession,
    *,
    actor: Person,
    space: Space,
    post: Post,
    followers: Sequence[tuple[Person, str]],
) -> list[Notification]:
    """A new post for the people who follow its space or its author (``recipients.of_post``),
    each with what they follow ("space" or "person"). In the app only: the daily digest
    e-mails what stays unread."""
    return [
        await _tell(
            session,
            recipient=person,
            kind="new_post",
            actor=actor,
            space=space,
            post=post,
            detail=what,
            excerpt=post.body,
        )
        for person, what in followers
    ]


async def notify_reaction(
    session: AsyncSession, *, actor: Person, space: Space, post: Post, emoji: str
) -> Notification | None:
    """A reaction to someone's post. While the author has not read it, one notification
    gathers every reaction to the post: "Ana and 4 others reacted 👍 ❤️ to your post"."""
    recipients = await people_among(
        session, ids=[post.author_id], actor=actor, clause=notification_policy.may_read(space)
    )
    if not recipients:
        return None
    author = recipients[0]
    batch = await session.scalar(
        select(Notification)
        .where(
            Notification.person_id == author.id,
            Notification.kind == "reaction",
            Notification.post_id == post.id,
            Notification.read_at.is_(None),
        )
        .order_by(Notification.id.desc())
        .limit(1)
    )
    if batch is None:
        reaction = await session.get(Reaction, (post.id, actor.id, emoji))
        since = reaction.created_at if reaction is not None else utcnow()
        batch = Notification(
            person_id=author.id,
            kind="reaction",
            post_id=post.id,
            space_id=space.id,
            created_at=since,
        )
        session.add(batch)
    else:
        since = batch.created_at
    rows = (
        (
            await session.execute(
                select(Reaction.person_id, Reaction.emoji)
                .where(
                    Reaction.post_id == post.id,
                    Reaction.person_id != author.id,
                    Reaction.created_at >= since,
                )
                .order_by(Reaction.created_at)
            )
        )
        .tuples()
        .all()
    )
    emojis = list(dict.fromkeys(e for _, e in rows)) or [emoji]
    batch.actor_id = actor.id
    batch.count = max(1, len({pid for pid, _ in rows}))
    batch.detail = " ".join(emojis)[:200]
    batch.updated_at = utcnow()
    await session.flush()
    view = NotificationView(batch, actor.id, actor.name, space.id, space.name, space.slug)
    await service.announce(session, recipient=author, view=view)
    return batch


async def notify_invitation(
    session: AsyncSession, *, actor: Person, space: Space, person: Person, role: str
) -> Notification | None:
    """Someone added ``person`` to a space (with ``role``)."""
    recipients = await people_among(
        session, ids=[person.id], actor=actor, clause=notification_policy.may_read(space)
    )
    if not recipients:
        return None
    return await _tell(
        session,
        recipient=recipients[0],
        kind="invitation",
        actor=actor,
        space=space,
        detail=role,
        excerpt=space.description,
    )


async def notify_join_request(
    session: AsyncSession, *, actor: Person, space: Space
) -> list[Notification]:
    """``actor`` asked to join: the space's owners and moderators hear of it."""
    managers = select(Membership.person_id).where(
        Membership.space_id == space.id, Membership.role.in_(MANAGERS)
    )
    rows = await session.execute(
        select(Person)
        .where(Person.id.in_(managers), Person.id != actor.id, notification_policy.may_read(space))
        .order_by(Person.id)
    )
    return [
        await _tell(session, recipient=person, kind="join_request", actor=actor, space=space)
        for person in rows.scalars()
    ]


async def notify_join_answer(
    session: AsyncSession, *, actor: Person, space: Space, request: JoinRequest
) -> Notification | None:
    """The answer to a request to join, for the person who asked."""
    recipients = await people_among(
        session, ids=[request.person_id], actor=actor, clause=notification_policy.may_know(space)
    )
    if not recipients:
        return None
    return await _tell(
        session,
        recipient=recipients[0],
        kind="join_answer",
        actor=actor,
        space=space,
        detail=request.status,
    )


async def notify_accepted(
    session: AsyncSession, *, actor: Person, space: Space, post: Post, comment: Comment
) -> Notification | None:
    """The asker accepted ``comment`` as the answer: its author hears of it."""
    recipients = await people_among(
        session, ids=[comment.author_id], actor=actor, clause=notification_policy.may_read(space)
    )
    if not recipients:
        return None
    return await _tell(
        session,
        recipient=recipients[0],
        kind="accepted",
        actor=actor,
        space=space,
        post=post,
        comment=comment,
    )


async def notify_idea_status(
    session: AsyncSession, *, actor: Person, space: Space, post: Post
) -> Notification | None:
    """A moderator moved an idea to a new status: its author hears of it."""
    recipients = await people_among(
        session, ids=[post.author_id], actor=actor, clause=notification_policy.may_read(space)
    )
    if not recipients:
        return None
    return await _tell(
        session,
        recipient=recipients[0],
        kind="idea_status",
        actor=actor,
        space=space,
        post=post,
        detail=post.idea_status or "",
    )
