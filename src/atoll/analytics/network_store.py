"""Computed networks, kept: the network of a range is costly (every pair of people of the range,
and betweenness on the person graph), so each answer computed is stored in
``network_snapshot`` under its parameters and read back while it still holds.

- A snapshot **holds** for ``MAX_AGE`` after it was computed (a network of months does not
  turn in a few minutes, and the answer says when it was computed: ``computed_at``); for
  good when it was computed after its range closed (rows imported into a closed range later
  are caught by housekeeping, which counts them); and otherwise while the log has the same
  number of rows in its range.
- A read that finds none computes the network at once — betweenness estimated from
  ``LIVE_SOURCES`` people on a large graph — and stores it.
- Housekeeping (``do_refresh_networks``) recomputes, with ``SOURCES`` sources and a few per
  round, the snapshots whose range got new rows (at most every ``REFRESH_AFTER``) or that
  were estimated with the live budget, computes tomorrow's version of a range that ends
  today, and forgets the snapshots nobody read for ``KEEP``.

Names are never stored resolved: the reader adds them (or withholds them with the ids) by the
settings in force."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Boolean, Integer, String, Text, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from atoll.analytics.models import Interaction
from atoll.db.base import Base, UtcDateTime
from atoll.kit.time import as_utc, rfc3339, utcnow

MAX_AGE = timedelta(minutes=15)
REFRESH_AFTER = timedelta(minutes=5)  # housekeeping recomputes a snapshot gone stale after
KEEP = timedelta(days=14)
REQUESTED_EVERY = timedelta(hours=1)  # how often a read refreshes requested_at
LIVE_SOURCES = 64
SOURCES = 1000
REFRESH_PER_ROUND = 2
UTC_ZONE = ZoneInfo("UTC")
CLOSED_AFTER = timedelta(days=1)  # as the matrix's months: no open transaction writes there
ROLL = timedelta(days=1)


class NetworkSnapshot(Base):
    """One computed network answer (without names), by its parameters."""

    __tablename__ = "network_snapshot"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(BigInteger)
    silo_level: Mapped[int] = mapped_column(Integer)
    min_interactions: Mapped[int] = mapped_column(Integer)
    range_start: Mapped[datetime] = mapped_column(UtcDateTime)
    range_end: Mapped[datetime] = mapped_column(UtcDateTime)
    rows: Mapped[int] = mapped_column(BigInteger)  # rows of the log in the range, then
    sources: Mapped[int] = mapped_column(Integer)  # of the betweenness (0: no graph)
    complete: Mapped[bool] = mapped_column(Boolean)  # computed with housekeeping's budget
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    data: Mapped[str] = mapped_column(Text)


def key_of(
    *,
    start: datetime,
    end: datetime,
    level: int,
    unit_id: int | None,
    silo_level: int,
    min_interactions: int,
    zone: str = "UTC",
) -> str:
    unit = "" if unit_id is None else str(unit_id)
    return (
        f"{level}|{unit}|{silo_level}|{min_interactions}|"
        f"{rfc3339(as_utc(start))}|{rfc3339(as_utc(end))}|{zone}"
    )


async def rows_in(session: AsyncSession, start: datetime, end: datetime) -> int:
    """The log's rows in [start, end): read from the ``at`` index alone."""
    i = Interaction
    return await session.scalar(select(func.count()).where(i.at >= start, i.at < end)) or 0


def fresh(snapshot: NetworkSnapshot, now: datetime) -> bool:
    """Holds without counting: computed less than ``MAX_AGE`` ago, or after its range closed
    (rows written into a closed range later are caught by housekeeping, which counts)."""
    computed = as_utc(snapshot.computed_at)
    return now - computed < MAX_AGE or computed >= as_utc(snapshot.range_end) + CLOSED_AFTER


def read(snapshot: NetworkSnapshot) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(snapshot.data)
    return data


async def store(
    session: AsyncSession,
    *,
    key: str,
    params: dict[str, Any],
    rows: int,
    sources: int,
    complete: bool,
    data: dict[str, Any],
    now: datetime,
    requested_at: datetime | None = None,
) -> None:
    """Insert or replace the snapshot of ``key`` (several processes may race: the last wins)."""
    postgres = (await session.connection()).dialect.name == "postgresql"
    insert = pg_insert if postgres else sqlite_insert
    values = {
        "key": key,
        **params,
        "rows": rows,
        "sources": sources,
        "complete": complete,
        "computed_at": now,
        "requested_at": requested_at or now,
        "data": json.dumps(data | {"computed_at": rfc3339(now)}, separators=(",", ":")),
    }
    statement = insert(NetworkSnapshot).values(values)
    changed = {k: statement.excluded[k] for k in values if k not in ("key", "requested_at")}
    await session.execute(statement.on_conflict_do_update(index_elements=["key"], set_=changed))


