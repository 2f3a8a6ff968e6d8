"""Suspending a person for some days, and lifting it.

A suspended person is signed out everywhere at once; until ``suspended_until`` passes they
cannot sign in by any way (``auth.do_sign_in`` and ``auth.do_start_session`` say "Your
account is suspended until …") and no session or token of theirs works (``auth._live``).
Their content stays. The moderation queue (``atoll.governance``) decides who may suspend whom
and writes the audit entry; an administrator lifts a suspension."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import Invalid
from atoll.kit.time import utcnow
from atoll.people import auth
from atoll.people.models import Person

MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 1, 365, 7


def check_days(days: int | None) -> int:
    if days is None:
        return DEFAULT_DAYS
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise Invalid.field("days", f"must be a whole number from {MIN_DAYS} to {MAX_DAYS}")
    return days


async def do_suspend(
    session: AsyncSession, *, person: Person, days: int, now: datetime | None = None
) -> datetime:
    """Suspend ``person`` for ``days`` from ``now`` and sign them out everywhere. Returns the
    end of the suspension."""
    until = (now or utcnow()) + timedelta(days=check_days(days))
    person.suspended_until = until
    await session.flush()
    await auth.do_revoke_all(session, person=person)
    return until


async def do_lift_suspension(session: AsyncSession, *, person: Person) -> bool:
    """End a suspension now. Returns whether the person was suspended."""
    if person.suspended_until is None:
        return False
    person.suspended_until = None
    await session.flush()
    return True
