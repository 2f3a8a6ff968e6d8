"""Reading conversations: load a post or comment with an access check, list the feed and a
space's posts, a post's thread and the history of edits.

Every list issues a fixed number of queries whatever its length: one for the posts with their
authors, spaces and the viewer's role, then one each for reaction counts (with the viewer's
own), the viewer's votes and the attachments. The statements are ``atoll.conversations.queries``,
built once. Visibility is the spaces policy's SQL clause, joined into each query; nothing is
filtered in Python after loading."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import attachments as files
from atoll.conversations import mentions, queries
from atoll.conversations import policy as conversation_policy
from atoll.conversations.models import Attachment, Comment, CommentRevision, Post, PostRevision
from atoll.conversations.queries import FILTERS
from atoll.kit.errors import Invalid, denied
from atoll.kit.ids import MAX_ID, parse_id
from atoll.kit.pagination import clamp_limit, decode_cursor, encode_cursor
from atoll.kit.time import as_utc
from atoll.people.models import Person
from atoll.spaces import policy
from atoll.spaces.models import Space
from atoll.spaces.policy import SpaceAccess, space_access

__all__ = ["FILTERS", "REACTIONS", "access_comment", "access_post"]

# The most posts a space holds pinned at once.
MAX_PINNED = 5
# The allowed reactions, in the order they are shown.
REACTIONS = ("👍", "❤️", "🎉", "😄", "😮", "🙏", "👀", "🚀", "✅", "💡")
_ORDER = {emoji: i for i, emoji in enumerate(REACTIONS)}


@dataclass
class CommentView:
    """A comment as a viewer sees it, with its replies (top-level comments only) and what the
    viewer may do with it."""

    comment: Comment
    author: Person
    replies: list[CommentView] = field(default_factory=list)
    accepted: bool = False
    can_edit: bool = False
    can_delete: bool = False
    can_reply: bool = False


@dataclass
class PostView:
    """A post as one viewer sees it: everything a page or the API needs, loaded in batch.

    ``reactions`` maps each emoji to its count (allow-list order, zero counts left out);
    ``my_reactions`` are the viewer's; ``voted`` whether the viewer voted for this idea.
    ``comments`` (top-level, each with ``replies``) and ``accepted`` are filled by
    ``post_thread`` only; lists leave them empty. The ``can_*`` flags say which actions to
    offer (the service checks again when they are taken)."""

    post: Post
    author: Person
    access: SpaceAccess  # its space, as the viewer may use it
    reactions: dict[str, int]
    my_reactions: list[str]
    voted: bool
    attachments: list[Attachment]
    comments: list[CommentView] = field(default_factory=list)
    accepted: CommentView | None = None
    can_edit: bool = False
    can_delete: bool = False
    can_participate: bool = False  # comment, react, vote
    can_accept: bool = False
    can_moderate: bool = False  # set an idea's status
    can_comment: bool = False  # can_participate, and the thread is not closed
    can_govern: bool = False  # pin, close
    can_announce: bool = False  # pin for the whole organisation

    @property
    def space(self) -> Space:
        return self.access.space

    @property
    def role(self) -> str | None:
        return self.access.role

    @property
    def edited(self) -> bool:
        return self.post.edited_at is not None


@dataclass
class RevisionView:
    """An earlier version of a post or comment body: written by ``author`` at ``created_at``
    and replaced by a later edit."""

    id: int
    body: str
    html: str
    author: Person | None
    created_at: datetime


# --- access -----------------------------------------------------------------------------------


def _missing(viewer: Person | None, what: str) -> Exception:
    return denied(what, signed_in=viewer is not None, may_know=False)


async def access_post(
    session: AsyncSession, *, viewer: Person | None, post_id: int | str
) -> tuple[Post, SpaceAccess]:
    """Load a live post in a space the viewer can read, with the space as the viewer may use
    it. NotFound otherwise (deleted, secret, private to them, or no such post); signed-out
    visitors get Unauthorized unless the space is public."""
    number = parse_id(post_id)
    if number is None:
        raise _missing(viewer, "post")
    stmt = queries.ACCESS_POST[policy.reader_of(viewer)]
    row = (await session.execute(stmt, {"viewer_id": _id(viewer), "post_id": number})).one_or_none()
    if row is None:
        raise _missing(viewer, "post")
    return row[0], space_access(viewer, row[1], row[2])


async def access_comment(
    session: AsyncSession, *, viewer: Person | None, comment_id: int | str
) -> tuple[Comment, Post, SpaceAccess]:
    """Load a live comment (on a live post, under a live parent) the viewer can read."""
    number = parse_id(comment_id)
    if number is None:
        raise _missing(viewer, "comment")
    stmt = queries.ACCESS_COMMENT[policy.reader_of(viewer)]
    params = {"viewer_id": _id(viewer), "comment_id": number}
    row = (await session.execute(stmt, params)).one_or_none()
    if row is None:
        raise _missing(viewer, "comment")
    return row[0], row[1], space_access(viewer, row[2], row[3])


def _id(viewer: Person | None) -> int:
    return viewer.id if viewer is not None else 0  # ids start at 1: nobody's


# --- views ------------------------------------------------------------------------------------


async def reaction_summary(
    session: AsyncSession, viewer: Person | None, post_ids: Sequence[int]
) -> tuple[dict[int, dict[str, int]], dict[int, list[str]]]:
    """Reaction counts per post and the viewer's own reactions, in one query."""
    counts: dict[int, dict[str, int]] = {pid: {} for pid in post_ids}
    mine: dict[int, list[str]] = {pid: [] for pid in post_ids}
    if not post_ids:
        return counts, mine
    params = {"viewer_id": _id(viewer), "ids": list(post_ids)}
    rows = await session.execute(queries.REACTION_COUNTS, params)
    for pid, emoji, count, by_me in sorted(rows.tuples().all(), key=lambda r: _ORDER.get(r[1], 99)):
        counts[pid][emoji] = count
        if by_me:
            mine[pid].append(emoji)
    return counts, mine


