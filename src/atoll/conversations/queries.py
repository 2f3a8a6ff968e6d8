"""The statements conversations are read with, each built once.

Building a SQLAlchemy statement and computing its cache key costs more CPU than running one of
these (docs/performance.md), so each is built once and run with bound parameters:

- ``:viewer_id`` the viewer (0 when signed out: ids start at 1), ``:post_id``, ``:comment_id``,
  ``:space_id``, ``:ids`` a list of posts;
- a list's page: ``:limit`` rows, newest first, after the cursor ``:after_at`` /
  ``:after_id`` (both None on the first page: ``page_params``), of the kind ``:kind`` (None:
  every kind) and, when ``:unanswered``, only questions without an accepted answer
  (``FILTERS``).

The read rule differs by kind of reader (``spaces.policy.READERS``), so a statement that
applies it is a dict with one statement per kind of reader.

The feed is defined once, by ``MEMBER_OF``, ``FOLLOWED_SPACES``, ``FOLLOWED_PEOPLE`` and
``MENTIONING``: a post in a space the viewer may read is in their feed when its space is one
they belong to or follow, its author is them or someone they follow, or it mentions them.
``feed_page`` finds a page of it in one index range per source (so that its cost does not grow
with the history) and is built for a number of sources, on first use; ``WIDE_FEED`` is the
same feed as one filter, for viewers with more sources than the largest room.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, aliased

from atoll.conversations import policy as conversation_policy
from atoll.conversations.models import (
    AnnouncementDismissal,
    Comment,
    Follow,
    IdeaVote,
    Mention,
    Post,
    Reaction,
)
from atoll.db.base import BigId, UtcDateTime
from atoll.people.models import Person
from atoll.spaces import policy
from atoll.spaces.models import Membership, Space

VIEWER: ColumnElement[int] = bindparam("viewer_id", type_=BigId)  # ids are BIGINT
POST_ID: ColumnElement[int] = bindparam("post_id", type_=BigId)
IDS: BindParameter[Any] = bindparam("ids", expanding=True)
LIMIT = bindparam("limit", type_=Integer)
KIND: ColumnElement[str] = bindparam("kind", type_=String)
UNANSWERED: ColumnElement[bool] = bindparam("unanswered", type_=Boolean)
AFTER_AT: ColumnElement[Any] = bindparam("after_at", type_=UtcDateTime)
AFTER_ID: ColumnElement[int] = bindparam("after_id", type_=BigId)

S = TypeVar("S")

# The filters of a list, as the page parameters they set.
FILTERS: dict[str, dict[str, Any]] = {
    "all": {"kind": None, "unanswered": False},
    "questions": {"kind": "question", "unanswered": False},
    "unanswered": {"kind": "question", "unanswered": True},
    "ideas": {"kind": "idea", "unanswered": False},
    "announcements": {"kind": "announcement", "unanswered": False},
}

# The viewer's membership of a post's space. One alias object: a fresh alias adapts each of
# its columns again on first use, and a statement may use one alias object like a table.
MINE = aliased(Membership, name="mine")


def page_params(after: tuple[Any, int] | None, limit: int) -> dict[str, Any]:
    """The parameters of a list's page but its filter (``FILTERS``): ``limit`` rows after the
    cursor ``after`` (created_at, id), or the first page."""
    at, last = after if after is not None else (None, None)
    return {"after_at": at, "after_id": last, "limit": limit}


def by_reader(build: Callable[[str], S]) -> dict[str, S]:
    """One statement per kind of reader."""
    return {reader: build(reader) for reader in policy.READERS}


# --- the pieces -------------------------------------------------------------------------------


def _with_role(stmt: Select[Any], reader: str) -> Select[Any]:
    """Add the viewer's role in the post's space as the last column (None when not a member
    or signed out); call it after the joins."""
    if reader == "anonymous":
        return stmt.add_columns(literal(None, String).label("role"))
    return stmt.add_columns(MINE.role).outerjoin(
        MINE, and_(MINE.space_id == Post.space_id, MINE.person_id == VIEWER)
    )


def _readable(reader: str) -> ColumnElement[bool]:
    """The spaces the viewer may read (a statement that joins ``Space``)."""
    return policy.readable_spaces_of(reader, VIEWER)


def _listing(reader: str) -> Select[Any]:
    """Live posts with their author, space and the viewer's role, in spaces the viewer reads."""
    stmt = (
        select(Post, Person, Space)
        .join(Person, Person.id == Post.author_id)
        .join(Space, Space.id == Post.space_id)
    )
    return _with_role(stmt, reader).where(
        Post.deleted_at.is_(None), _readable(reader), conversation_policy.post_unhidden(VIEWER)
    )


