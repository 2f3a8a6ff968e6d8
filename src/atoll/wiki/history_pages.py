"""A wiki page's history: the list of its revisions, one revision, the diff between two,
and restoring an old one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from atoll.http.request import DB
from atoll.http.templating import render
from atoll.kit.errors import Invalid
from atoll.people.deps import Form, MaybeViewer, PageChrome, Viewer
from atoll.people.models import Person
from atoll.wiki import service
from atoll.wiki.diff import diff_texts
from atoll.wiki.models import WikiPage, WikiRevision
from atoll.wiki.page_frame import (
    PAGE,
    any_page,
    canonical,
    frame,
    page_url,
    render_body,
    whole_number,
    wiki_of,
)
from atoll.wiki.service import WikiSpace

router = APIRouter(include_in_schema=False)
HISTORY_PAGE = 25


@router.get(PAGE + "/history", dependencies=[PageChrome])
async def history(
    request: Request,
    space_slug: str,
    slug: str,
    viewer: MaybeViewer,
    db: DB,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    wiki = await wiki_of(db, viewer, space_slug, slug)
    page = await any_page(db, wiki, slug)
    if page.slug != slug:
        return canonical(request, wiki, page, "/history")
    found = await service.revisions(db, page=page, limit=HISTORY_PAGE, cursor=cursor)
    ctx = await frame(db, wiki, page.slug)
    items = found.items
    ctx.update(
        page=page,
        deleted=page.deleted_at is not None,
        revisions=items,
        next_cursor=found.next_cursor,
        cursor=cursor,
        default_to=items[0].number if items else None,
        default_from=items[1].number if len(items) > 1 else None,
    )
    return render(request, "wiki/history.html", ctx)


async def _diff_page(
    request: Request, db: DB, wiki: WikiSpace, page: WikiPage, old_no: int, new_no: int
) -> Response:
    old = await service.revision(db, page=page, number=old_no)
    new = await service.revision(db, page=page, number=new_no)
    ctx = await frame(db, wiki, page.slug)
    authors = await _authors(db, old, new)
    ctx.update(
        page=page,
        deleted=page.deleted_at is not None,
        old=old,
        new=new,
        old_author=authors.get(old.author_id or 0),
        new_author=authors.get(new.author_id or 0),
        diff=diff_texts(old.body, new.body),
    )
    return render(request, "wiki/revision.html", ctx)


async def _authors(db: DB, *revs: WikiRevision) -> dict[int, Person]:
    out: dict[int, Person] = {}
    for rev in revs:
        if rev.author_id is not None and rev.author_id not in out:
            person = await db.get(Person, rev.author_id)
            if person is not None:
                out[rev.author_id] = person
    return out


@router.get(PAGE + "/compare", dependencies=[PageChrome])
async def compare(
    request: Request,
    space_slug: str,
    slug: str,
    viewer: MaybeViewer,
    db: DB,
    from_: Annotated[int | None, Query(alias="from", ge=1, le=service.MAX_REVISION)] = None,
    to: Annotated[int | None, Query(ge=1, le=service.MAX_REVISION)] = None,
) -> Response:
    """The history's "compare" form: the diff between the two revisions picked."""
    wiki = await wiki_of(db, viewer, space_slug, slug)
    page = await any_page(db, wiki, slug)
    if page.slug != slug:
        return canonical(request, wiki, page, "/compare")
    if from_ is None or to is None:
        raise Invalid("Pick two revisions to compare: one under “From” and one under “To”.")
    old_no, new_no = sorted((from_, to))
    return await _diff_page(request, db, wiki, page, old_no, new_no)


@router.get(PAGE + "/revisions/{number}", dependencies=[PageChrome])
async def revision_page(
    request: Request,
    space_slug: str,
    slug: str,
    number: int,
    viewer: MaybeViewer,
    db: DB,
    diff_to: Annotated[int | None, Query(ge=1, le=service.MAX_REVISION)] = None,
) -> Response:
    """One revision, rendered; with ``?diff_to=m`` the diff from it to revision m."""
    wiki = await wiki_of(db, viewer, space_slug, slug)
    page = await any_page(db, wiki, slug)
    if page.slug != slug:
        return canonical(request, wiki, page, f"/revisions/{number}")
    if diff_to is not None:
        return await _diff_page(request, db, wiki, page, number, diff_to)
    rev = await service.revision(db, page=page, number=number)
    ctx = await frame(db, wiki, page.slug)
    ctx.update(
        page=page,
        deleted=page.deleted_at is not None,
        rev=rev,
        author=(await _authors(db, rev)).get(rev.author_id or 0),
        html=await render_body(db, wiki, rev.body),
        diff=None,
    )
    return render(request, "wiki/revision.html", ctx)


@router.post(PAGE + "/restore")
async def restore(
    request: Request, space_slug: str, slug: str, form: Form, viewer: Viewer, db: DB
) -> Response:
    wiki = await wiki_of(db, viewer, space_slug, slug)
    page = await any_page(db, wiki, slug)
    number = whole_number(form.get("revision"), "revision")
    if number is None:
        raise Invalid.field("revision", "name the revision to restore")
    page = await service.do_restore(db, editor=viewer, wiki=wiki, page=page, number=number)
    return RedirectResponse(page_url(wiki, page.slug) + f"?restored={number}", status_code=303)
