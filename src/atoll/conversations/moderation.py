"""Governing a space's conversations: pin a post in its space (at most ``MAX_PINNED``),
announce one to the whole organisation until a date, close a thread to new comments, and the
announcements a person sees above their feed (and hides).

Who may: the space's owners and moderators, platform moderators who can read the space and
administrators (``policy.may_govern``); announcing to the organisation is for administrators
alone. An archived space or a closed situation room refuses every one of them (Conflict), as
it refuses every change. Each ``do_*`` records its event (``post.pinned``, ``post.closed``:
open pages move the post to the top or take the comment box away) and an audit entry, in the
caller's transaction. Restoring what was deleted is ``atoll.conversations.restore``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.service import changed, record_audit
from atoll.conversations import events, queries
from atoll.conversations import policy as conversation_policy
from atoll.conversations.events import Change
from atoll.conversations.feed import MAX_PINNED, PostView, access_post, views_of
from atoll.conversations.models import AnnouncementDismissal, Post
from atoll.conversations.service import check_writable
from atoll.kit.errors import Conflict, Forbidden, Invalid
from atoll.kit.time import as_utc, utcnow
from atoll.people.models import Person
from atoll.spaces import policy
from atoll.spaces.models import Space
from atoll.spaces.policy import SpaceAccess

ANNOUNCE_DAYS = 7  # an announcement without an end date ends after a week
MAX_ANNOUNCE_DAYS = 366  # and none lasts more than a year
MAX_ANNOUNCEMENTS = 5  # shown above a feed at once, newest first

__all__ = ["MAX_PINNED", "access_post"]


def check_may_govern(access: SpaceAccess, what: str) -> None:
    """Conflict in a read-only space; Forbidden for whoever does not govern it."""
    check_writable(access.space)
    if not conversation_policy.may_govern(access):
        raise Forbidden(f"Only the space's owners and moderators can {what}.")


def _audit(
    access: SpaceAccess, session: AsyncSession, post: Post, action: str, **detail: Any
) -> None:
    record_audit(
        session,
        actor_id=access.actor.id,
        action=action,
        target_type="post",
        target_id=post.id,
        space_id=post.space_id,
        **detail,
    )


# --- pins -------------------------------------------------------------------------------------


async def do_pin_post(
    session: AsyncSession, *, access: SpaceAccess, post: Post, now: datetime | None = None
) -> Post:
    """Pin a post at the top of its space's posts (again: nothing changes). Conflict past
    ``MAX_PINNED`` pinned posts in the space."""
    check_may_govern(access, "pin posts")
    if post.pinned_at is not None:
        return post
    pinned = await session.scalar(
        select(func.count()).where(
            Post.space_id == post.space_id, Post.pinned_at.is_not(None), Post.deleted_at.is_(None)
        )
    )
    if (pinned or 0) >= MAX_PINNED:
        raise Conflict(
            f"This space already has {MAX_PINNED} pinned posts, the most it can hold. "
            "Unpin one first."
        )
    post.pinned_at, post.pinned_by_id = now or utcnow(), access.actor.id
    await _pinned(session, access, post, pinned=True)
    return post


async def do_unpin_post(session: AsyncSession, *, access: SpaceAccess, post: Post) -> Post:
    """Take a post's pin in its space away (not pinned: nothing changes)."""
    check_may_govern(access, "unpin posts")
    if post.pinned_at is None:
        return post
    post.pinned_at = post.pinned_by_id = None
    await _pinned(session, access, post, pinned=False)
    return post


async def _pinned(session: AsyncSession, access: SpaceAccess, post: Post, *, pinned: bool) -> None:
    await session.flush()
    action = "post.pinned" if pinned else "post.unpinned"
    _audit(access, session, post, action, **changed({"pinned": not pinned}, {"pinned": pinned}))
    await events.post_event(
        session,
        events.POST_PINNED,
        Change(access.actor, access.space, post),
        scope="space",
        pinned=pinned,
    )


# --- announcements to the organisation --------------------------------------------------------


def check_until(until: datetime | None, *, now: datetime) -> datetime:
    """When an announcement ends: ``ANNOUNCE_DAYS`` from now when not said; in the future and
    at most ``MAX_ANNOUNCE_DAYS`` ahead (Invalid)."""
    if until is None:
        return now + timedelta(days=ANNOUNCE_DAYS)
    until = as_utc(until)
    if until <= now:
        raise Invalid.field("until", "must be in the future")
    if until > now + timedelta(days=MAX_ANNOUNCE_DAYS):
        raise Invalid.field("until", "must be within a year")
    return until


