"""Which comments are live.

A comment is live while it is not deleted and, for a reply, neither is the comment it answers
(a top-level comment takes its replies with it): ``live_comment`` in SQL, ``is_live_comment``
in Python.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import aliased

from atoll.conversations.models import Comment

# A reply's parent comment, in statements that ask ``live_comment``: outer-join it with
# ``with_parent``. One alias object, made once (a fresh alias adapts its columns again).
PARENT = aliased(Comment, name="parent")


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
