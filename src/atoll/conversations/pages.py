"""Conversation pages: the home feed, a space's posts, the composer, a post's thread, and the
actions on posts and comments (each works as a plain form; htmx makes some of them in place)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from atoll.conversations import attachments as files
from atoll.conversations import drafts, feed, follows, moderation, reactions, service
from atoll.conversations.deps import FileStorage
from atoll.conversations.feed import FILTERS, REACTIONS
from atoll.conversations.first_words import ask_first
from atoll.http.request import DB, AppSettings, discard_changes
from atoll.http.templating import render
from atoll.kit.errors import AtollError, Invalid, NotFound, RateLimited
from atoll.kit.urls import with_query
from atoll.people.deps import Form, Limits, MaybeViewer, PageChrome, Viewer
from atoll.people.models import Person
from atoll.spaces import members as space_members
from atoll.spaces import policy as space_policy
from atoll.spaces import service as spaces
from atoll.spaces.policy import SpaceAccess

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 15
KIND_LABELS = {
    "update": "Update",
    "question": "Question",
    "idea": "Idea",
    "announcement": "Announcement",
}
POSTED_NOTES = ("posted", "undone", "deleted")  # notes of an earlier action, in a page's URL


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _back(request: Request, fallback: str) -> str:
    """Where a plain form goes back to: the page it came from, when it is ours."""
    target = request.headers.get("referer", "")
    base = str(request.base_url)
    if target.startswith(base):
        path = "/" + target[len(base) :]
        if not path.startswith("//"):
            return path
    return fallback


async def composer_context(
    db: DB,
    *,
    viewer: Person,
    access: SpaceAccess | None,
    audience: space_members.Audience | None = None,
) -> dict[str, Any]:
    """What the composer needs: the spaces one may post in (home) or this space, who will
    read the post (the audience line; pass ``audience`` when the page has it already), and
    the draft saved there (home: the most recent one, its space chosen)."""
    ctx: dict[str, Any] = {"kind_labels": KIND_LABELS}
    if access is not None:
        ctx["compose_space"] = access.space
        ctx["can_announce"] = access.can_announce
        ctx["audience"] = audience or await space_members.audience_of(db, space=access.space)
        saved = await drafts.draft_in(db, person=viewer, space_id=access.space.id)
    else:
        mine = [
            s
            for s in await spaces.my_spaces(db, viewer=viewer)
            if space_policy.is_open_for_writing(s)
        ]
        ctx["postable_spaces"] = mine
        ctx["can_announce"] = False
        saved = await drafts.latest_draft(db, person=viewer, space_ids=[s.id for s in mine])
        chosen = next((s for s in mine if saved and s.id == saved.space_id), None)
        if chosen or mine:
            ctx["audience"] = await space_members.audience_of(db, space=chosen or mine[0])
    ctx["draft"] = drafts.composer_draft(saved)
    return ctx


@router.get("/", dependencies=[PageChrome])
async def home(
    request: Request,
    viewer: MaybeViewer,
    db: DB,
    settings: AppSettings,
    filter: Annotated[str, Query(max_length=20)] = "all",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    posted: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    if viewer is None:
        return RedirectResponse("/sign-in", status_code=303)
    filter = filter if filter in FILTERS else "all"
    views, next_cursor = await feed.feed_for(
        db, viewer=viewer, filter=filter, cursor=cursor, limit=PAGE_SIZE
    )
    ctx: dict[str, Any] = {
        "views": views,
        "next_cursor": next_cursor,
        "filter": filter,
        "filters": FILTERS,
        "more_url": f"/?filter={filter}&cursor=",
        "show_space": True,
        "reactions": REACTIONS,
    }
    if cursor and _is_htmx(request):
        return render(request, "conversations/_page.html", ctx)
    ctx.update(await composer_context(db, viewer=viewer, access=None))
    ctx["announcements"] = await moderation.announcements_for(db, viewer=viewer)
    ctx["undo"] = await drafts.undo_offer(
        db, viewer=viewer, post_id=posted, undo_seconds=settings.undo_seconds
    )
    return render(request, "conversations/home.html", ctx)


@router.get("/compose/audience")
async def audience_line(
    request: Request, viewer: Viewer, db: DB, space_id: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    """The composer's "Visible to …" line for the chosen space (htmx)."""
    access = await spaces.access_readable_space(db, viewer=viewer, space_id=space_id)
    audience = await space_members.audience_of(db, space=access.space)
    return render(request, "conversations/_audience.html", {"audience": audience})


