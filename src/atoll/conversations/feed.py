"""Reading conversations: load a post or comment with an access check, list the feed and a
space's posts, a post's thread and the history of edits.

Every list issues a fixed number of queries whatever its length: one for the posts with their
authors, spaces and the viewer's role, then one each for reaction counts (with the viewer's
own), the viewer's votes and the attachments. Visibility is the spaces policy's SQL clause,
joined into each query; nothing is filtered in Python after loading."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from atoll.conversations import attachments as files
from atoll.conversations import mentions
from atoll.conversations import policy as conversation_policy
from atoll.conversations.models import (
    Attachment,
    Comment,
    CommentRevision,
    Follow,
    IdeaVote,
    Mention,
    Post,
    PostRevision,
    Reaction,
)
from atoll.kit.errors import Invalid, denied
from atoll.kit.ids import MAX_ID, parse_id
from atoll.kit.pagination import clamp_limit, decode_cursor, encode_cursor
from atoll.kit.time import as_utc
from atoll.people.models import Person
from atoll.spaces import policy
from atoll.spaces.models import Membership, Space
from atoll.spaces.policy import SpaceAccess, space_access

# The allowed reactions, in the order they are shown.
# Aliases made once: a fresh alias adapts each of its columns again on first use (about 2 ms
# of CPU a request, measured), and a statement may use one alias object like a table.
_MINE = aliased(Membership, name="mine")  # the viewer's membership of a post's space
_PARENT = conversation_policy.PARENT  # a reply's parent comment

REACTIONS = ("👍", "❤️", "🎉", "😄", "😮", "🙏", "👀", "🚀", "✅", "💡")
_ORDER = {emoji: i for i, emoji in enumerate(REACTIONS)}
FILTERS = ("all", "questions", "unanswered", "ideas", "announcements")


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
    stmt = _access_post_of(policy.reader_of(viewer))
    row = (await session.execute(stmt, {"viewer_id": _id(viewer), "post_id": number})).one_or_none()
    if row is None:
        raise _missing(viewer, "post")
    return row[0], space_access(viewer, row[1], row[2])


@lru_cache(maxsize=len(policy.READERS))
def _access_post_of(reader: str) -> Select[Any]:
    viewer_id: ColumnElement[int] = bindparam("viewer_id")
    stmt = select(Post, Space).join(Space, Space.id == Post.space_id)
    return _with_role(stmt, _viewer_id_of(reader, viewer_id)).where(
        Post.id == bindparam("post_id"),
        Post.deleted_at.is_(None),
        policy.readable_spaces_of(reader, viewer_id),
    )


async def access_comment(
    session: AsyncSession, *, viewer: Person | None, comment_id: int | str
) -> tuple[Comment, Post, SpaceAccess]:
    """Load a live comment (on a live post, under a live parent) the viewer can read."""
    number = parse_id(comment_id)
    if number is None:
        raise _missing(viewer, "comment")
    stmt = _access_comment_of(policy.reader_of(viewer))
    params = {"viewer_id": _id(viewer), "comment_id": number}
    row = (await session.execute(stmt, params)).one_or_none()
    if row is None:
        raise _missing(viewer, "comment")
    return row[0], row[1], space_access(viewer, row[2], row[3])


@lru_cache(maxsize=len(policy.READERS))
def _access_comment_of(reader: str) -> Select[Any]:
    viewer_id: ColumnElement[int] = bindparam("viewer_id")
    stmt = conversation_policy.with_parent(
        select(Comment, Post, Space)
        .join(Post, Post.id == Comment.post_id)
        .join(Space, Space.id == Post.space_id)
    )
    return _with_role(stmt, _viewer_id_of(reader, viewer_id)).where(
        Comment.id == bindparam("comment_id"),
        conversation_policy.live_comment(),
        Post.deleted_at.is_(None),
        policy.readable_spaces_of(reader, viewer_id),
    )


def _id(viewer: Person | None) -> int | None:
    return viewer.id if viewer is not None else None


def _viewer_id_of(
    reader: str, viewer_id: int | ColumnElement[int] | None
) -> int | ColumnElement[int] | None:
    """The viewer's id for ``_with_role``: none when signed out."""
    return None if reader == "anonymous" else viewer_id


