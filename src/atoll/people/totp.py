"""The TOTP second factor of password accounts: set it up (a secret shown once, confirmed with
a code before it is on), sign in with it (after the password, a code or a single-use recovery
code; wrong ones count on the sign-in throttle like wrong passwords), turn it off (password and
code), and whether ``ATOLL_REQUIRE_TOTP`` still asks a person to set it up.

A code is accepted for its 30-second step and the one either side (``otp.WINDOW``); once a code
is accepted, no code of that step or an earlier one is (``TotpSecret.last_step``): replaying a
code that was seen fails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import Conflict, Forbidden, Invalid
from atoll.kit.settings import Settings
from atoll.kit.time import utcnow
from atoll.people import otp, throttle, trail
from atoll.people.models import Person, RecoveryCode, TotpSecret
from atoll.people.passwords import Hashing
from atoll.people.policy import can_administer_people


@dataclass(frozen=True)
class Status:
    enabled: bool
    recovery_codes_left: int


@dataclass(frozen=True)
class Setup:
    """A setup in progress: the secret (shown until it is confirmed) and its address."""

    secret: str
    uri: str


async def _row(session: AsyncSession, person_id: int) -> TotpSecret | None:
    return await session.get(TotpSecret, person_id, populate_existing=True)


async def is_on(session: AsyncSession, person_id: int) -> bool:
    confirmed = await session.scalar(
        select(TotpSecret.confirmed_at).where(TotpSecret.person_id == person_id)
    )
    return confirmed is not None


async def status(session: AsyncSession, *, person: Person) -> Status:
    left = await session.scalar(
        select(func.count()).where(
            RecoveryCode.person_id == person.id, RecoveryCode.used_at.is_(None)
        )
    )
    return Status(enabled=await is_on(session, person.id), recovery_codes_left=int(left or 0))


async def must_set_up(session: AsyncSession, settings: Settings, *, person: Person) -> bool:
    """Whether ``ATOLL_REQUIRE_TOTP`` holds this person back until they turn TOTP on: it asks
    it of everyone who signs in with a password."""
    if not settings.require_totp or not person.password_hash:
        return False
    return not await is_on(session, person.id)


async def do_start_setup(session: AsyncSession, settings: Settings, *, person: Person) -> Setup:
    """Begin (or begin again) setting TOTP up: a new secret, not yet on."""
    if not person.password_hash:
        raise Conflict("Two-step sign-in is for accounts that sign in with a password.")
    row = await _row(session, person.id)
    if row is not None and row.confirmed_at is not None:
        raise Conflict("Two-step sign-in is already on. Turn it off first to set it up again.")
    secret = otp.new_secret()
    sealed = otp.seal(settings.signing_key, secret)
    if row is None:
        session.add(TotpSecret(person_id=person.id, secret=sealed, last_step=0))
    else:
        row.secret = sealed
    await session.flush()
    return Setup(secret=secret, uri=otp.uri(secret, person.email))


async def pending_setup(
    session: AsyncSession, settings: Settings, *, person: Person
) -> Setup | None:
    """The setup in progress, to show its QR code again after a wrong code; None if none."""
    row = await _row(session, person.id)
    if row is None or row.confirmed_at is not None:
        return None
    secret = otp.unseal(settings.signing_key, row.secret)
    return None if secret is None else Setup(secret=secret, uri=otp.uri(secret, person.email))


async def do_confirm_setup(
    session: AsyncSession,
    settings: Settings,
    *,
    person: Person,
    code: str,
    now: datetime | None = None,
) -> list[str]:
    """Turn TOTP on with a current code of the new secret; the recovery codes (shown once)."""
    now = now or utcnow()
    row = await _row(session, person.id)
    if row is None or row.confirmed_at is not None:
        raise Conflict("There is no two-step sign-in setup to confirm: start one first.")
    secret = otp.unseal(settings.signing_key, row.secret)
    step = None if secret is None else otp.matching_step(secret, code, now=now, after=0)
    if step is None:
        raise Invalid.field("code", "is not the current code of your authenticator app")
    row.confirmed_at, row.last_step = now, step
    trail.record_person(session, actor=person, action="person.totp_enabled", person=person)
    return await _new_recovery_codes(session, person_id=person.id)


async def _new_recovery_codes(session: AsyncSession, *, person_id: int) -> list[str]:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.person_id == person_id))
    codes = otp.new_recovery_codes()
    session.add_all(
        RecoveryCode(person_id=person_id, code_hash=otp.recovery_digest(c)) for c in codes
    )
    await session.flush()
    return codes


async def _use_code(
    session: AsyncSession, settings: Settings, *, person_id: int, code: str, now: datetime
) -> bool:
    """Accept a code (a TOTP code newer than the last accepted, or an unused recovery code)
    and use it up; False when it is none of those."""
    row = await _row(session, person_id)
    if row is None or row.confirmed_at is None:
        return False
    if otp.is_recovery_code(code):
        used = await session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.person_id == person_id,
                RecoveryCode.code_hash == otp.recovery_digest(code),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return bool(getattr(used, "rowcount", 0))
    secret = otp.unseal(settings.signing_key, row.secret)
    after = row.last_step
    step = None if secret is None else otp.matching_step(secret, code, now=now, after=after)
    if step is None:
        return False
    # Conditional, so that of two requests with the same code only one gets through.
    moved = await session.execute(
        update(TotpSecret)
        .where(TotpSecret.person_id == person_id, TotpSecret.last_step < step)
        .values(last_step=step)
    )
    return bool(getattr(moved, "rowcount", 0))


async def do_check_code(
    session: AsyncSession,
    settings: Settings,
    *,
    person: Person,
    code: str,
    address: str,
    now: datetime | None = None,
) -> bool:
    """The second step of a sign-in: whether the code is right. Like a password it is counted
    on the sign-in throttle first (RateLimited when over a limit) and committed before it is
    checked; a wrong code is committed as a failure although the answer is an error."""
    now = now or utcnow()
    attempt = await throttle.do_count_attempt(
        session, settings, email=person.email, address=address, now=now
    )
    await session.commit()
    ok = await _use_code(session, settings, person_id=person.id, code=code[:64], now=now)
    await throttle.do_settle(session, attempt=attempt, succeeded=ok)
    if not ok:
        await session.commit()
    return ok


async def do_renew_recovery_codes(
    session: AsyncSession, settings: Settings, *, person: Person, code: str, address: str
) -> list[str]:
    """Ten new recovery codes (the old ones stop working), for a current code of the app or an
    unused recovery code; a wrong one counts as a failed sign-in."""
    if not await is_on(session, person.id):
        raise Conflict("Two-step sign-in is not on.")
    if not await do_check_code(session, settings, person=person, code=code, address=address):
        raise Invalid.field("code", "is not a current code or an unused recovery code")
    trail.record_person(
        session, actor=person, action="person.recovery_codes_renewed", person=person
    )
    return await _new_recovery_codes(session, person_id=person.id)


async def do_disable(
    session: AsyncSession,
    settings: Settings,
    *,
    person: Person,
    password: str,
    code: str,
    address: str,
) -> None:
    """Turn TOTP off: the password and a code (or a recovery code) are both required, and a
    wrong one of either counts as a failed sign-in."""
    if not await is_on(session, person.id):
        raise Conflict("Two-step sign-in is not on.")
    if settings.require_totp:
        raise Conflict("Your organisation requires two-step sign-in: it cannot be turned off.")
    now = utcnow()
    attempt = await throttle.do_count_attempt(
        session, settings, email=person.email, address=address, now=now
    )
    await session.commit()
    stored = await session.scalar(select(Person.password_hash).where(Person.id == person.id))
    if not await Hashing.of(settings).verify(stored, password):
        await throttle.do_settle(session, attempt=attempt, succeeded=False)
        await session.commit()
        raise Invalid.field("password", "is not your password")
    if not await _use_code(session, settings, person_id=person.id, code=code[:64], now=now):
        await throttle.do_settle(session, attempt=attempt, succeeded=False)
        await session.commit()
        raise Invalid.field("code", "is not a current code or an unused recovery code")
    await throttle.do_settle(session, attempt=attempt, succeeded=True)
    await session.execute(delete(RecoveryCode).where(RecoveryCode.person_id == person.id))
    await session.execute(delete(TotpSecret).where(TotpSecret.person_id == person.id))
    trail.record_person(session, actor=person, action="person.totp_disabled", person=person)


async def do_reset(session: AsyncSession, *, actor: Person, person: Person) -> bool:
    """An administrator turns someone's TOTP off (a lost phone and lost recovery codes): they
    sign in with their password alone again, and set it up anew. Whether it was on."""
    if not can_administer_people(actor):
        raise Forbidden("Only administrators may reset someone's two-step sign-in.")
    was_on = await is_on(session, person.id)
    await session.execute(delete(RecoveryCode).where(RecoveryCode.person_id == person.id))
    await session.execute(delete(TotpSecret).where(TotpSecret.person_id == person.id))
    trail.record_person(
        session, actor=actor, action="person.totp_reset", person=person, was_on=was_on
    )
    return was_on