async def votes_by(
    session: AsyncSession, viewer: Person | None, post_ids: Sequence[int]
) -> set[int]:
    """The posts among ``post_ids`` the viewer voted for."""
    if viewer is None or not post_ids:
        return set()
    rows = await session.execute(queries.VOTES, {"viewer_id": viewer.id, "ids": list(post_ids)})
    return set(rows.scalars())


def _post_flags(view: PostView) -> PostView:
    may = conversation_policy.post_permissions(view.access, view.post)
    view.can_edit, view.can_delete, view.can_accept = may.can_edit, may.can_delete, may.can_accept
    view.can_participate, view.can_moderate = may.can_participate, may.can_moderate
    view.can_comment, view.can_govern = may.can_comment, may.can_govern
    view.can_announce = may.can_announce
    return view


async def views_of(
    session: AsyncSession,
    viewer: Person | None,
    rows: Sequence[tuple[Post, Person, Space, str | None]],
) -> list[PostView]:
    """Build views of already loaded posts: three more queries, whatever their number."""
    ids = [row[0].id for row in rows]
    counts, mine = await reaction_summary(session, viewer, ids)
    voted = await votes_by(session, viewer, ids)
    attached = await files.attachments_of(session, ids)
    # A page's posts come from a few spaces: each space's access is worked out once.
    access: dict[tuple[int, str | None], SpaceAccess] = {}
    for _, _, space, role in rows:
        if (space.id, role) not in access:
            access[space.id, role] = space_access(viewer, space, role)
    return [
        _post_flags(
            PostView(
                post=post,
                author=author,
                access=access[space.id, role],
                reactions=counts.get(post.id, {}),
                my_reactions=mine.get(post.id, []),
                voted=post.id in voted,
                attachments=attached.get(post.id, []),
            )
        )
        for post, author, space, role in rows
    ]


# --- lists ------------------------------------------------------------------------------------


def _filtered(filter: str) -> dict[str, Any]:
    """The parameters of a list's filter (``FILTERS``); Invalid for an unknown one."""
    if filter not in FILTERS:
        raise Invalid.field("filter", f"must be one of {', '.join(FILTERS)}")
    return FILTERS[filter]


def _page_params(filter: str, cursor: str | None, limit: int) -> dict[str, Any]:
    """The parameters of a list's page (``queries``): ``limit`` rows and one more, to know
    whether there is a next page; Invalid for an unknown filter or a foreign cursor."""
    return _filtered(filter) | queries.page_params(_after(cursor), limit + 1)


def _after(cursor: str | None) -> tuple[datetime, int] | None:
    values = decode_cursor(cursor)
    if values is None:
        return None
    try:
        at = as_utc(datetime.fromisoformat(str(values[0])))
        pid = int(values[1])
    except (IndexError, TypeError, ValueError, OverflowError) as exc:
        raise Invalid.field("cursor", "is not a cursor this server gave out") from exc
    if not 0 < pid <= MAX_ID:
        raise Invalid.field("cursor", "is not a cursor this server gave out")
    return at, pid


