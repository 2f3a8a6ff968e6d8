"""What the readiness and champions API takes and gives (analytics/readiness.py,
analytics/champions.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

Share = Annotated[StrictFloat | StrictInt, Field(ge=0, le=1)]


class ReadinessThresholdsOut(BaseModel):
    active_share: float
    across_share: float
    answer_rate: float
    first_answer_hours: float


class ReadinessThresholdsIn(BaseModel):
    """Shares are fractions (0.6 is 60 %); a field left out keeps its default."""

    model_config = ConfigDict(extra="forbid")

    active_share: Share = 0.6
    across_share: Share = 0.2
    answer_rate: Share = 0.7
    first_answer_hours: Annotated[StrictFloat | StrictInt, Field(gt=0, le=24 * 365)] = 48


class ReadinessPassesOut(BaseModel):
    active_share: bool
    across_share: bool
    answer_rate: bool
    time_to_first_answer_hours: bool


class ReadinessUnitOut(BaseModel):
    unit_id: str
    unit_name: str
    members: int | None
    active_share: float | None
    across_share: float | None
    answer_rate: float | None
    time_to_first_answer_hours: float | None
    questions: int | None
    has_hybrid_space: bool | None
    organizations: list[str]
    ready: bool | None
    passes: ReadinessPassesOut | None
    suppressed: bool = Field(description="A unit of 1 to 4 members: every figure withheld.")
    suggestions: list[str]


class ReadinessOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    as_of: str
    from_: str = Field(alias="from")
    to: str
    days: int
    level: int
    thresholds: ReadinessThresholdsOut
    units: list[ReadinessUnitOut]


class ChampionOut(BaseModel):
    person_id: str
    name: str
    title: str
    accepted_answers: int
    newcomer_replies: int
    first_replies_to_externals: int
    score: int


class ChampionsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    unit_id: str | None
    champions: list[ChampionOut]
    not_opted_in: int | None
    not_opted_in_text: str
