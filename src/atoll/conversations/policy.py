"""Who may do what with a post or a comment, and which comments are live.

Inside a space, the space decides (``atoll.spaces.policy``, carried by a ``SpaceAccess``):
whoever may read it reads its posts and comments, and takes part — comments, reacts, votes —
while it is open. On top of that:

- the author edits a post or a comment; the author, the space's owners and moderators and
  administrators delete it;
- the author of a question accepts an answer;
- the space's owners and moderators (and administrators) set an idea's status;
- the space's owners and moderators, platform moderators who can read the space, and
  administrators pin a post in its space, close a thread to new comments and restore what
  was deleted (``may_govern``); administrators alone announce a post to the organisation;
- nobody comments on or replies in a closed thread (reactions and votes stay open).

An archived space or a closed situation room is read-only: no flag offers a change there, and
the service answers a change with a Conflict before it asks who may make it.

A post or a comment a moderator hid (``hidden_at``) is read only by its author, the space's
owners and moderators and the platform's moderators and administrators: ``unhidden`` in SQL,
the one definition every statement that lists or loads conversations joins beside its
``deleted_at`` filter (``atoll.conversations.queries``, the notifications' ``shown_to``).

A comment is live while it is not deleted and, for a reply, neither is the comment it answers
(a top-level comment takes its replies with it): ``live_comment`` in SQL, ``is_live_comment``
in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_
from sqlalchemy.orm import InstrumentedAttribute, aliased

from atoll.conversations.models import Comment, Post
from atoll.people.models import Person
from atoll.people.policy import PLATFORM_MODERATORS, is_admin, is_platform_moderator
from atoll.spaces.models import Membership
from atoll.spaces.policy import MANAGERS, PersonId, SpaceAccess

# A reply's parent comment, in statements that ask ``live_comment``: outer-join it with
# ``with_parent``. One alias object, made once (a fresh alias adapts its columns again).
PARENT = aliased(Comment, name="parent")
# The viewer as a platform moderator, and their managing membership, in ``unhidden`` (aliases:
# the statements it joins select authors and memberships of their own).
_MODERATOR = aliased(Person, name="hidden_viewer")
_MANAGING = aliased(Membership, name="hidden_managing")


# --- who may do what --------------------------------------------------------------------------


def is_author(access: SpaceAccess, author_id: int) -> bool:
    """The viewer wrote it: they edit it (and may delete it, accept an answer to it)."""
    return access.viewer is not None and access.viewer.id == author_id


def may_delete(access: SpaceAccess, author_id: int) -> bool:
    """Its author and the space's managers delete a post or a comment (while it is open)."""
    return is_author(access, author_id) or access.can_manage


def may_accept(access: SpaceAccess, post: Post) -> bool:
    """The author of a question accepts an answer to it (while the space is open)."""
    return post.kind == "question" and is_author(access, post.author_id)


def may_moderate(access: SpaceAccess, post: Post) -> bool:
    """The space's managers set an idea's status (while the space is open)."""
    return post.kind == "idea" and access.can_manage


def may_govern(access: SpaceAccess) -> bool:
    """Pin, close, restore others' content: the space's managers, and platform moderators
    (and administrators) who can read it (while it is open)."""
    return access.can_manage or (access.can_read and is_platform_moderator(access.viewer))


def may_restore(access: SpaceAccess, author_id: int) -> bool:
    """Its author and whoever governs the space restore a deleted post or comment."""
    return is_author(access, author_id) or may_govern(access)


def may_announce(access: SpaceAccess) -> bool:
    """Administrators pin a post above everyone's feed."""
    return is_admin(access.viewer)


@dataclass(frozen=True)
class PostPermissions:
    """What a viewer may do with a post now: which actions a page or the API offers (the
    service checks again when one is taken)."""

    can_edit: bool
    can_delete: bool
    can_participate: bool  # comment, react, vote
    can_accept: bool
    can_moderate: bool  # set an idea's status
    can_comment: bool  # can_participate, and the thread is not closed
    can_govern: bool  # pin, close
    can_announce: bool  # pin for the whole organisation


