"""What the conversations API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

NO_NUL = r"^[^\x00]*$"
MAX_BODY = 50_000
Id = Annotated[str, Field(pattern=r"^[0-9]{1,18}$")]
Body = Annotated[
    str,
    Field(
        max_length=MAX_BODY,
        pattern=NO_NUL,
        description="Markdown (CommonMark, tables, strikethrough, autolinks). Mention people "
        "with @[id] or @Full Name; they must be able to read the space.",
    ),
]
PostKind = Literal["update", "question", "idea", "announcement"]
IdeaStatus = Literal["new", "reviewing", "adopted", "declined"]
Filter = Literal["all", "questions", "unanswered", "ideas", "announcements"]
PersonKind = Literal["member", "external"]


class AuthorOut(BaseModel):
    """Who wrote something; externals carry their organisation (pages badge them)."""

    id: str
    name: str
    kind: PersonKind
    organization: str | None


class SpaceRef(BaseModel):
    id: str
    name: str
    slug: str
    kind: str


class AttachmentOut(BaseModel):
    id: str
    filename: str
    content_type: str = Field(description="Detected from the content, never from the client.")
    size: int
    url: str
    inline: bool = Field(description="Shown in the page (PNG, JPEG, GIF, WebP); else a download.")


class CommentOut(BaseModel):
    id: str
    post_id: str
    parent_id: str | None
    author: AuthorOut
    body: str
    html: str
    created_at: datetime
    edited_at: datetime | None
    accepted: bool
    replies: list[CommentOut] = Field(
        default=[], description="Replies, oldest first (top-level comments of a thread only)."
    )


class PostOut(BaseModel):
    id: str
    space_id: str
    space: SpaceRef
    author: AuthorOut
    kind: PostKind
    body: str
    html: str
    created_at: datetime
    edited_at: datetime | None
    comment_count: int
    reactions: dict[str, int] = Field(description='Counts per emoji, e.g. {"👍": 3}.')
    my_reactions: list[str]
    accepted_comment_id: str | None = Field(description="Questions: the accepted answer.")
    votes: int | None = Field(description="Ideas: the number of votes.")
    my_vote: bool = Field(description="Ideas: whether the caller voted.")
    idea_status: IdeaStatus | None = Field(description="Ideas: set by the space's moderators.")
    attachments: list[AttachmentOut]
    pinned: bool = Field(False, description="Pinned at the top of its space's posts.")
    pinned_at: datetime | None = None
    announced_until: datetime | None = Field(
        None, description="Pinned above everyone's feed (who can read it) until then."
    )
    closed: bool = Field(False, description="Closed: no new comments or replies.")
    closed_at: datetime | None = None


class PostDetailOut(PostOut):
    comments: list[CommentOut] = Field(
        description="Top-level comments, oldest first, each with its replies."
    )


class PostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body
    kind: PostKind = "update"
    attachment_ids: Annotated[list[Id], Field(max_length=10)] = Field(
        default=[], description="The caller's own uploads (POST /attachments) to attach."
    )


class BodyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body
    parent_id: Id | None = Field(default=None, description="Reply to this top-level comment.")


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment_id: Id | None = Field(description="The accepted answer; null takes the mark away.")


class IdeaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idea_status: IdeaStatus


class RevisionOut(BaseModel):
    """An earlier version, written by ``author`` at ``created_at``, since replaced."""

    id: str
    body: str
    html: str
    author: AuthorOut | None
    created_at: datetime


class FollowOut(BaseModel):
    type: Literal["person", "space"]
    id: str
    name: str


class MentionableOut(BaseModel):
    id: str
    name: str
    kind: PersonKind
    organization: str | None
    mention: str = Field(description="What to insert in a body to mention them: @[id].")


class PinIn(BaseModel):
    """``scope`` "space" (default): pin in the post's space. "organisation" (administrators):
    above the feed of everyone who can read it, until ``until`` (default: in 7 days; in the
    future, at most a year ahead)."""

    model_config = ConfigDict(extra="forbid")

    scope: Literal["space", "organisation"] = "space"
    until: datetime | None = None


class DeletedOut(BaseModel):
    """A deleted post or comment its author or a moderator may still restore."""

    type: Literal["post", "comment"]
    id: str
    post_id: str
    space: SpaceRef
    author: AuthorOut
    body: str
    deleted_at: datetime
    deleted_by_id: str | None
    restorable_until: datetime
    restore_url: str = Field(description="POST here (API path) to restore it.")


class DraftIn(BaseModel):
    """What the caller is writing in a space's composer; an empty body discards the draft."""

    model_config = ConfigDict(extra="forbid")

    body: Body
    kind: PostKind = Field(
        "update", description="A kind the caller may post there (announcement: managers)."
    )


class DraftOut(BaseModel):
    """The caller's draft in a space: an empty body and no ``updated_at`` when there is none."""

    body: str
    kind: PostKind
    updated_at: datetime | None
