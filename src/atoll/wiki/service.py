"""Wiki use cases: find and read pages, their history and links; save, restore, rename and
delete them.

Load the wiki with ``access_wiki`` (it decides who reads and who edits) and a page with
``find_page``; change with the ``do_*`` functions, which check, change, write the
``wiki.updated`` event and the ``wiki_edit`` interaction rows in the caller's transaction and
never commit.

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

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from atoll.analytics.service import record_interaction
from atoll.kit.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from atoll.kit.pagination import (
    Page,
    clamp_limit,
    decode_cursor,
    decode_name_id_cursor,
    encode_cursor,
)
from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.spaces import policy as space_policy
from atoll.spaces import service as spaces_service
from atoll.spaces.models import Space
from atoll.wiki import events, links, policy
from atoll.wiki.links import slugify
from atoll.wiki.models import WikiLink, WikiPage, WikiRedirect, WikiRevision

__all__ = ["slugify"]

MAX_TITLE = 200
MAX_BODY = 200_000
MAX_SUMMARY = 300
MAX_REVISION = 2**31 - 1


# --- access -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WikiSpace:
    """A space's wiki as one viewer meets it: their role and whether they may edit now."""

    space: Space
    role: str | None
    can_edit: bool


def _wiki_of(viewer: Person | None, space: Space, role: str | None) -> WikiSpace:
    if not space_policy.can_read(viewer, space, role):
        if viewer is None:
            raise Unauthorized("Sign in to see this space.")
        raise NotFound("No such space.")
    return WikiSpace(space=space, role=role, can_edit=policy.may_edit_now(viewer, space, role))


async def access_wiki(
    session: AsyncSession, *, viewer: Person | None, space_id: int | str
) -> WikiSpace:
    """The wiki of a space the viewer may read. NotFound otherwise (also for a private space
    they may know of: its wiki is content); Unauthorized when signed out and not public."""
    space, role = await spaces_service.access_space(session, viewer=viewer, space_id=space_id)
    return _wiki_of(viewer, space, role)


async def access_wiki_by_slug(
    session: AsyncSession, *, viewer: Person | None, space_slug: str
) -> WikiSpace:
    """``access_wiki`` for a space named by its slug (the pages' URLs)."""
    space, role = await spaces_service.access_space_by_slug(session, viewer=viewer, slug=space_slug)
    return _wiki_of(viewer, space, role)


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


# --- checks -----------------------------------------------------------------------------------


def check_title(title: str) -> str:
    """1 to 200 characters once runs of white space are folded; no NUL; at least one letter
    or digit (it makes the slug)."""
    if "\x00" in title:
        raise Invalid.field("title", "must not contain a NUL character")
    title = " ".join(title.split())
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


async def _page_by_slug(session: AsyncSession, space_id: int, slug: str) -> WikiPage | None:
    """The page with this slug, else the page an old slug redirects to; deleted ones too."""
    if "\x00" in slug or len(slug) > 220:  # no page has such a slug (PostgreSQL refuses NUL)
        return None
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
    page = await _page_by_slug(session, wiki.space.id, slug)
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
    session: AsyncSession, *, wiki: WikiSpace, limit: int = 25, cursor: str | None = None
) -> Page[WikiPage]:
    """The live pages, whole, by title, ``limit`` at a time (the API's list)."""
    limit = clamp_limit(limit)
    stmt = select(WikiPage).where(_live(wiki.space.id)).order_by(WikiPage.title, WikiPage.id)
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
    parent = await _page_by_slug(session, wiki.space.id, parent_slug)
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


async def _previous_editors(session: AsyncSession, page: WikiPage, editor: Person) -> list[Person]:
    ids = select(WikiRevision.author_id).where(
        WikiRevision.page_id == page.id, WikiRevision.author_id != editor.id
    )
    rows = await session.scalars(
        select(Person).where(Person.id.in_(ids.distinct())).order_by(Person.id)
    )
    return list(rows)


async def _interactions(
    session: AsyncSession, *, editor: Person, wiki: WikiSpace, page: WikiPage
) -> None:
    """One ``wiki_edit`` toward each distinct earlier editor of the page; toward the space
    for a page's first revision."""
    if page.revision <= 1:
        await record_interaction(session, kind="wiki_edit", actor=editor, space=wiki.space)
        return
    for person in await _previous_editors(session, page, editor):
        await record_interaction(
            session, kind="wiki_edit", actor=editor, target=person, space=wiki.space
        )


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
    await _sync_links(session, page=page, slugs=slugs)
    await _interactions(session, editor=editor, wiki=wiki, page=page)
    await session.flush()
    events.wiki_updated(session, page=page, editor=editor)
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
    session.add(page)
    await session.flush()
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
    await _sync_links(session, page=page, slugs=slugs)
    await _interactions(session, editor=editor, wiki=wiki, page=page)
    await session.flush()
    events.wiki_updated(session, page=page, editor=editor)
    return page


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
    page = await _page_by_slug(session, wiki.space.id, slug)
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
    if same and not deleted and parent_slug is None:
        return Saved(page=page, created=False, changed=False)
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
    if parent_slug is not None:
        page.parent_id = await _parent_for(session, wiki=wiki, page=page, parent_slug=parent_slug)
    if same and not deleted:
        await session.flush()
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
    events.wiki_updated(session, page=page, editor=editor, deleted=True)