async def touch(session: AsyncSession, snapshot: NetworkSnapshot, now: datetime) -> None:
    """Remember that the snapshot was read (at most once per ``REQUESTED_EVERY``)."""
    if now - as_utc(snapshot.requested_at) >= REQUESTED_EVERY:
        snapshot.requested_at = now
        await session.flush()


Compute = Callable[[AsyncSession, NetworkSnapshot, int], Awaitable[tuple[dict[str, Any], int]]]


async def do_refresh_networks(
    session: AsyncSession,
    compute: Compute,
    *,
    now: datetime | None = None,
    limit: int = REFRESH_PER_ROUND,
    zone: ZoneInfo = UTC_ZONE,
) -> int:
    """Housekeeping: forget the snapshots nobody read for ``KEEP``; recompute (``compute``:
    the snapshot, its sources → the answer and the sources used) up to ``limit`` of the
    others that got new rows in their range (``REFRESH_AFTER`` after they were computed) or
    were estimated with the live budget, the least recently computed first; then, with what
    is left of ``limit``, compute tomorrow's version of a range read on the day that just
    ended (the page's default range ends with today: its first reader tomorrow finds it
    ready). Returns how many were computed. Does not commit."""
    moment = now or utcnow()
    await session.execute(
        delete(NetworkSnapshot).where(NetworkSnapshot.requested_at < moment - KEEP)
    )
    done = 0
    snapshots = list(
        await session.scalars(
            select(NetworkSnapshot).order_by(NetworkSnapshot.computed_at, NetworkSnapshot.key)
        )
    )
    for snapshot in snapshots:
        if done >= limit:
            return done
        rows = await rows_in(session, snapshot.range_start, snapshot.range_end)
        old = moment - as_utc(snapshot.computed_at) >= REFRESH_AFTER
        if snapshot.complete and (snapshot.rows == rows or not old):
            continue
        await _recompute(session, compute, snapshot, _params(snapshot), moment)
        done += 1
    have = {s.key for s in snapshots}
    for snapshot in snapshots:
        if done >= limit:
            break
        rolled = _rolled(snapshot, moment, zone)
        if rolled is None:
            continue
        params = _params(snapshot) | {"range_start": rolled[0], "range_end": rolled[1]}
        key = key_of(
            start=rolled[0],
            end=rolled[1],
            zone=zone.key,
            **{k: params[k] for k in ("level", "unit_id", "silo_level", "min_interactions")},
        )
        if key in have:
            continue
        have.add(key)
        ahead = NetworkSnapshot(key=key, requested_at=snapshot.requested_at, **params)
        await _recompute(session, compute, ahead, params, moment)
        done += 1
    return done


def _params(snapshot: NetworkSnapshot) -> dict[str, Any]:
    return {
        "level": snapshot.level,
        "unit_id": snapshot.unit_id,
        "silo_level": snapshot.silo_level,
        "min_interactions": snapshot.min_interactions,
        "range_start": snapshot.range_start,
        "range_end": snapshot.range_end,
    }


async def _recompute(
    session: AsyncSession,
    compute: Compute,
    snapshot: NetworkSnapshot,
    params: dict[str, Any],
    moment: datetime,
) -> None:
    rows = await rows_in(session, params["range_start"], params["range_end"])
    data, sources = await compute(session, snapshot, SOURCES)
    await store(
        session,
        key=snapshot.key,
        params=params,
        rows=rows,
        sources=sources,
        complete=True,
        data=data,
        now=moment,
        requested_at=snapshot.requested_at,
    )


def _rolled(
    snapshot: NetworkSnapshot, now: datetime, zone: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """The range a day on (a day of the organisation's time zone), for a range that ended in
    the last day and was read on its last day: the same start (the next month's first, when
    the day moves into a new month and the range starts on a month's first), the end a day
    later."""
    start, end = as_utc(snapshot.range_start), as_utc(snapshot.range_end)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    following = (local_end + ROLL).astimezone(UTC)
    if not end <= now < following or as_utc(snapshot.requested_at) < end - ROLL:
        return None
    last_day = (local_end - ROLL).date()
    if local_start.day == 1 and local_end.month != last_day.month:
        start = (local_start + timedelta(days=32)).replace(day=1).astimezone(UTC)
    return start, following


async def forget_networks(session: AsyncSession) -> None:
    """Drop every snapshot (after a rebuild of the log or a change of the tree's levels)."""
    await session.execute(delete(NetworkSnapshot))
