"""People and spaces in the search index, kept in step by following their changes in the
same transaction: a person added or changed by hand is indexed again, everyone after an
org-chart import, and a space when it is created or changed (``atoll.people.events``,
``atoll.spaces.events``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.outbox import Recorded, Subscriber
from atoll.people.events import PEOPLE_CHANGED, PeopleChanged
from atoll.search import index
from atoll.spaces.events import SPACE_CREATED, SPACE_UPDATED


def subscriptions() -> list[tuple[str, Subscriber]]:
    return [
        (PEOPLE_CHANGED, index_people),
        (SPACE_CREATED, index_space),
        (SPACE_UPDATED, index_space),
    ]


async def index_people(session: AsyncSession, recorded: Recorded) -> None:
    change: PeopleChanged = recorded.facts["change"]
    if change.everyone:
        await index.reindex_people(session)
        return
    for person in change.people:
        await index.index_person(session, person)


async def index_space(session: AsyncSession, recorded: Recorded) -> None:
    await index.index_space(session, recorded.facts["space"])