# The posts a list's filter keeps (``:kind``, ``:unanswered``).
KEPT = and_(
    or_(KIND.is_(None), Post.kind == KIND),
    or_(~UNANSWERED, Post.accepted_comment_id.is_(None)),
)
# The posts after a page's cursor (``:after_at``, ``:after_id``; every post when None).
AFTER = or_(
    AFTER_AT.is_(None),
    Post.created_at < AFTER_AT,
    and_(Post.created_at == AFTER_AT, Post.id < AFTER_ID),
)
NEWEST_FIRST = (Post.created_at.desc(), Post.id.desc())


def _page(stmt: Select[Any]) -> Select[Any]:
    """A page of ``stmt``'s posts: the filter's, after the cursor, ``:limit`` newest first."""
    return stmt.where(KEPT, AFTER).order_by(*NEWEST_FIRST).limit(LIMIT)


# --- one post or comment ----------------------------------------------------------------------


def _access_post(reader: str) -> Select[Any]:
    stmt = _with_role(select(Post, Space).join(Space, Space.id == Post.space_id), reader)
    return stmt.where(
        Post.id == POST_ID,
        Post.deleted_at.is_(None),
        _readable(reader),
        conversation_policy.post_unhidden(VIEWER),
    )


def _access_comment(reader: str) -> Select[Any]:
    stmt = conversation_policy.with_parent(
        select(Comment, Post, Space)
        .join(Post, Post.id == Comment.post_id)
        .join(Space, Space.id == Post.space_id)
    )
    return _with_role(stmt, reader).where(
        Comment.id == bindparam("comment_id", type_=BigId),
        conversation_policy.live_comment(),
        Post.deleted_at.is_(None),
        _readable(reader),
        conversation_policy.post_unhidden(VIEWER),
        conversation_policy.comment_unhidden(VIEWER),
    )


# A live post in a readable space, with its space and the viewer's role there.
ACCESS_POST = by_reader(_access_post)
# A live comment (on a live post, under a live parent) in a readable space: comment, post,
# space, role.
ACCESS_COMMENT = by_reader(_access_comment)
# One live post as lists show it: post, author, space, role.
POST = by_reader(lambda reader: _listing(reader).where(Post.id == POST_ID))

# The live comments of a post with their authors, oldest first (those hidden from the viewer
# left out).
COMMENTS = (
    conversation_policy.with_parent(
        select(Comment, Person)
        .join(Person, Person.id == Comment.author_id)
        .join(Post, Post.id == Comment.post_id)
    )
    .where(
        Comment.post_id == POST_ID,
        conversation_policy.live_comment(),
        conversation_policy.comment_unhidden(VIEWER),
    )
    .order_by(Comment.created_at, Comment.id)
)

# --- what lists show of each post -------------------------------------------------------------

# (post id, emoji, count, whether the viewer is among them) of the posts ``:ids``.
REACTION_COUNTS = (
    select(
        Reaction.post_id,
        Reaction.emoji,
        func.count(),
        func.max(case((Reaction.person_id == VIEWER, 1), else_=0)),
    )
    .where(Reaction.post_id.in_(IDS))
    .group_by(Reaction.post_id, Reaction.emoji)
)
# The posts among ``:ids`` the viewer voted for.
VOTES = select(IdeaVote.post_id).where(IdeaVote.person_id == VIEWER, IdeaVote.post_id.in_(IDS))

# --- lists ------------------------------------------------------------------------------------

# A page of a space's posts (``:space_id``) but its pinned ones, which come first on the
# first page (``PINNED``).
SPACE_POSTS = by_reader(
    lambda reader: _page(
        _listing(reader).where(Post.space_id == bindparam("space_id"), Post.pinned_at.is_(None))
    )
)
# A space's pinned posts under a list's filter, newest pin first (at most ``:limit``).
PINNED = by_reader(
    lambda reader: (
        _listing(reader)
        .where(Post.space_id == bindparam("space_id"), Post.pinned_at.is_not(None), KEPT)
        .order_by(Post.pinned_at.desc(), Post.id.desc())
        .limit(LIMIT)
    )
)

# The spaces the viewer belongs to, the spaces and the people they follow, and the posts that
# mention them: what brings a post into their feed (besides their own posts).
MEMBER_OF = select(Membership.space_id).where(Membership.person_id == VIEWER)
FOLLOWED_SPACES = select(Follow.target_id).where(
    Follow.follower_id == VIEWER, Follow.target_type == "space"
)
FOLLOWED_PEOPLE = select(Follow.target_id).where(
    Follow.follower_id == VIEWER, Follow.target_type == "person"
)
MENTIONING = select(Mention.post_id).where(Mention.person_id == VIEWER)


