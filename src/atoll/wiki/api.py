"""Wiki JSON API: pages, their history, diffs, restore, rename, delete and "linked from".
Thin: every route loads with ``access_wiki`` / ``find_page`` and changes with a ``do_*``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations.schemas import AuthorOut
from atoll.http.idempotency import IdempotentRoute
from atoll.http.request import DB
from atoll.kit.errors import Invalid
from atoll.kit.pagination import MAX_LIMIT, Page
from atoll.people.deps import MaybeViewer, Viewer
from atoll.people.models import Person
from atoll.wiki import service
from atoll.wiki.models import WikiPage, WikiRevision
from atoll.wiki.reading import slugs_by_id
from atoll.wiki.schemas import (
    MAX_REVISION,
    PageIn,
    PageOut,
    PageRef,
    RenameIn,
    RestoreIn,
    RevisionDetailOut,
    RevisionOut,
)
from atoll.wiki.service import RevisionView, WikiSpace
from atoll.wiki.writing import StaleRevision

router = APIRouter(tags=["wiki"], route_class=IdempotentRoute)

Cursor = Annotated[str | None, Query(max_length=500)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Slug = Annotated[
    str, Path(description="The page's slug (an old slug of a renamed page works too).")
]


# --- output -----------------------------------------------------------------------------------


def author_out(person: Person | None) -> AuthorOut | None:
    if person is None:
        return None
    return AuthorOut(
        id=str(person.id),
        name=person.name,
        kind=person.kind,
        organization=person.organization if person.kind == "external" else None,
    )


async def pages_out(db: AsyncSession, wiki: WikiSpace, pages: list[WikiPage]) -> list[PageOut]:
    """Pages as JSON: their HTML, editors and parents' slugs in three queries in all."""
    htmls = await service.rendered_htmls(db, wiki=wiki, pages=pages)
    people = await service.people_by_id(db, {p.updated_by_id for p in pages})
    parents = await slugs_by_id(db, {p.parent_id for p in pages})
    return [
        PageOut(
            id=str(p.id),
            space_id=str(p.space_id),
            slug=p.slug,
            title=p.title,
            body=p.body,
            html=html,
            revision=p.revision,
            parent_id=str(p.parent_id) if p.parent_id is not None else None,
            parent_slug=parents.get(p.parent_id) if p.parent_id is not None else None,
            created_at=p.created_at,
            updated_at=p.updated_at,
            updated_by=author_out(people.get(p.updated_by_id) if p.updated_by_id else None),
            deleted_at=p.deleted_at,
            locked=p.locked_at is not None,
            locked_at=p.locked_at,
        )
        for p, html in zip(pages, htmls, strict=True)
    ]


async def page_out(db: AsyncSession, wiki: WikiSpace, page: WikiPage) -> PageOut:
    return (await pages_out(db, wiki, [page]))[0]


def revision_out(r: RevisionView) -> RevisionOut:
    return RevisionOut(
        revision=r.number,
        title=r.title,
        summary=r.summary,
        author=author_out(r.author),
        created_at=r.created_at,
        restored_from=r.restored_from,
    )


async def _wiki(db: AsyncSession, viewer: Person | None, space_id: str) -> WikiSpace:
    return await service.access_wiki(db, viewer=viewer, space_id=space_id)


async def _page(
    db: AsyncSession, viewer: Person | None, space_id: str, slug: str, *, deleted: bool = False
) -> tuple[WikiSpace, WikiPage]:
    wiki = await _wiki(db, viewer, space_id)
    page = await service.find_page(db, wiki=wiki, slug=slug, include_deleted=deleted)
    return wiki, page


# --- pages ------------------------------------------------------------------------------------


