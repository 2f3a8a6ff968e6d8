"""Deleted posts and comments: restored by their author or whoever governs the space within
``restore_days`` (``ATOLL_RESTORE_DAYS``) of the deletion, listed as "Recently deleted", and
then purged for good by housekeeping.

A restored post comes back with its comments, its counts, its search document (the
``post.restored`` event: search indexes it again, as ``post.deleted`` took it out) and its
place in every list (lists order by when it was posted). A restored comment comes back with
its replies and counts again in its post's. What was accepted as an answer stays unaccepted:
the question's author accepts it again.

Reading a deleted thing follows the read rule of its space: whoever may not read the space
gets 404 as for anything in it; someone who may read it but is neither the author nor a
moderator gets 403; a thing that is not deleted, 409; deleted too long ago, 410."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from atoll.audit.service import record_audit
from atoll.conversations import events
from atoll.conversations import policy as conversation_policy
from atoll.conversations.events import Change
from atoll.conversations.models import Attachment, Comment, Post
from atoll.conversations.service import check_writable
from atoll.events.outbox import run_subscribers
from atoll.kit.errors import Conflict, Forbidden, Gone, Invalid, denied
from atoll.kit.ids import MAX_ID, parse_id
from atoll.kit.pagination import clamp_limit, decode_cursor, encode_cursor
from atoll.kit.time import as_utc, utcnow
from atoll.people.models import Person
from atoll.spaces import members as space_members
from atoll.spaces import policy
from atoll.spaces.models import Space
from atoll.spaces.policy import SpaceAccess, space_access

RESTORE_DAYS = 30
PURGE_BATCH = 500


# --- loading a deleted post or comment --------------------------------------------------------


async def _access(session: AsyncSession, viewer: Person, space: Space) -> SpaceAccess:
    role = await space_members.role_in(session, space_id=space.id, person=viewer)
    return space_access(viewer, space, role)


async def access_any_post(
    session: AsyncSession, *, viewer: Person, post_id: int | str
) -> tuple[Post, SpaceAccess]:
    """A post, deleted or not, in a space the viewer may read (NotFound otherwise)."""
    number = parse_id(post_id)
    row = None
    if number is not None:
        stmt = (
            select(Post, Space)
            .join(Space, Space.id == Post.space_id)
            .where(Post.id == number, policy.readable_spaces(viewer))
        )
        row = (await session.execute(stmt)).tuples().one_or_none()
    if row is None:
        raise denied("post", signed_in=True, may_know=False)
    return row[0], await _access(session, viewer, row[1])


async def access_any_comment(
    session: AsyncSession, *, viewer: Person, comment_id: int | str
) -> tuple[Comment, Post, SpaceAccess]:
    """A comment, deleted or not, on a post in a space the viewer may read."""
    number = parse_id(comment_id)
    row = None
    if number is not None:
        stmt = (
            select(Comment, Post, Space)
            .join(Post, Post.id == Comment.post_id)
            .join(Space, Space.id == Post.space_id)
            .where(Comment.id == number, policy.readable_spaces(viewer))
        )
        row = (await session.execute(stmt)).tuples().one_or_none()
    if row is None:
        raise denied("comment", signed_in=True, may_know=False)
    return row[0], row[1], await _access(session, viewer, row[2])


def _check_restorable(
    access: SpaceAccess,
    *,
    what: str,
    author_id: int,
    deleted_at: datetime | None,
    restore_days: int,
    now: datetime,
) -> None:
    check_writable(access.space)
    if deleted_at is None:
        raise Conflict(f"This {what} is not deleted.")
    if not conversation_policy.may_restore(access, author_id):
        raise Forbidden(f"Only the author or the space's moderators can restore this {what}.")
    if as_utc(deleted_at) < now - timedelta(days=restore_days):
        raise Gone(
            f"This {what} was deleted more than {restore_days} days ago; it is gone for good."
        )


# --- restoring --------------------------------------------------------------------------------


async def do_restore_post(
    session: AsyncSession,
    *,
    access: SpaceAccess,
    post: Post,
    restore_days: int = RESTORE_DAYS,
    now: datetime | None = None,
) -> Post:
    """Bring a deleted post back with its comments (see the module's rules)."""
    now = now or utcnow()
    _check_restorable(
        access,
        what="post",
        author_id=post.author_id,
        deleted_at=post.deleted_at,
        restore_days=restore_days,
        now=now,
    )
    deleted_at, deleted_by = post.deleted_at, post.deleted_by_id
    post.deleted_at = post.deleted_by_id = None
    await session.flush()
    record_audit(
        session,
        actor_id=access.actor.id,
        action="post.restored",
        target_type="post",
        target_id=post.id,
        space_id=post.space_id,
        before={"deleted_at": deleted_at, "deleted_by": deleted_by},
        after={"deleted_at": None},
    )
    await events.post_event(session, events.POST_RESTORED, Change(access.actor, access.space, post))
    return post


async def do_restore_comment(
    session: AsyncSession,
    *,
    access: SpaceAccess,
    comment: Comment,
    post: Post,
    restore_days: int = RESTORE_DAYS,
    now: datetime | None = None,
) -> Comment:
    """Bring a deleted comment back with its replies. Its post must be live and, for a reply,
    the comment it answers (Conflict: restore that first)."""
    now = now or utcnow()
    if post.deleted_at is not None:
        raise Conflict("The post of this comment is deleted: restore the post first.")
    _check_restorable(
        access,
        what="comment",
        author_id=comment.author_id,
        deleted_at=comment.deleted_at,
        restore_days=restore_days,
        now=now,
    )
    if comment.parent_id is not None:
        parent = await session.get(Comment, comment.parent_id)
        if parent is None or parent.deleted_at is not None:
            raise Conflict("The comment this one replies to is deleted: restore that first.")
    back = 1
    if comment.parent_id is None:
        live_replies = select(func.count()).where(
            Comment.parent_id == comment.id, Comment.deleted_at.is_(None)
        )
        back += await session.scalar(live_replies) or 0
    deleted_at = comment.deleted_at
    comment.deleted_at = comment.deleted_by_id = None
    post.comment_count = Post.comment_count + back
    await session.flush()
    await session.refresh(post, ["comment_count"])
    record_audit(
        session,
        actor_id=access.actor.id,
        action="comment.restored",
        target_type="comment",
        target_id=comment.id,
        space_id=post.space_id,
        before={"deleted_at": deleted_at},
        after={"deleted_at": None},
    )
    change = Change(access.actor, access.space, post, comment=comment)
    await events.comment_event(session, events.COMMENT_RESTORED, change)
    return comment


# --- recently deleted -------------------------------------------------------------------------


@dataclass(frozen=True)
class Deleted:
    """A deleted post or comment as the "Recently deleted" lists show it."""

    type: str  # "post" | "comment"
    id: int
    post_id: int
    space: Space
    author: Person
    body: str
    deleted_at: datetime
    deleted_by_id: int | None
    restorable_until: datetime


def _after(cursor: str | None) -> tuple[datetime, str, int] | None:
    values = decode_cursor(cursor)
    if values is None:
        return None
    try:
        at = as_utc(datetime.fromisoformat(str(values[0])))
        kind, number = str(values[1]), int(values[2])
    except (IndexError, TypeError, ValueError, OverflowError) as exc:
        raise Invalid.field("cursor", "is not a cursor this server gave out") from exc
    if kind not in ("post", "comment") or not 0 < number <= MAX_ID:
        raise Invalid.field("cursor", "is not a cursor this server gave out")
    return at, kind, number


def _page_of(
    kind: str, deleted_at: Any, key: Any, after: tuple[datetime, str, int] | None
) -> ColumnElement[bool]:
    """Rows after the cursor in (deleted_at, type, id) descending order."""
    if after is None:
        return literal(True)
    at, other, number = after
    same = key < number if kind == other else literal(kind < other)
    return or_(deleted_at < at, and_(deleted_at == at, same))


def _deleted_posts(where: ColumnElement[bool]) -> Select[Any]:
    return (
        select(Post, Person, Space)
        .join(Person, Person.id == Post.author_id)
        .join(Space, Space.id == Post.space_id)
        .where(Post.deleted_at.is_not(None), where)
    )


def _deleted_comments(where: ColumnElement[bool]) -> Select[Any]:
    return (
        select(Comment, Person, Space, Post)
        .join(Post, Post.id == Comment.post_id)
        .join(Person, Person.id == Comment.author_id)
        .join(Space, Space.id == Post.space_id)
        .where(Comment.deleted_at.is_not(None), Post.deleted_at.is_(None), where)
    )


async def recently_deleted(
    session: AsyncSession,
    *,
    viewer: Person,
    space: Space | None = None,
    restore_days: int = RESTORE_DAYS,
    cursor: str | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> tuple[list[Deleted], str | None]:
    """Posts and comments deleted in the last ``restore_days``, newest deletion first: the
    viewer's own (in spaces they may still read), or — ``space``, loaded with the viewer's
    right to govern it checked (``check_may_list``) — everything deleted in that space."""
    limit = clamp_limit(limit)
    since = (now or utcnow()) - timedelta(days=restore_days)
    after = _after(cursor)
    if space is None:
        posts_where = and_(Post.author_id == viewer.id, policy.readable_spaces(viewer))
        comments_where = and_(Comment.author_id == viewer.id, policy.readable_spaces(viewer))
    else:
        posts_where = comments_where = Post.space_id == space.id
    post_rows = await session.execute(
        _deleted_posts(posts_where)
        .where(Post.deleted_at >= since, _page_of("post", Post.deleted_at, Post.id, after))
        .order_by(Post.deleted_at.desc(), Post.id.desc())
        .limit(limit + 1)
    )
    comment_rows = await session.execute(
        _deleted_comments(comments_where)
        .where(
            Comment.deleted_at >= since,
            _page_of("comment", Comment.deleted_at, Comment.id, after),
        )
        .order_by(Comment.deleted_at.desc(), Comment.id.desc())
        .limit(limit + 1)
    )
    items = [_item("post", p, p.id, a, s, restore_days) for p, a, s in post_rows.tuples()]
    items += [
        _item("comment", c, c.post_id, a, s, restore_days) for c, a, s, _ in comment_rows.tuples()
    ]
    items.sort(key=lambda d: (as_utc(d.deleted_at), d.type, d.id), reverse=True)
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        last = items[-1]
        next_cursor = encode_cursor([as_utc(last.deleted_at).isoformat(), last.type, last.id])
    return items, next_cursor


def _item(
    type_: str, thing: Post | Comment, post_id: int, author: Person, space: Space, days: int
) -> Deleted:
    assert thing.deleted_at is not None
    deleted_by = thing.deleted_by_id
    return Deleted(
        type=type_,
        id=thing.id,
        post_id=post_id,
        space=space,
        author=author,
        body=thing.body,
        deleted_at=thing.deleted_at,
        deleted_by_id=deleted_by,
        restorable_until=as_utc(thing.deleted_at) + timedelta(days=days),
    )


def check_may_list(access: SpaceAccess) -> None:
    """A space's "Recently deleted": whoever governs it (Forbidden otherwise)."""
    if not conversation_policy.may_govern(access):
        raise Forbidden("Only the space's owners and moderators see what was deleted here.")


# --- purging ----------------------------------------------------------------------------------


@dataclass
class Purged:
    """What a purge removed: post and comment ids (replies and comments of purged posts
    included) and the storage keys of the attachments whose files are to be removed once the
    transaction has committed."""

    post_ids: list[int]
    comment_ids: list[int]
    storage_keys: list[str]

    def __bool__(self) -> bool:
        return bool(self.post_ids or self.comment_ids)


async def do_purge_deleted(
    session: AsyncSession, *, before: datetime, batch: int = PURGE_BATCH
) -> Purged:
    """Remove for good up to ``batch`` posts and ``batch`` comments deleted before
    ``before``, with everything that hangs on them (comments and replies, revisions,
    reactions, votes, mentions, attachments, notifications: the database cascades), and tell
    the subscribers (``content.purged``: search drops their documents). The interaction log
    keeps its rows: they are counts. Idempotent; call again until it returns nothing."""
    post_ids = list(
        await session.scalars(
            select(Post.id).where(Post.deleted_at < before).order_by(Post.id).limit(batch)
        )
    )
    top = aliased(Comment)
    comment_ids = list(
        await session.scalars(
            select(Comment.id).where(Comment.deleted_at < before).order_by(Comment.id).limit(batch)
        )
    )
    replies = list(
        await session.scalars(
            select(top.id).where(or_(top.parent_id.in_(comment_ids), top.post_id.in_(post_ids)))
        )
    )
    keys = list(
        await session.scalars(
            select(Attachment.storage_key).where(Attachment.post_id.in_(post_ids))
        )
    )
    purged = Purged(post_ids, sorted(set(comment_ids) | set(replies)), keys)
    if not purged:
        return purged
    await session.execute(delete(Comment).where(Comment.id.in_(comment_ids)))
    await session.execute(delete(Post).where(Post.id.in_(post_ids)))
    await run_subscribers(
        session,
        type=events.CONTENT_PURGED,
        facts={"post_ids": purged.post_ids, "comment_ids": purged.comment_ids},
    )
    return purged
