"""Pages of comfort and learning: going back to edit from the question before one's first
words where outsiders read (``first_words``) — the composer, or the thread's comment form,
again with the draft — and one's practice space (``practice``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from atoll.conversations import feed, practice
from atoll.conversations.pages import composer_context, thread_context
from atoll.http.request import DB
from atoll.http.templating import render
from atoll.people.deps import Form, PageChrome, Viewer
from atoll.spaces import service as spaces

router = APIRouter(include_in_schema=False)


@router.post("/compose/again", dependencies=[PageChrome])
async def compose_again(request: Request, form: Form, viewer: Viewer, db: DB) -> Response:
    """The composer of the draft's space, with the draft, to edit before posting."""
    access = await spaces.access_readable_space(
        db, viewer=viewer, space_id=form.get("space_id", "")
    )
    ctx = await composer_context(db, viewer=viewer, access=access)
    ctx.update(draft=form, compose_title="Edit your post")
    response = render(request, "conversations/compose_error.html", ctx)
    response.headers["Referrer-Policy"] = "no-referrer"  # posting goes to the space
    return response


@router.post("/posts/{post_id}/comments/again", dependencies=[PageChrome])
async def comment_again(
    request: Request, post_id: str, form: Form, viewer: Viewer, db: DB
) -> Response:
    """The thread with the comment's draft in its form, to edit before posting."""
    thread = await feed.post_thread(db, viewer=viewer, post_id=post_id)
    return render(request, "conversations/post.html", await thread_context(db, thread, draft=form))


@router.get("/practice")
async def practice_space(viewer: Viewer, db: DB) -> Response:
    """The viewer's practice space, made on first use (with its welcome post)."""
    access = await practice.do_open_practice_space(db, person=viewer)
    return RedirectResponse(f"/spaces/{access.space.slug}", status_code=303)
