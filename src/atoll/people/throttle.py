"""The sign-in throttle, after OWASP's Authentication Cheat Sheet: failures are limited per
account *and address*, and per address, so that nobody can lock an account by failing on it;
the account as a whole is slowed down, never shut.

What is counted, each within a window of ``ATOLL_LOGIN_WINDOW_SECONDS`` that opens at the key's
first attempt:

- **the account from one address** — failures for one e-mail address from one client address
  (``ATOLL_LOGIN_MAX_FAILURES``): past it, that address gets 429 for that account. A
  successful sign-in clears it.
- **the address** — failures from one client address, whatever the account
  (``ATOLL_LOGIN_MAX_FAILURES_ADDRESS``): password spraying.
- **successes of the address** — successful sign-ins from one client address
  (``ATOLL_LOGIN_MAX_SUCCESSES_ADDRESS``): each one costs an argon2 hash, so this bounds the
  CPU one address can take with a password it knows.
- **the account** — failures for one e-mail address from every client address
  (``ATOLL_LOGIN_MAX_FAILURES_ACCOUNT``). Past it, an address that has already failed on the
  account in its window is refused at once: an attacker spread over many addresses gets one
  guess per address instead of ``ATOLL_LOGIN_MAX_FAILURES``, while the owner, signing in from
  an address that has not failed, is let through.

An IPv6 client is counted by its /64 network (one subscriber's allocation), not by address.

Atomic counting
---------------
An attempt is counted *before* its password is checked, by one statement per attempt —
``INSERT … ON CONFLICT (key) DO UPDATE SET count = count + 1 … RETURNING`` over all its keys —
which hands each concurrent attempt a different count, on SQLite and on PostgreSQL alike; the
decision is taken on the counts that statement returned, and the caller commits it before
argon2 runs (no row lock is held while a password is hashed). So of 40 concurrent wrong
passwords against a limit of 5, exactly 5 are checked. Once the password is checked the
attempt is settled (``do_settle``): a success gives back its failure slots and clears the
account-from-address counter, a failure gives back its success slot. Keys are SHA-256 digests:
no e-mail address or client address is stored.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import RateLimited
from atoll.kit.settings import Settings
from atoll.people.models import SignInCounter

PAIR = "pair"  # failures of one account from one address
ADDRESS = "address"  # failures from one address
SUCCESSES = "successes"  # successful sign-ins from one address
ACCOUNT = "account"  # failures of one account from all addresses
KINDS = (PAIR, ADDRESS, SUCCESSES, ACCOUNT)


def address_group(address: str) -> str:
    """What an address is counted as: itself, or its /64 for IPv6 (and IPv4 itself when it
    comes mapped into IPv6)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _key(kind: str, *parts: str) -> str:
    return hashlib.sha256("\x00".join((kind, *parts)).encode()).hexdigest()


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt that the throttle let through (``do_count_attempt``), to be settled
    with ``do_settle`` once its password has been checked."""

    email: str  # as typed, trimmed and lower-cased
    keys: dict[str, str]  # kind -> key
    at: datetime


def keys_for(email: str, address: str) -> dict[str, str]:
    # Cut to the longest e-mail address: a few letters grow when lower-cased (İ becomes i̇).
    account, group = email.strip().lower()[:320], address_group(address)
    return {
        PAIR: _key(PAIR, account, group),
        ADDRESS: _key(ADDRESS, group),
        SUCCESSES: _key(SUCCESSES, group),
        ACCOUNT: _key(ACCOUNT, account),
    }


async def _count(
    session: AsyncSession, keys: list[str], *, now: datetime, window: timedelta
) -> dict[str, tuple[int, datetime]]:
    """Add one to each key's counter (a counter whose window is over starts again at one) in
    one statement; the new counts and the starts of their windows, by key."""
    postgres = (await session.connection()).dialect.name == "postgresql"
    insert = pg_insert if postgres else sqlite_insert
    rows_in = insert(SignInCounter).values(
        # Sorted: concurrent statements lock the rows of PostgreSQL in the same order.
        [{"key": key, "started_at": now, "count": 1} for key in sorted(keys)]
    )
    over = SignInCounter.started_at <= now - window  # the stored window is over
    statement = rows_in.on_conflict_do_update(
        index_elements=[SignInCounter.key],
        set_={
            "count": case((over, 1), else_=SignInCounter.count + 1),
            "started_at": case((over, rows_in.excluded.started_at), else_=SignInCounter.started_at),
        },
    ).returning(SignInCounter.key, SignInCounter.count, SignInCounter.started_at)
    rows = await session.execute(statement)
    return {key: (count, started_at) for key, count, started_at in rows.tuples()}


def _refuse(message: str, started_at: datetime, *, now: datetime, window: timedelta) -> RateLimited:
    seconds = max(1, math.ceil((started_at + window - now).total_seconds()))
    minutes = math.ceil(seconds / 60)
    when = "in a minute" if minutes <= 1 else f"in {minutes} minutes"
    return RateLimited(f"{message} Please try again {when}.", retry_after=seconds)


async def do_count_attempt(
    session: AsyncSession, settings: Settings, *, email: str, address: str, now: datetime
) -> Attempt:
    """Count a sign-in attempt before its password is checked, or raise RateLimited (429 with
    Retry-After) when it is over a limit. The caller commits before checking the password (and
    rolls back after a RateLimited, so a refused attempt counts for nothing)."""
    window = timedelta(seconds=settings.login_window_seconds)
    keys = keys_for(email, address)
    counts = await _count(session, list(keys.values()), now=now, window=window)
    pair, pair_since = counts[keys[PAIR]]
    failures, failures_since = counts[keys[ADDRESS]]
    successes, successes_since = counts[keys[SUCCESSES]]
    account, account_since = counts[keys[ACCOUNT]]
    if pair > settings.login_max_failures:
        raise _refuse(
            "Too many failed sign-ins for this e-mail address from your network.",
            pair_since,
            now=now,
            window=window,
        )
    if failures > settings.login_max_failures_address:
        raise _refuse(
            "Too many failed sign-ins from your network.", failures_since, now=now, window=window
        )
    if successes > settings.login_max_successes_address:
        raise _refuse(
            "Too many sign-ins from your network.", successes_since, now=now, window=window
        )
    # The account is under attack; this address has failed on it already (its own count
    # includes this attempt): no more guesses from here. An address that has not failed on it
    # goes on, so the owner signs in.
    if account > settings.login_max_failures_account and pair > 1:
        raise _refuse(
            "Too many failed sign-ins for this e-mail address.",
            min(pair_since, account_since),
            now=now,
            window=window,
        )
    return Attempt(email=email.strip().lower(), keys=keys, at=now)


async def do_settle(session: AsyncSession, *, attempt: Attempt, succeeded: bool) -> None:
    """Settle a counted attempt once its password was checked: a success gives back its
    failure slots and clears the account-from-address counter; a failure gives back its
    success slot."""
    if succeeded:
        await session.execute(delete(SignInCounter).where(SignInCounter.key == attempt.keys[PAIR]))
        given_back = [attempt.keys[ADDRESS], attempt.keys[ACCOUNT]]
    else:
        given_back = [attempt.keys[SUCCESSES]]
    await session.execute(
        update(SignInCounter)
        .where(SignInCounter.key.in_(given_back), SignInCounter.count > 0)
        .values(count=SignInCounter.count - 1)
    )


async def do_prune(session: AsyncSession, *, older_than: datetime) -> int:
    """Delete the counters whose window began at or before ``older_than`` (housekeeping: now
    minus the window)."""
    result = await session.execute(
        delete(SignInCounter).where(SignInCounter.started_at <= older_than)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def do_count_request(
    session: AsyncSession,
    settings: Settings,
    *,
    what: str,
    parts: tuple[str, ...],
    limit: int,
    message: str,
    now: datetime,
) -> None:
    """Count one request of a kind other than a sign-in (``what``: a password-reset e-mail for
    one address, say) under the key ``parts`` make, in the same window as sign-ins; raise
    RateLimited past ``limit``. The caller keeps the count (commits) whether or not the
    request then succeeds."""
    window = timedelta(seconds=settings.login_window_seconds)
    key = _key(what, *parts)
    count, since = (await _count(session, [key], now=now, window=window))[key]
    if count > limit:
        raise _refuse(message, since, now=now, window=window)


async def count_under(
    session: AsyncSession, *, what: str, parts: tuple[str, ...], now: datetime, window: timedelta
) -> tuple[int, datetime]:
    """Add one to the counter of ``what`` for ``parts`` (in its own ``window``, which opens
    with the first one counted) in one atomic statement; the new count and when its window
    began. What the other limits build on (``atoll.people.write_limits``)."""
    key = _key(what, *parts)
    return (await _count(session, [key], now=now, window=window))[key]
