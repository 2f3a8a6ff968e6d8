"""The Discover page: communities for you, people who know about a topic, what is active.
The home page's right column (:func:`atoll.discover.service.home_panel`) comes from
``/discover/panel``, which the home page loads after it has been shown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from atoll.discover import service
from atoll.http.request import DB
from atoll.http.templating import render
from atoll.kit.errors import Invalid
from atoll.people.deps import PageChrome, Viewer

router = APIRouter(include_in_schema=False)


@router.get("/discover", dependencies=[PageChrome])
async def discover(
    request: Request,
    viewer: Viewer,
    db: DB,
    topic: Annotated[str, Query(max_length=1000)] = "",
) -> Response:
    """Without a topic, the people part asks about the viewer's own (see ``topic_for``)."""
    asked = " ".join(topic.split())
    error = None
    experts: list[service.Expert] = []
    shown = asked or await service.topic_for(db, viewer=viewer)
    if shown:
        try:
            experts = await service.experts_on(db, viewer=viewer, topic=shown, limit=8)
        except Invalid as exc:
            error, shown = (exc.errors[0]["message"] if exc.errors else exc.detail), None
    ctx = {
        "communities": await service.communities_for(db, viewer=viewer, limit=6),
        "experts": experts,
        "topic": shown,
        "asked": asked,
        "topic_error": error,
        "active": await service.active_for(db, viewer=viewer, limit=8),
    }
    return render(request, "discover/page.html", ctx, status_code=422 if error else 200)


@router.get("/discover/panel")
async def panel(request: Request, viewer: Viewer, db: DB) -> Response:
    """The home page's right column: communities for you, people who know about your topic."""
    return render(
        request, "discover/_panel.html", {"panel": await service.home_panel(db, viewer=viewer)}
    )