def _feed_space(space_id: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """A space whose posts are in the viewer's feed: they belong to it or follow it."""
    return or_(space_id.in_(MEMBER_OF), space_id.in_(FOLLOWED_SPACES))


def _in_feed() -> ColumnElement[bool]:
    """The posts of the viewer's feed, in a statement that applies the read rule."""
    return or_(
        _feed_space(Post.space_id),
        Post.author_id.in_(FOLLOWED_PEOPLE),
        Post.author_id == VIEWER,
        Post.id.in_(MENTIONING),
    )


def _feed_sources(reader: str) -> CompoundSelect:
    spaces = select(literal("space", String).label("type"), Space.id.label("id")).where(
        _feed_space(Space.id), _readable(reader)
    )
    people = FOLLOWED_PEOPLE.with_only_columns(literal("person", String), Follow.target_id)
    return union_all(spaces, people)


# The feed's sources: ("space", id) for each readable space the viewer belongs to or follows,
# ("person", id) for each person they follow.
FEED_SOURCES = by_reader(_feed_sources)

# A feed page statement has room for as many spaces as people, one of these: a viewer's sources
# go in the smallest room that holds them, and the rest of the room gets id 0, which no space or
# person has (an empty index range). More than the largest: ``WIDE_FEED``.
ROOMS = (1, 2, 4, 8, 16, 32, 64)


def room_for(spaces: int, people: int) -> int | None:
    """The smallest of ``ROOMS`` for this many spaces and people, None when none holds them."""
    return next((room for room in ROOMS if room >= max(spaces, people)), None)


def _newest(reader: str, *where: ColumnElement[bool], readable: bool = False) -> Select[Any]:
    """(id, created_at) of the ``:limit`` newest live posts of one source on the page (those a
    moderator hid from the viewer left out, so that they do not take a place on the page)."""
    stmt = select(Post.id, Post.created_at).where(
        Post.deleted_at.is_(None), conversation_policy.post_unhidden(VIEWER), *where
    )
    if readable:
        stmt = stmt.join(Space, Space.id == Post.space_id).where(_readable(reader))
    return _page(stmt)


@cache
def feed_page(reader: str, room: int) -> Select[Any]:
    """A page of the feed among the newest posts of each source: ``room`` spaces
    (``:space_0``…) and people (``:person_0``…), the viewer's own posts and those mentioning
    them. A space's newest posts are an index range (``ix_post_space_id_created_at_id``); a
    person's may be in any space, so those sources apply the read rule before they are cut.
    Every candidate is thus in the feed, and the page is the newest of them. Built the first
    time it is asked for (a large room takes long to build, and most are never used): at most
    one statement per kind of reader and room."""
    sources = [_newest(reader, Post.space_id == bindparam(f"space_{i}")) for i in range(room)]
    authors = [VIEWER, *(bindparam(f"person_{i}") for i in range(room))]
    sources += [_newest(reader, Post.author_id == author, readable=True) for author in authors]
    sources.append(_newest(reader, Post.id.in_(MENTIONING), readable=True))
    # Each term is wrapped: SQLite takes no ORDER BY or LIMIT on a compound's own terms. UNION,
    # not UNION ALL: a post can come from several sources (the viewer's own, in their space).
    terms = [select(t.c.id, t.c.created_at).select_from(t) for t in (s.subquery() for s in sources)]
    merged = union(*terms).subquery()
    candidates = select(merged.c.id).order_by(merged.c.created_at.desc(), merged.c.id.desc())
    return _page(_listing(reader).where(Post.id.in_(candidates.limit(LIMIT))))


# A page of the feed as one filter over every post, newest first.
WIDE_FEED = by_reader(lambda reader: _page(_listing(reader).where(_in_feed())))


def _listed(reader: str, *where: ColumnElement[bool]) -> Select[Any]:
    stmt = select(Post.id).join(Space, Space.id == Post.space_id)
    live = and_(
        Post.id == POST_ID, Post.deleted_at.is_(None), conversation_policy.post_unhidden(VIEWER)
    )
    return stmt.where(live, _readable(reader), KEPT, *where)


# Whether the live post ``:post_id`` the viewer may read passes the filter (for live pages:
# where does a new post go?), and whether it is also in their feed.
LISTED = by_reader(_listed)
LISTED_IN_FEED = by_reader(lambda reader: _listed(reader, _in_feed()))


def _announcements(reader: str) -> Select[Any]:
    dismissed = exists().where(
        AnnouncementDismissal.post_id == Post.id, AnnouncementDismissal.person_id == VIEWER
    )
    return (
        _listing(reader)
        .where(Post.announced_until > AFTER_AT, ~dismissed)
        .order_by(Post.announced_at.desc(), Post.id.desc())
        .limit(LIMIT)
    )


# The organisation's announcements still running at ``:after_at`` (now) in spaces the viewer
# may read and that they have not hidden, newest first (at most ``:limit``).
ANNOUNCEMENTS = by_reader(_announcements)
