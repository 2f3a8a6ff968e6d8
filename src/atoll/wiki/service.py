"""Wiki use cases: save, restore, rename and delete pages — and, re-exported from
``atoll.wiki.reading``, finding and reading them, their history and links.

Load the wiki with ``access_wiki`` (it decides who reads and who edits) and a page with
``find_page``; change with the ``do_*`` functions, which check and write the change
(``atoll.wiki.writing``) and its ``wiki.updated`` event in the caller's transaction (search
and analytics follow it) and never commit.

Every change of title or body is a new revision: a full copy of the title and body numbered
1..n per page. The page row carries the current title, body, rendered HTML and revision
number, so reading a page (and the first page of its history) costs the same with one
revision or five thousand. A save names the revision it was based on; when someone saved in
between, it is refused with ``writing.StaleRevision`` (409, carrying the current page) — never a
silent overwrite. The revision counter moves with a compare-and-set, so two saves racing
from the same base cannot both win.

Slugs are made from titles (``slugify``). A page keeps its slug until it is renamed; the old
slug then redirects to it (``WikiRedirect``). A deleted page keeps its slug and its history;
restoring a revision, or saving a page under its title again, brings it back.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.service import changed, record_audit
from atoll.kit.errors import Conflict, Forbidden, Invalid, NotFound
from atoll.kit.text import clean_name
from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.spaces import policy as space_policy
from atoll.wiki import events, policy, writing
from atoll.wiki.events import Edited
from atoll.wiki.links import slugify
from atoll.wiki.models import WikiPage
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


def check_unlocked(editor: Person, wiki: WikiSpace, page: WikiPage) -> None:
    """Forbidden when the page is locked to moderators and the editor is not one."""
    if page.locked_at is not None and not policy.can_lock(editor, wiki.role):
        raise Forbidden("This page is locked: only the space's moderators edit it.")


# --- changing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    """What a save did: the page, whether it created the page (or brought a deleted one
    back) and whether it made a new revision."""

    page: WikiPage
    created: bool
    changed: bool


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
        created = await writing.create_page(
            session,
            editor=editor,
            wiki=wiki,
            title=title,
            body=body,
            summary=summary,
            parent_slug=parent_slug,
        )
        return Saved(page=created, created=True, changed=True)
    return await _edit(
        session,
        editor=editor,
        wiki=wiki,
        page=page,
        title=title,
        body=body,
        summary=summary,
        base_revision=base_revision,
        parent_slug=parent_slug,
    )


def _check_base(page: WikiPage, base_revision: int | None) -> None:
    """An edit is based on the page's current revision (a deleted page's: on it or on 0);
    StaleRevision otherwise."""
    new = base_revision in (None, 0)
    if page.deleted_at is not None:
        if not (new or base_revision == page.revision):
            raise writing.StaleRevision(page)
    elif new:
        raise writing.StaleRevision(
            page,
            f'A page titled "{page.title}" already exists (revision {page.revision}). '
            "Merge your text into it and save again.",
        )
    elif base_revision != page.revision:
        raise writing.StaleRevision(page)


async def _edit(
    session: AsyncSession,
    *,
    editor: Person,
    wiki: WikiSpace,
    page: WikiPage,
    title: str,
    body: str,
    summary: str,
    base_revision: int | None,
    parent_slug: str | None,
) -> Saved:
    """The save of an existing page (or of a deleted one, which it brings back)."""
    check_unlocked(editor, wiki, page)
    deleted = page.deleted_at is not None
    same = title == page.title and body == page.body
    parent_id = page.parent_id
    if parent_slug is not None:
        parent_id = await writing.parent_for(session, wiki=wiki, page=page, parent_slug=parent_slug)
    if same and not deleted and parent_id == page.parent_id:
        return Saved(page=page, created=False, changed=False)  # nothing to change
    _check_base(page, base_revision)
    page.parent_id = parent_id
    if same and not deleted:  # moved in the tree only: no revision, but readers hear of it
        await session.flush()
        await events.wiki_updated(session, Edited(editor, wiki.space, page))
        return Saved(page=page, created=False, changed=False)
    await writing.take_slug(session, wiki=wiki, page=page, slug=slugify(title))
    await writing.write_revision(
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
    check_unlocked(editor, wiki, page)
    old = await revision(session, page=page, number=number)
    summary = check_summary(summary) or f"Restored revision {number}"
    await writing.take_slug(session, wiki=wiki, page=page, slug=slugify(old.title))
    return await writing.write_revision(
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
    check_unlocked(editor, wiki, page)
    if page.deleted_at is not None:
        raise NotFound("This page was deleted. Its history is kept; it can be restored.")
    title = check_title(title)
    if title == page.title:
        return page
    old_title = page.title
    await writing.take_slug(session, wiki=wiki, page=page, slug=slugify(title))
    summary = check_summary(f'Renamed from "{old_title}"')
    return await writing.write_revision(
        session, editor=editor, wiki=wiki, page=page, title=title, body=page.body, summary=summary
    )


async def do_delete_page(
    session: AsyncSession, *, editor: Person, wiki: WikiSpace, page: WikiPage
) -> None:
    """Delete a page: it leaves the tree and reads as not found, but keeps its slug and its
    history; restoring a revision brings it back. Pages below it become root pages in the
    tree until it is back."""
    check_can_edit(editor, wiki)
    check_unlocked(editor, wiki, page)
    if page.deleted_at is not None:
        return
    page.deleted_at = utcnow()
    await session.flush()
    await events.wiki_updated(session, Edited(editor, wiki.space, page, deleted=True))


async def do_lock_page(
    session: AsyncSession, *, editor: Person, wiki: WikiSpace, page: WikiPage, locked: bool = True
) -> WikiPage:
    """Lock a page to the space's owners and moderators (``locked=False``: unlock it); they
    and administrators do it, while the space is open. Again: nothing changes."""
    space = wiki.space
    if not space_policy.is_open_for_writing(space):
        check_can_edit(editor, wiki)  # the read-only space's Conflict
    if not policy.can_lock(editor, wiki.role):
        raise Forbidden("Only the space's owners and moderators can lock or unlock a page.")
    if (page.locked_at is not None) == locked:
        return page
    before = {"locked": not locked}
    page.locked_at = utcnow() if locked else None
    page.locked_by_id = editor.id if locked else None
    await session.flush()
    record_audit(
        session,
        actor_id=editor.id,
        action="wiki_page.locked" if locked else "wiki_page.unlocked",
        target_type="wiki_page",
        target_id=page.id,
        space_id=space.id,
        **changed(before, {"locked": locked}),
    )
    await events.wiki_locked(session, Edited(editor, space, page))
    return page
