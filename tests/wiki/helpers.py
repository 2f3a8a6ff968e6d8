"""Helpers for wiki tests: spaces made through the service, as the pages would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.people.models import Person
from atoll.spaces import service as spaces_service
from atoll.spaces.models import Space
from atoll.wiki import service
from atoll.wiki.models import WikiPage


async def make_space(db: AsyncSession, owner: Person, **kw: Any) -> Space:
    space = await spaces_service.do_create_space(
        db,
        actor=owner,
        name=str(kw.pop("name", "Guild")),
        kind=str(kw.pop("kind", "community")),
        visibility=str(kw.pop("visibility", "open")),
        closes_at=kw.pop("closes_at", None),
    )
    for key, value in kw.items():
        setattr(space, key, value)
    await db.commit()
    return space


async def add(db: AsyncSession, space: Space, person: Person, role: str = "member") -> None:
    from atoll.spaces.models import Membership

    db.add(Membership(space_id=space.id, person_id=person.id, role=role))
    await db.commit()


async def wiki_for(db: AsyncSession, person: Person | None, space: Space) -> service.WikiSpace:
    return await service.access_wiki(db, viewer=person, space_id=space.id)


async def save(
    db: AsyncSession,
    person: Person,
    space: Space,
    title: str,
    body: str = "Text",
    *,
    slug: str | None = None,
    base: int | None = None,
    **kw: Any,
) -> WikiPage:
    wiki = await wiki_for(db, person, space)
    page = await service.do_save_page(
        db,
        editor=person,
        wiki=wiki,
        slug=slug or service.slugify(title),
        title=title,
        body=body,
        base_revision=base,
        **kw,
    )
    await db.commit()
    return page


@asynccontextmanager
async def refused(db: AsyncSession, kind: type[BaseException]) -> AsyncIterator[Any]:
    """Expect ``kind`` from the block, run in a savepoint so the test's objects stay loaded."""
    with pytest.raises(kind) as caught:
        async with db.begin_nested():
            yield caught
