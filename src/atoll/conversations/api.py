"""Conversations JSON API: posts, comments, reactions, answers, ideas, follows, the feed and
attachments. Thin: every route loads with an ``access_*`` and changes with a ``do_*``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from atoll.conversations import attachments as files
from atoll.conversations import feed, follows, practice, reactions, service
from atoll.conversations.deps import FileStorage
from atoll.conversations.feed import CommentView, PostView, RevisionView
from atoll.conversations.models import Attachment
from atoll.conversations.schemas import (
    AcceptIn,
    AttachmentOut,
    AuthorOut,
    BodyIn,
    CommentIn,
    CommentOut,
    FollowOut,
    IdeaIn,
    MentionableOut,
    PostDetailOut,
    PostIn,
    PostOut,
    RevisionOut,
    SpaceRef,
)
from atoll.http.idempotency import IdempotentRoute
from atoll.http.request import DB, commit_change
from atoll.kit.errors import Invalid, TooLarge
from atoll.kit.pagination import MAX_LIMIT, Page
from atoll.people.deps import Limits, MaybeViewer, Viewer
from atoll.people.models import Person
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces_service
from atoll.spaces.api import space_out
from atoll.spaces.schemas import NO_NUL, SpaceOut

router = APIRouter(tags=["conversations"], route_class=IdempotentRoute)

Cursor = Annotated[str | None, Query(max_length=500)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
FilterQuery = Annotated[
    Literal["all", "questions", "unanswered", "ideas", "announcements"],
    Query(description="unanswered: questions without an accepted answer"),
]


# --- output -----------------------------------------------------------------------------------


def author_out(person: Person) -> AuthorOut:
    return AuthorOut(
        id=str(person.id),
        name=person.name,
        kind=person.kind,
        organization=person.organization if person.kind == "external" else None,
    )


def attachment_out(a: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=str(a.id),
        filename=a.filename,
        content_type=a.content_type,
        size=a.size,
        url=files.url_of(a),
        inline=files.is_inline(a.content_type),
    )


def comment_out(view: CommentView) -> CommentOut:
    c = view.comment
    return CommentOut(
        id=str(c.id),
        post_id=str(c.post_id),
        parent_id=str(c.parent_id) if c.parent_id is not None else None,
        author=author_out(view.author),
        body=c.body,
        html=c.html,
        created_at=c.created_at,
        edited_at=c.edited_at,
        accepted=view.accepted,
        replies=[comment_out(r) for r in view.replies],
    )


def _post_fields(view: PostView) -> dict[str, Any]:
    p, s = view.post, view.space
    return {
        "id": str(p.id),
        "space_id": str(p.space_id),
        "space": SpaceRef(id=str(s.id), name=s.name, slug=s.slug, kind=s.kind),
        "author": author_out(view.author),
        "kind": p.kind,
        "body": p.body,
        "html": p.html,
        "created_at": p.created_at,
        "edited_at": p.edited_at,
        "comment_count": p.comment_count,
        "reactions": view.reactions,
        "my_reactions": view.my_reactions,
        "accepted_comment_id": str(p.accepted_comment_id) if p.accepted_comment_id else None,
        "votes": p.vote_count if p.kind == "idea" else None,
        "my_vote": view.voted,
        "idea_status": p.idea_status if p.kind == "idea" else None,
        "attachments": [attachment_out(a) for a in view.attachments],
        "pinned": p.pinned_at is not None,
        "pinned_at": p.pinned_at,
        "announced_until": p.announced_until,
        "closed": p.closed_at is not None,
        "closed_at": p.closed_at,
    }


def post_out(view: PostView) -> PostOut:
    return PostOut(**_post_fields(view))


def post_detail_out(view: PostView) -> PostDetailOut:
    return PostDetailOut(**_post_fields(view), comments=[comment_out(c) for c in view.comments])


def revision_out(r: RevisionView) -> RevisionOut:
    return RevisionOut(
        id=str(r.id),
        body=r.body,
        html=r.html,
        author=author_out(r.author) if r.author is not None else None,
        created_at=r.created_at,
    )


# --- feed and lists ---------------------------------------------------------------------------


@router.get("/feed", response_model=Page[PostOut])
async def get_feed(
    viewer: Viewer,
    db: DB,
    filter: FilterQuery = "all",
    cursor: Cursor = None,
    limit: Limit = 25,
) -> Page[PostOut]:
    """The caller's feed: posts from their spaces, from the spaces and people they follow,
    and their own — only where they can read — newest first."""
    views, next_cursor = await feed.feed_for(
        db, viewer=viewer, filter=filter, cursor=cursor, limit=limit
    )
    return Page(items=[post_out(v) for v in views], next_cursor=next_cursor)


@router.get("/spaces/{space_id}/posts", response_model=Page[PostOut])
async def list_space_posts(
    space_id: str,
    viewer: MaybeViewer,
    db: DB,
    filter: FilterQuery = "all",
    cursor: Cursor = None,
    limit: Limit = 25,
) -> Page[PostOut]:
    """A space's posts, newest first (public spaces: also signed out)."""
    access = await spaces_service.access_readable_space(db, viewer=viewer, space_id=space_id)
    views, next_cursor = await feed.space_posts(
        db, viewer=viewer, space=access.space, filter=filter, cursor=cursor, limit=limit
    )
    return Page(items=[post_out(v) for v in views], next_cursor=next_cursor)