def _with_role(stmt: Select[Any], viewer_id: int | ColumnElement[int] | None) -> Select[Any]:
    """Add the viewer's role in the post's space as the last column (None when not a member
    or signed out: ``viewer_id`` None); call it after the joins. The membership is aliased so
    that the policy's own membership sub-queries stay separate."""
    if viewer_id is None:
        return stmt.add_columns(literal(None, String).label("role"))
    mine = _MINE
    return stmt.add_columns(mine.role).outerjoin(
        mine, and_(mine.space_id == Post.space_id, mine.person_id == viewer_id)
    )


# Statements built once and run with parameters: building a statement and computing its cache
# key cost more CPU than running it (``:viewer_id`` is the viewer, ``:ids`` the posts).
_REACTION_SUMMARY = (
    select(
        Reaction.post_id,
        Reaction.emoji,
        func.count(),
        func.max(case((Reaction.person_id == bindparam("viewer_id"), 1), else_=0)),
    )
    .where(Reaction.post_id.in_(bindparam("ids", expanding=True)))
    .group_by(Reaction.post_id, Reaction.emoji)
)
_VOTES_BY = select(IdeaVote.post_id).where(
    IdeaVote.person_id == bindparam("viewer_id"),
    IdeaVote.post_id.in_(bindparam("ids", expanding=True)),
)


# --- views ------------------------------------------------------------------------------------


async def reaction_summary(
    session: AsyncSession, viewer: Person | None, post_ids: Sequence[int]
) -> tuple[dict[int, dict[str, int]], dict[int, list[str]]]:
    """Reaction counts per post and the viewer's own reactions, in one query."""
    counts: dict[int, dict[str, int]] = {pid: {} for pid in post_ids}
    mine: dict[int, list[str]] = {pid: [] for pid in post_ids}
    if not post_ids:
        return counts, mine
    me = viewer.id if viewer is not None else 0  # ids start at 1
    rows = await session.execute(_REACTION_SUMMARY, {"viewer_id": me, "ids": list(post_ids)})
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
    rows = await session.execute(_VOTES_BY, {"viewer_id": viewer.id, "ids": list(post_ids)})
    return set(rows.scalars())


def _post_flags(view: PostView) -> PostView:
    may = conversation_policy.post_permissions(view.access, view.post)
    view.can_edit, view.can_delete, view.can_accept = may.can_edit, may.can_delete, may.can_accept
    view.can_participate, view.can_moderate = may.can_participate, may.can_moderate
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
    return [
        _post_flags(
            PostView(
                post=post,
                author=author,
                access=space_access(viewer, space, role),
                reactions=counts.get(post.id, {}),
                my_reactions=mine.get(post.id, []),
                voted=post.id in voted,
                attachments=attached.get(post.id, []),
            )
        )
        for post, author, space, role in rows
    ]


# --- lists ------------------------------------------------------------------------------------


def _filter_clause(filter: str) -> ColumnElement[bool] | None:
    if filter not in FILTERS:
        raise Invalid.field("filter", f"must be one of {', '.join(FILTERS)}")
    if filter == "questions":
        return Post.kind == "question"
    if filter == "unanswered":  # questions without an accepted answer
        return and_(Post.kind == "question", Post.accepted_comment_id.is_(None))
    if filter == "ideas":
        return Post.kind == "idea"
    if filter == "announcements":
        return Post.kind == "announcement"
    return None


def _listing(viewer: Person | None) -> Select[Any]:
    """Live posts with author, space and the viewer's role, in spaces the viewer can read."""
    return _listing_of(policy.reader_of(viewer), _id(viewer))