@router.get("/spaces/{space_id}/wiki", response_model=Page[PageOut])
async def list_pages(
    space_id: str,
    viewer: MaybeViewer,
    db: DB,
    cursor: Cursor = None,
    limit: Limit = 25,
    deleted: Annotated[
        bool, Query(description="true: the deleted pages instead (to restore them)")
    ] = False,
) -> Page[PageOut]:
    """The space's pages by title (not newest first), ``parent_id`` giving the tree.
    Public spaces: also signed out. 404 when the caller may not read the space."""
    wiki = await _wiki(db, viewer, space_id)
    found = await service.pages_by_title(db, wiki=wiki, limit=limit, cursor=cursor, deleted=deleted)
    return Page(items=await pages_out(db, wiki, found.items), next_cursor=found.next_cursor)


@router.get("/spaces/{space_id}/wiki/{slug}", response_model=PageOut)
async def get_page(space_id: str, slug: Slug, viewer: MaybeViewer, db: DB) -> PageOut:
    """One page at its current revision. An old slug of a renamed page answers the page (its
    ``slug`` is the new one); a deleted page is 404 (its history stays readable)."""
    wiki, page = await _page(db, viewer, space_id, slug)
    return await page_out(db, wiki, page)


def _stale(db_page: PageOut, error: StaleRevision) -> StaleRevision:
    error.current = db_page.model_dump(mode="json")
    return error


@router.put(
    "/spaces/{space_id}/wiki/{slug}",
    response_model=PageOut,
    responses={201: {"model": PageOut, "description": "Created (or a deleted page back)"}},
)
async def save_page(
    space_id: str, slug: Slug, body: PageIn, viewer: Viewer, db: DB, response: Response
) -> PageOut:
    """Create (201) or edit (200) a page. A new page's slug is made from its title. Editing
    needs ``base_revision``: when it is not the current revision the answer is 409 with
    ``current_revision`` and ``current`` (the page now) to merge with — never a silent
    overwrite. A new title renames the page (the old slug redirects). 403 for readers who may
    not edit (not members; moderators only; guests unless the space allows); 409 when the
    space is read-only or the title is another page's; 422 for bad input or parent."""
    wiki = await _wiki(db, viewer, space_id)
    try:
        saved = await service.do_save(
            db,
            editor=viewer,
            wiki=wiki,
            slug=slug,
            title=body.title,
            body=body.body,
            summary=body.summary,
            base_revision=body.base_revision,
            parent_slug=body.parent,
        )
    except StaleRevision as error:
        raise _stale(await page_out(db, wiki, error.page), error) from None
    if saved.created:
        response.status_code = 201
        slug_part = quote(saved.page.slug, safe="")
        response.headers["Location"] = f"/api/v1/spaces/{wiki.space.id}/wiki/{slug_part}"
    return await page_out(db, wiki, saved.page)


@router.delete("/spaces/{space_id}/wiki/{slug}", status_code=204)
async def delete_page(space_id: str, slug: Slug, viewer: Viewer, db: DB) -> Response:
    """Delete a page (those who may edit the wiki). Its history is kept and
    POST .../restore brings it back."""
    wiki, page = await _page(db, viewer, space_id, slug)
    await service.do_delete_page(db, editor=viewer, wiki=wiki, page=page)
    return Response(status_code=204)


@router.post("/spaces/{space_id}/wiki/{slug}/lock", response_model=PageOut)
async def lock_page(space_id: str, slug: Slug, viewer: Viewer, db: DB) -> PageOut:
    """Lock the page to the space's owners and moderators (they and admins): while locked,
    only they edit, rename, move or delete it (403 for other editors)."""
    wiki, page = await _page(db, viewer, space_id, slug)
    page = await service.do_lock_page(db, editor=viewer, wiki=wiki, page=page)
    return await page_out(db, wiki, page)


@router.delete("/spaces/{space_id}/wiki/{slug}/lock", response_model=PageOut)
async def unlock_page(space_id: str, slug: Slug, viewer: Viewer, db: DB) -> PageOut:
    """Unlock the page: whoever may edit the wiki edits it again."""
    wiki, page = await _page(db, viewer, space_id, slug)
    page = await service.do_lock_page(db, editor=viewer, wiki=wiki, page=page, locked=False)
    return await page_out(db, wiki, page)


