"""Notification use cases: what a notification says, list and count what people have not
read, mark it read, announce the unread count live, keep their e-mail preferences.

Telling people is ``atoll.notifications.notify`` (run by the subscribers that follow other
domains' events); the daily digest is ``atoll.notifications.digest``."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import BigInteger, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from atoll.events.outbox import record_event
from atoll.kit.errors import Invalid, NotFound, denied
from atoll.kit.ids import parse_id
from atoll.kit.pagination import clamp_limit, decode_cursor, encode_cursor
from atoll.kit.settings import Settings
from atoll.kit.time import utcnow
from atoll.notifications import email
from atoll.notifications import policy as notification_policy
from atoll.notifications.models import Notification, NotificationPreference
from atoll.notifications.views import NotificationView
from atoll.people.models import Person
from atoll.spaces.models import Space

# --- reading --------------------------------------------------------------------------------


def views_query(viewer: Person) -> Any:
    """The viewer's notifications they may still see, with the names they speak of."""
    actor = aliased(Person)
    return (
        select(Notification, actor.id, actor.name, Space.id, Space.name, Space.slug)
        .outerjoin(actor, actor.id == Notification.actor_id)
        .outerjoin(Space, Space.id == Notification.space_id)
        .where(notification_policy.shown_to(viewer))
    )


def views_of(rows: Sequence[Any]) -> list[NotificationView]:
    """The rows of ``views_query`` as views."""
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
    stmt = views_query(viewer)
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
    return views_of(rows), next_cursor


async def access_notification(
    session: AsyncSession, *, viewer: Person, notification_id: int | str
) -> NotificationView:
    """One of the viewer's own notifications that they may still see; NotFound otherwise."""
    number = parse_id(notification_id)
    row = None
    if number is not None:
        stmt = views_query(viewer).where(Notification.id == number)
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
        await announce(session, recipient=viewer)
    return marked


async def announce(
    session: AsyncSession, *, recipient: Person, view: NotificationView | None = None
) -> None:
    """Tell the recipient's open pages, live, the new unread count and what is new: a
    ``notification`` event for them alone, written in this transaction."""
    data: dict[str, Any] = {"unread": await unread_count(session, viewer=recipient)}
    if view is not None:
        n = view.notification
        data["notification"] = {"id": str(n.id), "kind": n.kind, "text": view.text, "url": view.url}
    await record_event(session, type="notification", data=data, person_id=recipient.id)


# --- preferences and unsubscribing ----------------------------------------------------------


async def preferences_of(session: AsyncSession, *, person: Person) -> NotificationPreference:
    """The person's e-mail preferences (the defaults, unsaved, if they never chose)."""
    found = await session.get(NotificationPreference, person.id)
    if found is not None:
        return found
    return NotificationPreference(
        person_id=person.id, email_mentions=True, email_invitations=True, email_digest=True
    )


async def wants(session: AsyncSession, person: Person, what: str) -> bool:
    """Whether the person wants the e-mail ``what`` (a key of ``email.UNSUBSCRIBE``)."""
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