def _listing_of(reader: str, viewer_id: int | ColumnElement[int] | None) -> Select[Any]:
    """``_listing`` for a kind of reader (``policy.reader_of``) and the viewer's id, which may
    be a bound parameter."""
    return _with_role(
        select(Post, Person, Space)
        .join(Person, Person.id == Post.author_id)
        .join(Space, Space.id == Post.space_id),
        _viewer_id_of(reader, viewer_id),
    ).where(
        Post.deleted_at.is_(None),
        policy.readable_spaces_of(reader, viewer_id if viewer_id is not None else 0),
    )


def _paged(stmt: Select[Any], *, filter: str, after: bool, limit: int) -> Select[Any]:
    """``limit`` posts newest first under ``filter``, after the cursor's (``:after_at``,
    ``:after_id``) when ``after``."""
    clause = _filter_clause(filter)
    if clause is not None:
        stmt = stmt.where(clause)
    if after:
        at: ColumnElement[datetime] = bindparam("after_at")
        pid: ColumnElement[int] = bindparam("after_id")
        stmt = stmt.where(or_(Post.created_at < at, and_(Post.created_at == at, Post.id < pid)))
    return stmt.order_by(Post.created_at.desc(), Post.id.desc()).limit(limit)


def _cursor_params(after: tuple[datetime, int] | None) -> dict[str, Any]:
    return {} if after is None else {"after_at": after[0], "after_id": after[1]}


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
) -> tuple[list[PostView], str | None]:
    """Run a ``_paged`` statement of ``limit + 1`` rows: the page's views and the cursor of
    the next page (paginated on (created_at, id))."""
    result = await session.execute(stmt, params)
    rows = [(p, a, s, r) for p, a, s, r in result.tuples().all()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        next_cursor = encode_cursor([as_utc(last.created_at).isoformat(), last.id])
    return await views_of(session, viewer, rows), next_cursor


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

    Two steps, so that the cost does not grow with the history: one query for the viewer's
    sources (spaces they belong to or follow, people they follow), then the page's posts are
    picked among each source's newest ``limit + 1`` under the filter and cursor (an index
    range per source, see ``_feed_candidates``) and listed as a space's posts are."""
    _filter_clause(filter)  # an unknown filter is refused before any query
    limit = clamp_limit(limit)
    after = _after(cursor)
    spaces, people = await _feed_sources(session, viewer)
    params = _cursor_params(after)
    if len(spaces) + len(people) > FEED_SOURCES:
        # So many sources (an administrator in every unit space) that the newest posts are
        # mostly theirs anyway: one query over everything, as a plain filter.
        stmt = _listing(viewer).where(_in_feed_of(viewer))
        stmt = _paged(stmt, filter=filter, after=after is not None, limit=limit + 1)
    else:
        reader = policy.reader_of(viewer)
        # The number of sources is rounded up (see _sources_shape) and the spare ones are
        # given id 0, which no space or person has: their index ranges are empty.
        spaces_shape, people_shape = _sources_shape(len(spaces)), _sources_shape(len(people))
        stmt = _feed_page(reader, spaces_shape, people_shape, filter, after is not None, limit + 1)
        params["viewer_id"] = viewer.id
        params.update({f"space_{i}": 0 for i in range(spaces_shape)})
        params.update({f"space_{i}": space for i, space in enumerate(spaces)})
        params.update({f"person_{i}": 0 for i in range(people_shape)})
        params.update({f"person_{i}": person for i, person in enumerate(people)})
    return await _page(session, viewer, stmt, params, limit=limit)


def _sources_shape(count: int) -> int:
    """A number of sources rounded up to a power of two, so that a few statements serve every
    viewer: a built statement of 20 sources holds about 340 KiB."""
    return 0 if count == 0 else 1 << (count - 1).bit_length()


# More sources than this: no merge of their newest posts (building and planning a statement
# of hundreds of terms costs more than it saves).
FEED_SOURCES = 100


