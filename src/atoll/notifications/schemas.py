"""What the notifications API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

Id = Annotated[str, Field(pattern=r"^[0-9]{1,18}$")]
Kind = Literal[
    "mention",
    "reply",
    "reaction",
    "invitation",
    "join_request",
    "join_answer",
    "accepted",
    "idea_status",
    "new_post",
    "moderation",
    "report_outcome",
]


class ActorOut(BaseModel):
    id: str
    name: str


class SpaceRefOut(BaseModel):
    id: str
    name: str
    slug: str


class NotificationOut(BaseModel):
    """One thing to tell the caller. Reactions to one post are batched while unread: ``count``
    people reacted, ``actor`` is the latest of them."""

    id: str
    kind: Kind
    text: str = Field(
        description='What happened, in words: "Ana and 4 others reacted 👍 to your post in Guild".'
    )
    url: str = Field(description="Where it happened: the post, the comment or the space.")
    actor: ActorOut | None
    count: int
    space: SpaceRefOut | None
    post_id: str | None
    comment_id: str | None
    detail: str = Field(
        description="reply: post|comment; reaction: the emoji; invitation: the "
        "role; join_answer: approved|declined; idea_status: the new status; moderation: "
        "action|target type|reasons|days|note; report_outcome: action|target type."
    )
    created_at: datetime
    updated_at: datetime
    read: bool
    read_at: datetime | None


class ReadIn(BaseModel):
    """Mark some of the caller's notifications read (``ids``) or all of them (``all``)."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Id] = Field(default_factory=list, max_length=500)
    all: StrictBool = False

    @model_validator(mode="after")
    def _one_of(self) -> ReadIn:
        if not self.ids and not self.all:
            raise ValueError('send "ids": [...] or "all": true')
        return self


class ReadOut(BaseModel):
    marked: int = Field(description="How many notifications were unread and are read now.")
    unread: int = Field(description="How many remain unread.")


class UnreadOut(BaseModel):
    unread: int = Field(description="How many of the caller's notifications are unread.")


class PreferencesOut(BaseModel):
    email_mentions: bool = Field(description="E-mail me at once when someone mentions me.")
    email_invitations: bool = Field(description="E-mail me at once when I am added to a space.")
    email_digest: bool = Field(description="E-mail me a daily digest of unread notifications.")


class PreferencesIn(BaseModel):
    """Change any of the e-mail preferences; left out means unchanged."""

    model_config = ConfigDict(extra="forbid")

    email_mentions: StrictBool | None = None
    email_invitations: StrictBool | None = None
    email_digest: StrictBool | None = None


class NotifyPreviewIn(BaseModel):
    """A draft: its body, the kind of post, or the post it comments on (and the comment it
    replies to)."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field("", max_length=50_000)
    kind: Literal["update", "question", "idea", "announcement"] | None = None
    post_id: Id | None = None
    parent_id: Id | None = None


class PersonRefOut(BaseModel):
    id: str
    name: str


class NotifyPreviewOut(BaseModel):
    """Whom posting the draft would notify: ``total`` people, each counted once (someone who
    follows both the space and the author is in both counts); ``mentioned`` (people it would
    notify of a mention); for a post ``space_followers`` and ``author_followers``; for a
    comment ``replied`` (the authors it answers). ``cannot_see``: people it mentions who cannot
    see the space (or no longer have an account) and will not be notified — posting it as it
    is would be refused."""

    total: int
    mentioned: int
    space_followers: int
    author_followers: int
    replied: int
    cannot_see: list[PersonRefOut]
