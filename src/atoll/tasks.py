"""Housekeeping that runs in every server process: close situation rooms whose time is up,
count the interaction log's months and weeks that have closed in the organisation's time zone
(what the value matrix sums) and its days that have closed (what adoption reads), recompute
the analytics networks that people look at and that have gone stale (a few per round), prune the
event log past its retention and the sign-in counters past their window, and purge the posts
and comments deleted more than ``ATOLL_RESTORE_DAYS`` ago (with their attachments' files).

The daily digests of unread notifications go out from here too (a round at most every ten
minutes; each person gets at most one digest a day, however many processes run it).

Each job is idempotent, so several processes may run it side by side."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.concurrency import run_in_threadpool

from atoll import mail
from atoll.analytics.adoption_store import do_fill_adoption
from atoll.analytics.months import UTC_ZONE, do_fill_closed_months
from atoll.analytics.network import compute_snapshot
from atoll.analytics.network_store import do_refresh_networks
from atoll.conversations.attachments import Storage
from atoll.conversations.restore import PURGE_BATCH, RESTORE_DAYS, do_purge_deleted
from atoll.events.outbox import do_prune_events
from atoll.kit.time import utcnow
from atoll.notifications.digest import do_prepare_digests
from atoll.people import throttle, write_limits
from atoll.spaces.service import do_close_due_situation_rooms

log = logging.getLogger("atoll.tasks")
INTERVAL_SECONDS = 60
DIGEST_ROUND_SECONDS = 600
EVENT_RETENTION_HOURS = 72
LOGIN_WINDOW_SECONDS = 900


async def run_once(
    maker: async_sessionmaker[AsyncSession],
    *,
    event_retention_hours: int = EVENT_RETENTION_HOURS,
    login_window_seconds: int = LOGIN_WINDOW_SECONDS,
    restore_days: int = RESTORE_DAYS,
    storage: Storage | None = None,
    now: datetime | None = None,
    zone: ZoneInfo = UTC_ZONE,
) -> None:
    async with maker() as session:
        closed = await do_close_due_situation_rooms(session)
        await session.commit()
    if closed:
        log.info("archived %d situation room(s) whose time was up", closed)
    async with maker() as session:
        counted = await do_fill_closed_months(session, zone=zone)
        await session.commit()
    if counted:
        log.info("counted %d closed month(s) and week(s) of the interaction log", counted)
    async with maker() as session:
        days = await do_fill_adoption(session, zone=zone, now=now)
        await session.commit()
    if days:
        log.info("counted %d closed day(s) of adoption", days)
    async with maker() as session:
        refreshed = await do_refresh_networks(
            session, functools.partial(compute_snapshot, zone=zone), zone=zone
        )
        await session.commit()
    if refreshed:
        log.info("recomputed %d network(s) of the analytics page", refreshed)
    async with maker() as session:
        older_than = utcnow() - timedelta(hours=event_retention_hours)
        await do_prune_events(session, older_than=older_than)
        await session.commit()
    async with maker() as session:
        # The write rate limits keep their counters in the same table, with a minute's window.
        window = max(timedelta(seconds=login_window_seconds), write_limits.WINDOW)
        await throttle.do_prune(session, older_than=utcnow() - window)
        await session.commit()
    await purge_deleted(
        maker, before=(now or utcnow()) - timedelta(days=restore_days), storage=storage
    )


async def purge_deleted(
    maker: async_sessionmaker[AsyncSession],
    *,
    before: datetime,
    storage: Storage | None = None,
    batch: int = PURGE_BATCH,
) -> tuple[int, int]:
    """Remove for good the posts and comments deleted before ``before``, a batch per
    transaction, then their attachments' files (after the commit: a rollback keeps them).
    Returns how many posts and comments went."""
    posts = comments = 0
    while True:
        async with maker() as session:
            purged = await do_purge_deleted(session, before=before, batch=batch)
            await session.commit()
        if storage is not None:
            for key in purged.storage_keys:
                await run_in_threadpool(_remove, storage, key)
        posts, comments = posts + len(purged.post_ids), comments + len(purged.comment_ids)
        if len(purged.post_ids) < batch and len(purged.comment_ids) < batch:
            break
    if posts or comments:
        log.info("purged %d deleted post(s) and %d comment(s) for good", posts, comments)
    return posts, comments


def _remove(storage: Storage, key: str) -> None:
    storage.path_of_key(key).unlink(missing_ok=True)


async def send_digests(maker: async_sessionmaker[AsyncSession]) -> int:
    """E-mail the daily digest to everyone due one, a few hundred people per transaction, and
    wait until the mail is handed over. Returns how many digests went out."""
    total = 0
    while True:
        async with maker() as session:
            queued = await do_prepare_digests(session)  # none while e-mail is off
            await session.commit()
        await mail.drain()
        total += queued
        if queued == 0:
            break
    if total:
        log.info("e-mailed %d daily digest(s)", total)
    return total


async def housekeeping(
    maker: async_sessionmaker[AsyncSession],
    interval: float = INTERVAL_SECONDS,
    *,
    event_retention_hours: int = EVENT_RETENTION_HOURS,
    login_window_seconds: int = LOGIN_WINDOW_SECONDS,
    restore_days: int = RESTORE_DAYS,
    storage: Storage | None = None,
    zone: ZoneInfo = UTC_ZONE,
) -> None:
    """``run_once`` every ``interval`` seconds, and a round of digests every
    ``DIGEST_ROUND_SECONDS`` (the first at once)."""
    last_digests: float | None = None
    while True:
        try:
            await run_once(
                maker,
                event_retention_hours=event_retention_hours,
                login_window_seconds=login_window_seconds,
                restore_days=restore_days,
                storage=storage,
                zone=zone,
            )
            now = time.monotonic()
            if last_digests is None or now - last_digests >= DIGEST_ROUND_SECONDS:
                last_digests = now
                await send_digests(maker)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep the loop alive; the next round retries
            log.exception("housekeeping failed")
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def running(
    maker: async_sessionmaker[AsyncSession],
    interval: float,
    *,
    event_retention_hours: int = EVENT_RETENTION_HOURS,
    login_window_seconds: int = LOGIN_WINDOW_SECONDS,
    restore_days: int = RESTORE_DAYS,
    storage: Storage | None = None,
    zone: ZoneInfo = UTC_ZONE,
) -> AsyncIterator[None]:
    task = asyncio.create_task(
        housekeeping(
            maker,
            interval,
            event_retention_hours=event_retention_hours,
            login_window_seconds=login_window_seconds,
            restore_days=restore_days,
            storage=storage,
            zone=zone,
        ),
        name="atoll-housekeeping",
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