@router.get("/compose/suggest")
async def mention_suggestions(
    request: Request,
    viewer: Viewer,
    db: DB,
    space_id: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """@mention type-ahead: only people who can read the space (htmx / atoll.js)."""
    access = await spaces.access_readable_space(db, viewer=viewer, space_id=space_id)
    people = await space_members.suggest_people(
        db, viewer=viewer, space=access.space, text=q, purpose="mention"
    )
    return render(request, "spaces/_suggest.html", {"people": people, "purpose": "mention"})


async def _uploads(request: Request, db: DB, viewer: Person, storage: files.Storage) -> list[int]:
    ids = []
    for item in (await request.form()).getlist("files"):
        if isinstance(item, UploadFile) and item.filename:
            stored = await files.do_store_upload(
                db, storage=storage, uploader=viewer, filename=item.filename, file=item.file
            )
            ids.append(stored.id)
    return ids


@router.post("/posts")
async def create_post(
    request: Request, form: Form, viewer: Viewer, db: DB, storage: FileStorage, limits: Limits
) -> Response:
    """Post from the composer (home or a space page), with attachments; asking first, once,
    where outsiders read (``first_words``)."""
    space = (
        await spaces.access_readable_space(db, viewer=viewer, space_id=form.get("space_id", ""))
    ).space
    if asked := await ask_first(request, db, viewer=viewer, space=space, form=form):
        return asked
    try:
        upload_ids = await _uploads(request, db, viewer, storage)
        post = await service.do_create_post(
            db,
            author=viewer,
            space=space,
            body=form.get("body", ""),
            kind=form.get("kind", "update"),
            attachment_ids=upload_ids,
            limits=limits,
        )
    except AtollError as error:
        await discard_changes(db, request)
        access = await spaces.access_readable_space(
            db, viewer=viewer, space_id=form.get("space_id", "")
        )
        ctx = await composer_context(db, viewer=viewer, access=access)
        ctx.update(error=error.detail, draft=form)
        response = render(
            request, "conversations/compose_error.html", ctx, status_code=error.status
        )
        response.headers.update(error.headers)  # Retry-After with a 429
        return response
    # Back home or to the space, where "Posted · Undo" shows for a few seconds (drafts_pages).
    back = _back(request, f"/spaces/{space.slug}")
    if back.split("?")[0] not in ("/", f"/spaces/{space.slug}"):
        back = f"/spaces/{space.slug}"  # e.g. from the page that said why a post failed
    landing = with_query(back, drop=POSTED_NOTES, posted=str(post.id))
    return RedirectResponse(landing + "#posts", status_code=303)


@router.get("/posts/{post_id}", dependencies=[PageChrome])
async def post_page(request: Request, post_id: str, viewer: MaybeViewer, db: DB) -> Response:
    view = await feed.post_thread(db, viewer=viewer, post_id=post_id)
    return render(request, "conversations/post.html", await thread_context(db, view))


async def thread_context(db: DB, view: feed.PostView, **more: Any) -> dict[str, Any]:
    """A post page: the thread, who closed it, and whom an announcement would reach."""
    return {
        "view": view,
        "reactions": REACTIONS,
        "kind_labels": KIND_LABELS,
        "show_space": True,
        "closed_by": await moderation.closer_of(db, view.post),
        "announce_reach": moderation.announcement_reach(view.space),
        "max_pinned": feed.MAX_PINNED,
        **more,
    }


async def _post(db: DB, viewer: Person, post_id: str) -> feed.PostView:
    return await feed.post_view(db, viewer=viewer, post_id=post_id)


async def _card(request: Request, db: DB, viewer: Person, post_id: str) -> Response:
    view = await feed.post_view(db, viewer=viewer, post_id=post_id)
    return render(request, "conversations/_reactions.html", {"view": view, "reactions": REACTIONS})


# --- fragments for live pages (atoll/web/static/live.js) -----------------------------------


@router.get("/posts/{post_id}/card")
async def post_card(
    request: Request,
    post_id: str,
    viewer: Viewer,
    db: DB,
    list_: Annotated[str, Query(alias="list", max_length=10)] = "",
    filter: Annotated[str, Query(max_length=20)] = "all",
) -> Response:
    """A post's card as the viewer sees it. With ``list=feed`` or ``list=space``: 204 when
    the post does not belong in that list under ``filter`` (a live page asks before it offers
    a new post)."""
    view = await feed.post_view(db, viewer=viewer, post_id=post_id)
    if list_ in ("feed", "space"):
        listed = await feed.is_listed(
            db,
            viewer=viewer,
            post_id=view.post.id,
            filter=filter if filter in FILTERS else "all",
            feed=list_ == "feed",
        )
        if not listed:
            return Response(status_code=204)
    return render(
        request,
        "conversations/_post.html",
        {"view": view, "reactions": REACTIONS, "show_space": list_ != "space"},
    )


@router.get("/posts/{post_id}/reactions")
async def post_reactions(request: Request, post_id: str, viewer: Viewer, db: DB) -> Response:
    """A post's reactions and votes as the viewer sees them (their own marked)."""
    return await _card(request, db, viewer, post_id)


@router.get("/comments/{comment_id}")
async def comment_fragment(request: Request, comment_id: str, viewer: Viewer, db: DB) -> Response:
    """A comment (with its replies) in its thread, for htmx and live pages; a plain visit goes
    to the comment in its post's page."""
    comment, post, _ = await feed.access_comment(db, viewer=viewer, comment_id=comment_id)
    if not _is_htmx(request):
        return RedirectResponse(f"/posts/{post.id}#comment-{comment.id}", status_code=303)
    view = await feed.post_thread(db, viewer=viewer, post_id=post.id)
    return render(
        request, "conversations/_comment.html", {"view": view, "cv": _in_thread(view, comment.id)}
    )


def _in_thread(view: feed.PostView, comment_id: int) -> feed.CommentView:
    """A comment of a thread (with its replies)."""
    views = [cv for top in view.comments for cv in (top, *top.replies)]
    found = next((cv for cv in views if cv.comment.id == comment_id), None)
    if found is None:
        raise NotFound("No such comment.")
    return found


@router.post("/posts/{post_id}/react")
async def react(
    request: Request, post_id: str, form: Form, viewer: Viewer, db: DB, limits: Limits
) -> Response:
    view = await _post(db, viewer, post_id)
    emoji = form.get("emoji", "")
    change = (
        reactions.do_unreact
        if reactions.check_emoji(emoji) in view.my_reactions
        else reactions.do_react
    )
    try:
        await change(db, access=view.access, post=view.post, emoji=emoji, limits=limits)
    except RateLimited as error:
        if not _is_htmx(request):
            raise  # the error page says it
        # htmx swaps only a 2xx answer: the card comes back unchanged, saying why.
        await discard_changes(db, request)
        view = await _post(db, viewer, post_id)
        ctx = {"view": view, "reactions": REACTIONS, "error": error.detail}
        response = render(request, "conversations/_reactions.html", ctx)
        response.headers.update(error.headers)
        return response
    if _is_htmx(request):
        return await _card(request, db, viewer, post_id)
    return RedirectResponse(_back(request, f"/posts/{post_id}"), status_code=303)


@router.post("/posts/{post_id}/vote")
async def vote(request: Request, post_id: str, form: Form, viewer: Viewer, db: DB) -> Response:
    view = await _post(db, viewer, post_id)
    change = reactions.do_unvote if view.voted else reactions.do_vote
    await change(db, access=view.access, post=view.post)
    if _is_htmx(request):
        return await _card(request, db, viewer, post_id)
    return RedirectResponse(_back(request, f"/posts/{post_id}"), status_code=303)


@router.post("/posts/{post_id}/idea")
async def idea_status(
    request: Request, post_id: str, form: Form, viewer: Viewer, db: DB
) -> Response:
    view = await _post(db, viewer, post_id)
    await reactions.do_set_idea_status(
        db, access=view.access, post=view.post, status=form.get("idea_status", "")
    )
    return RedirectResponse(f"/posts/{post_id}", status_code=303)


@router.post("/posts/{post_id}/accept")
async def accept(request: Request, post_id: str, form: Form, viewer: Viewer, db: DB) -> Response:
    view = await _post(db, viewer, post_id)
    await reactions.do_accept(
        db, access=view.access, post=view.post, comment_id=form.get("comment_id") or None
    )
    return RedirectResponse(f"/posts/{post_id}#answer", status_code=303)


@router.post("/posts/{post_id}/comments")
async def comment(
    request: Request, post_id: str, form: Form, viewer: Viewer, db: DB, limits: Limits
) -> Response:
    view = await _post(db, viewer, post_id)
    if asked := await ask_first(request, db, viewer=viewer, space=view.space, form=form):
        return asked
    try:
        created = await service.do_comment(
            db,
            access=view.access,
            post=view.post,
            body=form.get("body", ""),
            parent_id=form.get("parent_id") or None,
            limits=limits,
        )
    except (Invalid, RateLimited) as error:
        await discard_changes(db, request)
        thread = await feed.post_thread(db, viewer=viewer, post_id=post_id)
        ctx = await thread_context(db, thread, comment_error=error.detail, draft=form)
        response = render(request, "conversations/post.html", ctx, status_code=error.status)
        response.headers.update(error.headers)
        return response
    return RedirectResponse(f"/posts/{post_id}#comment-{created.id}", status_code=303)


@router.get("/posts/{post_id}/edit", dependencies=[PageChrome])
async def edit_post_page(request: Request, post_id: str, viewer: Viewer, db: DB) -> Response:
    view = await _post(db, viewer, post_id)
    return render(request, "conversations/edit.html", {"view": view, "target": "post"})


@router.post("/posts/{post_id}/edit")
async def edit_post(request: Request, post_id: str, form: Form, viewer: Viewer, db: DB) -> Response:
    view = await _post(db, viewer, post_id)
    try:
        await service.do_edit_post(
            db, access=view.access, post=view.post, body=form.get("body", "")
        )
    except Invalid as error:
        await discard_changes(db, request)
        view = await _post(db, viewer, post_id)
        return render(
            request,
            "conversations/edit.html",
            {"view": view, "target": "post", "error": error.detail, "draft": form.get("body", "")},
            status_code=422,
        )
    return RedirectResponse(f"/posts/{post_id}", status_code=303)


# Deleting asks first: the Delete buttons open these pages (without JavaScript) or ask the
# same question in a dialog (atoll.js). Whoever may not delete gets the action's own answer.


@router.get("/posts/{post_id}/delete", dependencies=[PageChrome])
async def confirm_delete_post(request: Request, post_id: str, viewer: Viewer, db: DB) -> Response:
    view = await _post(db, viewer, post_id)
    service.check_can_delete_post(view.access, post=view.post)
    return render(request, "conversations/confirm.html", {"what": "post", "view": view})


@router.get("/comments/{comment_id}/delete", dependencies=[PageChrome])
async def confirm_delete_comment(
    request: Request, comment_id: str, viewer: Viewer, db: DB
) -> Response:
    comment, post, access = await feed.access_comment(db, viewer=viewer, comment_id=comment_id)
    service.check_can_delete_comment(access, comment=comment)
    view = await feed.post_thread(db, viewer=viewer, post_id=post.id)
    return render(
        request,
        "conversations/confirm.html",
        {"what": "comment", "view": view, "cv": _in_thread(view, comment.id)},
    )


@router.post("/posts/{post_id}/delete")
async def delete_post(
    request: Request, post_id: str, form: Form, viewer: Viewer, db: DB
) -> Response:
    view = await _post(db, viewer, post_id)
    await service.do_delete_post(db, access=view.access, post=view.post)
    if _is_htmx(request):  # the card is swapped for "Post deleted. Undo"
        return render(request, "conversations/_deleted.html", {"what": "post", "id": post_id})
    return RedirectResponse(f"/spaces/{view.space.slug}?deleted={view.post.id}", status_code=303)


@router.get("/posts/{post_id}/history", dependencies=[PageChrome])
async def post_history(request: Request, post_id: str, viewer: Viewer, db: DB) -> Response:
    view = await _post(db, viewer, post_id)
    revisions, _ = await feed.post_revisions(db, viewer=viewer, post_id=post_id, limit=100)
    return render(
        request,
        "conversations/history.html",
        {
            "revisions": revisions,
            "what": "post",
            "current_html": view.post.html,
            "current_at": view.post.edited_at,
            "back_url": f"/posts/{view.post.id}",
        },
    )


@router.get("/comments/{comment_id}/history", dependencies=[PageChrome])
async def comment_history(request: Request, comment_id: str, viewer: Viewer, db: DB) -> Response:
    comment, post, _ = await feed.access_comment(db, viewer=viewer, comment_id=comment_id)
    revisions, _ = await feed.comment_revisions(db, viewer=viewer, comment_id=comment_id, limit=100)
    return render(
        request,
        "conversations/history.html",
        {
            "revisions": revisions,
            "what": "comment",
            "current_html": comment.html,
            "current_at": comment.edited_at,
            "back_url": f"/posts/{post.id}#comment-{comment.id}",
        },
    )


@router.post("/comments/{comment_id}/edit")
async def edit_comment(
    request: Request, comment_id: str, form: Form, viewer: Viewer, db: DB
) -> Response:
    comment, post, access = await feed.access_comment(db, viewer=viewer, comment_id=comment_id)
    await service.do_edit_comment(
        db, access=access, comment=comment, post=post, body=form.get("body", "")
    )
    return RedirectResponse(f"/posts/{post.id}#comment-{comment.id}", status_code=303)


@router.post("/comments/{comment_id}/delete")
async def delete_comment(
    request: Request, comment_id: str, form: Form, viewer: Viewer, db: DB
) -> Response:
    comment, post, access = await feed.access_comment(db, viewer=viewer, comment_id=comment_id)
    await service.do_delete_comment(db, access=access, comment=comment, post=post)
    if _is_htmx(request):
        ctx = {"what": "comment", "id": comment.id}
        return render(request, "conversations/_deleted.html", ctx)
    return RedirectResponse(f"/posts/{post.id}?deleted_comment={comment.id}", status_code=303)


@router.post("/follow/{target_type}/{target_id}")
async def toggle_follow(
    request: Request, target_type: str, target_id: str, form: Form, viewer: Viewer, db: DB
) -> Response:
    if form.get("action") == "unfollow":
        await follows.do_unfollow(db, actor=viewer, target_type=target_type, target_id=target_id)
    else:
        await follows.do_follow(db, actor=viewer, target_type=target_type, target_id=target_id)
    return RedirectResponse(_back(request, "/"), status_code=303)