async def _answer(db: AsyncSession, viewer: Person, post_id: int) -> PostOut:
    """The post as it is after a change. The change is committed first: on SQLite the write
    lock is then held for the change alone, not for reading the post back (under load every
    statement inside the lock waits its turn on the event loop). The request's own commit
    afterwards has nothing left to do — but for a request with an Idempotency-Key, whose answer
    commits with the change (``commit_change``)."""
    await commit_change(db)
    return post_out(await feed.post_view(db, viewer=viewer, post_id=post_id))


@router.post("/spaces/{space_id}/posts", response_model=PostOut, status_code=201)
async def create_post(
    space_id: str, body: PostIn, viewer: Viewer, db: DB, limits: Limits
) -> PostOut:
    """Post in a space. Announcements: owners, moderators and admins only. 409 when the space
    is archived or the situation room has closed; 422 for an empty or too long body, a
    mention of someone who cannot read the space, or an attachment that is not the caller's
    own unattached upload; 429 with Retry-After past the posts one may make in a minute."""
    access = await spaces_service.access_readable_space(db, viewer=viewer, space_id=space_id)
    post = await service.do_create_post(
        db,
        author=viewer,
        space=access.space,
        body=body.body,
        kind=body.kind,
        attachment_ids=body.attachment_ids,
        limits=limits,
    )
    return await _answer(db, viewer, post.id)


