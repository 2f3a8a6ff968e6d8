"""Every domain's tables, imported once so that metadata and Alembic see them all."""

from atoll.analytics.models import Interaction
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
from atoll.org.models import Unit
from atoll.people.models import AuthSession, LoginFailure, Person, PersonSkill
from atoll.spaces.models import JoinRequest, Membership, Space
from atoll.web.idempotency import IdempotencyKey

__all__ = [
    "Attachment", "AuthSession", "Comment", "CommentRevision", "Follow", "IdeaVote",
    "IdempotencyKey", "Interaction", "JoinRequest", "LoginFailure", "Membership", "Mention",
    "Person", "PersonSkill", "Post", "PostRevision", "Reaction", "Space", "Unit",
]
