"""Wiki pages: a space's page tree, a page, its editor (with the merge view when someone saved
in between), rename and delete (its history is ``history_pages``).

Every page works as plain HTML forms; live.js adds the "changed by … — reload" notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from atoll.http.request import DB, discard_changes
from atoll.http.templating import render
from atoll.kit.errors import Conflict, Invalid, NotFound
from atoll.people.deps import Form, MaybeViewer, PageChrome, Viewer
from atoll.people.models import Person
from atoll.wiki import links, policy, service
from atoll.wiki.diff import Diff, diff_texts
from atoll.wiki.models import WikiPage
from atoll.wiki.page_frame import (
    BASE,
    PAGE,
    canonical,
    frame,
    page_url,
    render_body,
    whole_number,
    wiki_of,
)
from atoll.wiki.service import WikiSpace
from atoll.wiki.tree import ancestors, below, find_node
from atoll.wiki.writing import StaleRevision

router = APIRouter(include_in_schema=False)


# --- the wiki and its pages -----------------------------------------------------------------


@router.get(BASE, dependencies=[PageChrome])
async def wiki_home(
    request: Request,
    space_slug: str,
    viewer: MaybeViewer,
    db: DB,
    new: Annotated[str | None, Query(max_length=400)] = None,
    parent: Annotated[str, Query(max_length=220)] = "",
) -> Response:
    """The page tree; ``?new=Title`` (the "New page" form) opens the editor for that title."""
    wiki = await wiki_of(db, viewer, space_slug)
    ctx = await frame(db, wiki, None)
    ctx["page_count"] = len(ctx["pages"])
    ctx["hide_tree_form"] = True  # the page's own "New page" form is the one
    if wiki.can_edit:
        ctx["deleted_pages"] = await service.deleted_pages(db, wiki=wiki)
    if new is not None:
        title = " ".join(new.split())
        slug = links.slugify(title)
        if slug and len(title) <= service.MAX_TITLE:
            live = {p.slug for p in ctx["pages"]}
            if slug in live:
                return RedirectResponse(page_url(wiki, slug) + "?exists=1", status_code=303)
            query = {"title": title, **({"parent": parent} if parent else {})}
            target = page_url(wiki, slug, "/edit") + "?" + urlencode(query)
            return RedirectResponse(target, status_code=303)
        ctx["new_error"] = (
            f"The title must be at most {service.MAX_TITLE} characters long."
            if slug
            else "Give the new page a title with at least one letter or digit."
        )
        return render(request, "wiki/index.html", ctx, status_code=422)
    return render(request, "wiki/index.html", ctx)


@router.get(PAGE, dependencies=[PageChrome])
async def wiki_page(
    request: Request, space_slug: str, slug: str, viewer: MaybeViewer, db: DB
) -> Response:
    wiki = await wiki_of(db, viewer, space_slug, slug)
    try:
        page = await service.find_page(db, wiki=wiki, slug=slug, include_deleted=True)
    except NotFound:
        ctx = await frame(db, wiki, None)
        ctx.update(page=None, slug=slug)
        return render(request, "wiki/deleted.html", ctx, status_code=404)
    if page.slug != slug or space_slug != wiki.space.slug:
        return canonical(request, wiki, page)
    ctx = await frame(db, wiki, page.slug)
    if page.deleted_at is not None:
        ctx.update(page=page, slug=page.slug)
        return render(request, "wiki/deleted.html", ctx, status_code=404)
    node = find_node(ctx["tree"], page.id)
    ctx.update(
        page=page,
        html=await service.rendered_html(db, wiki=wiki, page=page),
        editor=await service.last_editor(db, page=page),
        linked_from=await service.linked_from(db, wiki=wiki, page=page),
        ancestors=ancestors(ctx["pages"], page),
        children=node.children if node else [],
        can_edit_page=policy.may_edit_page(viewer, wiki.space, wiki.role, page),
        can_lock=wiki.can_edit and policy.can_lock(viewer, wiki.role),
        locker=(await service.people_by_id(db, {page.locked_by_id})).get(page.locked_by_id)
        if page.locked_by_id
        else None,
    )
    return render(request, "wiki/page.html", ctx)


@router.post(PAGE + "/lock")
async def lock(
    request: Request, space_slug: str, slug: str, form: Form, viewer: Viewer, db: DB
) -> Response:
    """Lock the page to the space's moderators, or (``action=unlock``) unlock it."""
    wiki = await wiki_of(db, viewer, space_slug, slug)
    page = await _live_page(db, wiki, slug)
    locked = form.get("action") != "unlock"
    await service.do_lock_page(db, editor=viewer, wiki=wiki, page=page, locked=locked)
    return RedirectResponse(page_url(wiki, page.slug), status_code=303)


