"""The rows of a change to a page: a new page, its next revision — the revision counter moves
by compare-and-set, so of two saves from the same base one loses with ``StaleRevision`` —
where it sits (its parent, its slug: the old one redirects) and the pages it links to; and
the ``wiki.updated`` event that follows every new revision."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import Conflict, Invalid
from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.wiki import events, links
from atoll.wiki.events import Edited
from atoll.wiki.links import slugify
from atoll.wiki.models import WikiLink, WikiPage, WikiRedirect, WikiRevision
from atoll.wiki.reading import WikiSpace, page_by_slug


class StaleRevision(Conflict):
    """A save based on a revision that is no longer the page's current one. Carries the page
    as it is now; ``current`` (the page as JSON) is added by the API for clients to merge."""

    def __init__(self, page: WikiPage, detail: str = "") -> None:
        super().__init__(
            detail
            or f"This page was changed since you opened it; it is at revision {page.revision} "
            "now. Merge your changes into the current text and save again."
        )
        self.page = page
        # Read now: the request's rollback expires the page before the answer is written.
        self.current_revision = page.revision
        self.current: dict[str, Any] | None = None

    def problem(self) -> dict[str, Any]:
        body = super().problem()
        body["current_revision"] = self.current_revision
        if self.current is not None:
            body["current"] = self.current
        return body


async def parent_for(
    session: AsyncSession, *, wiki: WikiSpace, page: WikiPage | None, parent_slug: str
) -> int | None:
    """The id of the parent named by ``parent_slug`` ("" = none): a live page of the same
    space that is not the page itself nor one of its descendants."""
    if parent_slug == "":
        return None
    parent = await page_by_slug(session, wiki.space.id, parent_slug)
    if parent is None or parent.deleted_at is not None:
        raise Invalid.field("parent", "must be the slug of a page of this wiki")
    if page is not None:
        rows = await session.execute(
            select(WikiPage.id, WikiPage.parent_id).where(WikiPage.space_id == wiki.space.id)
        )
        up = dict(rows.tuples().all())
        seen: set[int] = set()
        node: int | None = parent.id
        while node is not None and node not in seen:
            if node == page.id:
                raise Invalid.field("parent", "must not be the page itself or a page below it")
            seen.add(node)
            node = up.get(node)
    return parent.id


async def take_slug(session: AsyncSession, *, wiki: WikiSpace, page: WikiPage, slug: str) -> None:
    """Give the page a new slug; the old one redirects to it. Conflict when another page
    (live or deleted) has it."""
    if slug == page.slug:
        return
    other = await session.scalar(
        select(WikiPage).where(WikiPage.space_id == wiki.space.id, WikiPage.slug == slug)
    )
    if other is not None and other.id != page.id:
        if other.deleted_at is not None:
            raise Conflict(
                f'A deleted page is titled like this ("{other.title}"): restore it or choose '
                "another title."
            )
        raise Conflict(f'Another page is already titled like this: "{other.title}".')
    await session.execute(
        delete(WikiRedirect).where(
            WikiRedirect.space_id == wiki.space.id, WikiRedirect.slug.in_([slug, page.slug])
        )
    )
    session.add(WikiRedirect(space_id=wiki.space.id, slug=page.slug, page_id=page.id))
    page.slug = slug


async def _sync_links(session: AsyncSession, *, page: WikiPage, slugs: set[str]) -> None:
    """Make the page's ``WikiLink`` rows the ``slugs`` its body links to (not itself)."""
    await session.execute(delete(WikiLink).where(WikiLink.page_id == page.id))
    session.add_all(
        WikiLink(page_id=page.id, target_slug=slug, space_id=page.space_id)
        for slug in sorted(slugs)
        if slug != page.slug
    )