async def do_announce(
    session: AsyncSession,
    *,
    access: SpaceAccess,
    post: Post,
    until: datetime | None = None,
    now: datetime | None = None,
) -> Post:
    """An administrator shows the post above the feed of everyone who can read it until
    ``until`` (``check_until``). Again: the new end date."""
    check_writable(access.space)
    if not conversation_policy.may_announce(access):
        raise Forbidden("Only administrators can pin a post for the whole organisation.")
    now = now or utcnow()
    until = check_until(until, now=now)
    before = {"announced_until": post.announced_until}
    post.announced_until, post.announced_at, post.announced_by_id = until, now, access.actor.id
    await session.flush()
    _audit(access, session, post, "post.announced", **changed(before, {"announced_until": until}))
    await events.post_event(
        session,
        events.POST_PINNED,
        Change(access.actor, access.space, post),
        scope="organisation",
        pinned=True,
        until=until.isoformat(),
    )
    return post


async def do_withdraw_announcement(
    session: AsyncSession, *, access: SpaceAccess, post: Post
) -> Post:
    """An administrator ends an announcement now (none: nothing changes)."""
    check_writable(access.space)
    if not conversation_policy.may_announce(access):
        raise Forbidden("Only administrators can unpin a post for the whole organisation.")
    if post.announced_until is None:
        return post
    before = {"announced_until": post.announced_until}
    post.announced_until = post.announced_at = post.announced_by_id = None
    await session.flush()
    _audit(access, session, post, "post.unannounced", **changed(before, {"announced_until": None}))
    await events.post_event(
        session,
        events.POST_PINNED,
        Change(access.actor, access.space, post),
        scope="organisation",
        pinned=False,
    )
    return post


async def announcements_for(
    session: AsyncSession, *, viewer: Person, now: datetime | None = None
) -> list[PostView]:
    """The organisation's current announcements in spaces the viewer may read, that they
    have not hidden, newest first (an announcement in a private space reaches its readers
    only)."""
    stmt = queries.ANNOUNCEMENTS[policy.reader_of(viewer)]
    params = {"viewer_id": viewer.id, "after_at": now or utcnow(), "limit": MAX_ANNOUNCEMENTS}
    rows = [(p, a, s, r) for p, a, s, r in (await session.execute(stmt, params)).tuples()]
    return await views_of(session, viewer, rows)


async def do_dismiss_announcement(session: AsyncSession, *, viewer: Person, post: Post) -> None:
    """The viewer hides an announcement from their feed (again: nothing changes)."""
    if await session.get(AnnouncementDismissal, (viewer.id, post.id)) is None:
        session.add(AnnouncementDismissal(person_id=viewer.id, post_id=post.id))
        await session.flush()


def announcement_reach(space: Space) -> str:
    """Who an announcement in ``space`` reaches, in words (warned of when pinning)."""
    if space.kind == "public" or (space.visibility == "open" and space.kind != "hybrid"):
        return ""
    if space.visibility == "open":
        return "This space is open to the organisation, but its guests see it too."
    return (
        f"Only people who can read {space.name} will see it: this space is "
        f"{space.visibility}, so the rest of the organisation will not."
    )


# --- closed threads ---------------------------------------------------------------------------


async def do_close_post(
    session: AsyncSession, *, access: SpaceAccess, post: Post, now: datetime | None = None
) -> Post:
    """No new comments or replies on the post (reactions and votes stay open). Again:
    nothing changes."""
    check_may_govern(access, "close a conversation")
    if post.closed_at is not None:
        return post
    post.closed_at, post.closed_by_id = now or utcnow(), access.actor.id
    await _closed(session, access, post, closed=True)
    return post


async def do_reopen_post(session: AsyncSession, *, access: SpaceAccess, post: Post) -> Post:
    """Open a closed thread to comments again (open: nothing changes)."""
    check_may_govern(access, "reopen a conversation")
    if post.closed_at is None:
        return post
    post.closed_at = post.closed_by_id = None
    await _closed(session, access, post, closed=False)
    return post


async def _closed(session: AsyncSession, access: SpaceAccess, post: Post, *, closed: bool) -> None:
    await session.flush()
    action = "post.closed" if closed else "post.reopened"
    _audit(access, session, post, action, **changed({"closed": not closed}, {"closed": closed}))
    await events.post_event(
        session, events.POST_CLOSED, Change(access.actor, access.space, post), closed=closed
    )


async def closer_of(session: AsyncSession, post: Post) -> Person | None:
    """Who closed the thread (None: open, or they are gone)."""
    if post.closed_by_id is None:
        return None
    return await session.get(Person, post.closed_by_id)
