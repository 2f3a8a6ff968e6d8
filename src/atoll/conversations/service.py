"""Conversation use cases: post, edit and delete posts; comment, reply, edit and delete
comments; and the checks the other use cases share (``reactions``: reactions, answers and
ideas; ``follows``: following people and spaces).

Each ``do_*`` checks, changes, writes its rows (and mention rows) and records its event
(``atoll.conversations.events``) in the caller's transaction; what follows — search,
notifications, interaction rows — subscribes to that event. None of them commits. Load the
post, comment or space first with ``access_post`` / ``access_comment`` (re-exported here from
``feed``) or the spaces service's ``access_readable_space``, and pass what they return.
Reading — the feed, a space's posts, a thread, the history — lives in
``atoll.conversations.feed``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import attachments as files
from atoll.conversations import events, mentions
from atoll.conversations import policy as conversation_policy
from atoll.conversations.events import Change
from atoll.conversations.feed import access_comment, access_post
from atoll.conversations.models import (
    POST_KINDS,
    Comment,
    CommentRevision,
    Draft,
    Post,
    PostRevision,
)
from atoll.kit.errors import Conflict, Forbidden, Invalid, denied
from atoll.kit.ids import parse_id
from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.people.write_limits import UNLIMITED, WriteLimits, check_write_rate
from atoll.spaces import members as space_members
from atoll.spaces import policy
from atoll.spaces.models import Space
from atoll.spaces.policy import SpaceAccess

__all__ = ["access_comment", "access_post"]  # re-exported for routers and pages

MAX_BODY = 50_000


# --- checks -----------------------------------------------------------------------------------


def check_body(body: str, field: str = "body") -> str:
    """A Markdown body: not empty, at most 50,000 characters, no NUL character."""
    body = body.replace("\r\n", "\n").strip("\n").rstrip()
    if "\x00" in body:
        raise Invalid.field(field, "must not contain a NUL character")
    if not body.strip():
        raise Invalid.field(field, "must not be empty; write something")
    if len(body) > MAX_BODY:
        raise Invalid.field(
            field, f"must be at most {MAX_BODY:,} characters long (it has {len(body):,})"
        )
    return body


def check_kind(kind: str) -> str:
    if kind not in POST_KINDS:
        raise Invalid.field("kind", f"must be one of {', '.join(POST_KINDS)}")
    return kind


def check_writable(space: Space) -> None:
    """Archived spaces and closed situation rooms are read-only: Conflict."""
    if not policy.is_open_for_writing(space):
        if space.archived_at is None and space.kind == "situation":
            raise Conflict("This situation room has closed; it is read-only now.")
        raise Conflict("This space is archived; it is read-only now.")


def check_participate(access: SpaceAccess) -> None:
    """Whoever may read the space takes part (comments, reactions, votes) while it is open."""
    check_writable(access.space)
    if not access.can_participate:
        raise Forbidden("Only people who can read this space can take part in it.")


def check_can_post(access: SpaceAccess, kind: str) -> None:
    """Whoever belongs to the space (and admins) posts; its owners, moderators and admins
    announce. NotFound to whoever may not read it."""
    if not access.can_read:
        raise denied("space", signed_in=access.viewer is not None, may_know=False)
    if not (access.can_announce if kind == "announcement" else access.can_post):
        if access.can_post:
            raise Forbidden("Only the space's owners and moderators can post announcements.")
        raise Forbidden("Join this space to post in it.")


# --- posts ------------------------------------------------------------------------------------


async def do_create_post(
    session: AsyncSession,
    *,
    author: Person,
    space: Space,
    body: str,
    kind: str = "update",
    attachment_ids: Sequence[int | str] = (),
    limits: WriteLimits = UNLIMITED,
) -> Post:
    """Post in a space: members (and admins) post updates, questions and ideas; owners,
    moderators and admins post announcements. ``attachment_ids`` are the author's own
    unattached uploads. Conflict in a read-only space; Forbidden for non-members; Invalid for
    an empty or too long body, a bad mention or attachment; RateLimited past ``limits``
    (the pages and the API pass the app's; the demo, benchmarks and importers none). The
    author's draft in the space is posted now: it goes."""
    kind = check_kind(kind)
    check_writable(space)
    role = await space_members.role_in(session, space_id=space.id, person=author)
    check_can_post(policy.space_access(author, space, role), kind)
    body = check_body(body)
    parsed = await mentions.parse_body(session, author=author, space=space, body=body)
    uploads = await files.check_attachable(session, uploader=author, ids=attachment_ids)
    now = utcnow()
    await check_write_rate(session, person=author, kind="posts", limits=limits, now=now)
    post = Post(
        space_id=space.id,
        author_id=author.id,
        kind=kind,
        body=body,
        html=parsed.html,
        created_at=now,
        last_activity_at=now,
        comment_count=0,
        vote_count=0,
        idea_status="new" if kind == "idea" else None,
    )
    session.add(post)
    await session.flush()
    for upload in uploads:
        upload.post_id = post.id
    # What was being written here is posted now: the draft goes (atoll.conversations.drafts).
    await session.execute(
        delete(Draft).where(Draft.person_id == author.id, Draft.space_id == space.id)
    )
    mentioned = await mentions.sync_mentions(
        session, post=post, comment=None, people=parsed.mentioned, new=True
    )
    await session.flush()
    change = Change(actor=author, space=space, post=post, mentioned=mentioned)
    await events.post_created(session, change)
    await session.flush()
    return post


async def do_edit_post(
    session: AsyncSession, *, access: SpaceAccess, post: Post, body: str
) -> Post:
    """The author changes a post's body; the previous body is kept as a revision and the post
    is marked edited. Newly mentioned people are recorded; an unchanged body changes nothing."""
    actor, space = access.actor, access.space
    check_writable(space)
    if not conversation_policy.is_author(access, post.author_id):
        raise Forbidden("Only the author can edit a post.")
    body = check_body(body)
    if body == post.body:
        return post
    parsed = await mentions.parse_body(session, author=actor, space=space, body=body)
    session.add(
        PostRevision(
            post_id=post.id,
            body=post.body,
            editor_id=post.author_id,
            created_at=post.edited_at or post.created_at,
        )
    )
    post.body, post.html, post.edited_at = body, parsed.html, utcnow()
    mentioned = await mentions.sync_mentions(
        session, post=post, comment=None, people=parsed.mentioned
    )
    await session.flush()
    change = Change(actor=actor, space=space, post=post, mentioned=mentioned)
    await events.post_event(session, events.POST_UPDATED, change)
    await session.flush()
    return post


def check_can_delete_post(access: SpaceAccess, *, post: Post) -> None:
    """Its author, the space's owners and moderators, admins — while the space is open."""
    check_writable(access.space)
    if not conversation_policy.may_delete(access, post.author_id):
        raise Forbidden("Only the author or the space's moderators can delete this post.")


async def do_delete_post(session: AsyncSession, *, access: SpaceAccess, post: Post) -> None:
    """Soft-delete a post (see ``check_can_delete_post``): it leaves every list and reads as
    not found, its comments with it. Its rows stay: its author or a moderator may restore it
    for ``ATOLL_RESTORE_DAYS`` (``moderation.do_restore_post``); housekeeping then purges it."""
    actor = access.actor
    check_can_delete_post(access, post=post)
    post.deleted_at = utcnow()
    post.deleted_by_id = actor.id
    await events.post_event(session, events.POST_DELETED, Change(actor, access.space, post))
    await session.flush()


# --- comments ---------------------------------------------------------------------------------


async def _parent(session: AsyncSession, post: Post, parent_id: int | str) -> Comment:
    number = parse_id(parent_id)
    parent = await session.get(Comment, number) if number is not None else None
    if (
        parent is None
        or parent.post_id != post.id
        or parent.parent_id is not None
        or parent.deleted_at is not None
    ):
        raise Invalid.field("parent_id", "must be the id of a top-level comment on this post")
    return parent


def check_can_comment(access: SpaceAccess, *, post: Post) -> None:
    """Whoever may take part in the space, while the thread is not closed (Forbidden)."""
    check_participate(access)
    if post.closed_at is not None:
        raise Forbidden("This conversation is closed: no new comments or replies.")


async def do_comment(
    session: AsyncSession,
    *,
    access: SpaceAccess,
    post: Post,
    body: str,
    parent_id: int | str | None = None,
    limits: WriteLimits = UNLIMITED,
) -> Comment:
    """Comment on a post, or reply to a top-level comment (``parent_id``; one level only).
    Anyone who can read the space may comment while it is open and the thread is not closed
    (Forbidden); RateLimited past ``limits``."""
    actor, space = access.actor, access.space
    check_can_comment(access, post=post)
    parent = await _parent(session, post, parent_id) if parent_id not in (None, "") else None
    body = check_body(body)
    parsed = await mentions.parse_body(session, author=actor, space=space, body=body)
    now = utcnow()
    await check_write_rate(session, person=actor, kind="comments", limits=limits, now=now)
    comment = Comment(
        post_id=post.id,
        parent_id=parent.id if parent else None,
        author_id=actor.id,
        body=body,
        html=parsed.html,
        created_at=now,
    )
    session.add(comment)
    post.comment_count = Post.comment_count + 1
    post.last_activity_at = now
    await session.flush()
    await session.refresh(post, ["comment_count"])
    mentioned = await mentions.sync_mentions(
        session, post=post, comment=comment, people=parsed.mentioned, new=True
    )
    await session.flush()
    change = Change(actor, space, post, comment=comment, parent=parent, mentioned=mentioned)
    await events.comment_event(session, events.COMMENT_CREATED, change)
    await session.flush()
    return comment


async def do_edit_comment(
    session: AsyncSession,
    *,
    access: SpaceAccess,
    comment: Comment,
    post: Post,
    body: str,
) -> Comment:
    """The author changes a comment; the previous body is kept as a revision."""
    actor, space = access.actor, access.space
    check_writable(space)
    if not conversation_policy.is_author(access, comment.author_id):
        raise Forbidden("Only the author can edit a comment.")
    body = check_body(body)
    if body == comment.body:
        return comment
    parsed = await mentions.parse_body(session, author=actor, space=space, body=body)
    session.add(
        CommentRevision(
            comment_id=comment.id,
            body=comment.body,
            editor_id=comment.author_id,
            created_at=comment.edited_at or comment.created_at,
        )
    )
    comment.body, comment.html, comment.edited_at = body, parsed.html, utcnow()
    mentioned = await mentions.sync_mentions(
        session, post=post, comment=comment, people=parsed.mentioned
    )
    await session.flush()
    change = Change(actor, space, post, comment=comment, mentioned=mentioned)
    await events.comment_event(session, events.COMMENT_UPDATED, change)
    await session.flush()
    return comment


def check_can_delete_comment(access: SpaceAccess, *, comment: Comment) -> None:
    """Its author, the space's owners and moderators, admins — while the space is open."""
    check_writable(access.space)
    if not conversation_policy.may_delete(access, comment.author_id):
        raise Forbidden("Only the author or the space's moderators can delete this comment.")


async def do_delete_comment(
    session: AsyncSession, *, access: SpaceAccess, comment: Comment, post: Post
) -> None:
    """Soft-delete a comment (its author, the space's owners and moderators, admins). A
    top-level comment takes its replies out of sight with it; an accepted answer that goes
    away is no longer accepted. Restorable for ``ATOLL_RESTORE_DAYS``
    (``moderation.do_restore_comment``)."""
    check_can_delete_comment(access, comment=comment)
    hidden = 1
    if comment.parent_id is None:
        hidden += (
            await session.scalar(
                select(func.count()).where(
                    Comment.parent_id == comment.id, Comment.deleted_at.is_(None)
                )
            )
            or 0
        )
    comment.deleted_at = utcnow()
    comment.deleted_by_id = access.actor.id
    if post.accepted_comment_id is not None:
        accepted = await session.get(Comment, post.accepted_comment_id)
        if accepted is None or comment.id in (accepted.id, accepted.parent_id):
            post.accepted_comment_id = None
    post.comment_count = Post.comment_count - hidden
    await session.flush()
    await session.refresh(post, ["comment_count"])
    change = Change(access.actor, access.space, post, comment=comment)
    await events.comment_event(session, events.COMMENT_DELETED, change)
