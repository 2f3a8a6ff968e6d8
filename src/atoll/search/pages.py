"""Search pages: the results page and the navigation bar's type-ahead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from atoll.http.request import DB
from atoll.http.templating import render
from atoll.kit.errors import Invalid
from atoll.people.deps import PageChrome, Viewer
from atoll.search import query as search_query
from atoll.search import scope
from atoll.search.hits import Hit
from atoll.search.language import MAX_QUERY

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
SUGGEST_EACH = 5
# The type tabs, in order: (the ``type`` parameter, the tab's words).
TABS = (
    ("", "All"),
    ("post", "Posts"),
    ("comment", "Comments"),
    ("wiki", "Wiki"),
    ("person", "People"),
    ("space", "Spaces"),
)
TYPE_WORDS = {
    "post": "Post",
    "comment": "Comment",
    "wiki": "Wiki page",
    "person": "Person",
    "space": "Space",
}


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def search_url(q: str, type_: str = "", space: str = "", cursor: str | None = None) -> str:
    """A link to the search page that keeps what it is given and leaves out what is empty."""
    params = {"q": q, "type": type_, "space": space, "cursor": cursor or ""}
    return "/search?" + urlencode({k: v for k, v in params.items() if v})


def _at(hit: Hit) -> datetime:
    return datetime.fromtimestamp(hit.at, UTC)


@router.get("/search", dependencies=[PageChrome])
async def search_page(
    request: Request,
    viewer: Viewer,
    db: DB,
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    type: Annotated[str, Query(max_length=20)] = "",  # noqa: A002 - the contract's name
    space: Annotated[str, Query(max_length=30)] = "",
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Everything the viewer may see that matches ``q``, with type tabs and a space filter.
    Bad input (a query with no word, an unknown type, a cursor we did not give out) is shown
    on the page with status 422."""
    type_ = type if type in TYPE_WORDS else ""
    chosen = await scope.chosen_space(db, viewer=viewer, space=space) if space else None
    ctx: dict[str, Any] = {
        "q": q,
        "type": type_,
        "space": space,
        "chosen": chosen,
        "space_missing": bool(space) and chosen is None,
        "choices": await scope.filter_spaces(db, viewer=viewer),
        "tabs": TABS,
        "type_words": TYPE_WORDS,
        "search_url": search_url,
        "hit_at": _at,
        "hits": [],
        "next_cursor": None,
        "problem": None,
        "restart": False,
    }
    status = 200
    if type and not type_:
        ctx["problem"] = "There is no such kind of result; showing all kinds."
    if q.strip() and not ctx["space_missing"]:
        try:
            page = await search_query.search(
                db,
                viewer=viewer,
                q=q,
                type=type_ or None,
                space_id=chosen[0] if chosen else None,
                limit=PAGE_SIZE,
                cursor=cursor,
            )
        except Invalid as error:
            ctx["problem"] = _problem_words(error)
            ctx["restart"] = any(e.get("field") == "cursor" for e in error.errors)
            status = 422
        else:
            ctx["hits"], ctx["next_cursor"] = page.items, page.next_cursor
    if cursor and _is_htmx(request) and status == 200:
        return render(request, "search/_results.html", ctx)
    return render(request, "search/page.html", ctx, status_code=status)


def _problem_words(error: Invalid) -> str:
    fields = {e.get("field") for e in error.errors}
    if "cursor" in fields:
        return "That “more results” link is out of date or was not made here. Start again."
    if "q" in fields:
        return "Type at least one word or number to search for — punctuation alone finds nothing."
    return error.detail


@router.get("/search/suggest")
async def suggest(
    request: Request,
    viewer: Viewer,
    db: DB,
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
) -> Response:
    """The type-ahead's options: people and spaces whose names start with what was typed,
    then "search everywhere". An HTML fragment for the navigation bar's search box."""
    people: list[Hit] = []
    spaces: list[Hit] = []
    if q.strip():
        try:
            people = (
                await search_query.search(db, viewer=viewer, q=q, type="person", limit=SUGGEST_EACH)
            ).items
            spaces = (
                await search_query.search(db, viewer=viewer, q=q, type="space", limit=SUGGEST_EACH)
            ).items
        except Invalid:
            people, spaces = [], []
    return render(
        request,
        "search/_suggest.html",
        {"q": q, "people": people, "spaces": spaces, "search_url": search_url},
    )
