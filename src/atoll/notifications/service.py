"""Notification use cases: tell people what happened to them, list and count what they have not
read, mark it read, keep their e-mail preferences, and prepare the daily digest.

The ``notify_*`` functions are called by the service call that made the change (posting,
commenting, reacting, adding a member, answering a join request…), in its transaction; none of
them commits. Each tells only people other than the actor who may see what it is about (the
space policy decides, in SQL), announces the new unread count on the event log, and queues the
e-mail that goes out once the transaction commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import BigInteger, ColumnElement, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from atoll.config import Settings
from atoll.conversations.models import Comment, Post, Reaction
from atoll.events.outbox import record_event
from atoll.kit.errors import Invalid, NotFound, denied
from atoll.kit.ids import parse_id
from atoll.kit.pagination import clamp_limit, decode_cursor, encode_cursor
from atoll.kit.time import utcnow
from atoll.notifications import email
from atoll.notifications import policy as notification_policy
from atoll.notifications.models import Notification, NotificationPreference
from atoll.people.models import Person
from atoll.spaces.models import JoinRequest, Membership, Space
from atoll.spaces.policy import MANAGERS

DIGEST_EVERY = timedelta(days=1)
# A notification waits this long before the digest takes it: time to see it in the page first.
DIGEST_GRACE = timedelta(hours=1)
DIGEST_ITEMS = 30
IDEA_LABELS = {"new": "New", "reviewing": "Reviewing", "adopted": "Adopted", "declined": "Declined"}
# The e-mail sent at once for a kind, and the preference that switches it.
IMMEDIATE = {"mention": "mentions", "invitation": "invitations"}


# --- what a notification says ---------------------------------------------------------------


@dataclass
class NotificationView:
    """A notification with the names it speaks of, as its reader sees it."""

    notification: Notification
    actor_id: int | None
    actor_name: str | None
    space_id: int | None
    space_name: str | None
    space_slug: str | None

    @property
    def text(self) -> str:
        return describe(self.notification, self.actor_name, self.space_name)

    @property
    def url(self) -> str:
        return link_of(self.notification, self.space_slug)


def describe(n: Notification, actor: str | None, space: str | None) -> str:
    """In words: "Ana and 4 others reacted 👍 to your post in Guild"."""
    who = actor or "Someone"
    if n.count > 1:
        others = n.count - 1
        who = f"{who} and {others} other{'' if others == 1 else 's'}"
    where = f" in {space}" if space else ""
    place = space or "a space"
    if n.kind == "mention":
        return f"{who} mentioned you in a {'comment' if n.comment_id else 'post'}{where}"
    if n.kind == "reply":
        return f"{who} replied to your {'comment' if n.detail == 'comment' else 'post'}{where}"
    if n.kind == "reaction":
        emoji = f" {n.detail}" if n.detail else ""
        return f"{who} reacted{emoji} to your post{where}"
    if n.kind == "invitation":
        role = f" as {n.detail}" if n.detail in MANAGERS else ""
        return f"{who} added you to {place}{role}"
    if n.kind == "join_request":
        return f"{who} asked to join {place}"
    if n.kind == "join_answer":
        verb = "approved" if n.detail == "approved" else "declined"
        return f"{who} {verb} your request to join {place}"
    if n.kind == "accepted":
        return f"{who} accepted your answer{where}"
    if n.kind == "idea_status":
        return f"{who} moved your idea to {IDEA_LABELS.get(n.detail, n.detail)}{where}"
    return f"{who} did something{where}"


def link_of(n: Notification, space_slug: str | None) -> str:
    """The exact place: the comment in its thread, the post, the space (or its requests)."""
    if n.post_id is not None and n.comment_id is not None:
        return f"/posts/{n.post_id}#comment-{n.comment_id}"
    if n.post_id is not None:
        return f"/posts/{n.post_id}"
    if space_slug and n.kind == "join_request":
        return f"/spaces/{space_slug}?tab=members"
    if space_slug:
        return f"/spaces/{space_slug}"
    return "/notifications"


def as_json(view: NotificationView) -> dict[str, Any]:
    """The API's form of a notification (also the payload of the live ``notification`` event)."""
    n = view.notification
    return {
        "id": str(n.id),
        "kind": n.kind,
        "text": view.text,
        "url": view.url,
        "actor": {"id": str(view.actor_id), "name": view.actor_name}
        if view.actor_id is not None and view.actor_name is not None
        else None,
        "count": n.count,
        "space": {"id": str(view.space_id), "name": view.space_name, "slug": view.space_slug}
        if view.space_id is not None and view.space_name is not None
        else None,
        "post_id": str(n.post_id) if n.post_id is not None else None,
        "comment_id": str(n.comment_id) if n.comment_id is not None else None,
        "detail": n.detail,
        "created_at": n.created_at,
        "updated_at": n.updated_at,
        "read": n.read_at is not None,
        "read_at": n.read_at,
    }


