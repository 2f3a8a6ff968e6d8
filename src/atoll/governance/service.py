"""Reports: make one, resolve every open report on a target at once, show hidden content
again, lift a suspension. The queue of reports is ``atoll.governance.queue``.

Each ``do_*`` checks, writes its rows, its audit entry (``report.resolved``,
``post.unhidden``, ``person.unsuspended``) and its events in the caller's transaction, and
acts on content only through the content domains' own functions (conversations'
``do_delete_post``, ``do_delete_comment`` and ``hiding``, the wiki's ``do_delete_page``, the
people's ``suspension``). None of them commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.service import record_audit
from atoll.conversations import hiding
from atoll.conversations import service as conversations
from atoll.governance import events, policy, targets
from atoll.governance.models import ACTIONS, REASONS, TARGET_TYPES, Report
from atoll.governance.targets import Target
from atoll.kit.errors import Conflict, Forbidden, Invalid, NotFound, denied
from atoll.kit.ids import parse_id
from atoll.kit.time import utcnow
from atoll.people import suspension
from atoll.people.models import Person
from atoll.people.write_limits import UNLIMITED, WriteLimits, check_write_rate
from atoll.wiki import service as wiki

MAX_DETAIL = 2000
MAX_NOTE = 2000


# --- checks -----------------------------------------------------------------------------------


def check_target_type(target_type: str) -> str:
    if target_type not in TARGET_TYPES:
        raise Invalid.field("target_type", f"must be one of {', '.join(TARGET_TYPES)}")
    return target_type


def check_reason(reason: str) -> str:
    if reason not in REASONS:
        raise Invalid.field("reason", f"must be one of {', '.join(REASONS)}")
    return reason


def check_detail(detail: str | None) -> str:
    detail = (detail or "").strip()
    if len(detail) > MAX_DETAIL:
        raise Invalid.field("detail", f"must be at most {MAX_DETAIL:,} characters long")
    return detail


def check_action(action: str, target_type: str) -> str:
    if action not in ACTIONS:
        raise Invalid.field("action", f"must be one of {', '.join(ACTIONS)}")
    if target_type == "person" and action in ("hide", "delete"):
        raise Invalid.field("action", "a person cannot be hidden or deleted: warn or suspend them")
    return action


def check_note(note: str | None, action: str) -> str:
    """A note is required for every action but dismiss: the author is told it."""
    note = (note or "").strip()
    if not note and action != "dismiss":
        raise Invalid.field("note", "must say why: the author is told it")
    if len(note) > MAX_NOTE:
        raise Invalid.field("note", f"must be at most {MAX_NOTE:,} characters long")
    return note


# --- reporting --------------------------------------------------------------------------------


async def do_report(
    session: AsyncSession,
    *,
    reporter: Person,
    target_type: str,
    target_id: int | str,
    reason: str,
    detail: str | None = None,
    limits: WriteLimits = UNLIMITED,
) -> tuple[Report, bool]:
    """Report a post, a comment, a wiki page or a person the reporter may read (NotFound
    otherwise, as reading it answers). Reporting the same thing again while the reporter's
    report is open returns that report (and False: nothing new was made, nothing counted);
    a new report counts toward the reporter's ``limits`` (RateLimited past them)."""
    target = await targets.load(
        session, viewer=reporter, target_type=check_target_type(target_type), target_id=target_id
    )
    reason, detail = check_reason(reason), check_detail(detail)
    if target.type == "person" and target.id == reporter.id:
        raise Invalid.field("target_id", "you cannot report yourself")
    existing = await session.scalar(
        select(Report).where(
            Report.reporter_id == reporter.id,
            Report.target_type == target.type,
            Report.target_id == target.id,
            Report.resolved_at.is_(None),
        )
    )
    if existing is not None:
        return existing, False
    await check_write_rate(session, person=reporter, kind="reports", limits=limits)
    report = Report(
        reporter_id=reporter.id,
        target_type=target.type,
        target_id=target.id,
        space_id=target.space_id,
        author_id=target.author_id,
        reason=reason,
        detail=detail,
        created_at=utcnow(),
        note="",
    )
    session.add(report)
    await session.flush()
    await events.queue_changed(session, space_id=target.space_id, why="reported")
    return report, True


# --- resolving --------------------------------------------------------------------------------


