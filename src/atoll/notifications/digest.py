"""The daily digest: one e-mail a day with what a person has not read and no e-mail told them
of, prepared by the housekeeping task (``atoll.tasks``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from atoll import mail
from atoll.kit.time import utcnow
from atoll.notifications import email, service
from atoll.notifications import policy as notification_policy
from atoll.notifications.models import Notification, NotificationPreference
from atoll.people.models import Person

DIGEST_EVERY = timedelta(days=1)
# A notification waits this long before the digest takes it: time to see it in the page first.
DIGEST_GRACE = timedelta(hours=1)
DIGEST_ITEMS = 30


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
            service.views_query(person)
            .where(*_undigested(person.id))
            .order_by(Notification.id.desc())
            .limit(DIGEST_ITEMS)
        )
    ).all()
    views = service.views_of(rows)
    settings = mail.mail_of(session).settings
    mail.queue(session, email.digest_message(settings, to=person, views=views, total=int(total)))
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
    if not mail.mail_of(session).enabled():
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
