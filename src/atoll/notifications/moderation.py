"""Telling people how a report was resolved (``report.resolved``, made by
``atoll.governance``; its data holds plain values, so nothing here imports governance):

- the author of the content (or the person reported), for every action but dismiss: what was
  done, for which reasons, and the moderator's note — in-app, and by e-mail at once when
  their "mentions of you" e-mail is on (a moderator's word is said to them alone);
- every reporter: that their report was reviewed, and the outcome.

The moderator stays unnamed ("A moderator"): the outcome is the platform's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll import mail
from atoll.events.outbox import Recorded, Subscriber
from atoll.kit.time import utcnow
from atoll.notifications import email, service
from atoll.notifications.models import Notification
from atoll.notifications.views import NotificationView
from atoll.people.models import Person
from atoll.spaces.models import Space

REPORT_RESOLVED = "report.resolved"


def subscriptions() -> list[tuple[str, Subscriber]]:
    return [(REPORT_RESOLVED, notify_resolution)]


async def notify_resolution(session: AsyncSession, recorded: Recorded) -> None:
    data = recorded.data
    space = await session.get(Space, data["space_id"]) if data.get("space_id") else None
    action, kind = data["action"], data["target_type"]
    author_id = data.get("author_id")
    if action != "dismiss" and author_id is not None:
        reasons = ",".join(data.get("reasons", []))
        days = f"{data['days']}" if action == "suspend" else ""
        detail = f"{action}|{kind}|{reasons}|{days}|{data.get('note', '')}"
        author = await session.get(Person, author_id)
        if author is not None:
            post_id = data.get("post_id") if action != "delete" else None
            comment_id = data.get("comment_id") if action != "delete" else None
            await _tell(
                session, author, "moderation", detail, space, post_id, comment_id, excerpt=data
            )
    reporters = data.get("reporter_ids", [])
    if reporters:
        rows = await session.scalars(
            select(Person).where(Person.id.in_(reporters), Person.id != author_id)
        )
        for reporter in rows:
            await _tell(session, reporter, "report_outcome", f"{action}|{kind}", space)


async def _tell(
    session: AsyncSession,
    recipient: Person,
    kind: str,
    detail: str,
    space: Space | None,
    post_id: int | None = None,
    comment_id: int | None = None,
    *,
    excerpt: dict[str, Any] | None = None,
) -> None:
    now = utcnow()
    n = Notification(
        person_id=recipient.id,
        kind=kind,
        actor_id=None,
        count=1,
        space_id=space.id if space else None,
        post_id=post_id,
        comment_id=comment_id,
        detail=detail[:200],
        created_at=now,
        updated_at=now,
    )
    session.add(n)
    await session.flush()
    view = NotificationView(
        n, None, None, n.space_id, space.name if space else None, space.slug if space else None
    )
    app_mail = mail.mail_of(session)
    if (
        kind == "moderation"
        and app_mail.enabled()
        and await service.wants(session, recipient, "mentions")
    ):
        note = (excerpt or {}).get("note", "")
        message = email.notification_message(
            app_mail.settings, to=recipient, view=view, what="mentions", excerpt=note
        )
        mail.queue(session, message, about=n)
        n.emailed_at = now
        await session.flush()
    await service.announce(session, recipient=recipient, view=view)
