"""Wiki use cases: save, restore, rename and delete pages — and, re-exported from
``atoll.wiki.reading``, finding and reading them, their history and links.

Load the wiki with ``access_wiki`` (it decides who reads and who edits) and a page with
``find_page``; change with the ``do_*`` functions, which check, change and write the
``wiki.updated`` event in the caller's transaction (search and analytics follow it) and never
commit.

Every change of title or body is a new revision: a full copy of the title and body numbered
1..n per page. The page row carries the current title, body, rendered HTML and revision
number, so reading a page (and the first page of its history) costs the same with one
revision or five thousand. A save names the revision it was based on; when someone saved in
between, it is refused with ``StaleRevision`` (409, carrying the current page) — never a
silent overwrite. The revision counter moves with a compare-and-set, so two saves racing
from the same base cannot both win.

Slugs are made from titles (``slugify``). A page keeps its slug until it is renamed; the old
slug then redirects to it (``WikiRedirect``). A deleted page keeps its slug and its history;
restoring a revision, or saving a page under its title again, brings it back.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import Conflict, Forbidden, Invalid, NotFound
from atoll.kit.text import clean_name
from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.spaces import policy as space_policy
from atoll.wiki import events, links, policy
from atoll.wiki.events import Edited
from atoll.wiki.links import slugify
from atoll.wiki.models import WikiLink, WikiPage, WikiRedirect, WikiRevision
from atoll.wiki.reading import (
    MAX_REVISION,
    RevisionView,
    WikiSpace,
    access_wiki,
    access_wiki_by_slug,
    deleted_pages,
    existing_slugs,
    find_page,
    last_editor,
    linked_from,
    page_by_slug,
    page_tree,
    pages_by_title,
    people_by_id,
    rendered_html,
    rendered_htmls,
    revision,
    revisions,
    unified_diff,
)

__all__ = [  # the reading side, re-exported: routers and pages use this one module
    "MAX_REVISION",
    "RevisionView",
    "WikiSpace",
    "access_wiki",
    "access_wiki_by_slug",
    "deleted_pages",
    "existing_slugs",
    "find_page",
    "last_editor",
    "linked_from",
    "page_tree",
    "pages_by_title",
    "people_by_id",
    "rendered_html",
    "rendered_htmls",
    "revision",
    "revisions",
    "slugify",
    "unified_diff",
]

MAX_TITLE = 200
MAX_BODY = 200_000
MAX_SUMMARY = 300


# --- checks -----------------------------------------------------------------------------------


def check_title(title: str) -> str:
    """1 to 200 characters once invisible characters are dropped and runs of white space
    folded (``clean_name``); no NUL; at least one letter or digit (it makes the slug)."""
    if "\x00" in title:
        raise Invalid.field("title", "must not contain a NUL character")
    title = clean_name(title)
    if not title:
        raise Invalid.field("title", "must not be empty")
    if len(title) > MAX_TITLE:
        raise Invalid.field("title", f"must be at most {MAX_TITLE} characters long")
    if not slugify(title):
        raise Invalid.field("title", "must contain at least one letter or digit")
    return title


def check_body(body: str) -> str:
    """Markdown, at most 200,000 characters, no NUL; line ends become "\\n". May be empty."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in body:
        raise Invalid.field("body", "must not contain a NUL character")
    if len(body) > MAX_BODY:
        raise Invalid.field(
            "body", f"must be at most {MAX_BODY:,} characters long (it has {len(body):,})"
        )
    return body


def check_summary(summary: str) -> str:
    if "\x00" in summary:
        raise Invalid.field("summary", "must not contain a NUL character")
    summary = " ".join(summary.split())
    if len(summary) > MAX_SUMMARY:
        raise Invalid.field("summary", f"must be at most {MAX_SUMMARY} characters long")
    return summary


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