@lru_cache(maxsize=64)
def _feed_page(
    reader: str, spaces: int, people: int, filter: str, after: bool, limit: int
) -> Select[Any]:
    """The feed's page query for one shape, built once: ``limit`` posts of the viewer
    (``:viewer_id``) among the newest of ``spaces`` spaces (``:space_0``…) and ``people``
    people (``:person_0``…), under the filter and after the cursor (see ``_paged``)."""
    viewer_id: ColumnElement[int] = bindparam("viewer_id")
    candidates = _feed_candidates(
        reader, viewer_id, spaces, people, filter=filter, after=after, limit=limit
    )
    stmt = _listing_of(reader, viewer_id).where(Post.id.in_(candidates))
    return _paged(stmt, filter=filter, after=after, limit=limit)


@lru_cache(maxsize=len(policy.READERS))
def _feed_sources_of(reader: str) -> Any:
    viewer_id: ColumnElement[int] = bindparam("viewer_id")
    followed = select(Follow.target_id).where(Follow.follower_id == viewer_id)
    mine = select(Membership.space_id).where(Membership.person_id == viewer_id)
    return union_all(
        select(literal("space", String).label("type"), Space.id.label("id")).where(
            or_(
                Space.id.in_(mine),
                Space.id.in_(followed.where(Follow.target_type == "space")),
            ),
            policy.readable_spaces_of(reader, viewer_id),
        ),
        select(literal("person", String), Follow.target_id).where(
            Follow.follower_id == viewer_id, Follow.target_type == "person"
        ),
    )


async def _feed_sources(session: AsyncSession, viewer: Person) -> tuple[list[int], list[int]]:
    """The spaces the viewer belongs to or follows and may read, and the people they follow
    (one query)."""
    stmt = _feed_sources_of(policy.reader_of(viewer))
    rows = await session.execute(stmt, {"viewer_id": viewer.id})
    spaces: set[int] = set()
    people: set[int] = set()
    for type_, target in rows.tuples():
        (spaces if type_ == "space" else people).add(target)
    people.discard(viewer.id)  # their own posts are a source of their own
    return sorted(spaces), sorted(people)


def _feed_candidates(
    reader: str,
    viewer_id: ColumnElement[int],
    spaces: int,
    people: int,
    *,
    filter: str,
    after: bool,
    limit: int,
) -> Select[Any]:
    """The ids of at most ``limit`` newest posts of each source (``:space_0``…,
    ``:person_0``…, the viewer, posts mentioning the viewer) that pass the filter and come
    after the cursor: the page is among them. A space's newest rows are an index range
    (``ix_post_space_id_created_at_id``), and only readable spaces are sources. Posts by a
    person (the viewer, people they follow) or mentioning the viewer may be in any space, so
    those sources apply the visibility clause before they are cut. Every candidate is thus
    in the feed: the newest ``limit`` of them are the feed's newest."""

    def newest(*where: ColumnElement[bool], readable: bool = False) -> Select[Any]:
        stmt = select(Post.id, Post.created_at).where(Post.deleted_at.is_(None), *where)
        if readable:
            readable_clause = policy.readable_spaces_of(reader, viewer_id)
            stmt = stmt.join(Space, Space.id == Post.space_id).where(readable_clause)
        return _paged(stmt, filter=filter, after=after, limit=limit)

    mentioned = select(Mention.post_id).where(Mention.person_id == viewer_id)
    authors = [viewer_id, *(bindparam(f"person_{i}") for i in range(people))]
    sources = [newest(Post.space_id == bindparam(f"space_{i}")) for i in range(spaces)]
    sources += [newest(Post.author_id == author, readable=True) for author in authors]
    sources.append(newest(Post.id.in_(mentioned), readable=True))
    return _newest_of(sources, limit)


