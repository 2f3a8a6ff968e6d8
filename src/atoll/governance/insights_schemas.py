"""What the space analytics API gives (``GET /api/v1/spaces/{id}/analytics``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class FigureOut(BaseModel):
    """A figure, or null with ``withheld`` true when it is about 1 to 4 people."""

    value: float | None
    withheld: bool


class SpaceRefOut(BaseModel):
    id: str
    name: str
    slug: str


class ExternalsOut(BaseModel):
    """Externals among the active people, their share of them, and their share of the
    contributions (posts and comments)."""

    active_people: FigureOut
    active_share: FigureOut
    contribution_share: FigureOut


class PointOut(BaseModel):
    """One day or ISO week: its figures (null when withheld, named in ``withheld``)."""

    period: str
    start: str
    active_people: int | None
    posts: int | None
    comments: int | None
    withheld: list[str]


class SeriesOut(BaseModel):
    period: Literal["day", "week"]
    points: list[PointOut]


class SpaceAnalyticsOut(BaseModel):
    """A space's figures over whole days ``from`` to ``to`` (both included)."""

    model_config = ConfigDict(populate_by_name=True)

    space: SpaceRefOut
    from_: str = Field(alias="from")
    to: str
    min_group: int
    active_people: FigureOut
    posts: FigureOut
    comments: FigureOut
    questions_asked: FigureOut
    questions_answered: FigureOut
    median_first_answer_seconds: FigureOut
    externals: ExternalsOut
    series: SeriesOut