@dataclass(frozen=True)
class CommentPermissions:
    """What a viewer may do with a comment now (see ``PostPermissions``)."""

    can_edit: bool
    can_delete: bool
    can_reply: bool


def post_permissions(access: SpaceAccess, post: Post) -> PostPermissions:
    """What the viewer of ``access`` may do with ``post``, a post of its space."""
    open_ = access.writable
    return PostPermissions(
        can_edit=open_ and is_author(access, post.author_id),
        can_delete=open_ and may_delete(access, post.author_id),
        can_participate=access.can_participate,
        can_accept=open_ and may_accept(access, post),
        can_moderate=open_ and may_moderate(access, post),
        can_comment=access.can_participate and post.closed_at is None,
        can_govern=open_ and may_govern(access),
        can_announce=open_ and may_announce(access),
    )


def comment_permissions(
    access: SpaceAccess, comment: Comment, post: Post | None = None
) -> CommentPermissions:
    """What the viewer of ``access`` may do with ``comment``, on ``post`` of its space."""
    open_ = access.writable
    closed = post is not None and post.closed_at is not None
    return CommentPermissions(
        can_edit=open_ and is_author(access, comment.author_id),
        can_delete=open_ and may_delete(access, comment.author_id),
        can_reply=access.can_participate and comment.parent_id is None and not closed,
    )


# --- live comments ----------------------------------------------------------------------------


def with_parent(stmt: Select[Any]) -> Select[Any]:
    """The statement with each comment's parent outer-joined as ``PARENT``."""
    return stmt.outerjoin(PARENT, PARENT.id == Comment.parent_id)


def live_comment() -> ColumnElement[bool]:
    """Live comments, in a statement that joins each comment's parent (``with_parent``)."""
    return and_(
        Comment.deleted_at.is_(None),
        or_(Comment.parent_id.is_(None), PARENT.deleted_at.is_(None)),
    )


def is_live_comment(comment: Comment, parent: Comment | None) -> bool:
    """``live_comment`` for a comment loaded with its parent (None for a top-level one)."""
    if comment.deleted_at is not None:
        return False
    return comment.parent_id is None or (parent is not None and parent.deleted_at is None)


# --- hidden by a moderator --------------------------------------------------------------------


def unhidden(
    hidden_at: InstrumentedAttribute[Any],
    author_id: InstrumentedAttribute[int] | ColumnElement[int],
    space_id: InstrumentedAttribute[int] | ColumnElement[int],
    viewer_id: PersonId,
) -> ColumnElement[bool]:
    """What ``viewer_id`` may read of content a moderator may have hidden: anything not
    hidden; hidden content only as its author, an owner or moderator of its space
    (``space_id``), or a platform moderator or administrator. The space's read rule still
    applies on its own (a platform moderator does not read a secret space they are not in)."""
    return or_(
        hidden_at.is_(None),
        author_id == viewer_id,
        exists().where(
            _MANAGING.space_id == space_id,
            _MANAGING.person_id == viewer_id,
            _MANAGING.role.in_(MANAGERS),
        ),
        exists().where(
            _MODERATOR.id == viewer_id,
            _MODERATOR.role.in_(PLATFORM_MODERATORS),
            _MODERATOR.is_active.is_(True),
        ),
    )


def post_unhidden(viewer_id: PersonId) -> ColumnElement[bool]:
    """``unhidden`` for posts (a statement over ``Post``)."""
    return unhidden(Post.hidden_at, Post.author_id, Post.space_id, viewer_id)


def comment_unhidden(viewer_id: PersonId) -> ColumnElement[bool]:
    """``unhidden`` for comments (a statement that joins each comment's ``Post``)."""
    return unhidden(Comment.hidden_at, Comment.author_id, Post.space_id, viewer_id)
