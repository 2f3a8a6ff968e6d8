"""Who may be told what. A notification reaches a person only about what they may see, when it
is made (``may_read`` / ``may_know``, clauses over ``Person``) and again when it is shown
(``shown_to``, a clause over ``Notification``): someone who lost access to a space, or whose
post was deleted, no longer sees what it said. Both ask the policies of the spaces and the
conversations, in SQL: nothing here restates who reads a space or which comment is live."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select

from atoll.conversations import policy as conversations
from atoll.conversations.models import Comment, Post
from atoll.notifications.models import Notification
from atoll.people.models import Person
from atoll.spaces import policy as spaces
from atoll.spaces.models import Space

# Kinds about a space only (not its content): its existence is enough to be told.
ABOUT_A_SPACE = ("join_answer",)


def may_read(space: Space) -> ColumnElement[bool]:
    """People who may read the space's content: told about posts, comments and membership."""
    return spaces.readers_of(space)


def may_know(space: Space) -> ColumnElement[bool]:
    """People who may know the space exists: told the answer to their request to join it."""
    return spaces.knowers_of(space)


def shown_to(viewer: Person) -> ColumnElement[bool]:
    """The viewer's notifications that they may still see: the space is readable (or, for an
        answer to a join request, visible) to them now, and the post and comment still exist and
    are not hidden from them by a moderator."""
    # correlate_except: the list query joins Space for its name; these look at their own.
    in_readable = (
        exists()
        .where(Space.id == Notification.space_id, spaces.readable_spaces(viewer))
        .correlate_except(Space)
    )
    in_visible = (
        exists()
        .where(Space.id == Notification.space_id, spaces.visible_spaces(viewer))
        .correlate_except(Space)
    )
    live_post = or_(
        Notification.post_id.is_(None),
        exists().where(
            Post.id == Notification.post_id,
            Post.deleted_at.is_(None),
            conversations.post_unhidden(viewer.id),
        ),
    )
    live_comment = or_(
        Notification.comment_id.is_(None),
        conversations.with_parent(select(Comment.id).join(Post, Post.id == Comment.post_id))
        .where(
            Comment.id == Notification.comment_id,
            conversations.live_comment(),
            conversations.comment_unhidden(viewer.id),
        )
        .exists(),
    )
    space_ok = or_(
        Notification.space_id.is_(None),
        and_(Notification.kind.in_(ABOUT_A_SPACE), in_visible),
        in_readable,
    )
    return and_(Notification.person_id == viewer.id, space_ok, live_post, live_comment)
