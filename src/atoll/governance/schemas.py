"""The JSON of reports and the moderation queue."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from atoll.conversations.schemas import SpaceRef

TargetType = Literal["post", "comment", "wiki_page", "person"]
Reason = Literal["spam", "harassment", "off_topic", "confidential", "other"]
Action = Literal["dismiss", "hide", "delete", "warn", "suspend"]


class ReportIn(BaseModel):
    target_type: TargetType
    target_id: str = Field(max_length=20)
    reason: Reason
    detail: str | None = Field(default=None, max_length=2000)


class PersonRef(BaseModel):
    id: str
    name: str


class ReportOut(BaseModel):
    """One report. ``status`` is open or resolved; a resolved one carries ``action`` and
    ``note``."""

    id: str
    target_type: TargetType
    target_id: str
    space_id: str | None
    reason: str
    detail: str
    created_at: datetime
    status: Literal["open", "resolved"]
    action: str | None = None
    note: str | None = None
    resolved_at: datetime | None = None


class QueueReportOut(BaseModel):
    id: str
    reporter: PersonRef
    reason: str
    detail: str
    created_at: datetime


class TargetOut(BaseModel):
    """What was reported, as a handler sees it: ``state`` is visible, hidden, deleted or gone."""

    type: TargetType
    id: str
    excerpt: str
    url: str
    state: str
    author: PersonRef | None
    space: SpaceRef | None


class ResolutionOut(BaseModel):
    action: str
    note: str
    resolved_at: datetime
    resolved_by: str | None


class QueueItemOut(BaseModel):
    """Every report on one target: how many, the reasons counted, each report, its age."""

    report_id: str  # the newest: resolve this one to resolve them all
    target: TargetOut
    count: int
    reasons: dict[str, int]
    reports: list[QueueReportOut]
    first_reported_at: datetime
    status: Literal["open", "resolved"]
    resolution: ResolutionOut | None


class ResolveIn(BaseModel):
    action: Action
    note: str | None = Field(default=None, max_length=2000)
    days: int | None = Field(default=None, description="suspend: 1 to 365, default 7")


class ResolveOut(BaseModel):
    action: str
    note: str
    resolved: list[str]  # the ids of every report resolved


class SuspensionOut(BaseModel):
    person_id: str
    suspended_until: datetime | None
