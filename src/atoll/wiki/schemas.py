"""What the wiki API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from atoll.conversations.schemas import AuthorOut

NO_NUL = r"^[^\x00]*$"
MAX_REVISION = 2**31 - 1
Title = Annotated[
    str,
    Field(
        min_length=1,
        max_length=400,
        pattern=NO_NUL,
        description="1 to 200 characters once runs of white space are folded into one "
        "space; at least one letter or digit. The page's slug is made from it.",
    ),
]
Body = Annotated[
    str,
    Field(
        max_length=200_000,
        pattern=NO_NUL,
        description="Markdown (CommonMark, tables, strikethrough, autolinks) with "
        "[[Page title]] and [[Page title|label]] links to pages of the same space.",
    ),
]
RevisionNumber = Annotated[StrictInt, Field(ge=1, le=MAX_REVISION)]


class PageOut(BaseModel):
    """A page at its current revision."""

    id: str
    space_id: str
    slug: str
    title: str
    body: str
    html: str = Field(
        description="Sanitised HTML; [[links]] to missing pages have class "
        '"wikilink missing" and lead to their editor.'
    )
    revision: int
    parent_id: str | None
    parent_slug: str | None
    created_at: datetime
    updated_at: datetime
    updated_by: AuthorOut | None
    deleted_at: datetime | None = Field(
        description="Set on a deleted page (listed with ?deleted=true; restore brings it back)."
    )
    locked: bool = Field(False, description="Locked to the space's owners and moderators.")
    locked_at: datetime | None = None


class PageRef(BaseModel):
    id: str
    slug: str
    title: str


class PageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body
    summary: Annotated[str, Field(max_length=300, pattern=NO_NUL)] = Field(
        default="", description="What changed, for the history (optional)."
    )
    base_revision: Annotated[StrictInt, Field(ge=0, le=MAX_REVISION)] | None = Field(
        default=None,
        description="The revision the edit was based on: required to edit an existing page "
        "(0 or absent means a new page). A stale one answers 409 with the current page.",
    )
    parent: Annotated[str, Field(max_length=220, pattern=NO_NUL)] | None = Field(
        default=None,
        description='The slug of the parent page; "" makes it a top-level page; absent keeps '
        "the parent as it is.",
    )


class RenameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title


class RestoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: RevisionNumber
    summary: Annotated[str, Field(max_length=300, pattern=NO_NUL)] = ""


class RevisionOut(BaseModel):
    """One line of the history."""

    revision: int
    title: str
    summary: str
    author: AuthorOut | None
    created_at: datetime
    restored_from: int | None = Field(description="The revision this one restored, if any.")


class RevisionDetailOut(RevisionOut):
    body: str
    diff: str | None = Field(
        default=None,
        description="With ?diff_to=m: the unified diff from this revision to revision m.",
    )
