"""The real-time JSON API: ``GET /events``, the Server-Sent Events stream."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from atoll.http.client import settings_of
from atoll.http.idempotency import IdempotentRoute
from atoll.kit.errors import Invalid
from atoll.kit.ids import parse_id
from atoll.people.deps import CurrentCredential
from atoll.realtime.stream import Caller, event_stream

router = APIRouter(tags=["real time"], route_class=IdempotentRoute)

STREAM_HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",  # nginx: pass each event on at once
}


def _resume_from(header: str | None, query: str | None) -> int | None:
    """The id to resume after: the Last-Event-ID header (what EventSource sends when it
    reconnects) wins over ``?last_event_id=`` (what a page puts in the URL it opens first)."""
    name, value = ("Last-Event-ID", header) if header is not None else ("last_event_id", query)
    if value is None or value.strip() == "":
        return None
    number = parse_id(value.strip())
    if number is None:
        raise Invalid.field(name, "must be the id of an event this server sent")
    return number


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "An endless `text/event-stream`. Each event has `id:` (increasing), "
            "`event:` (its type, e.g. `post.created`) and `data:` (JSON). Comment lines are "
            "heartbeats. `reload` means the events since `Last-Event-ID` are no longer kept: "
            "reload what is shown.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def events(
    request: Request,
    credential: CurrentCredential,
    last_event_id: Annotated[str | None, Query(max_length=20)] = None,
    last_event_id_header: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=20)
    ] = None,
) -> StreamingResponse:
    """The events the caller may see, live, as Server-Sent Events. A client that reconnects
    with `Last-Event-ID` (or `?last_event_id=`) first receives every event it missed and may
    see now, in order, once."""
    resume = _resume_from(last_event_id_header, last_event_id)
    app = request.app
    stream = event_stream(
        engine=app.state.engine,
        hub=app.state.hub,
        sign_ins=app.state.sign_ins,
        settings=settings_of(request),
        caller=Caller(person=credential.person, raw_token=credential.raw_token),
        last_event_id=resume,
    )
    return StreamingResponse(stream, media_type="text/event-stream", headers=STREAM_HEADERS)
