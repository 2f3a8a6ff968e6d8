"""What every wiki page shares: its URLs, the wiki the URL names for this viewer, the frame
around a page (the space and the page tree), a body rendered with its links as of now."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from atoll.http.request import DB
from atoll.kit.errors import Invalid, NotFound
from atoll.people.models import Person
from atoll.wiki import links, service
from atoll.wiki.models import WikiPage
from atoll.wiki.service import WikiSpace
from atoll.wiki.tree import build_tree

BASE = "/spaces/{space_slug}/wiki"
PAGE = BASE + "/{slug}"


def page_url(wiki: WikiSpace, slug: str, suffix: str = "") -> str:
    return links.page_path(wiki.space.slug, slug) + suffix


def canonical(request: Request, wiki: WikiSpace, page: WikiPage, suffix: str = "") -> Response:
    """Where an old slug (or an old space slug) of this page leads now."""
    query = f"?{request.url.query}" if request.url.query else ""
    status = 308 if request.method in ("GET", "HEAD") else 307
    return RedirectResponse(page_url(wiki, page.slug, suffix) + query, status_code=status)


async def wiki_of(db: DB, viewer: Person | None, space_slug: str, slug: str = "") -> WikiSpace:
    """The wiki named by the URL, for this viewer. A slug no page or space can have (a NUL
    character, which PostgreSQL cannot even compare) is simply not found."""
    if "\x00" in space_slug or "\x00" in slug:
        raise NotFound("There is no such page.")
    return await service.access_wiki_by_slug(db, viewer=viewer, space_slug=space_slug)


async def frame(db: DB, wiki: WikiSpace, current: str | None) -> dict[str, Any]:
    """What every wiki page shows around itself: the space and the page tree."""
    pages = await service.page_tree(db, wiki=wiki)
    return {
        "space": wiki.space,
        "wiki": wiki,
        "pages": pages,
        "tree": build_tree(pages),
        "current": current,
    }


async def render_body(db: DB, wiki: WikiSpace, body: str) -> str:
    """A body as the page would show it, its ``[[links]]`` blue or red as of now."""
    html, slugs = links.render(body, space_slug=wiki.space.slug)
    found = await service.existing_slugs(db, space_id=wiki.space.id, slugs=slugs)
    return links.resolve(html, space_slug=wiki.space.slug, exists=found.__contains__)


def whole_number(value: str | None, name: str) -> int | None:
    """An optional whole number from a form field; a clear 422 for anything else."""
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    if not text.isdecimal() or len(text) > 10:
        raise Invalid.field(name, "must be a whole number")
    return int(text)


async def any_page(db: DB, wiki: WikiSpace, slug: str) -> WikiPage:
    """A page by slug, deleted ones too (their history stays readable)."""
    return await service.find_page(db, wiki=wiki, slug=slug, include_deleted=True)