# --- telling people -------------------------------------------------------------------------


async def _recipients(
    session: AsyncSession,
    *,
    ids: Sequence[int | None],
    actor: Person,
    clause: ColumnElement[bool],
) -> list[Person]:
    """The people among ``ids``, other than the actor, for whom ``clause`` holds (one query)."""
    wanted = {i for i in ids if i is not None and i != actor.id}
    if not wanted:
        return []
    rows = await session.execute(
        select(Person).where(Person.id.in_(wanted), clause).order_by(Person.id)
    )
    return list(rows.scalars())


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
    mail = email.mail_of(session)
    if kind in IMMEDIATE and mail.enabled() and await _wants(session, recipient, IMMEDIATE[kind]):
        email.queue(
            session,
            email.notification_message(
                mail.settings, to=recipient, view=view, what=IMMEDIATE[kind], excerpt=excerpt
            ),
            about=n,
        )
        n.emailed_at = now
        await session.flush()
    await _announce(session, recipient=recipient, view=view)
    return n


async def _announce(
    session: AsyncSession, *, recipient: Person, view: NotificationView | None = None
) -> None:
    """Tell the recipient's open pages, live, the new unread count and what is new: a
    ``notification`` event for them alone, written in this transaction."""
    data: dict[str, Any] = {"unread": await unread_count(session, viewer=recipient)}
    if view is not None:
        n = view.notification
        data["notification"] = {"id": str(n.id), "kind": n.kind, "text": view.text, "url": view.url}
    await record_event(session, type="notification", data=data, person_id=recipient.id)


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
    recipients = await _recipients(
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
    parent: Comment | None,
    mentioned: Sequence[Person] = (),
) -> list[Notification]:
    """A comment on someone's post, or a reply to someone's comment: the comment's author hears
    of a reply to it, the post's author of every comment in its thread. Who was mentioned in
    it has already been told."""
    told = {p.id for p in mentioned}
    targets: dict[int, str] = {}
    if parent is not None:
        targets[parent.author_id] = "comment"
    targets.setdefault(post.author_id, "post")
    recipients = await _recipients(
        session,
        ids=[pid for pid in targets if pid not in told],
        actor=actor,
        clause=notification_policy.may_read(space),
    )
    return [
        await _tell(
            session,
            recipient=person,
            kind="reply",
            actor=actor,
            space=space,
            post=post,
            comment=comment,
            detail=targets[person.id],
        )
        for person in recipients
    ]


