"""Discovery's use cases in one place: what the Discover page, its API and the home page's
right column call. The queries live in :mod:`~atoll.discover.communities`,
:mod:`~atoll.discover.experts` and :mod:`~atoll.discover.active`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.discover.active import ActivePost, active_for
from atoll.discover.communities import Suggestion, communities_for
from atoll.discover.experts import Expert, check_topic, experts_on, topic_for
from atoll.people.models import Person

__all__ = [
    "ActivePost",
    "Expert",
    "Panel",
    "Suggestion",
    "active_for",
    "check_topic",
    "communities_for",
    "experts_on",
    "home_panel",
    "topic_for",
]


@dataclass
class Panel:
    """The home page's right column."""

    communities: list[Suggestion]
    topic: str | None
    experts: list[Expert]


async def home_panel(session: AsyncSession, *, viewer: Person, size: int = 3) -> Panel:
    """The top communities for the viewer and the people who know about one of their topics
    (their first skill, else the skill most common among the people they work with)."""
    topic = await topic_for(session, viewer=viewer)
    return Panel(
        communities=await communities_for(session, viewer=viewer, limit=size),
        topic=topic,
        experts=(
            await experts_on(session, viewer=viewer, topic=topic, limit=size) if topic else []
        ),
    )
