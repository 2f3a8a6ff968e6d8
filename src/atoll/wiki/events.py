"""The event the wiki emits, written in the transaction of the change (see
``atoll.events.outbox``). It is a space event: whoever may read the page's space at delivery
time receives it (the stream filters by ``atoll.spaces.policy``).

- ``wiki.updated``: ``space_id``, ``page_id``, ``slug``, ``title``, ``revision`` (the page's
  current revision after the change), ``editor`` (``{"id", "name"}``), ``deleted`` (true when
  the page was just deleted) and, after a lock or an unlock, ``locked`` (whether the page is
  now locked to moderators). Written by every save, restore, rename, delete, lock and unlock,
  so a reader of the page can be told "this page was changed by Ana — reload".

Its fact ``edited`` (an ``Edited``) says who changed which page and how: search indexes a new
revision and takes a deleted page out (``atoll.search.content``); analytics records a new
revision's ``wiki_edit`` interactions (``atoll.analytics.subscribers``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.outbox import record_event
from atoll.people.models import Person
from atoll.spaces.models import Space
from atoll.wiki.models import WikiPage

WIKI_UPDATED = "wiki.updated"


@dataclass(frozen=True)
class Edited:
    """The facts of ``wiki.updated``."""

    editor: Person
    space: Space
    page: WikiPage
    revised: bool = False  # a new revision was written (not a move in the tree, not a delete)
    deleted: bool = False


async def wiki_updated(session: AsyncSession, edited: Edited, **extra: object) -> None:
    page, editor = edited.page, edited.editor
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
            "deleted": edited.deleted,
            **extra,
        },
        facts={"edited": edited},
    )


async def wiki_locked(session: AsyncSession, edited: Edited) -> None:
    """A page locked or unlocked: ``wiki.updated`` with no new revision (search and analytics
    have nothing to follow)."""
    await wiki_updated(session, edited, locked=edited.page.locked_at is not None)