@router.post("/spaces/{space_id}/wiki/{slug}/rename", response_model=PageOut)
async def rename_page(space_id: str, slug: Slug, body: RenameIn, viewer: Viewer, db: DB) -> PageOut:
    """A new title and with it a new slug; the old slug keeps working (it redirects). 409
    when another page has that title."""
    wiki, page = await _page(db, viewer, space_id, slug)
    page = await service.do_rename(db, editor=viewer, wiki=wiki, page=page, title=body.title)
    return await page_out(db, wiki, page)


@router.get("/spaces/{space_id}/wiki/{slug}/linked-from", response_model=list[PageRef])
async def linked_from(space_id: str, slug: Slug, viewer: MaybeViewer, db: DB) -> list[PageRef]:
    """The pages of the space whose [[links]] lead to this page, by title."""
    wiki, page = await _page(db, viewer, space_id, slug)
    pages = await service.linked_from(db, wiki=wiki, page=page)
    return [PageRef(id=str(p.id), slug=p.slug, title=p.title) for p in pages]


# --- history ----------------------------------------------------------------------------------


@router.get("/spaces/{space_id}/wiki/{slug}/revisions", response_model=Page[RevisionOut])
async def list_revisions(
    space_id: str,
    slug: Slug,
    viewer: MaybeViewer,
    db: DB,
    cursor: Cursor = None,
    limit: Limit = 25,
) -> Page[RevisionOut]:
    """The page's history, newest first (also of a deleted page)."""
    _, page = await _page(db, viewer, space_id, slug, deleted=True)
    found = await service.revisions(db, page=page, limit=limit, cursor=cursor)
    return Page(items=[revision_out(r) for r in found.items], next_cursor=found.next_cursor)


@router.get("/spaces/{space_id}/wiki/{slug}/revisions/{number}", response_model=RevisionDetailOut)
async def get_revision(
    space_id: str,
    slug: Slug,
    number: int,
    viewer: MaybeViewer,
    db: DB,
    diff_to: Annotated[int | None, Query(description="Add the diff to this revision.")] = None,
) -> RevisionDetailOut:
    """One revision, whole; ``?diff_to=m`` adds ``diff``, the unified diff from this
    revision to revision m. 404 for a revision the page does not have."""
    _, page = await _page(db, viewer, space_id, slug, deleted=True)
    rev = await service.revision(db, page=page, number=number)
    diff = None
    if diff_to is not None:
        if not 1 <= diff_to <= MAX_REVISION:
            raise Invalid.field("diff_to", "must be a revision number of this page")
        other = await service.revision(db, page=page, number=diff_to)
        diff = service.unified_diff(rev, other)
    return await _revision_detail(db, rev, diff)


async def _revision_detail(
    db: AsyncSession, rev: WikiRevision, diff: str | None
) -> RevisionDetailOut:
    people = await service.people_by_id(db, {rev.author_id})
    return RevisionDetailOut(
        revision=rev.number,
        title=rev.title,
        summary=rev.summary,
        author=author_out(people.get(rev.author_id) if rev.author_id else None),
        created_at=rev.created_at,
        restored_from=rev.restored_from,
        body=rev.body,
        diff=diff,
    )


@router.post("/spaces/{space_id}/wiki/{slug}/restore", response_model=PageOut)
async def restore_page(
    space_id: str, slug: Slug, body: RestoreIn, viewer: Viewer, db: DB
) -> PageOut:
    """Make a new revision equal to an old one (its title and body). Also brings a deleted
    page back. 404 for a revision the page does not have."""
    wiki, page = await _page(db, viewer, space_id, slug, deleted=True)
    page = await service.do_restore(
        db, editor=viewer, wiki=wiki, page=page, number=body.revision, summary=body.summary
    )
    return await page_out(db, wiki, page)
