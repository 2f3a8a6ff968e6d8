"""The page shell's chrome: what every full page shows around its content — the viewer's
spaces in the navigation, the unread count on the bell, and where its event stream starts.
The shell installs ``load`` at startup (``app.state.chrome``); the domains' pages never
import it: a full page's route declares ``people.deps.PageChrome``, which calls it. Fragments,
downloads and the API do not, and load nothing of it."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.outbox import newest_event_id
from atoll.governance.queue import open_count
from atoll.notifications.service import unread_count
from atoll.people.models import Person
from atoll.spaces.service import my_spaces


async def load(request: Request, db: AsyncSession, person: Person) -> None:
    request.state.nav_spaces = await _nav_spaces(db, person)
    # Live pages open the event stream from here: what changes after this query reaches
    # them, whatever the page shows was read after it.
    request.state.last_event_id = await newest_event_id(db)
    request.state.unread_notifications = await unread_count(db, viewer=person)
    # Reports waiting for whoever handles some (None: no Moderation link).
    request.state.open_moderation = await open_count(db, viewer=person)


async def _nav_spaces(db: AsyncSession, person: Person) -> dict[str, list[tuple[str, str]]]:
    """The page shell's "My spaces", grouped as the navigation shows them: (slug, name)."""
    groups: dict[str, list[tuple[str, str]]] = {
        "My team": [],
        "Communities": [],
        "With customers & partners": [],
        "Situation rooms": [],
    }
    names = {
        "unit": "My team",
        "community": "Communities",
        "public": "Communities",
        "hybrid": "With customers & partners",
        "situation": "Situation rooms",
    }
    for space in await my_spaces(db, viewer=person):
        groups[names[space.kind]].append((space.slug, space.name))
    return groups
