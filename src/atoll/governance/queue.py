"""The moderation queue: the reports a person handles (``policy.handled_reports``), open or
resolved, grouped per target — how many, for which reasons, by whom, with their details —
newest first, cursor-paginated over targets. Filtering is SQL; nothing is loaded and then
dropped."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.governance import policy, targets
from atoll.governance.models import Report
from atoll.governance.targets import Shown
from atoll.kit.errors import Forbidden, Invalid
from atoll.kit.ids import parse_id
from atoll.kit.pagination import clamp_limit, decode_cursor, encode_cursor
from atoll.people.models import Person
from atoll.people.policy import is_platform_moderator
from atoll.spaces import service as spaces

STATUSES = ("open", "resolved")


@dataclass
class Group:
    """Every report on one target (of one status), as the queue shows them."""

    target: Shown
    reports: list[tuple[Report, Person]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.reports)

    @property
    def reasons(self) -> dict[str, int]:
        return dict(Counter(report.reason for report, _ in self.reports).most_common())

    @property
    def first_at(self) -> datetime:
        return min(report.created_at for report, _ in self.reports)

    @property
    def last(self) -> Report:
        return max((report for report, _ in self.reports), key=lambda r: r.id)


async def handles_any(session: AsyncSession, *, viewer: Person) -> bool:
    """The viewer handles some reports: a platform moderator, or a space's owner or
    moderator."""
    if is_platform_moderator(viewer):
        return True
    return bool(await session.scalar(select(exists().where(policy.manages_a_space(viewer)))))


async def check_may_see_queue(
    session: AsyncSession, *, viewer: Person, space_id: int | str | None
) -> int | None:
    """Forbidden for whoever handles no reports (there, with ``space_id``: NotFound for a
    space they may not know). Returns the space's id."""
    if space_id is not None and space_id != "":
        access = await spaces.access_space(session, viewer=viewer, space_id=space_id)
        if not policy.may_handle_space(access):
            raise Forbidden("Only this space's owners and moderators can see its reports.")
        return access.space.id
    if not await handles_any(session, viewer=viewer):
        raise Forbidden(
            "Only moderators see the moderation queue: the owners and moderators of a space, "
            "and the platform's moderators."
        )
    return None


def _where(viewer: Person, status: str, space_id: int | None) -> list[ColumnElement[bool]]:
    if status not in STATUSES:
        raise Invalid.field("status", f"must be one of {', '.join(STATUSES)}")
    where = [
        policy.handled_reports(viewer),
        Report.resolved_at.is_(None) if status == "open" else Report.resolved_at.is_not(None),
    ]
    if space_id is not None:
        where.append(Report.space_id == space_id)
    return where


async def queue_page(
    session: AsyncSession,
    *,
    viewer: Person,
    status: str = "open",
    space_id: int | str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[Group], str | None]:
    """A page of the queue: targets newest report first, each with its reports."""
    limit = clamp_limit(limit)
    space = await check_may_see_queue(session, viewer=viewer, space_id=space_id)
    where = _where(viewer, status, space)
    last = func.max(Report.id).label("last")
    stmt = select(Report.target_type, Report.target_id, last).where(*where)
    after = _after(cursor)
    if after is not None:
        stmt = stmt.having(func.max(Report.id) < after)
    stmt = stmt.group_by(Report.target_type, Report.target_id).order_by(last.desc())
    keys = [(t, i, n) for t, i, n in (await session.execute(stmt.limit(limit + 1))).tuples()]
    next_cursor = None
    if len(keys) > limit:
        keys = keys[:limit]
        next_cursor = encode_cursor([keys[-1][2]])
    return await _groups(session, where, [(t, i) for t, i, _ in keys]), next_cursor


async def _groups(
    session: AsyncSession, where: list[ColumnElement[bool]], keys: list[tuple[str, int]]
) -> list[Group]:
    if not keys:
        return []
    shown = await targets.describe(session, keys)
    groups = {key: Group(shown[key]) for key in keys}
    on_targets = or_(*(and_(Report.target_type == t, Report.target_id == i) for t, i in keys))
    rows = await session.execute(
        select(Report, Person)
        .join(Person, Person.id == Report.reporter_id)
        .where(*where, on_targets)
        .order_by(Report.id)
    )
    for report, reporter in rows.tuples():
        groups[report.target_type, report.target_id].reports.append((report, reporter))
    return [groups[key] for key in keys]


def _after(cursor: str | None) -> int | None:
    values = decode_cursor(cursor)
    if values is None:
        return None
    number = parse_id(str(values[0])) if values else None
    if number is None:
        raise Invalid.field("cursor", "is not a cursor this server gave out")
    return number


async def open_count(session: AsyncSession, *, viewer: Person) -> int | None:
    """How many targets wait in the viewer's open queue (the navigation's number); None for
    whoever handles no reports (no link for them)."""
    if not await handles_any(session, viewer=viewer):
        return None
    targets_waiting = (
        select(Report.target_type, Report.target_id)
        .where(*_where(viewer, "open", None))
        .group_by(Report.target_type, Report.target_id)
        .subquery()
    )
    return int(await session.scalar(select(func.count()).select_from(targets_waiting)) or 0)