@router.get("/spaces/{space_id}/mentionable", response_model=list[MentionableOut])
async def mentionable(
    space_id: str,
    viewer: Viewer,
    db: DB,
    q: Annotated[str, Query(max_length=200, pattern=NO_NUL)] = "",
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> list[MentionableOut]:
    """The composer's @mention type-ahead: people whose name or e-mail starts with ``q`` and
    who can read the space (nobody else can be mentioned there)."""
    access = await spaces_service.access_readable_space(db, viewer=viewer, space_id=space_id)
    people = await space_members.suggest_people(
        db, viewer=viewer, space=access.space, text=q, purpose="mention", limit=limit
    )
    return [
        MentionableOut(
            id=str(p.id),
            name=p.name,
            kind=p.kind,
            organization=p.organization if p.kind == "external" else None,
            mention=f"@[{p.id}]",
        )
        for p in people
    ]


# --- one post ---------------------------------------------------------------------------------


@router.get("/posts/{post_id}", response_model=PostDetailOut)
async def get_post(post_id: str, viewer: MaybeViewer, db: DB) -> PostDetailOut:
    """A post with its comments (each top-level comment with its replies)."""
    return post_detail_out(await feed.post_thread(db, viewer=viewer, post_id=post_id))


@router.patch("/posts/{post_id}", response_model=PostOut)
async def edit_post(post_id: str, body: BodyIn, viewer: Viewer, db: DB) -> PostOut:
    """The author edits the body; the previous one is kept (GET /posts/{id}/revisions)."""
    post, access = await service.access_post(db, viewer=viewer, post_id=post_id)
    await service.do_edit_post(db, access=access, post=post, body=body.body)
    return await _answer(db, viewer, post.id)


@router.delete("/posts/{post_id}", status_code=204)
async def delete_post(post_id: str, viewer: Viewer, db: DB) -> Response:
    """The author, the space's owners and moderators, or an admin deletes a post."""
    post, access = await service.access_post(db, viewer=viewer, post_id=post_id)
    await service.do_delete_post(db, access=access, post=post)
    return Response(status_code=204)


@router.get("/posts/{post_id}/revisions", response_model=Page[RevisionOut])
async def post_history(
    post_id: str, viewer: MaybeViewer, db: DB, cursor: Cursor = None, limit: Limit = 25
) -> Page[RevisionOut]:
    """Earlier versions of the post's body, newest first."""
    revisions, next_cursor = await feed.post_revisions(
        db, viewer=viewer, post_id=post_id, cursor=cursor, limit=limit
    )
    return Page(items=[revision_out(r) for r in revisions], next_cursor=next_cursor)


@router.put("/posts/{post_id}/reactions/{emoji}", response_model=PostOut)
async def react(post_id: str, emoji: str, viewer: Viewer, db: DB, limits: Limits) -> PostOut:
    """Add the caller's reaction; the emoji must be one of the allowed ones (422 otherwise)."""
    post, access = await service.access_post(db, viewer=viewer, post_id=post_id)
    await reactions.do_react(db, access=access, post=post, emoji=emoji, limits=limits)
    return await _answer(db, viewer, post.id)


@router.delete("/posts/{post_id}/reactions/{emoji}", response_model=PostOut)
async def unreact(post_id: str, emoji: str, viewer: Viewer, db: DB, limits: Limits) -> PostOut:
    """Take the caller's reaction back."""
    post, access = await service.access_post(db, viewer=viewer, post_id=post_id)
    await reactions.do_unreact(db, access=access, post=post, emoji=emoji, limits=limits)
    return await _answer(db, viewer, post.id)


@router.post("/posts/{post_id}/accept", response_model=PostOut)
async def accept(post_id: str, body: AcceptIn, viewer: Viewer, db: DB) -> PostOut:
    """The question's author marks a comment as the accepted answer (null: none)."""
    post, access = await service.access_post(db, viewer=viewer, post_id=post_id)
    await reactions.do_accept(db, access=access, post=post, comment_id=body.comment_id)
    return await _answer(db, viewer, post.id)


@router.put("/posts/{post_id}/vote", response_model=PostOut)
async def vote(post_id: str, viewer: Viewer, db: DB) -> PostOut:
    """Vote for an idea (409 for other kinds of post)."""
    post, access = await service.access_post(db, viewer=viewer, post_id=post_id)
    await reactions.do_vote(db, access=access, post=post)
    return await _answer(db, viewer, post.id)


@router.delete("/posts/{post_id}/vote", response_model=PostOut)
async def unvote(post_id: str, viewer: Viewer, db: DB) -> PostOut:
    post, access = await service.access_post(db, viewer=viewer, post_id=post_id)
    await reactions.do_unvote(db, access=access, post=post)
    return await _answer(db, viewer, post.id)


@router.patch("/posts/{post_id}/idea", response_model=PostOut)
async def set_idea_status(post_id: str, body: IdeaIn, viewer: Viewer, db: DB) -> PostOut:
    """The space's owners and moderators set an idea's status."""
    post, access = await service.access_post(db, viewer=viewer, post_id=post_id)
    await reactions.do_set_idea_status(db, access=access, post=post, status=body.idea_status)
    return await _answer(db, viewer, post.id)


# --- comments ---------------------------------------------------------------------------------


@router.post("/posts/{post_id}/comments", response_model=CommentOut, status_code=201)
async def create_comment(
    post_id: str, body: CommentIn, viewer: Viewer, db: DB, limits: Limits
) -> CommentOut:
    """Comment on a post, or reply to a top-level comment with ``parent_id``; 429 with
    Retry-After past the comments one may make in a minute."""
    post, access = await service.access_post(db, viewer=viewer, post_id=post_id)
    comment = await service.do_comment(
        db, access=access, post=post, body=body.body, parent_id=body.parent_id, limits=limits
    )
    return comment_out(feed.comment_view(comment, viewer, post=post, access=access))


@router.patch("/comments/{comment_id}", response_model=CommentOut)
async def edit_comment(comment_id: str, body: BodyIn, viewer: Viewer, db: DB) -> CommentOut:
    """The author edits a comment; the previous body is kept."""
    comment, post, access = await service.access_comment(db, viewer=viewer, comment_id=comment_id)
    await service.do_edit_comment(db, access=access, comment=comment, post=post, body=body.body)
    return comment_out(feed.comment_view(comment, viewer, post=post, access=access))


@router.delete("/comments/{comment_id}", status_code=204)
async def delete_comment(comment_id: str, viewer: Viewer, db: DB) -> Response:
    """The author, the space's owners and moderators, or an admin deletes a comment."""
    comment, post, access = await service.access_comment(db, viewer=viewer, comment_id=comment_id)
    await service.do_delete_comment(db, access=access, comment=comment, post=post)
    return Response(status_code=204)


@router.get("/comments/{comment_id}/revisions", response_model=Page[RevisionOut])
async def comment_history(
    comment_id: str, viewer: MaybeViewer, db: DB, cursor: Cursor = None, limit: Limit = 25
) -> Page[RevisionOut]:
    """Earlier versions of the comment's body, newest first."""
    revisions, next_cursor = await feed.comment_revisions(
        db, viewer=viewer, comment_id=comment_id, cursor=cursor, limit=limit
    )
    return Page(items=[revision_out(r) for r in revisions], next_cursor=next_cursor)


# --- follows ----------------------------------------------------------------------------------


@router.get("/follows", response_model=list[FollowOut])
async def my_follows(viewer: Viewer, db: DB) -> list[FollowOut]:
    """What the caller follows: people, then spaces."""
    return [
        FollowOut(type=f.type, id=str(f.id), name=f.name)
        for f in await follows.follows_of(db, viewer=viewer)
    ]


@router.put("/follows/{target_type}/{target_id}", status_code=204)
async def follow(
    target_type: Literal["person", "space"], target_id: str, viewer: Viewer, db: DB
) -> Response:
    """Follow a person or a space: their posts reach the caller's feed."""
    await follows.do_follow(db, actor=viewer, target_type=target_type, target_id=target_id)
    return Response(status_code=204)


@router.delete("/follows/{target_type}/{target_id}", status_code=204)
async def unfollow(
    target_type: Literal["person", "space"], target_id: str, viewer: Viewer, db: DB
) -> Response:
    await follows.do_unfollow(db, actor=viewer, target_type=target_type, target_id=target_id)
    return Response(status_code=204)


# --- attachments ------------------------------------------------------------------------------

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
_FORM_OVERHEAD = 64 * 1024


@router.post(
    "/attachments", response_model=AttachmentOut, status_code=201, openapi_extra=_UPLOAD_BODY
)
async def upload(request: Request, viewer: Viewer, db: DB, storage: FileStorage) -> AttachmentOut:
    """Upload a file (multipart field ``file``) to attach to a post: send its id in the post's
    ``attachment_ids``. The type is detected from the content; 413 past the size limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > storage.max_bytes + _FORM_OVERHEAD:
        raise TooLarge(f"file: larger than the limit of {storage.limit()}")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Invalid.field("file", "send the file as multipart/form-data")
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception as exc:  # the multipart parser's errors are bad input, not our failure
        if isinstance(exc, TooLarge):
            raise
        raise Invalid.field("file", "could not be read as multipart/form-data") from exc
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid.field("file", "is missing: send the file in the field named file")
    try:
        attachment = await files.do_store_upload(
            db, storage=storage, uploader=viewer, filename=upload.filename, file=upload.file
        )
    finally:
        await form.close()
    return attachment_out(attachment)


_FILE_TYPES = {
    t: {"schema": {"type": "string", "format": "binary"}}
    for t in ("image/png", "image/jpeg", "image/gif", "image/webp", "application/octet-stream")
}


@router.get(
    "/attachments/{attachment_id}",
    response_class=FileResponse,
    responses={200: {"description": "The file", "content": _FILE_TYPES}},
)
async def download(
    attachment_id: str, viewer: MaybeViewer, db: DB, storage: FileStorage
) -> FileResponse:
    """The file, to people who can read the post's space (and to its uploader before it is
    attached); 404 to anyone else, and 401 signed out (as for the post). PNG, JPEG, GIF and
    WebP are shown inline; everything else is a download."""
    a = await files.access_attachment(db, viewer=viewer, attachment_id=attachment_id)
    path = await storage.file_of(a)
    inline = files.is_inline(a.content_type)
    return FileResponse(
        path,
        media_type=a.content_type,
        filename=a.filename,
        content_disposition_type="inline" if inline else "attachment",
        headers={
            "Cache-Control": "private, max-age=3600",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/me/practice-space", response_model=SpaceOut)
async def practice_space(viewer: Viewer, db: DB) -> SpaceOut:
    """The caller's practice space, made on first use with its welcome post: a space only its
    owner sees (kind ``practice``), where nothing notifies anyone or counts in analytics.
    Members only (403 for externals)."""
    access = await practice.do_open_practice_space(db, person=viewer)
    views = await spaces_service.views_of(db, viewer, [access.space])
    return space_out(views[0])
