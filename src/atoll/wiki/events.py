"""The event the wiki emits, written in the transaction of the change (see
``atoll.events.outbox``). It is a space event: whoever may read the page's space at delivery
time receives it (the stream filters by ``atoll.spaces.policy``).

- ``wiki.updated``: ``space_id``, ``page_id``, ``slug``, ``title``, ``revision`` (the page's
  current revision after the change), ``editor`` (``{"id", "name"}``), ``deleted`` (true when
  the page was just deleted). Written by every save, restore, rename and delete, so a reader
  of the page can be told "this page was changed by Ana — reload".
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.outbox import record_event
from atoll.people.models import Person
from atoll.wiki.models import WikiPage

WIKI_UPDATED = "wiki.updated"


async def wiki_updated(
    session: AsyncSession, *, page: WikiPage, editor: Person, deleted: bool = False
) -> None:
    await record_event(
        session,
        type=WIKI_UPDATED,
        space_id=page.space_id,
        data={
            "space_id": str(page.space_id),
            "page_id": str(page.id),
            "slug": page.slug,
            "title": page.title,
            "revision": page.revision,
            "editor": {"id": str(editor.id), "name": editor.name},
            "deleted": deleted,
        },
    )