def check_can_edit(editor: Person, wiki: WikiSpace) -> None:
    """Conflict when the space is read-only; Forbidden when the editor may not edit."""
    space = wiki.space
    if not space_policy.is_open_for_writing(space):
        if space.archived_at is None and space.kind == "situation":
            raise Conflict("This situation room has closed; it is read-only now.")
        raise Conflict("This space is archived; it is read-only now.")
    if policy.can_edit_wiki(editor, space, wiki.role):
        return
    if wiki.role is None:
        raise Forbidden("Join this space to edit its wiki.")
    if editor.kind == "external" and not space.wiki_externals_may_edit:
        raise Forbidden("Guests cannot edit this space's wiki.")
    raise Forbidden("Only the space's owners and moderators can edit this wiki.")


# --- changing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    """What a save did: the page, whether it created the page (or brought a deleted one
    back) and whether it made a new revision."""

    page: WikiPage
    created: bool
    changed: bool


async def _parent_for(
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


async def _take_slug(session: AsyncSession, *, wiki: WikiSpace, page: WikiPage, slug: str) -> None:
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
    await session.execute(delete(WikiLink).where(WikiLink.page_id == page.id))
    session.add_all(
        WikiLink(page_id=page.id, target_slug=slug, space_id=page.space_id)
        for slug in sorted(slugs)
        if slug != page.slug
    )


async def _write_revision(
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


async def _create(
    session: AsyncSession,
    *,
    editor: Person,
    wiki: WikiSpace,
    title: str,
    body: str,
    summary: str,
    parent_slug: str | None,
) -> WikiPage:
    slug = slugify(title)
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
    parent_id = await _parent_for(session, wiki=wiki, page=None, parent_slug=parent_slug or "")
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
    try:
        async with session.begin_nested():  # someone may be creating the same page right now
            session.add(page)
    except IntegrityError:
        winner = await page_by_slug(session, wiki.space.id, slug)
        if winner is None or winner.deleted_at is not None:
            raise Conflict("Another page took this title at the same moment; try again.") from None
        raise StaleRevision(
            winner,
            f'A page titled "{winner.title}" was just created by someone else (revision '
            f"{winner.revision}). Merge your text into it and save again.",
        ) from None
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


async def do_save(
    session: AsyncSession,
    *,
    editor: Person,
    wiki: WikiSpace,
    slug: str,
    title: str,
    body: str,
    summary: str = "",
    base_revision: int | None = None,
    parent_slug: str | None = None,
) -> Saved:
    """Create or edit the page at ``slug`` (see ``do_save_page``), telling what it did."""
    check_can_edit(editor, wiki)
    title, body, summary = check_title(title), check_body(body), check_summary(summary)
    if base_revision is not None and not 0 <= base_revision <= MAX_REVISION:
        raise Invalid.field("base_revision", "must be a revision number (0 for a new page)")
    new = base_revision in (None, 0)
    page = await page_by_slug(session, wiki.space.id, slug)
    if page is not None and new and page.slug != slug and slugify(title) != page.slug:
        page = None  # a new page under a renamed page's old name: it takes the old slug over
    if page is None:
        if not new:
            raise NotFound("There is no page with this name in this wiki any more.")
        created = await _create(
            session,
            editor=editor,
            wiki=wiki,
            title=title,
            body=body,
            summary=summary,
            parent_slug=parent_slug,
        )
        return Saved(page=created, created=True, changed=True)
    deleted = page.deleted_at is not None
    same = title == page.title and body == page.body
    parent_id = page.parent_id
    if parent_slug is not None:
        parent_id = await _parent_for(session, wiki=wiki, page=page, parent_slug=parent_slug)
    if same and not deleted and parent_id == page.parent_id:
        return Saved(page=page, created=False, changed=False)  # nothing to change
    if deleted:
        if not (new or base_revision == page.revision):
            raise StaleRevision(page)
    elif new:
        raise StaleRevision(
            page,
            f'A page titled "{page.title}" already exists (revision {page.revision}). '
            "Merge your text into it and save again.",
        )
    elif base_revision != page.revision:
        raise StaleRevision(page)
    page.parent_id = parent_id
    if same and not deleted:  # moved in the tree only: no revision, but readers hear of it
        await session.flush()
        await events.wiki_updated(session, Edited(editor, wiki.space, page))
        return Saved(page=page, created=False, changed=False)
    await _take_slug(session, wiki=wiki, page=page, slug=slugify(title))
    await _write_revision(
        session, editor=editor, wiki=wiki, page=page, title=title, body=body, summary=summary
    )
    return Saved(page=page, created=deleted, changed=True)


async def do_save_page(
    session: AsyncSession,
    *,
    editor: Person,
    wiki: WikiSpace,
    slug: str,
    title: str,
    body: str,
    summary: str = "",
    base_revision: int | None = None,
    parent_slug: str | None = None,
) -> WikiPage:
    """Create or edit a page.

    - No page at ``slug``: creates one, if ``base_revision`` is None or 0. Its slug is made
      from ``title`` (the ``slug`` given only names where the editor was opened, e.g. a red
      link's). Conflict when that slug is another page's.
    - A page at ``slug`` (or redirected from it): ``base_revision`` must be its current
      revision, else StaleRevision (409 with the current page): never a silent overwrite.
      A new title renames it (new slug; the old one redirects). A save equal to the current
      title and body makes no revision. A deleted page is brought back by a save based on 0
      or on its last revision.
    - ``parent_slug``: None keeps the parent (none for a new page), "" makes it a root page,
      else the slug of a live page of this wiki that is not this page or below it (422).
    Conflict in a read-only space; Forbidden for someone who may read but not edit."""
    saved = await do_save(
        session,
        editor=editor,
        wiki=wiki,
        slug=slug,
        title=title,
        body=body,
        summary=summary,
        base_revision=base_revision,
        parent_slug=parent_slug,
    )
    return saved.page


async def do_restore(
    session: AsyncSession,
    *,
    editor: Person,
    wiki: WikiSpace,
    page: WikiPage,
    number: int,
    summary: str = "",
) -> WikiPage:
    """Make a new revision equal to revision ``number`` (title and body; a changed title
    takes its slug back, the current one redirects). A deleted page comes back."""
    check_can_edit(editor, wiki)
    old = await revision(session, page=page, number=number)
    summary = check_summary(summary) or f"Restored revision {number}"
    await _take_slug(session, wiki=wiki, page=page, slug=slugify(old.title))
    return await _write_revision(
        session,
        editor=editor,
        wiki=wiki,
        page=page,
        title=old.title,
        body=old.body,
        summary=summary,
        restored_from=number,
    )


async def do_rename(
    session: AsyncSession,
    *,
    editor: Person,
    wiki: WikiSpace,
    page: WikiPage,
    title: str,
) -> WikiPage:
    """Give the page a new title and with it a new slug; the old slug redirects to the page.
    A new revision records the rename. The same title changes nothing."""
    check_can_edit(editor, wiki)
    if page.deleted_at is not None:
        raise NotFound("This page was deleted. Its history is kept; it can be restored.")
    title = check_title(title)
    if title == page.title:
        return page
    old_title = page.title
    await _take_slug(session, wiki=wiki, page=page, slug=slugify(title))
    summary = check_summary(f'Renamed from "{old_title}"')
    return await _write_revision(
        session, editor=editor, wiki=wiki, page=page, title=title, body=page.body, summary=summary
    )


async def do_delete_page(
    session: AsyncSession, *, editor: Person, wiki: WikiSpace, page: WikiPage
) -> None:
    """Delete a page: it leaves the tree and reads as not found, but keeps its slug and its
    history; restoring a revision brings it back. Pages below it become root pages in the
    tree until it is back."""
    check_can_edit(editor, wiki)
    if page.deleted_at is not None:
        return
    page.deleted_at = utcnow()
    await session.flush()
    await events.wiki_updated(session, Edited(editor, wiki.space, page, deleted=True))
