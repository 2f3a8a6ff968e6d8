"""Password reset by e-mail: whoever knows an address may ask for a link to be sent to it;
the link sets a new password once, within an hour, and signs the person out everywhere.

The answer to a request is the same whether or not the address belongs to anyone (and the
requests are counted alike), so the form tells nobody who has an account. Requests are
throttled per address and per client network, in the sign-in throttle's window."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll import mail
from atoll.identity import links
from atoll.identity.models import PasswordReset
from atoll.kit.errors import Forbidden, Gone
from atoll.kit.settings import Settings
from atoll.kit.time import utcnow
from atoll.people import auth, throttle, trail
from atoll.people.models import Person
from atoll.people.passwords import Hashing, check_password
from atoll.people.service import check_email

LIFETIME = timedelta(hours=1)
PER_ADDRESS = 3  # reset e-mails to one address per window: enough for a lost one or two
SPENT = "This password-reset link has expired or was already used. Ask for a new one."


async def do_request_reset(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    client: str,
    now: datetime | None = None,
) -> None:
    """E-mail a reset link to ``email`` if an active person has it; otherwise do nothing,
    alike. RateLimited when the address or the client's network asked too often (the caller
    commits the count either way)."""
    now = now or utcnow()
    email = check_email(email)
    network = throttle.address_group(client)
    await throttle.do_count_request(
        session,
        settings,
        what="reset-network",
        parts=(network,),
        limit=settings.login_max_failures_address,
        message="Too many password-reset requests from your network.",
        now=now,
    )
    await throttle.do_count_request(
        session,
        settings,
        what="reset-address",
        parts=(email,),
        limit=PER_ADDRESS,
        message="A reset link was sent to this address several times already.",
        now=now,
    )
    person = (
        await session.execute(
            select(Person).where(Person.email == email, Person.is_active.is_(True))
        )
    ).scalar_one_or_none()
    if person is None or (settings.sso_only and person.kind == "member"):
        return  # nobody, or a member who signs in through single sign-on: no password to reset
    raw, digest = links.new_secret()
    reset = PasswordReset(
        token_hash=digest, person_id=person.id, created_at=now, expires_at=now + LIFETIME
    )
    session.add(reset)
    await session.flush()
    trail.record_person(
        session,
        actor=None,
        action="person.password_reset_requested",
        person=person,
        label="password reset by e-mail",
        expires_at=reset.expires_at,
    )
    mail.queue(session, reset_message(settings, person=person, secret=raw), about=reset)


def reset_url(settings: Settings, secret: str) -> str:
    return mail.absolute(settings, f"/password-reset/confirm?token={secret}")


def reset_message(settings: Settings, *, person: Person, secret: str) -> EmailMessage:
    body = (
        f"Hello {person.name},\n\n"
        f"Someone, hopefully you, asked to reset the password of your Atoll account "
        f"({person.email}).\n\nChoose a new password here, within an hour:\n"
        f"{reset_url(settings, secret)}\n\n"
        "The link works once. Setting a new password signs you out everywhere.\n\n"
        "If you did not ask for this, ignore this e-mail: your password stays as it is.\n"
    )
    return mail.message(settings, to=person.email, subject="Reset your Atoll password", body=body)


async def pending_reset(
    session: AsyncSession, *, secret: str, now: datetime | None = None
) -> PasswordReset:
    """The reset a link names if it can still be used; Gone otherwise (unknown, used,
    expired, or its person deactivated)."""
    now = now or utcnow()
    row = (
        await session.execute(
            select(PasswordReset)
            .join(Person, Person.id == PasswordReset.person_id)
            .where(
                PasswordReset.token_hash == links.digest(secret),
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
                Person.is_active.is_(True),
            )
        )
    ).scalar_one_or_none()
    if row is None:
        raise Gone(SPENT)
    return row


async def do_confirm_reset(
    session: AsyncSession,
    settings: Settings,
    *,
    secret: str,
    new_password: str,
    now: datetime | None = None,
) -> Person:
    """Set the new password of the person the link was sent to, spend the link (and every
    other open link of theirs), and sign them out everywhere. Gone for a link that cannot be
    used; the password is checked first, so a weak one spends nothing."""
    now = now or utcnow()
    check_password(new_password, "new_password")
    reset = await pending_reset(session, secret=secret, now=now)
    # Spent in one statement, so that of two concurrent uses of one link only one gets here.
    spent = await session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    if not getattr(spent, "rowcount", 0):
        raise Gone(SPENT)
    await session.execute(
        update(PasswordReset)
        .where(PasswordReset.person_id == reset.person_id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    person = await session.get(Person, reset.person_id)
    assert person is not None  # the reset's row refers to it
    if settings.sso_only and person.kind == "member":
        raise Forbidden(auth.sso_only_message(settings))
    person.password_hash = await Hashing.of(settings).hash(new_password)
    await auth.do_revoke_all(session, person=person)
    trail.record_person(session, actor=person, action="person.password_reset", person=person)
    await session.flush()
    return person
