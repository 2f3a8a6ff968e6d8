"""What the discovery API gives: suggestions, each with the reason it is made."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from atoll.spaces.schemas import Kind, Role, Visibility


class CommunityOut(BaseModel):
    id: str
    name: str
    slug: str
    description: str
    kind: Kind
    visibility: Visibility
    member_count: int
    my_role: Role | None
    pending_request: bool
    reason: str
    reasons: list[str]


class ExpertOut(BaseModel):
    id: str
    name: str
    title: str
    kind: Literal["member", "external"]
    unit: str | None
    skill: str | None
    accepted_answers: int
    posts: int
    reason: str
    reasons: list[str]


class ActiveOut(BaseModel):
    id: str
    space_id: str
    space_name: str
    author_id: str
    author_name: str
    kind: str
    snippet: str
    created_at: datetime
    comments: int
    reactions: int
    reason: str
    reasons: list[str]


class Communities(BaseModel):
    items: list[CommunityOut]


class Experts(BaseModel):
    topic: str
    items: list[ExpertOut]


class Active(BaseModel):
    items: list[ActiveOut]
