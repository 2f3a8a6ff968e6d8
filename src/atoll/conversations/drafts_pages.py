"""The composer's comforts on the pages: its preview (the post's card as its readers will see
it) and "Posted · Undo" right after posting (``atoll.conversations.drafts``). Drafts are
saved as one types by the composer's script through the JSON API (``drafts_api``) and
rendered back by the pages that show a composer (``pages.composer_context``)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from atoll.conversations import drafts, feed, mentions, service
from atoll.conversations.feed import REACTIONS, PostView
from atoll.conversations.models import POST_KINDS, Post
from atoll.conversations.pages import KIND_LABELS, composer_context
from atoll.http.request import DB, AppSettings, discard_changes
from atoll.http.templating import render
from atoll.kit.errors import Conflict, Forbidden, Invalid
from atoll.kit.markdown import render_markdown
from atoll.kit.time import utcnow
from atoll.kit.urls import with_query
from atoll.people.deps import Form, Viewer
from atoll.people.models import Person
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces
from atoll.spaces.policy import SpaceAccess

router = APIRouter(include_in_schema=False)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


# --- preview ----------------------------------------------------------------------------------


def _unposted(viewer: Person, access: SpaceAccess, kind: str, body: str, html: str) -> PostView:
    """A post as it would be if posted now, held by nobody (never added to the session)."""
    now = utcnow()
    post = Post(
        space_id=access.space.id,
        author_id=viewer.id,
        kind=kind,
        body=body,
        html=html,
        created_at=now,
        last_activity_at=now,
        comment_count=0,
        vote_count=0,
        idea_status="new" if kind == "idea" else None,
    )
    return PostView(
        post=post,
        author=viewer,
        access=access,
        reactions={},
        my_reactions=[],
        voted=False,
        attachments=[],
    )


@router.post("/compose/preview")
async def preview(request: Request, form: Form, viewer: Viewer, db: DB) -> Response:
    """The composer's preview (htmx): the post's card as its readers will see it — its author,
    its kind, the body rendered with its mentions linked as they will be, and who will read
    it — marked as a preview, with no actions. A mention posting would refuse is said."""
    body = form.get("body", "")[: service.MAX_BODY]
    if not form.get("space_id"):  # no space chosen (nothing to post in): the Markdown alone
        return render(request, "conversations/_preview.html", {"html": render_markdown(body)})
    access = await spaces.access_readable_space(db, viewer=viewer, space_id=form["space_id"])
    kind = form.get("kind", "update")
    kind = kind if kind in POST_KINDS else "update"
    problem = None
    try:
        html = (await mentions.parse_body(db, author=viewer, space=access.space, body=body)).html
    except Invalid as error:
        html, problem = render_markdown(body), error.detail
    ctx = {
        "view": _unposted(viewer, access, kind, body, html),
        "preview": True,
        "show_space": True,
        "reactions": REACTIONS,
        "kind_labels": KIND_LABELS,
        "problem": problem,
        "empty": not body.strip(),
        "audience": await space_members.audience_of(db, space=access.space),
    }
    return render(request, "conversations/_post_preview.html", ctx)


# --- undo after posting -----------------------------------------------------------------------


@router.post("/posts/{post_id}/undo")
async def undo(
    request: Request, post_id: str, form: Form, viewer: Viewer, db: DB, settings: AppSettings
) -> Response:
    """ "Posted · Undo": its author takes the post back within ``ATOLL_UNDO_SECONDS`` and
    finds its text in the composer again. A plain form goes back to the page it came from
    (home, or the space: ``composer``); htmx gets that composer, filled, in place."""
    post, access = await feed.access_post(db, viewer=viewer, post_id=post_id)
    home = form.get("composer") == "home"
    try:
        await drafts.do_undo_post(db, access=access, post=post, undo_seconds=settings.undo_seconds)
    except (Conflict, Forbidden) as error:
        if not _is_htmx(request):
            raise  # the error page says why, and that edit or delete still work
        await discard_changes(db, request)
        response = render(request, "conversations/_posted.html", {"undo_error": error.detail})
        response.headers.update({"HX-Retarget": "#posted-note", "HX-Reswap": "outerHTML"})
        return response
    if not _is_htmx(request):
        back = "/" if home else f"/spaces/{access.space.slug}"
        return RedirectResponse(with_query(back, undone="1") + "#composer", status_code=303)
    ctx = await composer_context(db, viewer=viewer, access=None if home else access)
    response = render(request, "conversations/_undone.html", ctx)
    # atoll.js takes the post's card out of the list it is in (if it is shown).
    response.headers["HX-Trigger"] = json.dumps({"atoll:undone": {"post_id": str(post.id)}})
    return response