async def write_revision(
    session: AsyncSession,
    *,
    editor: Person,
    wiki: WikiSpace,
    page: WikiPage,
    title: str,
    body: str,
    summary: str,
    restored_from: int | None = None,
) -> WikiPage:
    """Make the next revision of an existing page (its slug already set for ``title``): the
    revision counter moves by compare-and-set, so a racing save from the same base loses
    with StaleRevision instead of overwriting."""
    expected = page.revision
    moved = await session.execute(
        update(WikiPage)
        .where(WikiPage.id == page.id, WikiPage.revision == expected)
        .values(revision=expected + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 1) != 1:
        await session.refresh(page)
        raise StaleRevision(page)
    now = utcnow()
    html, slugs = links.render(body, space_slug=wiki.space.slug)
    page.revision = expected + 1
    page.title, page.body, page.html = title, body, html
    page.updated_at, page.updated_by_id, page.deleted_at = now, editor.id, None
    session.add(
        WikiRevision(
            page_id=page.id,
            number=page.revision,
            title=title,
            body=body,
            summary=summary,
            author_id=editor.id,
            restored_from=restored_from,
            created_at=now,
        )
    )
    return await _saved(session, editor=editor, wiki=wiki, page=page, slugs=slugs)


async def _saved(
    session: AsyncSession, *, editor: Person, wiki: WikiSpace, page: WikiPage, slugs: set[str]
) -> WikiPage:
    """What every new revision is followed by: its links and its event."""
    await _sync_links(session, page=page, slugs=slugs)
    await session.flush()
    await events.wiki_updated(session, Edited(editor, wiki.space, page, revised=True))
    return page


async def _check_free(session: AsyncSession, *, wiki: WikiSpace, slug: str) -> None:
    """Conflict when a page of the wiki, live or deleted, has ``slug``."""
    existing = await session.scalar(
        select(WikiPage).where(WikiPage.space_id == wiki.space.id, WikiPage.slug == slug)
    )
    if existing is not None:
        if existing.deleted_at is not None:
            raise Conflict(
                f'A deleted page is titled like this ("{existing.title}"): restore it or '
                "choose another title."
            )
        raise Conflict(f'A page is already titled like this: "{existing.title}".')


async def _insert(session: AsyncSession, *, wiki: WikiSpace, page: WikiPage) -> None:
    """Add a new page; someone may be creating the same page right now: StaleRevision (with
    their page) or Conflict when they won."""
    try:
        async with session.begin_nested():
            session.add(page)
    except IntegrityError:
        winner = await page_by_slug(session, wiki.space.id, page.slug)
        if winner is None or winner.deleted_at is not None:
            raise Conflict("Another page took this title at the same moment; try again.") from None
        raise StaleRevision(
            winner,
            f'A page titled "{winner.title}" was just created by someone else (revision '
            f"{winner.revision}). Merge your text into it and save again.",
        ) from None


async def create_page(
    session: AsyncSession,
    *,
    editor: Person,
    wiki: WikiSpace,
    title: str,
    body: str,
    summary: str,
    parent_slug: str | None,
) -> WikiPage:
    """Make a page and its first revision; its slug comes from ``title``. Conflict when
    another page has that slug."""
    slug = slugify(title)
    await _check_free(session, wiki=wiki, slug=slug)
    parent_id = await parent_for(session, wiki=wiki, page=None, parent_slug=parent_slug or "")
    # A new page takes over an old slug that redirected elsewhere.
    await session.execute(
        delete(WikiRedirect).where(
            WikiRedirect.space_id == wiki.space.id, WikiRedirect.slug == slug
        )
    )
    now = utcnow()
    html, slugs = links.render(body, space_slug=wiki.space.slug)
    page = WikiPage(
        space_id=wiki.space.id,
        slug=slug,
        title=title,
        parent_id=parent_id,
        revision=1,
        body=body,
        html=html,
        created_at=now,
        created_by_id=editor.id,
        updated_at=now,
        updated_by_id=editor.id,
    )
    await _insert(session, wiki=wiki, page=page)
    session.add(
        WikiRevision(
            page_id=page.id,
            number=1,
            title=title,
            body=body,
            summary=summary,
            author_id=editor.id,
            created_at=now,
        )
    )
    return await _saved(session, editor=editor, wiki=wiki, page=page, slugs=slugs)