async def notify_reaction(
    session: AsyncSession, *, actor: Person, space: Space, post: Post, emoji: str
) -> Notification | None:
    """A reaction to someone's post. While the author has not read it, one notification
    gathers every reaction to the post: "Ana and 4 others reacted 👍 ❤️ to your post"."""
    recipients = await _recipients(
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
    await _announce(session, recipient=author, view=view)
    return batch


async def notify_invitation(
    session: AsyncSession, *, actor: Person, space: Space, person: Person, role: str
) -> Notification | None:
    """Someone added ``person`` to a space (with ``role``)."""
    recipients = await _recipients(
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
    recipients = await _recipients(
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
    recipients = await _recipients(
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
    recipients = await _recipients(
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


# --- reading --------------------------------------------------------------------------------


def _views_query(viewer: Person) -> Any:
    actor = aliased(Person)
    return (
        select(Notification, actor.id, actor.name, Space.id, Space.name, Space.slug)
        .outerjoin(actor, actor.id == Notification.actor_id)
        .outerjoin(Space, Space.id == Notification.space_id)
        .where(notification_policy.shown_to(viewer))
    )


def _views(rows: Sequence[Any]) -> list[NotificationView]:
    return [NotificationView(*row) for row in rows]


# The unread COUNT, built once per shape of viewer (what the visibility rule looks at besides
# the id), with the id as a parameter: it runs for every notification made (the live bell)
# and every page, and building and keying the statement cost more than running it.
_UNREAD: dict[tuple[str, str, bool], Any] = {}


def _unread_statement(viewer: Person) -> Any:
    shape = (viewer.kind, viewer.role, bool(viewer.is_active))
    statement = _UNREAD.get(shape)
    if statement is None:
        kind, role, is_active = shape
        stand_in = SimpleNamespace(
            id=bindparam("viewer_id", type_=BigInteger), kind=kind, role=role, is_active=is_active
        )
        statement = _UNREAD[shape] = (
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.read_at.is_(None),
                notification_policy.shown_to(cast(Person, stand_in)),
            )
        )
    return statement


async def unread_count(session: AsyncSession, *, viewer: Person) -> int:
    """How many of the viewer's notifications are unread (the bell's number): one COUNT over
    the (person, read_at) index, with the same visibility rule as the list."""
    count = await session.scalar(_unread_statement(viewer), {"viewer_id": viewer.id})
    return int(count or 0)


def _after_id(cursor: str | None) -> int | None:
    values = decode_cursor(cursor)
    if values is None:
        return None
    number = parse_id(str(values[0]))
    if number is None or number == 0:
        raise Invalid.field("cursor", "is not a cursor this server gave out")
    return number


async def notifications_page(
    session: AsyncSession,
    *,
    viewer: Person,
    unread: bool = False,
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[NotificationView], str | None]:
    """The viewer's notifications, newest first; only the unread ones with ``unread``."""
    limit = clamp_limit(limit)
    stmt = _views_query(viewer)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    after = _after_id(cursor)
    if after is not None:
        stmt = stmt.where(Notification.id < after)
    rows = (await session.execute(stmt.order_by(Notification.id.desc()).limit(limit + 1))).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1][0].id])
    return _views(rows), next_cursor


async def access_notification(
    session: AsyncSession, *, viewer: Person, notification_id: int | str
) -> NotificationView:
    """One of the viewer's own notifications that they may still see; NotFound otherwise."""
    number = parse_id(notification_id)
    row = None
    if number is not None:
        stmt = _views_query(viewer).where(Notification.id == number)
        row = (await session.execute(stmt)).first()
    if row is None:
        raise denied("notification", signed_in=True, may_know=False)
    return NotificationView(*row)


async def do_mark_read(
    session: AsyncSession,
    *,
    viewer: Person,
    ids: Sequence[int | str] = (),
    all: bool = False,
) -> int:
    """Mark some of the viewer's notifications read, or all of them. Returns how many were
    unread; ids that are not the viewer's, or already read, change nothing."""
    where = [Notification.person_id == viewer.id, Notification.read_at.is_(None)]
    if not all:
        numbers = {n for n in map(parse_id, ids) if n is not None}
        if not numbers:
            return 0
        where.append(Notification.id.in_(numbers))
    result = await session.execute(
        update(Notification).where(*where).values(read_at=utcnow()),
    )
    marked = int(getattr(result, "rowcount", 0) or 0)
    if marked:
        await _announce(session, recipient=viewer)
    return marked


# --- preferences and unsubscribing ----------------------------------------------------------


async def preferences_of(session: AsyncSession, *, person: Person) -> NotificationPreference:
    """The person's e-mail preferences (the defaults, unsaved, if they never chose)."""
    found = await session.get(NotificationPreference, person.id)
    if found is not None:
        return found
    return NotificationPreference(
        person_id=person.id, email_mentions=True, email_invitations=True, email_digest=True
    )


async def _wants(session: AsyncSession, person: Person, what: str) -> bool:
    prefs = await preferences_of(session, person=person)
    return bool(getattr(prefs, email.UNSUBSCRIBE[what]))


async def do_set_preferences(
    session: AsyncSession, *, person: Person, changes: dict[str, bool | None]
) -> NotificationPreference:
    """Change the person's e-mail preferences; keys left out or None stay as they are."""
    prefs = await session.get(NotificationPreference, person.id)
    if prefs is None:
        prefs = await preferences_of(session, person=person)
        session.add(prefs)
    for column in email.UNSUBSCRIBE.values():
        value = changes.get(column)
        if value is not None:
            setattr(prefs, column, bool(value))
    await session.flush()
    return prefs


def check_unsubscribe_token(settings: Settings, token: str) -> tuple[int, str]:
    """(person id, kind of e-mail) of a valid unsubscribe token; NotFound otherwise."""
    found = email.read_unsubscribe_token(settings, token[:200])
    if found is None:
        raise NotFound("This unsubscribe link is not valid. Copy the whole link from the e-mail.")
    return found


async def do_unsubscribe(session: AsyncSession, settings: Settings, *, token: str) -> str:
    """Turn off the kind of e-mail a signed link names, for the person it names. Returns the
    kind ("mentions", "invitations", "digest")."""
    person_id, what = check_unsubscribe_token(settings, token)
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound("This unsubscribe link is not valid any more.")
    await do_set_preferences(session, person=person, changes={email.UNSUBSCRIBE[what]: False})
    return what


# --- the daily digest -----------------------------------------------------------------------


def _undigested(person_id: int) -> list[ColumnElement[bool]]:
    return [
        Notification.person_id == person_id,
        Notification.read_at.is_(None),
        Notification.emailed_at.is_(None),
    ]


async def _claim_digest(session: AsyncSession, *, person_id: int, now: datetime) -> bool:
    """Take this person's digest for this round: True for the one process (and transaction)
    whose conditional update moved ``last_digest_at``; everyone else sees the new value."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(NotificationPreference)
        .values(person_id=person_id, email_mentions=True, email_invitations=True, email_digest=True)
        .on_conflict_do_nothing(index_elements=["person_id"])
    )
    result = await session.execute(
        update(NotificationPreference)
        .where(
            NotificationPreference.person_id == person_id,
            NotificationPreference.email_digest.is_(True),
            or_(
                NotificationPreference.last_digest_at.is_(None),
                NotificationPreference.last_digest_at <= now - DIGEST_EVERY,
            ),
        )
        .values(last_digest_at=now),
    )
    return bool(getattr(result, "rowcount", 0))


async def _digest_for(session: AsyncSession, *, person: Person, now: datetime) -> bool:
    shown = notification_policy.shown_to(person)
    total = await session.scalar(
        select(func.count()).select_from(Notification).where(*_undigested(person.id), shown)
    )
    if not total:
        return False
    rows = (
        await session.execute(
            _views_query(person)
            .where(*_undigested(person.id))
            .order_by(Notification.id.desc())
            .limit(DIGEST_ITEMS)
        )
    ).all()
    views = _views(rows)
    settings = email.mail_of(session).settings
    email.queue(session, email.digest_message(settings, to=person, views=views, total=int(total)))
    await session.execute(
        update(Notification).where(*_undigested(person.id), shown).values(emailed_at=now),
    )
    return True


async def do_prepare_digests(
    session: AsyncSession, *, now: datetime | None = None, limit: int = 200
) -> int:
    """Queue the daily digest for up to ``limit`` people who are due one: the digest is on, the
    last one is a day old, and they have unread notifications that no e-mail told them of,
    at least an hour old. Each digest marks what it lists as e-mailed, so nothing comes twice.
    The e-mails go out when the caller commits. Returns how many digests were queued; none
    while e-mail is off (no SMTP host), so nothing is marked as e-mailed that was not."""
    if not email.mail_of(session).enabled():
        return 0
    now = now or utcnow()
    prefs = aliased(NotificationPreference)
    due = (
        select(Notification.person_id)
        .join(Person, Person.id == Notification.person_id)
        .outerjoin(prefs, prefs.person_id == Notification.person_id)
        .where(
            Notification.read_at.is_(None),
            Notification.emailed_at.is_(None),
            Notification.created_at <= now - DIGEST_GRACE,
            Person.is_active.is_(True),
            or_(
                prefs.person_id.is_(None),
                and_(
                    prefs.email_digest.is_(True),
                    or_(prefs.last_digest_at.is_(None), prefs.last_digest_at <= now - DIGEST_EVERY),
                ),
            ),
        )
        .distinct()
        .limit(limit)
    )
    queued = 0
    for person_id in list((await session.execute(due)).scalars()):
        if not await _claim_digest(session, person_id=person_id, now=now):
            continue
        person = await session.get(Person, person_id)
        if person is not None and await _digest_for(session, person=person, now=now):
            queued += 1
    return queued
