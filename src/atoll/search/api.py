"""Search JSON API: ``GET /search`` (its contract is in the API reference, /api/v1/docs).
Thin: parsing, ranking and visibility live in :mod:`atoll.search.query`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from atoll.http.idempotency import IdempotentRoute
from atoll.http.request import DB
from atoll.kit.errors import Invalid
from atoll.kit.ids import parse_id
from atoll.kit.pagination import MAX_LIMIT
from atoll.people.deps import MaybeViewer
from atoll.search import query as search_query
from atoll.search.hits import Hit
from atoll.search.language import MAX_QUERY
from atoll.search.schemas import HitOut, Kind, SearchOut

router = APIRouter(tags=["search"], route_class=IdempotentRoute)


def hit_out(hit: Hit) -> HitOut:
    return HitOut(
        type=hit.type,
        id=str(hit.id),
        title=hit.title,
        snippet=hit.snippet,
        snippet_html=hit.snippet_html,
        space_id=None if hit.space_id is None else str(hit.space_id),
        space_name=hit.space_name,
        post_id=None if hit.post_id is None or hit.type != "comment" else str(hit.post_id),
        url=hit.url,
        at=datetime.fromtimestamp(hit.at, UTC),
        score=hit.score,
    )


@router.get("/search", response_model=SearchOut)
async def search(
    viewer: MaybeViewer,
    db: DB,
    q: Annotated[str, Query(max_length=MAX_QUERY, description='Words, "a phrase", pre*, -not')],
    type: Annotated[Kind | None, Query()] = None,  # noqa: A002 - the contract's name
    space_id: Annotated[str | None, Query(max_length=30)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 25,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> SearchOut:
    """What the caller may see that matches ``q``, best first (relevance blended with
    recency). Signed out, only public spaces' content. 422 for a query with no word."""
    space = None
    if space_id is not None:
        space = parse_id(space_id)
        if space is None:
            raise Invalid.field("space_id", "must be a space id")
    page = await search_query.search(
        db, viewer=viewer, q=q, type=type, space_id=space, limit=limit, cursor=cursor
    )
    return SearchOut(items=[hit_out(h) for h in page.items], next_cursor=page.next_cursor)
