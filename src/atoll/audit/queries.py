"""Reading the audit log: one filter, newest first, a page at a time (the admin page and the
API) or in batches from the newest to the oldest (the CSV download, never loaded at once).

Every filter is a bound parameter of one statement ordered by ``(at, id)`` descending, which
``ix_audit_entry_at_id`` walks backwards; an actor, an action or a target narrows through
``ix_audit_entry_actor_id_id``, ``ix_audit_entry_action_id`` or
``ix_audit_entry_target_type_target_id`` first when that is the smaller side. The filters
are checked here (``check_filters``), so the page and the API refuse the same input alike,
naming the field."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, distinct, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.models import AuditEntry
from atoll.kit.errors import Invalid
from atoll.kit.ids import parse_id
from atoll.kit.pagination import clamp_limit, decode_cursor, encode_cursor
from atoll.kit.time import as_utc, rfc3339

ACTION = re.compile(r"[a-z][a-z_]*(\.[a-z][a-z_]*)+")
TARGET_TYPE = re.compile(r"[a-z][a-z_]{0,31}")
BATCH = 500


@dataclass(frozen=True)
class AuditFilters:
    """What to show; None (or empty) is "any"."""

    actor_id: int | None = None
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    space_id: int | None = None
    start: datetime | None = None  # included
    end: datetime | None = None  # excluded

    def clause(self) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = []
        if self.actor_id is not None:
            parts.append(AuditEntry.actor_id == self.actor_id)
        if self.action:
            parts.append(AuditEntry.action == self.action)
        if self.target_type:
            parts.append(AuditEntry.target_type == self.target_type)
        if self.target_id:
            parts.append(AuditEntry.target_id == self.target_id)
        if self.space_id is not None:
            parts.append(AuditEntry.space_id == self.space_id)
        if self.start is not None:
            parts.append(AuditEntry.at >= self.start)
        if self.end is not None:
            parts.append(AuditEntry.at < self.end)
        return and_(True, *parts)


def _number(field: str, value: str | None) -> int | None:
    if value is None or value.strip() == "":
        return None
    number = parse_id(value.strip())
    if number is None:
        raise Invalid.field(field, "must be an id (digits)")
    return number


def _moment(field: str, value: str | None, *, end: bool) -> datetime | None:
    """A date (``to``: that whole day included) or an RFC 3339 time (no offset: UTC)."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
            return moment + timedelta(days=1) if end else moment
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        raise Invalid.field(
            field, "must be a date (2026-03-01) or an RFC 3339 time (2026-03-01T00:00:00Z)"
        ) from None


def check_filters(
    *,
    actor_id: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    space_id: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> AuditFilters:
    """The filters from outside (query strings, a form), or Invalid naming the field."""
    action = (action or "").strip()
    if action and (len(action) > 60 or not ACTION.fullmatch(action)):
        raise Invalid.field("action", "must be an action like person.role_changed")
    target_type = (target_type or "").strip()
    if target_type and not TARGET_TYPE.fullmatch(target_type):
        raise Invalid.field("target_type", "must be a kind of target like person or space")
    target_id = (target_id or "").strip()
    if len(target_id) > 64 or "\x00" in target_id:
        raise Invalid.field("target_id", "must be at most 64 characters")
    begin, stop = _moment("from", start, end=False), _moment("to", end, end=True)
    for field, moment in (("from", begin), ("to", stop)):
        if moment is not None and not 1970 <= moment.year <= 2999:
            raise Invalid.field(field, "must be between the years 1970 and 2999")
    if begin is not None and stop is not None and begin >= stop:
        raise Invalid.field("from", "must be before 'to'")
    return AuditFilters(
        actor_id=_number("actor_id", actor_id),
        action=action,
        target_type=target_type,
        target_id=target_id,
        space_id=_number("space_id", space_id),
        start=begin,
        end=stop,
    )


def _after(cursor: str | None) -> tuple[datetime, int] | None:
    values = decode_cursor(cursor)
    if values is None:
        return None
    try:
        at, entry_id = as_utc(datetime.fromisoformat(str(values[0]))), int(values[1])
    except (IndexError, TypeError, ValueError, OverflowError):
        raise Invalid.field("cursor", "is not a cursor this server gave out") from None
    if parse_id(entry_id) is None:
        raise Invalid.field("cursor", "is not a cursor this server gave out")
    return at, entry_id


def _newest_first(
    filters: AuditFilters, after: tuple[datetime, int] | None
) -> Select[tuple[AuditEntry]]:
    stmt = select(AuditEntry).where(filters.clause())
    if after is not None:
        at, entry_id = after
        stmt = stmt.where(
            or_(AuditEntry.at < at, and_(AuditEntry.at == at, AuditEntry.id < entry_id))
        )
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def _cursor_of(entry: AuditEntry) -> str:
    return encode_cursor([as_utc(entry.at).isoformat(), entry.id])


async def audit_entries(
    session: AsyncSession,
    *,
    filters: AuditFilters,
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[AuditEntry], str | None]:
    """One page of the entries that match, newest first, and the cursor of the next."""
    limit = clamp_limit(limit)
    rows = list(
        (await session.scalars(_newest_first(filters, _after(cursor)).limit(limit + 1))).all()
    )
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, _cursor_of(rows[-1])


async def audit_batches(
    session: AsyncSession, *, filters: AuditFilters, size: int = BATCH
) -> AsyncIterator[list[AuditEntry]]:
    """Every entry that matches, newest first, ``size`` at a time (one statement each: the
    whole log is never in memory)."""
    after: tuple[datetime, int] | None = None
    while True:
        rows = list((await session.scalars(_newest_first(filters, after).limit(size))).all())
        if rows:
            yield rows
        if len(rows) < size:
            return
        after = (as_utc(rows[-1].at), rows[-1].id)
        session.expunge_all()


async def audit_actions(session: AsyncSession) -> list[str]:
    """The actions that occur in the log, alphabetically (the page's action select)."""
    return list(
        (
            await session.scalars(select(distinct(AuditEntry.action)).order_by(AuditEntry.action))
        ).all()
    )


def at_text(entry: AuditEntry) -> str:
    return rfc3339(entry.at) or ""
