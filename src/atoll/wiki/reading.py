"""Reading a wiki: who may read it (``access_wiki``), its pages and their tree, a page by
slug (following the redirects renames leave), its HTML with ``[[links]]`` made right for now,
"linked from", and its history (revisions, one revision, diffs).

The page row carries the current revision, so nothing here rebuilds a page from its history;
the history is read a page of revisions at a time, newest first. ``atoll.wiki.service``
re-exports all of this beside the changes.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from atoll.kit.errors import Invalid, NotFound, denied
from atoll.kit.pagination import (
    Page,
    clamp_limit,
    decode_cursor,
    decode_name_id_cursor,
    encode_cursor,
)
from atoll.people.models import Person
from atoll.spaces import service as spaces_service
from atoll.spaces.models import Space
from atoll.spaces.policy import SpaceAccess
from atoll.wiki import links, policy
from atoll.wiki.models import WikiLink, WikiPage, WikiRedirect, WikiRevision

MAX_REVISION = 2**31 - 1


# --- access -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WikiSpace:
    """A space's wiki as one viewer meets it: the space as they may use it, and whether they
    may edit its wiki now."""

    access: SpaceAccess
    can_edit: bool

    @property
    def space(self) -> Space:
        return self.access.space

    @property
    def role(self) -> str | None:
        return self.access.role


def _wiki_of(access: SpaceAccess) -> WikiSpace:
    if not access.can_read:  # a wiki is content: who may not read it may not know it
        raise denied("space", signed_in=access.viewer is not None, may_know=False)
    can_edit = policy.may_edit_now(access.viewer, access.space, access.role)
    return WikiSpace(access=access, can_edit=can_edit)


async def access_wiki(
    session: AsyncSession, *, viewer: Person | None, space_id: int | str
) -> WikiSpace:
    """The wiki of a space the viewer may read. NotFound otherwise (also for a private space
    they may know of: its wiki is content); Unauthorized when signed out and not public."""
    return _wiki_of(await spaces_service.access_space(session, viewer=viewer, space_id=space_id))


async def access_wiki_by_slug(
    session: AsyncSession, *, viewer: Person | None, space_slug: str
) -> WikiSpace:
    """``access_wiki`` for a space named by its slug (the pages' URLs)."""
    access = await spaces_service.access_space_by_slug(session, viewer=viewer, slug=space_slug)
    return _wiki_of(access)


# --- reading ----------------------------------------------------------------------------------


def _live(space_id: int) -> Any:
    return (WikiPage.space_id == space_id) & WikiPage.deleted_at.is_(None)


async def page_tree(session: AsyncSession, *, wiki: WikiSpace) -> list[WikiPage]:
    """The live pages of the space by title (body and HTML not loaded: touching them raises).
    ``parent_id`` makes the tree; a parent that is not in the list (deleted) means a root."""
    rows = await session.scalars(
        select(WikiPage)
        .where(_live(wiki.space.id))
        .options(defer(WikiPage.body, raiseload=True), defer(WikiPage.html, raiseload=True))
        .order_by(WikiPage.title, WikiPage.id)
    )
    return list(rows)


async def deleted_pages(session: AsyncSession, *, wiki: WikiSpace) -> list[WikiPage]:
    """The space's deleted pages, most recently deleted first (to restore them)."""
    rows = await session.scalars(
        select(WikiPage)
        .where(WikiPage.space_id == wiki.space.id, WikiPage.deleted_at.is_not(None))
        .options(defer(WikiPage.body, raiseload=True), defer(WikiPage.html, raiseload=True))
        .order_by(WikiPage.deleted_at.desc(), WikiPage.id.desc())
    )
    return list(rows)


async def page_by_slug(session: AsyncSession, space_id: int, slug: str) -> WikiPage | None:
    """The page with this slug, else the page an old slug redirects to; deleted ones too. A
    slug that is not one ("Release Checklist") is read as the slug it makes."""
    if "\x00" in slug or len(slug) > 220:  # no page has such a slug (PostgreSQL refuses NUL)
        return None
    page = await _at_slug(session, space_id, slug)
    if page is None and links.slugify(slug) not in ("", slug):
        page = await _at_slug(session, space_id, links.slugify(slug))
    return page


async def _at_slug(session: AsyncSession, space_id: int, slug: str) -> WikiPage | None:
    page = await session.scalar(
        select(WikiPage).where(WikiPage.space_id == space_id, WikiPage.slug == slug)
    )
    if page is None:
        page = await session.scalar(
            select(WikiPage)
            .join(WikiRedirect, WikiRedirect.page_id == WikiPage.id)
            .where(WikiRedirect.space_id == space_id, WikiRedirect.slug == slug)
        )
    return page


async def find_page(
    session: AsyncSession, *, wiki: WikiSpace, slug: str, include_deleted: bool = False
) -> WikiPage:
    """The page at ``slug``, following the redirects old slugs leave: compare ``page.slug``
    with ``slug`` to redirect. NotFound when there is none or it was deleted (unless
    ``include_deleted``, for its history and restore)."""
    page = await page_by_slug(session, wiki.space.id, slug)
    if page is None:
        raise NotFound("There is no page with this name in this wiki yet.")
    if page.deleted_at is not None and not include_deleted:
        raise NotFound("This page was deleted. Its history is kept; it can be restored.")
    return page


async def existing_slugs(session: AsyncSession, *, space_id: int, slugs: set[str]) -> set[str]:
    """Which of these slugs lead to a live page of the space (directly or by a redirect)."""
    if not slugs:
        return set()
    direct = select(WikiPage.slug).where(_live(space_id), WikiPage.slug.in_(slugs))
    redirected = (
        select(WikiRedirect.slug)
        .join(WikiPage, WikiPage.id == WikiRedirect.page_id)
        .where(WikiRedirect.space_id == space_id, WikiRedirect.slug.in_(slugs))
        .where(WikiPage.deleted_at.is_(None))
    )
    return set((await session.execute(union(direct, redirected))).scalars())


async def rendered_html(session: AsyncSession, *, wiki: WikiSpace, page: WikiPage) -> str:
    """The page's sanitised HTML with its ``[[links]]`` right for now: to the page when it
    exists, else (class ``wikilink missing``) to its editor with the title filled in."""
    found = await existing_slugs(session, space_id=wiki.space.id, slugs=links.targets(page.html))
    return links.resolve(page.html, space_slug=wiki.space.slug, exists=found.__contains__)


async def rendered_htmls(
    session: AsyncSession, *, wiki: WikiSpace, pages: list[WikiPage]
) -> list[str]:
    """``rendered_html`` of many pages of the wiki, with one query."""
    wanted = set().union(*(links.targets(p.html) for p in pages)) if pages else set()
    found = await existing_slugs(session, space_id=wiki.space.id, slugs=wanted)
    return [
        links.resolve(p.html, space_slug=wiki.space.slug, exists=found.__contains__) for p in pages
    ]


async def pages_by_title(
    session: AsyncSession,
    *,
    wiki: WikiSpace,
    limit: int = 25,
    cursor: str | None = None,
    deleted: bool = False,
) -> Page[WikiPage]:
    """The live pages (or the deleted ones), whole, by title, ``limit`` at a time."""
    limit = clamp_limit(limit)
    which = (
        (WikiPage.space_id == wiki.space.id) & WikiPage.deleted_at.is_not(None)
        if deleted
        else _live(wiki.space.id)
    )
    stmt = select(WikiPage).where(which).order_by(WikiPage.title, WikiPage.id)
    after = decode_name_id_cursor(cursor)
    if after is not None:
        title, page_id = after
        stmt = stmt.where(
            (WikiPage.title > title) | ((WikiPage.title == title) & (WikiPage.id > page_id))
        )
    rows = list(await session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=rows, next_cursor=encode_cursor([rows[-1].title, rows[-1].id]) if more else None
    )


async def people_by_id(session: AsyncSession, ids: set[int | None]) -> dict[int, Person]:
    """The people behind some ids (authors, editors), with one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {p.id: p for p in await session.scalars(select(Person).where(Person.id.in_(wanted)))}


async def slugs_by_id(session: AsyncSession, ids: set[int | None]) -> dict[int, str]:
    """The slugs of some pages (parents), with one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(WikiPage.id, WikiPage.slug).where(WikiPage.id.in_(wanted)))
    return dict(rows.tuples().all())


