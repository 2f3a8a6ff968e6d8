"""Who will be notified: the composer's line beside the audience ("Notifies 12 people: 2
mentioned, 9 following the space, 3 following you"), live as the draft changes, and the
warning for each @mention of someone who cannot see the space — before posting.

It reads the draft's mentions as posting would (``conversations.mentions``, without refusing)
and asks ``atoll.notifications.recipients`` — the very functions the subscribers that notify
act on — whom the post or comment would notify. Nothing is written."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import feed, mentions
from atoll.conversations import service as conversations
from atoll.conversations.models import Comment
from atoll.kit.errors import Invalid
from atoll.kit.ids import parse_id
from atoll.notifications import recipients
from atoll.notifications.recipients import Recipients
from atoll.people.models import Person
from atoll.spaces import service as spaces


@dataclass
class Preview:
    """What posting the draft would do: whom it notifies, and whom it names in vain."""

    who: Recipients
    cannot_see: list[Person] = field(default_factory=list)
    comment: bool = False  # a comment (or reply) rather than a post

    @property
    def sentence(self) -> str:
        """ "Notifies 12 people: 2 mentioned, 9 following the space, 3 following you." """
        who = self.who
        if who.total == 0:
            return "Notifies nobody."
        reasons = [
            (len(who.mentioned), "mentioned"),
            (len(who.space_followers), "following the space"),
            (len(who.author_followers), "following you"),
            (len(who.replied), "whom you answer"),
        ]
        parts = [f"{count} {why}" for count, why in reasons if count]
        noun = "person" if who.total == 1 else "people"
        return f"Notifies {who.total} {noun}: {', '.join(parts)}."

    @property
    def warnings(self) -> list[str]:
        """One line for each person mentioned who will not be told."""
        return [
            f"{p.name} cannot see this space and will not be notified."
            if p.is_active
            else f"{p.name} no longer has an account here and will not be notified."
            for p in self.cannot_see
        ]


async def _parent(session: AsyncSession, post_id: int, parent_id: str) -> Comment:
    number = parse_id(parent_id)
    parent = await session.get(Comment, number) if number is not None else None
    if parent is None or parent.post_id != post_id or parent.deleted_at is not None:
        raise Invalid.field("parent_id", "must be the id of a top-level comment on this post")
    return parent


async def notify_preview(
    session: AsyncSession,
    *,
    viewer: Person,
    space_id: int | str,
    body: str,
    kind: str | None = None,
    post_id: int | str | None = None,
    parent_id: str | None = None,
) -> Preview:
    """Whom ``viewer`` would notify by posting ``body`` in the space — or, with ``post_id``,
    by commenting on that post (``parent_id``: replying to that comment). Whoever may not
    read the space gets its 404 or 403; whoever may not post (or comment) there, 403."""
    access = await spaces.access_readable_space(session, viewer=viewer, space_id=space_id)
    space, body = access.space, body[: conversations.MAX_BODY]
    if post_id not in (None, ""):
        post, access = await feed.access_post(session, viewer=viewer, post_id=post_id)
        if post.space_id != space.id:
            raise Invalid.field("post_id", "must be the id of a post in this space")
        conversations.check_can_comment(access, post=post)
        parent = await _parent(session, post.id, parent_id) if parent_id else None
        found = await mentions.resolve_mentions(
            session, author=viewer, space=access.space, body=body
        )
        who = await recipients.of_comment(
            session,
            actor=viewer,
            space=access.space,
            post=post,
            parent=parent,
            mentioned=found.mentioned,
        )
        return Preview(who=who, cannot_see=found.cannot_see, comment=True)
    conversations.check_can_post(access, conversations.check_kind(kind or "update"))
    found = await mentions.resolve_mentions(session, author=viewer, space=access.space, body=body)
    who = await recipients.of_post(
        session, actor=viewer, space=access.space, mentioned=found.mentioned
    )
    return Preview(who=who, cannot_see=found.cannot_see)
