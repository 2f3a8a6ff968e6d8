"""What the search API answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["post", "comment", "wiki", "person", "space"]


class HitOut(BaseModel):
    type: Kind
    id: str
    title: str
    snippet: str = Field(description="Plain text around the matches.")
    snippet_html: str = Field(description="The snippet, escaped, with the matches in <mark>.")
    space_id: str | None = None
    space_name: str | None = None
    post_id: str | None = Field(None, description="For a comment: the post it belongs to.")
    url: str = Field(description="The page that shows it (a comment's anchor in its post).")
    at: datetime = Field(description="Created (a wiki page: last edited).")
    score: float


class SearchOut(BaseModel):
    items: list[HitOut]
    next_cursor: str | None = None