async def linked_from(session: AsyncSession, *, wiki: WikiSpace, page: WikiPage) -> list[WikiPage]:
    """The live pages of the space that link to this page, by its slug or an old one."""
    old = select(WikiRedirect.slug).where(WikiRedirect.page_id == page.id)
    rows = await session.scalars(
        select(WikiPage)
        .where(_live(wiki.space.id), WikiPage.id != page.id)
        .where(
            select(WikiLink.page_id)
            .where(
                WikiLink.page_id == WikiPage.id,
                WikiLink.space_id == wiki.space.id,
                (WikiLink.target_slug == page.slug) | WikiLink.target_slug.in_(old),
            )
            .exists()
        )
        .options(defer(WikiPage.body, raiseload=True), defer(WikiPage.html, raiseload=True))
        .order_by(WikiPage.title, WikiPage.id)
    )
    return list(rows)


async def last_editor(session: AsyncSession, *, page: WikiPage) -> Person | None:
    """Who saved the current revision ("edited by …")."""
    if page.updated_by_id is None:
        return None
    return await session.get(Person, page.updated_by_id)


@dataclass(frozen=True)
class RevisionView:
    """One line of a page's history (without the body)."""

    id: int
    number: int
    title: str
    summary: str
    author: Person | None
    created_at: datetime
    restored_from: int | None