# --- the editor and the merge view ----------------------------------------------------------


async def _maybe_page(db: DB, wiki: WikiSpace, slug: str) -> WikiPage | None:
    try:
        return await service.find_page(db, wiki=wiki, slug=slug, include_deleted=True)
    except NotFound:
        return None


def _parent_choices(ctx: dict[str, Any], page: WikiPage | None) -> list[WikiPage]:
    if page is None:
        return list(ctx["pages"])
    node = find_node(ctx["tree"], page.id)
    excluded = below(node) if node else {page.id}
    return [p for p in ctx["pages"] if p.id not in excluded]


async def _editor(
    db: DB,
    wiki: WikiSpace,
    *,
    slug: str,
    page: WikiPage | None,
    draft: dict[str, str] | None,
    base_revision: int,
) -> dict[str, Any]:
    """The editor's context; with no ``draft``, the page as it is now."""
    ctx = await frame(db, wiki, page.slug if page else None)
    if draft is None and page is not None:
        parent = next((p for p in ctx["pages"] if p.id == page.parent_id), None)
        draft = {
            "title": page.title,
            "body": page.body,
            "summary": "",
            "parent": parent.slug if parent else "",
        }
    ctx.update(
        page=page,
        slug=page.slug if page else slug,
        draft=draft,
        base_revision=base_revision,
        parent_choices=_parent_choices(ctx, page),
    )
    return ctx


@router.get(PAGE + "/edit", dependencies=[PageChrome])
async def edit_page(
    request: Request,
    space_slug: str,
    slug: str,
    viewer: Viewer,
    db: DB,
    title: Annotated[str, Query(max_length=400)] = "",
    parent: Annotated[str, Query(max_length=220)] = "",
) -> Response:
    """The editor: of a page, or of a new one (a red link leads here with ``?title=``)."""
    wiki = await wiki_of(db, viewer, space_slug, slug)
    service.check_can_edit(viewer, wiki)
    page = await _maybe_page(db, wiki, slug)
    if page is not None and page.slug != slug:
        return canonical(request, wiki, page, "/edit")
    if page is None:
        draft = {
            "title": " ".join(title.split())[:200],
            "body": "",
            "summary": "",
            "parent": parent,
        }
        ctx = await _editor(db, wiki, slug=slug, page=None, draft=draft, base_revision=0)
    else:
        ctx = await _editor(db, wiki, slug=slug, page=page, draft=None, base_revision=page.revision)
    return render(request, "wiki/edit.html", ctx)


@dataclass(frozen=True)
class MergeView:
    """What the merge view shows: the page as someone else saved it, the diff from it to the
    editor's text, and what they changed since the revision the editor started from."""

    title: str
    body: str
    revision: int
    base: int
    editor: Person | None
    updated_at: datetime
    title_differs: bool
    diff: Diff
    theirs: Diff | None


async def _merge_view(
    db: DB, wiki: WikiSpace, page: WikiPage, draft: dict[str, str], base: int
) -> MergeView:
    theirs = None
    if 0 < base < page.revision:
        try:
            started = await service.revision(db, page=page, number=base)
            theirs = diff_texts(started.body, page.body)
        except NotFound:
            theirs = None
    return MergeView(
        title=page.title,
        body=page.body,
        revision=page.revision,
        base=base,
        editor=await service.last_editor(db, page=page),
        updated_at=page.updated_at,
        title_differs=" ".join(draft["title"].split()) != page.title,
        diff=diff_texts(page.body, draft["body"].replace("\r\n", "\n"), context=-1),
        theirs=theirs,
    )


@router.post(PAGE + "/edit")
async def save_page(
    request: Request, space_slug: str, slug: str, form: Form, viewer: Viewer, db: DB
) -> Response:
    wiki = await wiki_of(db, viewer, space_slug, slug)
    draft = {
        "title": form.get("title", ""),
        "body": form.get("body", ""),
        "summary": form.get("summary", ""),
        "parent": form.get("parent", ""),
    }
    try:
        base = whole_number(form.get("base_revision"), "base_revision")
        saved = await service.do_save(
            db,
            editor=viewer,
            wiki=wiki,
            slug=slug,
            title=draft["title"],
            body=draft["body"],
            summary=draft["summary"],
            base_revision=base,
            parent_slug=form.get("parent"),
        )
    except StaleRevision as stale:
        where = stale.page.slug
        await discard_changes(db, request)
        return await _merge_page(request, db, viewer, space_slug, where, draft, base or 0)
    except (Invalid, Conflict) as error:
        await discard_changes(db, request)
        wiki = await wiki_of(db, viewer, space_slug, slug)
        page = await _maybe_page(db, wiki, slug)
        ctx = await _editor(
            db,
            wiki,
            slug=slug,
            page=page,
            draft=draft,
            base_revision=_number_or(form.get("base_revision"), 0),
        )
        ctx["error"] = error.detail
        return render(request, "wiki/edit.html", ctx, status_code=error.status)
    flag = "saved" if saved.changed else "unchanged"
    return RedirectResponse(page_url(wiki, saved.page.slug) + f"?{flag}=1", status_code=303)


