"""Practising without fear: drafts saved as one types, and taking a post back for a few
seconds after posting ("Posted · Undo").

A draft is what a person is writing in a space's composer: one per person and space, its
body and kind, saved as they type (the composer's script, through the API) and rendered back
into the composer by the pages. Saving one needs the right to post there (an announcement's
kind: the right to announce); a space the person may not read answers as if it were not
there. Posting in the space removes the person's draft there (``service.do_create_post``);
an empty body removes it too.

Undo takes a post back within ``undo_seconds`` (``ATOLL_UNDO_SECONDS``) of its posting, by its
author alone: it is deleted through the one path of deletes (``service.do_delete_post``: its
event takes it out of search, notifications and the live pages, and it stays restorable as
any deleted post) and its body and kind become the space's draft again, so the composer has
the text back. After the window, undo is refused (Conflict); edit and delete still work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import policy as conversation_policy
from atoll.conversations import service
from atoll.conversations.models import POST_KINDS, Draft, Post
from atoll.kit.errors import Conflict, Forbidden, Invalid
from atoll.kit.ids import parse_id
from atoll.kit.time import as_utc, utcnow
from atoll.people.models import Person
from atoll.spaces.policy import SpaceAccess

UNDO_SECONDS = 10


# --- reading ----------------------------------------------------------------------------------


async def draft_in(session: AsyncSession, *, person: Person, space_id: int) -> Draft | None:
    """The person's draft in a space (load the space with its access checked first)."""
    return await session.get(Draft, (person.id, space_id), populate_existing=True)


async def latest_draft(
    session: AsyncSession, *, person: Person, space_ids: Sequence[int]
) -> Draft | None:
    """The person's most recently saved draft among these spaces (the home page's composer
    offers the spaces they may post in)."""
    if not space_ids:
        return None
    stmt = (
        select(Draft)
        .where(Draft.person_id == person.id, Draft.space_id.in_(list(space_ids)))
        .order_by(Draft.updated_at.desc(), Draft.space_id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def composer_draft(draft: Draft | None) -> dict[str, str] | None:
    """A saved draft as the composer's form fields (what the pages render back into it)."""
    if draft is None:
        return None
    return {"space_id": str(draft.space_id), "body": draft.body, "kind": draft.kind}


# --- checks -----------------------------------------------------------------------------------


def check_draft_kind(access: SpaceAccess, kind: str) -> str:
    """A kind of post the person may use in the space (Invalid otherwise)."""
    allowed = [k for k in POST_KINDS if k != "announcement" or access.can_announce]
    if kind not in allowed:
        raise Invalid.field("kind", f"must be one of {', '.join(allowed)} in this space")
    return kind


def check_draft_body(body: str) -> str:
    """A draft's body as typed (line endings made plain): at most a post's length, no NUL."""
    body = body.replace("\r\n", "\n")
    if "\x00" in body:
        raise Invalid.field("body", "must not contain a NUL character")
    if len(body) > service.MAX_BODY:
        raise Invalid.field(
            "body",
            f"must be at most {service.MAX_BODY:,} characters long (it has {len(body):,})",
        )
    return body


# --- changing ---------------------------------------------------------------------------------


async def _put(
    session: AsyncSession, *, person_id: int, space_id: int, body: str, kind: str, now: datetime
) -> Draft:
    """Insert or replace the draft (two saves racing: the last wins)."""
    postgres = (await session.connection()).dialect.name == "postgresql"
    insert = pg_insert if postgres else sqlite_insert
    values = {
        "person_id": person_id,
        "space_id": space_id,
        "body": body,
        "kind": kind,
        "updated_at": now,
    }
    statement = insert(Draft).values(values)
    changed = {k: statement.excluded[k] for k in ("body", "kind", "updated_at")}
    await session.execute(
        statement.on_conflict_do_update(index_elements=["person_id", "space_id"], set_=changed)
    )
    draft = await session.get(Draft, (person_id, space_id), populate_existing=True)
    assert draft is not None
    return draft


async def do_save_draft(
    session: AsyncSession,
    *,
    access: SpaceAccess,
    body: str,
    kind: str = "update",
    now: datetime | None = None,
) -> Draft | None:
    """Save what the person is writing in the space (see the module). Forbidden to whoever
    may not post there, Conflict in a read-only space, Invalid for a kind they may not use or
    a body too long. An empty body discards the draft (None)."""
    person = access.actor
    service.check_writable(access.space)
    service.check_can_post(access, "update")
    kind = check_draft_kind(access, kind)
    body = check_draft_body(body)
    if not body.strip():
        await do_discard_draft(session, person=person, space_id=access.space.id)
        return None
    return await _put(
        session,
        person_id=person.id,
        space_id=access.space.id,
        body=body,
        kind=kind,
        now=now or utcnow(),
    )


async def do_discard_draft(session: AsyncSession, *, person: Person, space_id: int) -> None:
    """Remove the person's draft in a space (nothing when there is none)."""
    await session.execute(
        delete(Draft).where(Draft.person_id == person.id, Draft.space_id == space_id)
    )


# --- undo -------------------------------------------------------------------------------------


def undo_until(post: Post, undo_seconds: int) -> datetime:
    """Until when its author may take the post back."""
    return as_utc(post.created_at) + timedelta(seconds=undo_seconds)


def check_can_undo(
    access: SpaceAccess, *, post: Post, undo_seconds: int, now: datetime | None = None
) -> None:
    """Its author, within ``undo_seconds`` of posting, while it is not deleted."""
    if not conversation_policy.is_author(access, post.author_id):
        raise Forbidden("Only its author can take a post back.")
    if post.deleted_at is not None:
        raise Conflict("This post is deleted already.")
    if (now or utcnow()) > undo_until(post, undo_seconds):
        raise Conflict(
            f"It is too late to undo: a post can be taken back for {undo_seconds} seconds "
            "after posting. You can still edit or delete it."
        )


async def do_undo_post(
    session: AsyncSession,
    *,
    access: SpaceAccess,
    post: Post,
    undo_seconds: int = UNDO_SECONDS,
    now: datetime | None = None,
) -> Draft:
    """Take a post back (see the module): delete it and make its text the space's draft."""
    now = now or utcnow()
    check_can_undo(access, post=post, undo_seconds=undo_seconds, now=now)
    await service.do_delete_post(session, access=access, post=post)
    return await _put(
        session,
        person_id=post.author_id,
        space_id=post.space_id,
        body=post.body,
        kind=post.kind,
        now=now,
    )


@dataclass(frozen=True)
class UndoOffer:
    """ "Posted · Undo" on the page one lands on after posting: which post, and for how many
    more seconds."""

    post_id: int
    space_id: int
    seconds_left: int


async def undo_offer(
    session: AsyncSession,
    *,
    viewer: Person,
    post_id: str | None,
    undo_seconds: int = UNDO_SECONDS,
    now: datetime | None = None,
) -> UndoOffer | None:
    """The viewer's own live post ``post_id`` while they may still take it back; None
    otherwise (someone else's, deleted, too late, or no post at all)."""
    number = parse_id(post_id) if post_id else None
    if number is None:
        return None
    post = (
        await session.execute(
            select(Post).where(
                Post.id == number, Post.author_id == viewer.id, Post.deleted_at.is_(None)
            )
        )
    ).scalar_one_or_none()
    if post is None:
        return None
    left = (undo_until(post, undo_seconds) - (now or utcnow())).total_seconds()
    if left <= 0:
        return None
    return UndoOffer(post_id=post.id, space_id=post.space_id, seconds_left=max(1, int(left)))