def _cursor_number(cursor: str | None) -> int | None:
    values = decode_cursor(cursor)
    if values is None:
        return None
    number = values[0]
    if isinstance(number, bool) or not isinstance(number, int) or not 1 < number <= MAX_REVISION:
        raise Invalid.field("cursor", "is not a cursor this server gave out")
    return number


async def revisions(
    session: AsyncSession, *, page: WikiPage, limit: int = 25, cursor: str | None = None
) -> Page[RevisionView]:
    """The page's history, newest first, ``limit`` at a time (one query)."""
    limit = clamp_limit(limit)
    before = _cursor_number(cursor)
    stmt = (
        select(
            WikiRevision.id,
            WikiRevision.number,
            WikiRevision.title,
            WikiRevision.summary,
            WikiRevision.created_at,
            WikiRevision.restored_from,
            Person,
        )
        .outerjoin(Person, Person.id == WikiRevision.author_id)
        .where(WikiRevision.page_id == page.id)
        .order_by(WikiRevision.number.desc())
        .limit(limit + 1)
    )
    if before is not None:
        stmt = stmt.where(WikiRevision.number < before)
    rows = (await session.execute(stmt)).all()
    items = [
        RevisionView(
            id=r[0],
            number=r[1],
            title=r[2],
            summary=r[3],
            created_at=r[4],
            restored_from=r[5],
            author=r[6],
        )
        for r in rows[:limit]
    ]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor([items[-1].number]) if more else None)


async def revision(session: AsyncSession, *, page: WikiPage, number: int) -> WikiRevision:
    """One revision of the page, whole. NotFound when it has no such number."""
    found = None
    if 1 <= number <= MAX_REVISION:
        found = await session.scalar(
            select(WikiRevision).where(
                WikiRevision.page_id == page.id, WikiRevision.number == number
            )
        )
    if found is None:
        raise NotFound(f"This page has no revision {number}.")
    return found


def unified_diff(old: WikiRevision, new: WikiRevision) -> str:
    """A unified line diff from ``old`` to ``new`` (a title change shows as a first hunk)."""
    before = [f"# {old.title}\n", "\n", *_lines(old.body)]
    after = [f"# {new.title}\n", "\n", *_lines(new.body)]
    return "".join(
        difflib.unified_diff(
            before,
            after,
            fromfile=f"revision {old.number}",
            tofile=f"revision {new.number}",
        )
    )


def _lines(body: str) -> list[str]:
    lines = body.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of text\n"
    return lines
