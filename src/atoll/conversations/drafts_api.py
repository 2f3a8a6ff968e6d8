"""The JSON API of drafts and of undo after posting (``atoll.conversations.drafts``): the
caller's draft in a space, and taking one's post back within ``ATOLL_UNDO_SECONDS``."""

from __future__ import annotations

from fastapi import APIRouter, Response

from atoll.conversations import drafts, service
from atoll.conversations.models import Draft
from atoll.conversations.schemas import DraftIn, DraftOut
from atoll.http.idempotency import IdempotentRoute
from atoll.http.request import DB, AppSettings
from atoll.people.deps import Viewer
from atoll.spaces import service as spaces_service

router = APIRouter(tags=["conversations"], route_class=IdempotentRoute)


def draft_out(draft: Draft | None) -> DraftOut:
    if draft is None:
        return DraftOut(body="", kind="update", updated_at=None)
    return DraftOut(body=draft.body, kind=draft.kind, updated_at=draft.updated_at)


@router.get("/spaces/{space_id}/draft", response_model=DraftOut)
async def get_draft(space_id: str, viewer: Viewer, db: DB) -> DraftOut:
    """The caller's draft in the space: an empty body and ``updated_at`` null when there is
    none. 404 for a space the caller may not see."""
    access = await spaces_service.access_readable_space(db, viewer=viewer, space_id=space_id)
    return draft_out(await drafts.draft_in(db, person=viewer, space_id=access.space.id))


@router.put("/spaces/{space_id}/draft", response_model=DraftOut)
async def put_draft(space_id: str, body: DraftIn, viewer: Viewer, db: DB) -> DraftOut:
    """Save what the caller is writing there (one draft per person and space; an empty body
    discards it). 403 for whoever may not post there, 409 in a read-only space, 422 for a kind
    the caller may not use there or a body longer than a post may be."""
    access = await spaces_service.access_readable_space(db, viewer=viewer, space_id=space_id)
    saved = await drafts.do_save_draft(db, access=access, body=body.body, kind=body.kind)
    return draft_out(saved)


@router.delete("/spaces/{space_id}/draft", status_code=204)
async def delete_draft(space_id: str, viewer: Viewer, db: DB) -> Response:
    """Discard the caller's draft in the space (204 also when there was none)."""
    access = await spaces_service.access_readable_space(db, viewer=viewer, space_id=space_id)
    await drafts.do_discard_draft(db, person=viewer, space_id=access.space.id)
    return Response(status_code=204)


@router.post("/posts/{post_id}/undo", response_model=DraftOut)
async def undo_post(post_id: str, viewer: Viewer, db: DB, settings: AppSettings) -> DraftOut:
    """Its author takes a post back within ``ATOLL_UNDO_SECONDS`` of posting: it is deleted
    (as DELETE /posts/{id} does; restorable) and its body and kind become the space's draft,
    which is answered. 403 for anyone else, 409 once the moment has passed."""
    post, access = await service.access_post(db, viewer=viewer, post_id=post_id)
    draft = await drafts.do_undo_post(
        db, access=access, post=post, undo_seconds=settings.undo_seconds
    )
    return draft_out(draft)