async def access_report(session: AsyncSession, *, viewer: Person, report_id: int | str) -> Report:
    """A report the viewer handles. Its reporter, who knows it exists, is Forbidden; anyone
    else NotFound (a report is never revealed)."""
    number = parse_id(report_id)
    if number is None:
        raise denied("report", signed_in=True, may_know=False)
    report = await session.scalar(
        select(Report).where(Report.id == number, policy.handled_reports(viewer))
    )
    if report is not None:
        return report
    own = await session.scalar(
        select(Report.id).where(Report.id == number, Report.reporter_id == viewer.id)
    )
    if own is not None:
        raise Forbidden("Only the moderators of where it was posted can resolve a report.")
    raise denied("report", signed_in=True, may_know=False)


@dataclass(frozen=True)
class Changes:
    """What an action changed (before, after: for the audit log) and what the author is told
    of (``extra``: the post or comment they may still open, a suspension's days)."""

    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    extra: dict[str, Any]


@dataclass(frozen=True)
class Resolved:
    """What resolving did: the reports resolved, and what changed (for the audit log)."""

    reports: list[Report]
    before: dict[str, Any]
    after: dict[str, Any]


async def do_resolve(
    session: AsyncSession,
    *,
    actor: Person,
    report_id: int | str,
    action: str,
    note: str | None = None,
    days: int | None = None,
    now: datetime | None = None,
) -> Resolved:
    """Resolve every open report on the report's target with ``action`` (see the module and
    README): dismiss, hide, delete, warn, or suspend (platform moderators and administrators
    only). The author and every reporter are told (``report.resolved``); the audit log
    records it."""
    report = await access_report(session, viewer=actor, report_id=report_id)
    action = check_action(action, report.target_type)
    note = check_note(note, action)
    if not policy.may_take(actor, action):
        raise Forbidden("Only platform moderators and administrators can suspend people.")
    if report.resolved_at is not None:
        raise Conflict(f"This report was already resolved ({report.action}).")
    target = await _target(session, actor=actor, report=report, action=action)
    changes = await _act(
        session,
        actor=actor,
        report=report,
        target=target,
        action=action,
        note=note,
        days=days,
        now=now,
    )
    reports = await _close(session, actor=actor, report=report, action=action, note=note)
    await _tell(session, actor=actor, report=report, reports=reports, note=note, changes=changes)
    await events.queue_changed(session, space_id=report.space_id, why="resolved")
    return Resolved(reports, changes.before, changes.after)


async def _tell(
    session: AsyncSession,
    *,
    actor: Person,
    report: Report,
    reports: list[Report],
    note: str,
    changes: Changes,
) -> None:
    """The audit entry, and the event the notifications follow (author and reporters)."""
    reasons = sorted({r.reason for r in reports})
    record_audit(
        session,
        actor_id=actor.id,
        action="report.resolved",
        target_type=report.target_type,
        target_id=report.target_id,
        space_id=report.space_id,
        note=note,
        resolution=changes.action,
        reports=[r.id for r in reports],
        reasons=reasons,
        author_id=report.author_id,
        before=changes.before,
        after=changes.after,
    )
    await events.report_resolved(
        session,
        {
            "action": changes.action,
            "note": note,
            "reasons": reasons,
            "target_type": report.target_type,
            "target_id": report.target_id,
            "space_id": report.space_id,
            "author_id": report.author_id,
            "actor_id": actor.id,
            "reporter_ids": sorted({r.reporter_id for r in reports}),
            **changes.extra,
        },
    )


async def _target(
    session: AsyncSession, *, actor: Person, report: Report, action: str
) -> Target | None:
    """The target as the actor reads it, or None when it is gone (deleted since): then only
    dismiss, warn and suspend remain."""
    try:
        return await targets.load(
            session, viewer=actor, target_type=report.target_type, target_id=report.target_id
        )
    except NotFound:
        if action in ("hide", "delete"):
            raise Conflict(
                "This content was deleted already; dismiss the report or warn its author."
            ) from None
        return None


async def _act(
    session: AsyncSession,
    *,
    actor: Person,
    report: Report,
    target: Target | None,
    action: str,
    note: str,
    days: int | None,
    now: datetime | None,
) -> Changes:
    """Take the action: what changed, and what the author is told of."""
    extra: dict[str, Any] = {}
    if target is not None and target.type in ("post", "comment"):
        assert target.post is not None
        extra["post_id"] = target.post.id
        extra["comment_id"] = target.comment.id if target.comment is not None else None
    if action == "hide" and target is not None:
        await _hide(session, target=target, note=note)
        return Changes(action, {"hidden": False}, {"hidden": True}, extra)
    if action == "delete" and target is not None:
        await _delete(session, actor=actor, target=target)
        extra["post_id"] = extra["comment_id"] = None  # nothing left to open
        return Changes(action, {"deleted": False}, {"deleted": True}, extra)
    if action == "suspend":
        until, days = await _suspend(session, actor=actor, report=report, days=days, now=now)
        extra.update(days=days, until=until.isoformat())
        return Changes(action, {"suspended_until": None}, {"suspended_until": until}, extra)
    return Changes(action, {}, {}, extra)


