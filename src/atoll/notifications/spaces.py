"""Notifications that follow what happens in spaces (``atoll.spaces.events``), in the same
transaction: someone added to a space hears of it (an invitation), a space's owners and
moderators of a request to join, and the person who asked of the answer."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.outbox import Recorded, Subscriber
from atoll.notifications import notify
from atoll.spaces.events import JOIN_ANSWERED, JOIN_REQUESTED, MEMBERSHIP_CHANGED, Added


def subscriptions() -> list[tuple[str, Subscriber]]:
    return [
        (MEMBERSHIP_CHANGED, notify_invitation),
        (JOIN_REQUESTED, notify_join_request),
        (JOIN_ANSWERED, notify_join_answer),
    ]


async def notify_invitation(session: AsyncSession, recorded: Recorded) -> None:
    added: Added | None = recorded.facts.get("added")
    if added is not None:
        await notify.notify_invitation(
            session, actor=added.actor, space=added.space, person=added.person, role=added.role
        )


async def notify_join_request(session: AsyncSession, recorded: Recorded) -> None:
    facts = recorded.facts
    await notify.notify_join_request(session, actor=facts["actor"], space=facts["space"])


async def notify_join_answer(session: AsyncSession, recorded: Recorded) -> None:
    facts = recorded.facts
    await notify.notify_join_answer(
        session, actor=facts["actor"], space=facts["space"], request=facts["request"]
    )
