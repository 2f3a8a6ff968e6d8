"""What the analytics API gives: the documented shapes of value_matrix, network and adoption."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Stage = Literal["operational", "cultural", "transformation"]


class CellOut(BaseModel):
    scope: Literal["within", "across", "external"]
    tie: Literal["existing", "new"]
    interactions: int | None
    ties: int | None
    share: float | None


class ThresholdsOut(BaseModel):
    across: float
    external: float


class JourneyOut(BaseModel):
    period: str
    start: str
    end: str
    partial: bool = Field(
        description="The period is not over yet, or the range cuts it: its figures are so far."
    )
    total: int | None
    people: int | None
    suppressed: bool
    stage: Stage | None
    rolling_stage: Stage | None = Field(
        default=None,
        description="By week: the stage of the four weeks ending with this one, with "
        "hysteresis (down only below 80 % of a threshold); null by month, or when those "
        "weeks hold fewer than 5 people.",
    )
    cells: list[CellOut]


class ApartFiguresOut(BaseModel):
    interactions: int | None
    people: int | None


class ApartOut(BaseModel):
    """Interactions outside the grid, never in its shares: between two externals, and those
    of members who sit in no silo."""

    externals: ApartFiguresOut
    no_silo: ApartFiguresOut


class RecommendationOut(BaseModel):
    kind: Literal[
        "island",
        "inward",
        "external_questions",
        "falling_community",
        "ready_outward",
        "not_ready",
    ]
    text: str
    unit_ids: list[str]
    space_ids: list[str]
    href: str = Field(description="Where to act on it: a page of Atoll.")


class ValueMatrixOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    unit_id: str | None
    period: Literal["month", "week"]
    timezone: str = Field(description="The organisation's time zone (its days, weeks, months).")
    people: int | None
    suppressed: bool
    total: int | None
    stage: Stage | None
    thresholds: ThresholdsOut
    cells: list[CellOut]
    apart: ApartOut
    journey: list[JourneyOut]
    recommendations: list[RecommendationOut] = Field(
        default_factory=list, description="What to do next, from the data, with a link each."
    )


class UnitFiguresOut(BaseModel):
    id: str
    name: str | None
    label: str
    path: str | None
    people: int
    interactions_within: int
    interactions_across: int
    internal_ties: int
    external_ties: int
    ei: float | None
    ei_index: float | None
    ei_expected: float | None
    ei_weighted: float | None
    island: bool


class UnitPairOut(BaseModel):
    from_unit_id: str
    to_unit_id: str
    interactions: int


class NetworkOrganizationOut(BaseModel):
    id: str
    name: str
    people: int
    interactions: int


class NetworkOrganizationPairOut(BaseModel):
    from_id: str
    to_id: str
    interactions: int


class BridgeOut(BaseModel):
    person_id: str | None
    name: str | None
    unit_id: str | None
    unit_name: str | None
    betweenness: float
    units_reached: int


class BreadthBucketOut(BaseModel):
    silos: Literal["0", "1", "2", "3", "4", "5+"]
    people: int | None


class NetworkBreadthOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    people: int | None
    suppressed: bool
    buckets: list[BreadthBucketOut]


class NetworkOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    level: int
    unit_id: str | None
    min_interactions: int
    suppressed: bool
    units: list[UnitFiguresOut]
    matrix: list[UnitPairOut]
    ei_org: float | None
    ei_org_expected: float | None
    organizations: list[NetworkOrganizationOut]
    organization_pairs: list[NetworkOrganizationPairOut]
    bridges: list[BridgeOut]
    names_hidden: bool
    betweenness_sampled: bool
    betweenness_people: int
    betweenness_sources: int
    breadth: NetworkBreadthOut
    computed_at: str


class ActivePeriodOut(BaseModel):
    period: str
    start: str
    end: str
    active: int | None
    contributors: int | None
    suppressed: bool
    partial: bool


class SplitSharesOut(BaseModel):
    readers: float | None
    occasional: float | None
    regular: float | None


class SplitOut(BaseModel):
    readers: int | None
    occasional: int | None
    regular: int | None
    shares: SplitSharesOut | None


class PersonasOut(BaseModel):
    engager: int | None
    catalyst: int | None
    responder: int | None
    broadcaster: int | None
    observer: int | None


class WindowOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    first: str  # the first and last day, in the organisation's time zone
    last: str


class WindowsOut(BaseModel):
    month: WindowOut
    year: WindowOut


class QuestionsOut(BaseModel):
    asked: int | None
    answered: int | None
    median_first_answer_seconds: float | None
    askers: int | None
    suppressed: bool


class AdoptionOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    timezone: str
    members: int | None
    active: int | None
    contributors: int | None
    suppressed: bool
    participation: float | None
    split: SplitOut
    dau_mau: float | None
    health_index: float | None
    personas: PersonasOut
    windows: WindowsOut
    weekly: list[ActivePeriodOut]
    monthly: list[ActivePeriodOut]
    questions: QuestionsOut
    questions_by_externals: QuestionsOut


class FirstStepOut(BaseModel):
    key: Literal[
        "profile", "team_post", "answer", "join_community", "help_across", "reply_external"
    ]
    title: str
    hint: str
    done: bool
    href: str


class FirstStepsOut(BaseModel):
    steps: list[FirstStepOut] = Field(
        description="In journey order; `reply_external` only for people in a hybrid space. "
        "Empty for externals."
    )
    done: int
    dismissed: bool = Field(description="The person hid the checklist from the home page.")


class UnitFirstStepsOut(BaseModel):
    unit_id: str
    name: str
    members: int | None = Field(description="Active members now in the unit; null under 5.")
    taken: dict[str, int | None] = Field(
        description="Per step, how many of them took it; null when it, or the number who did "
        "not, is 1 to 4 people."
    )
    asked: dict[str, int | None] = Field(
        description="Per step, of how many people (`reply_external`: those in a hybrid space)."
    )


class FirstStepsByUnitOut(BaseModel):
    silo_level: int
    min_group: int
    units: list[UnitFirstStepsOut]