def _newest_of(sources: list[Select[Any]], limit: int) -> Select[Any]:
    """The ids of the ``limit`` newest rows of (id, created_at) SELECTs."""
    # Each term is wrapped: SQLite takes no ORDER BY or LIMIT on a compound's own terms. UNION,
    # not UNION ALL: a post can come from several sources (the viewer's own, in their space).
    terms = [select(t.c.id, t.c.created_at).select_from(t) for t in (s.subquery() for s in sources)]
    merged = union(*terms).subquery()
    return select(merged.c.id).order_by(merged.c.created_at.desc(), merged.c.id.desc()).limit(limit)


def _in_feed_of(viewer: Person) -> ColumnElement[bool]:
    my_spaces = select(Membership.space_id).where(Membership.person_id == viewer.id)
    followed = select(Follow.target_id).where(Follow.follower_id == viewer.id)
    return or_(
        Post.space_id.in_(my_spaces),
        Post.space_id.in_(followed.where(Follow.target_type == "space")),
        Post.author_id.in_(followed.where(Follow.target_type == "person")),
        Post.id.in_(select(Mention.post_id).where(Mention.person_id == viewer.id)),
        Post.author_id == viewer.id,
    )


async def is_listed(
    session: AsyncSession, *, viewer: Person, post_id: int, filter: str = "all", feed: bool = False
) -> bool:
    """Whether a live post the viewer can read belongs in a list under ``filter``: their feed
    (``feed``) or its space's posts. One query (for live pages deciding where a new post
    goes)."""
    stmt = (
        select(Post.id)
        .join(Space, Space.id == Post.space_id)
        .where(Post.id == post_id, Post.deleted_at.is_(None), policy.readable_spaces(viewer))
    )
    clause = _filter_clause(filter)
    if clause is not None:
        stmt = stmt.where(clause)
    if feed:
        stmt = stmt.where(_in_feed_of(viewer))
    return await session.scalar(stmt) is not None


async def space_posts(
    session: AsyncSession,
    *,
    viewer: Person | None,
    space: Space,
    filter: str = "all",
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[PostView], str | None]:
    """A space's posts, newest first, with the same filters as the feed. Load the space with
    ``access_readable_space`` first (this query applies the read rule again regardless)."""
    limit = clamp_limit(limit)
    after = _after(cursor)
    stmt = _listing(viewer).where(Post.space_id == space.id)
    stmt = _paged(stmt, filter=filter, after=after is not None, limit=limit + 1)
    return await _page(session, viewer, stmt, _cursor_params(after), limit=limit)


async def post_view(
    session: AsyncSession, *, viewer: Person | None, post_id: int | str
) -> PostView:
    """One post without its comments (e.g. to re-render a post's card after a reaction)."""
    number = parse_id(post_id)
    rows = []
    if number is not None:
        stmt = _one_post_of(policy.reader_of(viewer))
        result = await session.execute(stmt, {"viewer_id": _id(viewer), "post_id": number})
        rows = [(p, a, s, r) for p, a, s, r in result.tuples().all()]
    if not rows:
        raise _missing(viewer, "post")
    return (await views_of(session, viewer, rows))[0]


@lru_cache(maxsize=len(policy.READERS))
def _one_post_of(reader: str) -> Select[Any]:
    viewer_id: ColumnElement[int] = bindparam("viewer_id")
    return _listing_of(reader, viewer_id).where(Post.id == bindparam("post_id"))


_COMMENTS_OF = (
    conversation_policy.with_parent(
        select(Comment, Person).join(Person, Person.id == Comment.author_id)
    )
    .where(Comment.post_id == bindparam("post_id"), conversation_policy.live_comment())
    .order_by(Comment.created_at, Comment.id)
)


async def comments_of(
    session: AsyncSession, *, viewer: Person | None, view: PostView
) -> list[CommentView]:
    """The live comments of a post as a two-level tree, oldest first (one query). Replies to
    a deleted comment disappear with it."""
    rows = await session.execute(_COMMENTS_OF, {"post_id": view.post.id})
    top: list[CommentView] = []
    by_id: dict[int, CommentView] = {}
    for comment, author in rows.tuples().all():
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
    may = conversation_policy.comment_permissions(access, comment)
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