async def _hide(session: AsyncSession, *, target: Target, note: str) -> None:
    assert target.access is not None
    access = targets.acting(target.access)
    if target.type == "post":
        assert target.post is not None
        await hiding.do_hide_post(session, access=access, post=target.post, note=note)
    elif target.type == "comment":
        assert target.comment is not None and target.post is not None
        await hiding.do_hide_comment(
            session, access=access, comment=target.comment, post=target.post, note=note
        )
    else:  # a wiki page: the wiki's own delete, restorable from its history
        await _delete(session, actor=access.actor, target=target)


async def _delete(session: AsyncSession, *, actor: Person, target: Target) -> None:
    assert target.access is not None
    access = targets.acting(target.access)
    if target.type == "post":
        assert target.post is not None
        await conversations.do_delete_post(session, access=access, post=target.post)
    elif target.type == "comment":
        assert target.comment is not None and target.post is not None
        await conversations.do_delete_comment(
            session, access=access, comment=target.comment, post=target.post
        )
    else:
        assert target.page is not None
        await wiki.do_delete_page(
            session, editor=actor, wiki=targets.wiki_of(target.access), page=target.page
        )


async def _suspend(
    session: AsyncSession, *, actor: Person, report: Report, days: int | None, now: datetime | None
) -> tuple[datetime, int]:
    days = suspension.check_days(days)
    person = await session.get(Person, report.author_id) if report.author_id else None
    if person is None:
        raise Conflict("The author of this content is gone; there is nobody to suspend.")
    if person.id == actor.id:
        raise Invalid.field("action", "you cannot suspend yourself")
    if not policy.may_suspend(actor, person):
        raise Forbidden("Moderators cannot suspend an administrator.")
    return await suspension.do_suspend(session, person=person, days=days, now=now), days


async def _close(
    session: AsyncSession, *, actor: Person, report: Report, action: str, note: str
) -> list[Report]:
    """Resolve every open report on the report's target; returns them."""
    same = (
        Report.target_type == report.target_type,
        Report.target_id == report.target_id,
        Report.resolved_at.is_(None),
    )
    reports = list(await session.scalars(select(Report).where(*same).order_by(Report.id)))
    await session.execute(
        update(Report)
        .where(Report.id.in_([r.id for r in reports]))
        .values(resolved_at=utcnow(), resolved_by_id=actor.id, action=action, note=note)
        .execution_options(synchronize_session="fetch")
    )
    return reports


# --- undoing ----------------------------------------------------------------------------------


async def do_unhide(
    session: AsyncSession, *, actor: Person, target_type: str, target_id: int | str
) -> Target:
    """Show a hidden post or comment again (the space's moderators, platform moderators and
    administrators who read it)."""
    target = await targets.load(session, viewer=actor, target_type=target_type, target_id=target_id)
    assert target.access is not None
    access = targets.acting(target.access)
    if target.type == "post":
        assert target.post is not None
        was = target.post.hidden_at is not None
        await hiding.do_unhide_post(session, access=access, post=target.post)
    else:
        assert target.comment is not None and target.post is not None
        was = target.comment.hidden_at is not None
        await hiding.do_unhide_comment(
            session, access=access, comment=target.comment, post=target.post
        )
    if was:
        record_audit(
            session,
            actor_id=actor.id,
            action=f"{target.type}.unhidden",
            target_type=target.type,
            target_id=target.id,
            space_id=target.space_id,
            before={"hidden": True},
            after={"hidden": False},
        )
    return target


async def do_lift_suspension(
    session: AsyncSession, *, actor: Person, person_id: int | str
) -> Person:
    """An administrator ends a person's suspension now."""
    if not policy.may_lift_suspension(actor):
        raise Forbidden("Only administrators can lift a suspension.")
    number = parse_id(person_id)
    person = await session.get(Person, number) if number is not None else None
    if person is None:
        raise denied("person", signed_in=True, may_know=False)
    until = person.suspended_until
    if await suspension.do_lift_suspension(session, person=person):
        record_audit(
            session,
            actor_id=actor.id,
            action="person.unsuspended",
            target_type="person",
            target_id=person.id,
            before={"suspended_until": until},
            after={"suspended_until": None},
        )
    return person