async def _page(
    session: AsyncSession,
    viewer: Person | None,
    stmt: Select[Any],
    params: dict[str, Any],
    *,
    limit: int,
    first: Sequence[tuple[Post, Person, Space, str | None]] = (),
) -> tuple[list[PostView], str | None]:
    """Run a list's statement with ``_page_params``: the page's views (after ``first``, rows
    shown above the page, such as a space's pinned posts) and the cursor of the next page
    (paginated on (created_at, id))."""
    rows = [(p, a, s, r) for p, a, s, r in (await session.execute(stmt, params)).tuples()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        next_cursor = encode_cursor([as_utc(last.created_at).isoformat(), last.id])
    return await views_of(session, viewer, [*first, *rows]), next_cursor


async def feed_for(
    session: AsyncSession,
    *,
    viewer: Person,
    filter: str = "all",
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[PostView], str | None]:
    """The viewer's feed: posts from the spaces they belong to, the spaces and people they
    follow, posts that mention them, and their own — only in spaces they can read — newest
    first.

    ``filter``: all | questions | unanswered (questions without an accepted answer) | ideas |
    announcements. Returns the page of views and the cursor of the next page (or None).

    Two queries before the views, so that the cost does not grow with the history: the
    viewer's sources, then the page among each source's newest posts (``queries.feed_page``)."""
    limit = clamp_limit(limit)
    params = _page_params(filter, cursor, limit) | {"viewer_id": viewer.id}
    reader = policy.reader_of(viewer)
    spaces, people = await _feed_sources(session, viewer)
    room = queries.room_for(len(spaces), len(people))
    if room is None:
        stmt = queries.WIDE_FEED[reader]
    else:
        stmt = queries.feed_page(reader, room)
        params |= _in_room("space", spaces, room) | _in_room("person", people, room)
    return await _page(session, viewer, stmt, params, limit=limit)


async def _feed_sources(session: AsyncSession, viewer: Person) -> tuple[list[int], list[int]]:
    """The spaces the viewer belongs to or follows and may read, and the people they follow."""
    stmt = queries.FEED_SOURCES[policy.reader_of(viewer)]
    spaces: set[int] = set()
    people: set[int] = set()
    for type_, target in (await session.execute(stmt, {"viewer_id": viewer.id})).tuples():
        (spaces if type_ == "space" else people).add(target)
    people.discard(viewer.id)  # their own posts are a source of their own
    return sorted(spaces), sorted(people)


def _in_room(name: str, ids: list[int], room: int) -> dict[str, int]:
    """The parameters ``:<name>_0``… of a room: the ids, then 0 (no space or person has it)."""
    return {f"{name}_{i}": ids[i] if i < len(ids) else 0 for i in range(room)}


async def is_listed(
    session: AsyncSession, *, viewer: Person, post_id: int, filter: str = "all", feed: bool = False
) -> bool:
    """Whether a live post the viewer can read belongs in a list under ``filter``: their feed
    (``feed``) or its space's posts. One query (for live pages deciding where a new post
    goes)."""
    listed = queries.LISTED_IN_FEED if feed else queries.LISTED
    params = {"viewer_id": viewer.id, "post_id": post_id, **_filtered(filter)}
    return await session.scalar(listed[policy.reader_of(viewer)], params) is not None


async def space_posts(
    session: AsyncSession,
    *,
    viewer: Person | None,
    space: Space,
    filter: str = "all",
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[PostView], str | None]:
    """A space's posts, newest first, with the same filters as the feed; the first page starts
    with its pinned posts (newest pin first), which later pages leave out. Load the space with
    ``access_readable_space`` first (this query applies the read rule again regardless)."""
    limit = clamp_limit(limit)
    params = _page_params(filter, cursor, limit) | {"viewer_id": _id(viewer), "space_id": space.id}
    reader = policy.reader_of(viewer)
    pinned: list[tuple[Post, Person, Space, str | None]] = []
    if cursor is None:
        result = await session.execute(queries.PINNED[reader], params | {"limit": MAX_PINNED})
        pinned = [(p, a, s, r) for p, a, s, r in result.tuples()]
    stmt = queries.SPACE_POSTS[reader]
    return await _page(session, viewer, stmt, params, limit=limit, first=pinned)


async def post_view(
    session: AsyncSession, *, viewer: Person | None, post_id: int | str
) -> PostView:
    """One post without its comments (e.g. to re-render a post's card after a reaction)."""
    number = parse_id(post_id)
    rows = []
    if number is not None:
        stmt = queries.POST[policy.reader_of(viewer)]
        result = await session.execute(stmt, {"viewer_id": _id(viewer), "post_id": number})
        rows = [(p, a, s, r) for p, a, s, r in result.tuples()]
    if not rows:
        raise _missing(viewer, "post")
    return (await views_of(session, viewer, rows))[0]


async def comments_of(
    session: AsyncSession, *, viewer: Person | None, view: PostView
) -> list[CommentView]:
    """The live comments of a post as a two-level tree, oldest first (one query). Replies to
    a deleted comment disappear with it."""
    params = {"post_id": view.post.id, "viewer_id": _id(viewer)}
    rows = await session.execute(queries.COMMENTS, params)
    top: list[CommentView] = []
    by_id: dict[int, CommentView] = {}
    for comment, author in rows.tuples():
        cv = comment_view(comment, author, post=view.post, access=view.access)
        by_id[comment.id] = cv
        if comment.parent_id is None:
            top.append(cv)
        elif comment.parent_id in by_id:
            by_id[comment.parent_id].replies.append(cv)
    return top


async def post_thread(
    session: AsyncSession, *, viewer: Person | None, post_id: int | str
) -> PostView:
    """A post with its comments and replies, and its accepted answer (also in place in
    ``comments``; pages may pin ``accepted`` on top). Five queries."""
    view = await post_view(session, viewer=viewer, post_id=post_id)
    view.comments = await comments_of(session, viewer=viewer, view=view)
    for cv in view.comments:
        for candidate in (cv, *cv.replies):
            if candidate.accepted:
                view.accepted = candidate
    return view


def comment_view(
    comment: Comment, author: Person, *, post: Post, access: SpaceAccess
) -> CommentView:
    """A view of one comment (no replies loaded): of a thread, or just written or edited."""
    may = conversation_policy.comment_permissions(access, comment, post)
    return CommentView(
        comment=comment,
        author=author,
        accepted=comment.id == post.accepted_comment_id,
        can_edit=may.can_edit,
        can_delete=may.can_delete,
        can_reply=may.can_reply,
    )


# --- history ----------------------------------------------------------------------------------


async def _revisions(
    session: AsyncSession,
    *,
    viewer: Person | None,
    stmt: Select[Any],
    model: type[PostRevision] | type[CommentRevision],
    cursor: str | None,
    limit: int | None,
) -> tuple[list[RevisionView], str | None]:
    limit = clamp_limit(limit)
    after = _after(cursor)
    if after is not None:
        at, rid = after
        stmt = stmt.where(or_(model.created_at < at, and_(model.created_at == at, model.id < rid)))
    stmt = stmt.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)
    rows = list((await session.execute(stmt)).tuples().all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([as_utc(rows[-1][0].created_at).isoformat(), rows[-1][0].id])
    ids: set[int] = set()
    for revision, _ in rows:
        ids |= mentions.mentioned_ids(revision.body)
    names = await mentions.names_of(session, viewer=viewer, ids=ids)
    return [
        RevisionView(
            id=revision.id,
            body=revision.body,
            html=mentions.render_with_names(revision.body, names),
            author=author,
            created_at=revision.created_at,
        )
        for revision, author in rows
    ], next_cursor


async def post_revisions(
    session: AsyncSession,
    *,
    viewer: Person | None,
    post_id: int | str,
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[RevisionView], str | None]:
    """Earlier versions of a post's body, newest first (the current one is the post itself).
    Anyone who can read the post may read its history."""
    post, _ = await access_post(session, viewer=viewer, post_id=post_id)
    stmt = (
        select(PostRevision, Person)
        .outerjoin(Person, Person.id == PostRevision.editor_id)
        .where(PostRevision.post_id == post.id)
    )
    return await _revisions(
        session, viewer=viewer, stmt=stmt, model=PostRevision, cursor=cursor, limit=limit
    )


async def comment_revisions(
    session: AsyncSession,
    *,
    viewer: Person | None,
    comment_id: int | str,
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[RevisionView], str | None]:
    """Earlier versions of a comment's body, newest first."""
    comment, _, _ = await access_comment(session, viewer=viewer, comment_id=comment_id)
    stmt = (
        select(CommentRevision, Person)
        .outerjoin(Person, Person.id == CommentRevision.editor_id)
        .where(CommentRevision.comment_id == comment.id)
    )
    return await _revisions(
        session, viewer=viewer, stmt=stmt, model=CommentRevision, cursor=cursor, limit=limit
    )