def _number_or(value: str | None, default: int) -> int:
    try:
        found = whole_number(value, "number")
    except Invalid:
        return default
    return default if found is None else found


async def _merge_page(
    request: Request,
    db: DB,
    viewer: Person,
    space_slug: str,
    slug: str,
    draft: dict[str, str],
    base: int,
) -> Response:
    """409: the editor again, based on the current revision, with the merge view above it."""
    wiki = await wiki_of(db, viewer, space_slug, slug)
    page = await service.find_page(db, wiki=wiki, slug=slug, include_deleted=True)
    ctx = await _editor(
        db, wiki, slug=page.slug, page=page, draft=draft, base_revision=page.revision
    )
    ctx["merge"] = await _merge_view(db, wiki, page, draft, base)
    return render(request, "wiki/edit.html", ctx, status_code=409)


@router.post(PAGE + "/preview")
async def preview(
    request: Request, space_slug: str, slug: str, form: Form, viewer: Viewer, db: DB
) -> Response:
    """The editor's preview (htmx): the page's renderer, links blue or red as of now."""
    wiki = await wiki_of(db, viewer, space_slug, slug)
    body = service.check_body(form.get("body", ""))
    html = await render_body(db, wiki, body)
    return render(request, "conversations/_preview.html", {"html": html})


# --- history, revisions, diffs, restore -----------------------------------------------------


# --- rename and delete ----------------------------------------------------------------------


async def _live_page(db: DB, wiki: WikiSpace, slug: str) -> WikiPage:
    return await service.find_page(db, wiki=wiki, slug=slug)


@router.get(PAGE + "/rename", dependencies=[PageChrome])
async def rename_page(
    request: Request, space_slug: str, slug: str, viewer: Viewer, db: DB
) -> Response:
    wiki = await wiki_of(db, viewer, space_slug, slug)
    service.check_can_edit(viewer, wiki)
    page = await _live_page(db, wiki, slug)
    if page.slug != slug:
        return canonical(request, wiki, page, "/rename")
    ctx = await frame(db, wiki, page.slug)
    ctx.update(page=page, draft_title=page.title)
    return render(request, "wiki/rename.html", ctx)


@router.post(PAGE + "/rename")
async def rename(
    request: Request, space_slug: str, slug: str, form: Form, viewer: Viewer, db: DB
) -> Response:
    wiki = await wiki_of(db, viewer, space_slug, slug)
    page = await _live_page(db, wiki, slug)
    title = form.get("title", "")
    try:
        page = await service.do_rename(db, editor=viewer, wiki=wiki, page=page, title=title)
    except (Invalid, Conflict) as error:
        await discard_changes(db, request)
        wiki = await wiki_of(db, viewer, space_slug, slug)
        page = await _live_page(db, wiki, slug)
        ctx = await frame(db, wiki, page.slug)
        ctx.update(page=page, draft_title=title, error=error.detail)
        return render(request, "wiki/rename.html", ctx, status_code=error.status)
    return RedirectResponse(page_url(wiki, page.slug) + "?renamed=1", status_code=303)


@router.get(PAGE + "/delete", dependencies=[PageChrome])
async def delete_page(
    request: Request, space_slug: str, slug: str, viewer: Viewer, db: DB
) -> Response:
    """The confirm step: it says plainly that the page can be brought back."""
    wiki = await wiki_of(db, viewer, space_slug, slug)
    service.check_can_edit(viewer, wiki)
    page = await _live_page(db, wiki, slug)
    if page.slug != slug:
        return canonical(request, wiki, page, "/delete")
    ctx = await frame(db, wiki, page.slug)
    ctx.update(page=page, linked_from=await service.linked_from(db, wiki=wiki, page=page))
    return render(request, "wiki/delete.html", ctx)


@router.post(PAGE + "/delete")
async def delete(
    request: Request, space_slug: str, slug: str, form: Form, viewer: Viewer, db: DB
) -> Response:
    wiki = await wiki_of(db, viewer, space_slug, slug)
    page = await _live_page(db, wiki, slug)
    await service.do_delete_page(db, editor=viewer, wiki=wiki, page=page)
    target = f"/spaces/{quote(wiki.space.slug, safe='')}/wiki?" + urlencode({"deleted": page.slug})
    return RedirectResponse(target, status_code=303)
